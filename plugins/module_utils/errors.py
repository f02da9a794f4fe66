# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors a task reports, and the explanations that more than one place gives.

Modules raise InputError for input the user must fix; the client raises AuthentikError for what the
server answered. Both carry a message written for the person running the play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Why a provider needs a signing key: the one wording of it (the modules, the id_token filter and the
# troubleshooting guide's "Empty JWKS or HS256 tokens" entry say this and nothing else).
NO_SIGNING_KEY = ('an authentik provider with no signing key serves an empty JWKS ({}) and signs its tokens with HS256 '
                  '(the client secret), which kube-apiserver cannot verify')


def see(entry):
    """Where the troubleshooting guide explains it: entry is the title of one of its sections."""
    return "See '%s' in the troubleshooting guide (docs/docsite/rst/troubleshooting.rst)." % entry


class AuthentikError(Exception):
    """An API failure with a message written for the person running the play."""

    def __init__(self, message, status=None, body=None):
        super(AuthentikError, self).__init__(message)
        self.status = status
        self.body = body


class InputError(AuthentikError):
    """Bad module input, found before any write; names the option to fix."""

    def __init__(self, option, message):
        super(InputError, self).__init__('%s: %s' % (option, message))
        self.option = option
