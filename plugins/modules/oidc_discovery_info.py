#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: oidc_discovery_info
short_description: Read an OIDC issuer's discovery document and JWKS, as kube-apiserver will
version_added: 0.1.0
description:
  - Fetches C(<issuer>/.well-known/openid-configuration) and the JWKS it points to, the way kube-apiserver does,
    and reports what kube-apiserver would think of them.
  - Needs no authentik token; works with any OIDC issuer.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.info_module
options:
  issuer:
    description:
      - The issuer URL exactly as kube-apiserver is given it. authentik's per-provider issuer ends with a slash.
    type: str
    required: true
  fail_on_empty_jwks:
    description:
      - Fail when the JWKS has no keys, the sign of an authentik provider without a signing key.
    type: bool
    default: false
  validate_certs:
    description: Verify the issuer's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: PEM CA bundle that signed the issuer's certificate.
    type: path
  timeout:
    description: Seconds to wait for each HTTP response.
    type: int
    default: 30
requirements:
  - requests
seealso:
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Is the provider ready for kube-apiserver?
  kubeauth.authentik.oidc_discovery_info:
    issuer: https://authentik.example.com/application/o/kubernetes/
    ca_path: /etc/ssl/certs/authentik-ca.pem
    fail_on_empty_jwks: true
  register: oidc

- name: kube-apiserver compares the issuer byte for byte
  ansible.builtin.assert:
    that: oidc.issuer_matches
'''

RETURN = r'''
discovery_url:
  description: Where the discovery document was read.
  returned: always
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/.well-known/openid-configuration
discovery:
  description: The discovery document.
  returned: always
  type: dict
issuer_matches:
  description: Whether the document's C(issuer) equals O(issuer) exactly (kube-apiserver rejects the provider otherwise).
  returned: always
  type: bool
  sample: true
discovered_issuer:
  description: The C(issuer) the document states.
  returned: always
  type: str
jwks_url:
  description: The C(jwks_uri) of the document.
  returned: always
  type: str
jwks:
  description: The JWKS document, public keys only.
  returned: always
  type: dict
key_count:
  description: Number of keys in the JWKS; 0 means tokens cannot be verified.
  returned: always
  type: int
  sample: 1
algorithms:
  description: Signing algorithms of the JWKS keys and of C(id_token_signing_alg_values_supported), sorted.
  returned: always
  type: list
  elements: str
  sample: [RS256]
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ..module_utils.errors import NO_SIGNING_KEY, InputError, see
from ..module_utils.oidc import MISSING_REQUESTS, oidc_documents

EMPTY_JWKS = ('the JWKS at %%s has no keys: %s. Fix: set signing_key on '
              'kubeauth.authentik.oauth2_provider (for example "authentik Self-signed Certificate"). %s'
              % (NO_SIGNING_KEY, see('Empty JWKS or HS256 tokens')))


def inspect(issuer, discovery, jwks):
    keys = (jwks or {}).get('keys') or []
    algs = set(k.get('alg') for k in keys if k.get('alg'))
    algs.update(discovery.get('id_token_signing_alg_values_supported') or [])
    return dict(
        discovered_issuer=discovery.get('issuer'),
        issuer_matches=discovery.get('issuer') == issuer,
        key_count=len(keys),
        algorithms=sorted(algs),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            issuer=dict(type='str', required=True),
            fail_on_empty_jwks=dict(type='bool', default=False),
            validate_certs=dict(type='bool', default=True),
            ca_path=dict(type='path'),
            timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    if MISSING_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=MISSING_REQUESTS)
    issuer = module.params['issuer']
    try:
        url, discovery, jwks = oidc_documents(issuer, validate_certs=module.params['validate_certs'],
                                              ca_path=module.params['ca_path'], timeout=module.params['timeout'])
    except InputError as exc:
        module.fail_json(msg=str(exc), option=exc.option)
    result = dict(changed=False, discovery_url=url, discovery=discovery, jwks_url=discovery['jwks_uri'], jwks=jwks)
    result.update(inspect(issuer, discovery, jwks))
    if module.params['fail_on_empty_jwks'] and not result['key_count']:
        module.fail_json(msg=EMPTY_JWKS % discovery['jwks_uri'], **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
