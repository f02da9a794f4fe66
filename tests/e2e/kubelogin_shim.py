# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for kubelogin (`kubectl oidc-login get-token`) in the end-to-end tests.

int128/kubelogin cannot be built here (the Go module proxy refuses
github.com/int128/kubelogin), so real kubectl runs this instead through the
generated kubeconfig's exec plugin. It takes kubelogin's flags and does what
kubelogin does with --grant-type=password: read the issuer's discovery document,
POST to its token endpoint with the scopes openid + --oidc-extra-scope, and print
an ExecCredential with the id_token. Flags it does not know fail loudly, so a
kubeconfig that would break kubelogin's parser breaks here too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import sys

import requests

IGNORED_VALUES = ('--oidc-pkce-method', '--listen-address', '--token-cache-dir')


def parse(argv):
    parser = argparse.ArgumentParser(prog='kubectl oidc-login')
    parser.add_argument('command', choices=['get-token'])
    parser.add_argument('--oidc-issuer-url', required=True)
    parser.add_argument('--oidc-client-id', required=True)
    parser.add_argument('--oidc-client-secret', default='')
    parser.add_argument('--oidc-extra-scope', action='append', default=[])
    parser.add_argument('--certificate-authority')
    parser.add_argument('--grant-type', choices=['auto', 'authcode', 'authcode-keyboard', 'password', 'device-code'], default='auto')
    parser.add_argument('--username')
    parser.add_argument('--password')
    for flag in IGNORED_VALUES:
        parser.add_argument(flag)
    return parser.parse_args(argv)


def main(argv):
    args = parse(argv)
    if args.grant_type != 'password':
        sys.exit('kubelogin stand-in: only --grant-type=password can run without a browser')
    verify = args.certificate_authority or True
    discovery = requests.get(args.oidc_issuer_url.rstrip('/') + '/.well-known/openid-configuration', verify=verify, timeout=30).json()
    response = requests.post(discovery['token_endpoint'], verify=verify, timeout=30, data={
        'grant_type': 'password', 'client_id': args.oidc_client_id, 'username': args.username, 'password': args.password,
        'scope': ' '.join(['openid'] + args.oidc_extra_scope)})
    if response.status_code != 200:
        sys.exit('token endpoint: %s %s' % (response.status_code, response.text[:300]))
    print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',
                      'status': {'token': response.json()['id_token']}}))


if __name__ == '__main__':
    main(sys.argv[1:])
