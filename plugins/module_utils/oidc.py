# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What any OIDC issuer publishes (not authentik's API): its discovery document and JWKS, read as kube-apiserver reads them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .client import REQUESTS_IMPORT_ERROR, AuthentikClient
from .errors import AuthentikError, InputError

# For the module's missing-library message: None when requests is installed.
MISSING_REQUESTS = REQUESTS_IMPORT_ERROR


def discovery_url_of(issuer):
    """kube-apiserver's rule: the issuer without its trailing slash, plus the well-known path."""
    return issuer.rstrip('/') + '/.well-known/openid-configuration'


def oidc_documents(issuer, validate_certs=True, ca_path=None, timeout=30):
    """The discovery document of an issuer, found as kube-apiserver finds it, and the JWKS it names.

    Returns (discovery URL, discovery document, JWKS); needs no token. Raises InputError naming the option
    issuer when either cannot be read or the document is not a discovery document.
    """
    url = discovery_url_of(issuer)
    try:
        client = AuthentikClient(issuer, None, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout)
        discovery = client.get(url)
        if not isinstance(discovery, dict) or 'jwks_uri' not in discovery:
            raise InputError('issuer', '%s is not an OpenID discovery document (no jwks_uri); is the issuer %r right? '
                                       'authentik\'s is https://HOST/application/o/<application slug>/' % (url, issuer))
        return url, discovery, client.get(discovery['jwks_uri'])
    except InputError:
        raise
    except AuthentikError as exc:
        raise InputError('issuer', 'cannot read the discovery document of %r: %s' % (issuer, exc))
