# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check an id_token's header and claims the way kube-apiserver will, and say what is wrong.

From Kubernetes 1.34 the apiserver logs only "invalid bearer token" for a rejected token, so the
verify role reads the token itself first. Nothing here verifies the signature: the apiserver does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ..module_utils.errors import NO_SIGNING_KEY, see
from ..module_utils.versions import ServerFeatures
from .jwt import jwt_segment


def _when(epoch):
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(epoch))


def _algorithm(header, algorithms):
    alg = header.get('alg')
    if alg in algorithms:
        return None
    cause = '%s. ' % NO_SIGNING_KEY if alg == 'HS256' else ''
    return ('the token is signed with %s, but kube-apiserver accepts only %s: %sFix: authentik_oidc_signing_key '
            '(a certificate-key pair with an RSA or EC key), and apiserver_oidc_signing_algs to match it. %s'
            % (alg, ', '.join(algorithms), cause, see('Empty JWKS or HS256 tokens')))


def _issuer(claims, issuers):
    if claims.get('iss') in issuers:
        return None
    trusted = ', '.join(repr(i) for i in issuers) or 'no issuer'
    return ("the token was issued by %r, but kube-apiserver trusts %s; they must be equal byte for byte, trailing slash "
            "included. Fix: apiserver_oidc_issuer_url (the issuer authentik states in its discovery document), and reach "
            "authentik at that same URL. %s" % (claims.get('iss'), trusted, see('Issuer mismatch')))


def _audience(claims, audiences):
    aud = claims.get('aud')
    given = aud if isinstance(aud, list) else [aud]
    if any(item in audiences for item in given):
        return None
    return ('the token is for audience %s, but kube-apiserver accepts %s. Fix: apiserver_oidc_client_id must be the client '
            'id of the authentik provider (authentik_oidc_client_id), and oidc_verify_client_id the same. %s'
            % (', '.join(repr(item) for item in given), ', '.join(repr(a) for a in audiences) or 'no audience',
               see('Audience mismatch')))


def _expiry(claims, now):
    exp = claims.get('exp')
    if not isinstance(exp, (int, float)):
        return 'the token has no expiry (exp), which kube-apiserver requires. %s' % see('Token expired')
    if exp > now:
        return None
    return ('the token expired at %s, %d s before it was checked at %s: it was born expired or nearly so. Fix: '
            'authentik_oidc_access_token_validity (it sets the token lifetime), and check that the clocks of authentik, '
            'this controller and the nodes agree. %s' % (_when(exp), now - exp, _when(now), see('Token expired')))


def _username(claims, username_claim):
    if username_claim in claims:
        return None
    if username_claim == 'email':
        return ('the token has no email claim, and kube-apiserver takes the user name from it: the email scope was not '
                'asked for or the provider has no email mapping. Fix: oidc_verify_scopes and oidc_kubeconfig_extra_scopes '
                'must include email, and the provider needs authentik_oidc_email_mapping_name. %s'
                % see('Token has no email claim'))
    return ('the token has no %s claim, and kube-apiserver takes the user name from it. Fix: apiserver_oidc_username_claim, '
            'or a scope mapping on the provider that sets %s. %s' % (username_claim, username_claim, see('Token rejected by kube-apiserver')))


def _email_verified(claims, username_claim):
    if username_claim != 'email' or claims.get('email_verified', True) is not False:
        return None
    return ("the token says email_verified false, and kube-apiserver refuses an unverified email as user name: "
            "authentik's managed email mapping (%s and later) is on the provider. Fix: authentik_oidc_email_mapping_name "
            "(the authentik_oidc role's own email mapping, which says email_verified true) in its place. %s"
            % (ServerFeatures.release_of('email_mapping_unverified'), see('Email not verified')))


def id_token_problems(token, issuers, audiences, algorithms, username_claim='email', now=None):
    """Everything kube-apiserver would hold against the token: [{claim, message}], empty when it looks right."""
    try:
        header_segment, claims_segment = to_text(token).split('.')[:2]
    except ValueError:
        raise AnsibleFilterError('id_token_problems: not a JWT (header.claims.signature)')
    header, claims = jwt_segment(header_segment), jwt_segment(claims_segment)
    now = int(time.time() if now is None else now)
    checks = (
        ('alg', _algorithm(header, list(algorithms))),
        ('iss', _issuer(claims, list(issuers))),
        ('aud', _audience(claims, list(audiences))),
        ('exp', _expiry(claims, now)),
        (username_claim, _username(claims, username_claim)),
        ('email_verified', _email_verified(claims, username_claim)),
    )
    return [{'claim': claim, 'message': message} for claim, message in checks if message]


class FilterModule(object):
    def filters(self):
        return {'id_token_problems': id_token_problems}
