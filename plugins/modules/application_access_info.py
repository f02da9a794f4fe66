#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: application_access_info
short_description: Whether authentik lets a user use an application, and why
version_added: 0.2.0
description:
  - Asks authentik's policy engine whether a user may use an application (C(core/applications/<slug>/check_access/)),
    the same evaluation authentik runs at the authorization and token endpoints, and lists the groups, users and
    policies bound to the application next to the user's own groups.
  - Use it to explain a refused login, where the token endpoint itself only answers C(invalid_grant).
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.attributes.info_module
  - kubeauth.authentik.connection
options:
  application:
    description: Slug of the application.
    type: str
    required: true
  username:
    description: The user to check.
    type: str
    required: true
notes:
  - Checking another user than the token's own needs an API token of a superuser; with other tokens authentik answers
    for the token's user.
seealso:
  - module: kubeauth.authentik.policy_binding
  - module: kubeauth.authentik.group
'''

EXAMPLES = r'''
- name: May alice log in to the cluster?
  kubeauth.authentik.application_access_info:
    application: kubernetes
    username: alice
  register: access

- name: Say why not
  ansible.builtin.debug:
    msg: "alice is in {{ access.user_groups }}, the application admits {{ access.bound_groups }}"
  when: not access.allowed
'''

RETURN = r'''
allowed:
  description: Whether authentik's policy engine lets the user use the application.
  returned: always
  type: bool
  sample: false
messages:
  description: Messages of the policies that were evaluated.
  returned: always
  type: list
  elements: str
  sample: []
policy_engine_mode:
  description: Whether V(all) or V(any) of the bindings must pass.
  returned: always
  type: str
  sample: any
bound_groups:
  description: Names of the groups bound to the application (negated bindings excluded).
  returned: always
  type: list
  elements: str
  sample: [k8s-admins]
bound_users:
  description: Usernames of the users bound to the application (negated bindings excluded).
  returned: always
  type: list
  elements: str
  sample: []
bound_policies:
  description: Names of the policies bound to the application.
  returned: always
  type: list
  elements: str
  sample: []
user_groups:
  description: Names of the groups the user is a direct member of.
  returned: always
  type: list
  elements: str
  sample: [developers]
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.errors import InputError
from ..module_utils.resource import AuthentikModule


class ApplicationAccessInfo(AuthentikModule):
    argument_spec = dict(
        application=dict(type='str', required=True),
        username=dict(type='str', required=True),
    )

    def apply(self):
        slug = self.params['application']
        application = self.api.application(slug)
        if application is None:
            raise InputError('application', 'no application with slug %r' % (slug,))
        user = self.api.user_by_username(self.params['username'], 'username')
        access = self.api.check_access(slug, user['pk'])
        bindings = [b for b in self.api.bindings(application['pk']) if b.get('enabled', True)]
        admitted = [b for b in bindings if not b.get('negate')]
        return dict(
            changed=False,
            server_version=self.api.version,
            allowed=bool(access.get('passing')),
            messages=list(access.get('messages') or []),
            policy_engine_mode=application.get('policy_engine_mode'),
            bound_groups=sorted(b['group_obj']['name'] for b in admitted if b.get('group') and b.get('group_obj')),
            bound_users=sorted(b['user_obj']['username'] for b in admitted if b.get('user') and b.get('user_obj')),
            bound_policies=sorted(b['policy_obj']['name'] for b in bindings if b.get('policy') and b.get('policy_obj')),
            user_groups=sorted(g['name'] for g in (user.get('groups_obj') or [])),
        )


def main():
    ApplicationAccessInfo().run()


if __name__ == '__main__':
    main()
