# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The authentik the local stack talks to: the stand-in (default), or with
KUBEAUTH_E2E_AUTHENTIK=real:<version> the real authentik of that release that
`cd tests && python3 -m authentik.server --version <version> up` started (it outlives the stack).

Both answer the same questions from what the server received: the API writes since a mark
(the stand-in's request log, the real server's TLS front access log) and the requests the
release's schema rejects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import requests

import standin  # tests/ is the import root

WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')


def choice():
    """'standin', or the version of the real server asked for."""
    value = os.environ.get('KUBEAUTH_E2E_AUTHENTIK', 'standin')
    if value == 'standin':
        return value
    if not value.startswith('real:') or not value[5:]:
        raise ValueError('KUBEAUTH_E2E_AUTHENTIK must be "standin" or "real:<version>", not %r' % value)
    return value[5:]


class RealAuthentik:
    """A running real server (tests/authentik): url, token, ca_path like a stand-in handle."""

    real = True

    def __init__(self, version):
        import authentik as tool  # tests/authentik, the real server tool
        facts = tool.facts(version)
        self.url, self.token, self.ca_path, self.version = facts['url'], facts['token'], facts['ca_path'], facts['version']
        self.schema = facts['schema']
        self.access_log = tool.AccessLog(facts['access_log'], facts['url'], facts['ca_path'])

    def mark(self):
        return self.access_log.mark()

    def writes_since(self, mark):
        return self.access_log.writes(mark)

    def request_violations_since(self, mark):
        from authentik.schema_check import violations  # pylint: disable=import-outside-toplevel
        return violations(self.access_log.entries(mark), self.schema, self.url)

    def stop(self):
        """The server belongs to tests/authentik/server.py (`down` stops it), not to the stack."""


class StandinAuthentik:
    """A stand-in started for the stack, with the same questions answered from its own logs."""

    real = False

    def __init__(self, version, state_dir):
        self.handle = standin.start(version=version, state_dir=state_dir)
        self.url, self.token, self.ca_path, self.version = self.handle.url, self.handle.token, self.handle.ca_path, version

    def _get(self, what):
        return requests.get(self.url + '/_standin/' + what, verify=self.ca_path, timeout=30).json()

    def mark(self):
        return len(self._get('requests')), len(self._get('violations'))

    def writes_since(self, mark):
        return [r for r in self._get('requests')[mark[0]:] if r['method'] in WRITES and r['path'].startswith('/api/v3/')]

    def request_violations_since(self, mark):
        return [v for v in self._get('violations')[mark[1]:] if v['side'] == 'request']

    def stop(self):
        self.handle.stop()


def start(version, state_dir):
    """The stand-in emulating `version`, or the real server KUBEAUTH_E2E_AUTHENTIK names."""
    wanted = choice()
    if wanted == 'standin':
        return StandinAuthentik(version, state_dir)
    return RealAuthentik(wanted)
