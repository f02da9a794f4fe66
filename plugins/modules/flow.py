#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: flow
short_description: Manage an authentik flow's settings
version_added: 0.2.0
description:
  - Create, update or delete a flow, found by its O(slug).
  - Manages the flow's own settings (name, title, designation, who may run it, layout, policy engine mode, denied action,
    compatibility mode), not its stages. A flow without stages is what authentik's device code login needs, a flow of
    designation V(stage_configuration) set as the brand's device code flow (M(kubeauth.authentik.brand)), through which
    the person enters the code kubelogin shows.
  - Only the options given are managed; a second run with the same options sends no write.
  - O(state=absent) refuses to delete a flow that authentik would delete other objects with, such as a provider whose
    authorization flow it is (that relation cascades in authentik), and names them. Brands and providers that use the
    flow in other ways lose the setting, as in authentik's own UI.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.connection
attributes:
  check_mode:
    support: full
    details: A flow that would be created is returned with the placeholder id C((pending) flow '<slug>'), which
      M(kubeauth.authentik.brand) takes as that flow in the same check-mode run.
  diff_mode:
    support: full
    details: Shows only the fields that change.
options:
  state:
    description:
      - V(present) creates or updates the flow, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  slug:
    description:
      - The flow's slug, 1 to 50 letters, digits, C(-) or C(_); it appears in the flow's URL (C(/if/flow/<slug>/)) and
        the flow is found by it.
    type: str
    required: true
  name:
    description:
      - Name of the flow, as authentik's admin interface lists it. Required to create the flow.
    type: str
  title:
    description:
      - Title shown above the flow's pages, for example the page where a person enters a device code.
        Required to create the flow.
    type: str
  designation:
    description:
      - What the flow is used for. Required to create the flow.
      - A brand's device code flow has the designation V(stage_configuration).
    type: str
    choices: [authentication, authorization, enrollment, invalidation, recovery, stage_configuration, unenrollment]
  authentication:
    description:
      - Who may run the flow. V(require_authenticated) suits a device code flow, which authentik only runs for a person
        who has logged in (the verification page sends everybody else to the login flow first).
      - V(require_redirect) exists from authentik 2025.x on (not in 2024.10); an older server refuses it.
    type: str
    choices: [none, require_authenticated, require_unauthenticated, require_superuser, require_redirect, require_outpost]
  layout:
    description:
      - How the flow's pages are laid out.
      - V(sidebar_left_frame_background) and V(sidebar_right_frame_background) are newer than authentik 2025.10, which refuses them.
    type: str
    choices: [stacked, content_left, content_right, sidebar_left, sidebar_right, sidebar_left_frame_background,
              sidebar_right_frame_background]
  policy_engine_mode:
    description: Whether every policy bound to the flow must pass (V(all)) or one is enough (V(any)).
    type: str
    choices: [all, any]
  denied_action:
    description: What happens when the flow's policies deny a person.
    type: str
    choices: [message_continue, message, continue]
  compatibility_mode:
    description: Compatibility with password managers on mobile devices.
    type: bool
seealso:
  - module: kubeauth.authentik.brand
  - module: kubeauth.authentik.flow_info
  - ref: ansible_collections.kubeauth.authentik.docsite.login_methods
    description: Login methods, and what a device code login needs in authentik.
'''

EXAMPLES = r'''
- name: The flow through which people enter the device code kubelogin shows
  kubeauth.authentik.flow:
    slug: device-code
    name: Device code
    title: Log in a device
    designation: stage_configuration
    authentication: require_authenticated
  register: device_flow

- name: Make it the default brand's device code flow
  kubeauth.authentik.brand:
    flow_device_code: "{{ device_flow.flow.pk }}"

- name: A new title, nothing else changes
  kubeauth.authentik.flow:
    slug: device-code
    title: Enter the code shown in your terminal

- name: Remove the flow (brands that used it lose their device code flow)
  kubeauth.authentik.flow:
    slug: device-code
    state: absent
'''

RETURN = r'''
flow:
  description:
    - The flow as the server holds it after the task; null after O(state=absent).
    - In check mode, for a flow that would be created, the fields that would be sent and a placeholder C(pk).
  returned: always
  type: dict
  sample:
    pk: 2f5e8a3c-9a1b-4d2e-8f7a-0c1d2e3f4a5b
    slug: device-code
    name: Device code
    title: Log in a device
    designation: stage_configuration
    authentication: require_authenticated
    layout: stacked
    policy_engine_mode: any
    denied_action: message_continue
    compatibility_mode: false
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

import re

from ..module_utils.api import FLOWS
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule

SLUG = re.compile(r'^[-a-zA-Z0-9_]{1,50}$')
SETTINGS = ('name', 'title', 'designation', 'authentication', 'layout', 'policy_engine_mode', 'denied_action', 'compatibility_mode')
TEXT = ('name', 'title')


class FlowModule(ObjectModule):
    object_key = 'flow'
    detail_key = 'slug'
    pending_pk = ('flow', 'slug')
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        slug=dict(type='str', required=True),
        name=dict(type='str'),
        title=dict(type='str'),
        designation=dict(type='str', choices=['authentication', 'authorization', 'enrollment', 'invalidation', 'recovery',
                                              'stage_configuration', 'unenrollment']),
        authentication=dict(type='str', choices=['none', 'require_authenticated', 'require_unauthenticated', 'require_superuser',
                                                 'require_redirect', 'require_outpost']),
        layout=dict(type='str', choices=['stacked', 'content_left', 'content_right', 'sidebar_left', 'sidebar_right',
                                         'sidebar_left_frame_background', 'sidebar_right_frame_background']),
        policy_engine_mode=dict(type='str', choices=['all', 'any']),
        denied_action=dict(type='str', choices=['message_continue', 'message', 'continue']),
        compatibility_mode=dict(type='bool'),
    )

    def endpoint(self):
        return FLOWS

    def validate(self):
        slug = self.params['slug']
        if not SLUG.match(slug):
            raise InputError('slug', '%r must be 1 to 50 letters, digits, "-" or "_" (it becomes part of the flow\'s URL)' % slug)
        for option in TEXT:
            value = self.params[option]
            if value is not None and not value.strip():
                raise InputError(option, 'must not be empty; authentik shows it to the people who run the flow')

    def find(self):
        return self.api.flow_by_slug(self.params['slug'])

    def guard(self, existing):
        if self.params['state'] != 'absent':
            return
        others = self.api.flow_deletes_others(self.params['slug'])
        if others:
            raise InputError('state', 'authentik would delete %s together with flow %r (%s); point them at another flow first, '
                                      'or delete them yourself' % (
                                          ', '.join('%s %r' % (item['model_name'], item['name']) for item in others),
                                          self.params['slug'],
                                          'a provider is deleted with its authorization flow' if any(
                                              item['model_name'].endswith('provider') for item in others) else 'their relation cascades'))

    def desired(self, existing):
        params = self.params
        if existing is None:
            for option in ('name', 'title', 'designation'):
                if params[option] is None:
                    raise InputError(option, 'required to create flow %r' % params['slug'])
        want = dict(slug=params['slug'])
        want.update((key, params[key]) for key in SETTINGS if params[key] is not None)
        return want


def main():
    FlowModule().run()


if __name__ == '__main__':
    main()
