#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: scope_mapping_info
short_description: Read authentik OAuth2 scope mappings
version_added: 0.1.0
description:
  - Lists OAuth2 scope mappings by exact O(name), managed id or scope name; filters combine with AND.
  - The endpoint is chosen by server release, as for M(kubeauth.authentik.scope_mapping).
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.attributes.info_module
  - kubeauth.authentik.connection
options:
  name:
    description: Exact name of the mapping.
    type: str
  managed:
    description:
      - Managed ids, such as C(goauthentik.io/providers/oauth2/scope-email); a mapping matching any of them is listed.
    type: list
    elements: str
  scope_name:
    description: The scope the mappings serve, such as C(email).
    type: str
seealso:
  - module: kubeauth.authentik.scope_mapping
'''

EXAMPLES = r'''
- name: What the managed email mapping says about email_verified
  kubeauth.authentik.scope_mapping_info:
    managed:
      - goauthentik.io/providers/oauth2/scope-email
  register: email_mapping

- name: Every mapping of the email scope
  kubeauth.authentik.scope_mapping_info:
    scope_name: email
'''

RETURN = r'''
scope_mappings:
  description: The matching scope mappings.
  returned: always
  type: list
  elements: dict
  sample:
    - pk: aafab4f1-7ab6-4caa-bff7-d9fc7a39ff67
      managed: goauthentik.io/providers/oauth2/scope-email
      name: "authentik default OAuth Mapping: OpenID 'email'"
      scope_name: email
      expression: "return {\"email\": request.user.email, \"email_verified\": False}"
      description: Email address
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.resource import ListInfoModule


class ScopeMappingInfo(ListInfoModule):
    result_key = 'scope_mappings'
    filters = dict(name='name', managed='managed', scope_name='scope_name')
    argument_spec = dict(
        name=dict(type='str'),
        managed=dict(type='list', elements='str'),
        scope_name=dict(type='str'),
    )

    def path(self):
        return self.api.scope_mappings


def main():
    ScopeMappingInfo().run()


if __name__ == '__main__':
    main()
