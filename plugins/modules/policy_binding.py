#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: policy_binding
short_description: Bind a group, a user or a policy to an authentik application
version_added: 0.2.0
description:
  - Creates, updates or deletes the binding of one subject (a O(group), a O(user) or a O(policy)) to an application.
    The binding is found by the application and the subject; a subject is bound to an application at most once.
  - The application is given by slug (O(application), one read to find its id) or by id (O(target)), which needs no read;
    a run that changes nothing then reads only the application's bindings.
  - An application without bindings lets every authentik user in. With group bindings and the application's
    C(policy_engine_mode) V(any), only members of a bound group (or of a group below it) get a token; authentik refuses
    everybody else at the authorization and token endpoints.
  - authentik does not keep two bindings of the same subject apart (there is no unique constraint on them), so two runs
    that create the binding at the same moment leave two. The module keeps the one with the lowest id and deletes the
    others, in the same run and in any later one.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.connection
attributes:
  check_mode:
    support: full
    details:
      - An application or group that an earlier task of the same run would create counts as existing (a warning says so).
      - So does the placeholder id that M(kubeauth.authentik.application) returns in check mode for an application it would
        create, given as O(target).
  diff_mode:
    support: full
    details: Shows only the fields that change.
options:
  state:
    description: V(present) creates or updates the binding, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  application:
    description:
      - Slug of the application the binding applies to.
      - Exactly one of O(application) and O(target) is required.
    type: str
  target:
    description:
      - Id (C(pk), a UUID) of the application the binding applies to, as M(kubeauth.authentik.application) returns it in
        C(application.pk); authentik's own name for the binding's field.
      - Nothing is read to check it; when the binding is created, authentik refuses an id that is not a policy target.
      - In check mode, the placeholder C(application.pk) of an application that the run would create counts as that
        application (no binding of it exists yet).
    type: str
  group:
    description: Name of the group to bind. Exactly one of O(group), O(user) and O(policy) is required.
    type: str
  user:
    description: Username of the user to bind.
    type: str
  policy:
    description: Name of the policy to bind (any policy type, for example an expression policy).
    type: str
  order:
    description: Position among the application's bindings (lowest first). V(0) when the binding is created without it.
    type: int
  negate:
    description: Invert the outcome, for example to keep the members of a group out.
    type: bool
  enabled:
    description: Whether authentik evaluates the binding.
    type: bool
  policy_timeout:
    description:
      - Seconds after which a policy's evaluation is stopped (the binding's C(timeout); ignored for groups and users).
      - Not to be confused with O(timeout), the seconds to wait for each HTTP response.
    type: int
  failure_result:
    description: The outcome when the policy fails to evaluate.
    type: bool
seealso:
  - module: kubeauth.authentik.group
  - module: kubeauth.authentik.application
  - module: kubeauth.authentik.application_access_info
'''

EXAMPLES = r'''
- name: Only members of k8s-admins may log in to the kubernetes application
  kubeauth.authentik.policy_binding:
    application: kubernetes
    group: k8s-admins
    order: 0

- name: Bind by the application's id, as the application task returned it (no lookup of the application)
  kubeauth.authentik.policy_binding:
    target: "{{ kubernetes_application.application.pk }}"
    group: k8s-admins
    order: 0

- name: Keep one user out, whatever their groups
  kubeauth.authentik.policy_binding:
    application: kubernetes
    user: mallory
    negate: true
    order: 10

- name: Remove a group's access
  kubeauth.authentik.policy_binding:
    application: kubernetes
    group: k8s-old-team
    state: absent
'''

RETURN = r'''
binding:
  description: The binding as the server holds it after the task (in check mode, the fields that would be sent to create it).
  returned: when the binding exists after the task
  type: dict
  sample:
    pk: 0e5b4d4a-8c77-4b8e-9b1a-3f1a0e0c3d2e
    policy: null
    group: 6444c9c2-c551-4621-b7af-6eb0ec9729ac
    user: null
    target: c2126444-8d32-48ca-8c0c-15bea978d7f9
    negate: false
    enabled: true
    order: 0
    timeout: 30
    failure_result: false
duplicates_removed:
  description: How many extra bindings of the same subject to the application were deleted.
  returned: when there were any
  type: int
  sample: 1
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ansible_collections.kubeauth.authentik.plugins.module_utils.api import BINDINGS, is_id, is_pending
from ansible_collections.kubeauth.authentik.plugins.module_utils.client import InputError
from ansible_collections.kubeauth.authentik.plugins.module_utils.resource import ObjectModule

# subject option -> (binding field, nested object field, name key in it)
SUBJECTS = dict(group=('group', 'group_obj', 'name'), user=('user', 'user_obj', 'username'), policy=('policy', 'policy_obj', 'name'))
# module option -> binding field
SETTINGS = dict(order='order', negate='negate', enabled='enabled', policy_timeout='timeout', failure_result='failure_result')


class PolicyBindingModule(ObjectModule):
    object_key = 'binding'
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        application=dict(type='str'),
        target=dict(type='str'),
        group=dict(type='str'),
        user=dict(type='str'),
        policy=dict(type='str'),
        order=dict(type='int'),
        negate=dict(type='bool'),
        enabled=dict(type='bool'),
        policy_timeout=dict(type='int'),
        failure_result=dict(type='bool'),
    )
    module_kwargs = dict(mutually_exclusive=[('group', 'user', 'policy'), ('application', 'target')],
                         required_one_of=[('group', 'user', 'policy'), ('application', 'target')])

    def __init__(self):
        super(PolicyBindingModule, self).__init__()
        self.subject = [key for key in SUBJECTS if self.params[key] is not None][0]
        self._target = None
        self.extras = []

    def endpoint(self):
        return BINDINGS

    def validate(self):
        if not self.params[self.subject].strip():
            raise InputError(self.subject, 'must not be empty')
        target = self.params['target']
        if target is not None and not (is_id(target) or is_pending(target)):
            raise InputError('target', '%r is not an id; give the pk of the application (a UUID, as the application module '
                                       'returns it), or its slug as application' % (target,))
        if self.params['policy_timeout'] is not None and self.params['policy_timeout'] < 0:
            raise InputError('policy_timeout', 'must be 0 or more seconds')
        if self.params['order'] is not None and not -2 ** 31 <= self.params['order'] < 2 ** 31:
            raise InputError('order', 'must fit in 32 bits (-2147483648 to 2147483647)')

    def target(self):
        if self._target is None and self.params['target'] is not None:
            target = self.params['target']
            self._target = dict(pk=self.api.passed_pending('target', target) if is_pending(target) else target.lower())
        elif self._target is None:
            self._target = self.api.application_by_slug(self.params['application'], 'application')
        return self._target

    def matches(self):
        """Bindings of the application to this subject, oldest id first; found by name, so no subject lookup."""
        target = self.target()['pk']
        if is_pending(target):
            return []
        field, nested, key = SUBJECTS[self.subject]
        found = [b for b in self.client.list(BINDINGS, params={'target': target})
                 if b.get(field) and (b.get(nested) or {}).get(key) == self.params[self.subject]]
        return sorted(found, key=lambda b: str(b['pk']))

    def find(self):
        found = self.matches()
        self.extras = found[1:]
        return found[0] if found else None

    def desired(self, existing):
        field = SUBJECTS[self.subject][0]
        want = dict(target=self.target()['pk'])
        if existing is not None:
            want[field] = existing[field]
        elif self.subject == 'group':
            want[field] = self.api.group_by_name(self.params['group'], 'group')['pk']
        elif self.subject == 'user':
            want[field] = self.api.user_by_username(self.params['user'], 'user')['pk']
        else:
            want[field] = self.api.policy_by_name(self.params['policy'], 'policy')['pk']
        want.update((field, self.params[option]) for option, field in SETTINGS.items() if self.params[option] is not None)
        if existing is None:
            want.setdefault('order', 0)
        return want

    def patch_body(self, desired, keys):
        # authentik validates a binding from the request alone: every PATCH repeats the target and the subject.
        field = SUBJECTS[self.subject][0]
        body = dict((k, desired[k]) for k in keys)
        body.update(target=desired['target'], **{field: desired[field]})
        return body

    def settle(self, created):
        """Two runs may each have created the binding: keep the lowest id, delete the rest."""
        found = self.matches()
        if not found:
            return created
        self.extras = found[1:]
        return found[0]

    def apply(self):
        result = super(PolicyBindingModule, self).apply()
        extras = self.extras if self.params['state'] == 'present' else []
        if extras:
            if not self.module.check_mode:
                for extra in extras:
                    self.client.delete(self.detail(extra))
            result.update(changed=True, duplicates_removed=len(extras))
        return result

    def _absent(self, existing):
        result = super(PolicyBindingModule, self)._absent(existing)
        if existing is not None and self.extras and not self.module.check_mode:
            for extra in self.extras:
                self.client.delete(self.detail(extra))
        return result


def main():
    PolicyBindingModule().run()


if __name__ == '__main__':
    main()
