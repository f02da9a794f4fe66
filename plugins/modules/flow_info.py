#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: flow_info
short_description: Read authentik flows
version_added: 0.1.0
description:
  - Lists flows, optionally only the one with a given O(slug) or those of one O(designation).
  - Providers take flows by slug; use this module to see which slugs a server has.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.attributes.info_module
  - kubeauth.authentik.connection
options:
  slug:
    description: Exact slug of the flow.
    type: str
  designation:
    description: What the flows are used for.
    type: str
    choices: [authentication, authorization, enrollment, invalidation, recovery, stage_configuration, unenrollment]
seealso:
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Authorization flows
  kubeauth.authentik.flow_info:
    designation: authorization
  register: flows

- name: The implicit-consent flow
  kubeauth.authentik.flow_info:
    slug: default-provider-authorization-implicit-consent
'''

RETURN = r'''
flows:
  description: The matching flows.
  returned: always
  type: list
  elements: dict
  sample:
    - pk: 53d8397a-442b-4465-923f-bc06abd33873
      name: Authorize Application
      slug: default-provider-authorization-implicit-consent
      designation: authorization
      title: Redirecting to %(app)s
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.api import FLOWS
from ..module_utils.resource import ListInfoModule


class FlowInfo(ListInfoModule):
    result_key = 'flows'
    filters = dict(slug='slug', designation='designation')
    argument_spec = dict(
        slug=dict(type='str'),
        designation=dict(type='str', choices=['authentication', 'authorization', 'enrollment', 'invalidation', 'recovery',
                                              'stage_configuration', 'unenrollment']),
    )

    def path(self):
        return FLOWS


def main():
    FlowInfo().run()


if __name__ == '__main__':
    main()
