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

from ..module_utils.api import BINDING_SUBJECTS, BINDINGS
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule


class PolicyBindingModule(ObjectModule):
    object_key = 'binding'
    not_blank = tuple(BINDING_SUBJECTS)
    fields = dict(order='order', negate='negate', enabled='enabled', policy_timeout='timeout', failure_result='failure_result')
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
        # The binding field of the subject is named as its option: group, user or policy.
        self.subject = [key for key in BINDING_SUBJECTS if self.params[key] is not None][0]

    def endpoint(self):
        return BINDINGS

    def validate(self):
        if self.params['policy_timeout'] is not None and self.params['policy_timeout'] < 0:
            raise InputError('policy_timeout', 'must be 0 or more seconds')
        if self.params['order'] is not None and not -2 ** 31 <= self.params['order'] < 2 ** 31:
            raise InputError('order', 'must fit in 32 bits (-2147483648 to 2147483647)')

    def target(self):
        return self.api.application_pk(slug=self.params['application'], pk=self.params['target'])

    def matches(self):
        """The bindings of the application to this subject, found by the subject's name (no lookup of it)."""
        return self.api.bindings(self.target(), self.subject, self.params[self.subject])

    def desired(self, existing):
        subject = existing[self.subject] if existing else self.api.subject_pk(self.subject, self.params[self.subject])
        want = dict(self.copied(), target=self.target(), **{self.subject: subject})
        if existing is None:
            want.setdefault('order', 0)
        return want

    def patch_body(self, desired, keys):
        # authentik validates a binding from the request alone: every PATCH repeats the target and the subject.
        body = super(PolicyBindingModule, self).patch_body(desired, keys)
        return dict(body, target=desired['target'], **{self.subject: desired[self.subject]})


def main():
    PolicyBindingModule().run()


if __name__ == '__main__':
    main()
