#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: group
short_description: Manage an authentik group
version_added: 0.2.0
description:
  - Create, update or delete a group in authentik, found by its O(name).
  - Members are given by username, parent groups by name; both are resolved to their ids, and an unknown one fails the
    task before anything is written.
  - A group whose O(is_superuser) flag is set makes every member an authentik superuser. Setting that flag, or adding
    members to a group that has it, is refused unless O(allow_superuser=true).
  - Parents follow the release, with one C(parent) before authentik 2025.12 and a list of C(parents) from then on. The module
    takes a list either way and refuses more than one parent on older releases.
  - Only the options given are managed; a second run with the same options sends no write.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.connection
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows only the fields that change; members appear as user ids.
options:
  state:
    description: V(present) creates or updates the group, V(absent) deletes it (its members stay, without this group).
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the group; the group is found by it. It is the name the C(groups) claim carries.
    type: str
    required: true
  users:
    description:
      - Members by username. The group then has exactly these members, unless O(append_users=true).
      - Not given, membership is left as it is.
    type: list
    elements: str
  append_users:
    description: Add the O(users) and keep the other members.
    type: bool
    default: false
  parents:
    description:
      - Parent groups by name; members of this group count as members of its parents when authentik evaluates policies.
      - An empty list removes the parents. Not given, they are left as they are.
      - Before authentik 2025.12 a group has at most one parent.
    type: list
    elements: str
    aliases: [parent]
  attributes:
    description: Attributes of the group (replaced as a whole when given).
    type: dict
  is_superuser:
    description:
      - Make every member an authentik superuser. V(true) needs O(allow_superuser=true).
    type: bool
  allow_superuser:
    description:
      - Allow O(is_superuser=true), and adding members to a group that already has the flag.
    type: bool
    default: false
seealso:
  - module: kubeauth.authentik.policy_binding
  - module: kubeauth.authentik.application
'''

EXAMPLES = r'''
- name: Group of the people who may log in to the cluster
  kubeauth.authentik.group:
    name: k8s-admins
    users: [alice, bob]
    attributes:
      notes: Kubernetes cluster administrators

- name: Add one member, keeping the others
  kubeauth.authentik.group:
    name: k8s-admins
    users: [carol]
    append_users: true

- name: A team group under a parent group (authentik 2025.12+ takes several parents)
  kubeauth.authentik.group:
    name: team-a
    parents: [k8s-users]

- name: Remove the group
  kubeauth.authentik.group:
    name: k8s-admins
    state: absent
'''

RETURN = r'''
group:
  description: The group as the server holds it after the task (in check mode, the fields that would be sent to create it).
  returned: when the group exists after the task
  type: dict
  sample:
    pk: 6444c9c2-c551-4621-b7af-6eb0ec9729ac
    num_pk: 13327
    name: k8s-admins
    is_superuser: false
    parent: null
    users: [7, 8]
    attributes: {}
members:
  description: Usernames of the group's members.
  returned: when the group exists after the task, except in check mode for a new group
  type: list
  elements: str
  sample: [alice, bob]
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.api import GROUPS
from ..module_utils.compare import sorted_list
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule

SUPERUSER_CONSEQUENCE = 'every member of a superuser group is an authentik superuser'


class GroupModule(ObjectModule):
    object_key = 'group'
    normalizers = dict(users=sorted_list, parents=sorted_list)
    fields = dict(name='name', is_superuser='is_superuser', attributes='attributes')
    not_blank = ('name',)
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        name=dict(type='str', required=True),
        users=dict(type='list', elements='str'),
        append_users=dict(type='bool', default=False),
        parents=dict(type='list', elements='str', aliases=['parent']),
        attributes=dict(type='dict'),
        is_superuser=dict(type='bool'),
        allow_superuser=dict(type='bool', default=False),
    )

    def endpoint(self):
        return GROUPS

    def validate(self):
        params = self.params
        if params['state'] == 'absent':
            return
        if params['is_superuser'] and not params['allow_superuser']:
            raise InputError('is_superuser', '%s; set allow_superuser: true if that is what you want' % SUPERUSER_CONSEQUENCE)
        if params['name'] in (params['parents'] or []):
            raise InputError('parents', 'group %r cannot be its own parent' % params['name'])
        for option in ('users', 'parents'):
            empty = [i for i, value in enumerate(params[option] or []) if not value.strip()]
            if empty:
                raise InputError('%s[%d]' % (option, empty[0]), 'empty name')

    def find(self):
        return self.api.find_one(GROUPS, 'name', name=self.params['name'])

    def desired(self, existing):
        params = self.params
        want = self.copied()
        if params['parents'] is not None:
            want['parents'] = [self.api.group_by_name(name, 'parents')['pk'] for name in params['parents']]
        if params['users'] is not None:
            want['users'] = self.member_pks(existing)
            self.check_superuser(existing, want['users'])
        return self.api.group_to_wire(want)

    def member_pks(self, existing):
        """Ids of the wanted members; current members are known by name from the group itself (no lookup)."""
        current = dict((u['username'], u['pk']) for u in ((existing or {}).get('users_obj') or []))
        pks = [current[name] if name in current else self.api.user_by_username(name, 'users')['pk'] for name in self.params['users']]
        if self.params['append_users']:
            pks = list((existing or {}).get('users') or []) + [pk for pk in pks if pk not in ((existing or {}).get('users') or [])]
        return sorted(set(pks))

    def check_superuser(self, existing, pks):
        if self.params['allow_superuser'] or not (existing or {}).get('is_superuser'):
            return
        added = set(pks) - set(existing.get('users') or [])
        if added and self.params['is_superuser'] is not False:
            raise InputError('users', 'group %r has the superuser flag and %s; adding members is refused unless '
                                      'allow_superuser: true' % (self.params['name'], SUPERUSER_CONSEQUENCE))

    def extra_results(self, obj):
        members = obj.get('users_obj')
        return dict(members=sorted(u['username'] for u in members)) if members is not None else {}


def main():
    GroupModule().run()


if __name__ == '__main__':
    main()
