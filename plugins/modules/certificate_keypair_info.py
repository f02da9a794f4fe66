#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: certificate_keypair_info
short_description: Read authentik certificate keypairs
version_added: 0.1.0
description:
  - Lists certificate keypairs, optionally only the one with an exact O(name) or only those with a private key.
  - Never returns private key material, nor the URL that downloads it.
  - Each keypair carries C(key_type) (V(rsa), V(ec), V(dsa), V(ed25519), V(ed448), or null), the name authentik uses
    from 2025.12; for older releases it is copied from their C(private_key_type), which uses the same names.
  - kube-apiserver verifies RSA and ECDSA token signatures only, so a keypair whose C(key_type) is V(ed25519), V(ed448)
    or V(dsa) cannot be the signing key of a Kubernetes provider.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.attributes.info_module
  - kubeauth.authentik.connection
options:
  name:
    description: Exact name of the keypair (not a substring).
    type: str
  has_key:
    description: V(true) lists only keypairs with a private key, the ones that can sign tokens.
    type: bool
seealso:
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Keypairs that can sign tokens
  kubeauth.authentik.certificate_keypair_info:
    has_key: true
  register: keys

- name: The self-signed keypair authentik creates on install
  kubeauth.authentik.certificate_keypair_info:
    name: authentik Self-signed Certificate
  register: selfsigned
'''

RETURN = r'''
keypairs:
  description: The matching keypairs, without private key material.
  returned: always
  type: list
  elements: dict
  sample:
    - pk: bd475a65-f576-495b-b328-84651f65053f
      name: authentik Self-signed Certificate
      fingerprint_sha256: "01:42:04:e1:..."
      cert_expiry: "2027-11-30T09:18:15Z"
      cert_subject: OU=Self-signed,O=authentik,CN=authentik Self-signed Certificate
      private_key_available: true
      key_type: rsa
      managed: null
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.api import KEYPAIRS
from ..module_utils.resource import ListInfoModule

# Anything that holds or fetches a private key stays on the server.
PRIVATE_FIELDS = frozenset(['key_data', 'private_key_download_url'])


class CertificateKeypairInfo(ListInfoModule):
    result_key = 'keypairs'
    filters = dict(name='name', has_key='has_key')
    argument_spec = dict(
        name=dict(type='str'),
        has_key=dict(type='bool', no_log=False),
    )

    def path(self):
        return KEYPAIRS

    def shown(self, item):
        shown = dict((k, v) for k, v in item.items() if k not in PRIVATE_FIELDS)
        # One field name across releases (older ones call it private_key_type).
        shown['key_type'] = self.api.keypair_key_type(item)
        return shown


def main():
    CertificateKeypairInfo().run()


if __name__ == '__main__':
    main()
