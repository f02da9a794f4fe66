#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: scope_mapping
short_description: Manage a custom authentik OAuth2 scope mapping
version_added: 0.1.0
description:
  - Create, update or delete a scope (property) mapping of OAuth2 providers, found by its O(name).
  - The endpoint is chosen by server release (C(propertymappings/provider/scope/) from 2024.8, C(propertymappings/scope/) before).
  - The mappings that authentik manages itself (C(goauthentik.io/...)) are not changed by this module, because authentik
    rewrites them from its blueprints; create a custom mapping and put it on the provider instead.
  - The typical use is an C(email) mapping with C(email_verified) V(True), since authentik 2025.10 ships one that says V(False)
    and kube-apiserver rejects such tokens.
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
    details: Shows only the fields that change; secrets appear as a marker.
options:
  state:
    description: V(present) creates or updates the mapping, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the mapping, unique among property mappings; the mapping is found by it.
    type: str
    required: true
  scope_name:
    description: The OAuth2 scope that triggers the mapping, for example C(email). Required to create.
    type: str
  expression:
    description:
      - Python body returning a dict of claims, as authentik evaluates it; checked for syntax before it is sent.
      - Trailing whitespace is not significant (authentik strips it).
      - Required to create.
    type: str
  description:
    description: Text shown to the user on consent screens; empty hides the scope from them.
    type: str
seealso:
  - module: kubeauth.authentik.scope_mapping_info
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Email claim that kube-apiserver accepts
  kubeauth.authentik.scope_mapping:
    name: "kubernetes: email (verified)"
    scope_name: email
    description: Email address (verified, for Kubernetes)
    expression: |
      return {
          "email": request.user.email,
          "email_verified": True,
      }

- name: Remove it
  kubeauth.authentik.scope_mapping:
    name: "kubernetes: email (verified)"
    state: absent
'''

RETURN = r'''
scope_mapping:
  description:
    - The mapping as the server holds it after the task (in check mode, the fields that would be sent to create it).
    - Its C(pk) is what O(kubeauth.authentik.oauth2_provider#module:property_mappings) takes. In check mode a new mapping's C(pk)
      is a placeholder, C((pending\) scope mapping 'NAME'), that later tasks of the run count as the mapping.
  returned: when the mapping exists after the task
  type: dict
  sample:
    pk: 5cda08ff-b039-4bd6-9a59-5428d9058ed5
    managed: null
    name: "kubernetes: email (verified)"
    scope_name: email
    expression: "return {\"email\": request.user.email, \"email_verified\": True}"
    description: Email address (verified, for Kubernetes)
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.compare import text_block
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule


def check_expression(expression):
    """Compile the expression the way authentik wraps it: as the body of a function."""
    body = '\n'.join('    ' + line for line in expression.splitlines()) or '    pass'
    try:
        compile('def expression():\n%s\n' % body, 'expression', 'exec')
    except SyntaxError as exc:
        line = (exc.lineno or 1) - 1
        raise InputError('expression', 'Python syntax error on line %d: %s' % (max(line, 1), exc.msg))


class ScopeMappingModule(ObjectModule):
    object_key = 'scope_mapping'
    pending_pk = ('scope mapping', 'name')
    normalizers = dict(expression=text_block)
    fields = dict(name='name', scope_name='scope_name', expression='expression', description='description')
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        name=dict(type='str', required=True),
        scope_name=dict(type='str'),
        expression=dict(type='str'),
        description=dict(type='str'),
    )

    def endpoint(self):
        return self.api.scope_mappings

    def validate(self):
        if self.params['state'] == 'present':
            if self.params['scope_name'] is not None and not self.params['scope_name'].strip():
                raise InputError('scope_name', 'must not be empty; use the scope a client requests, such as email')
            if self.params['expression'] is not None:
                if not self.params['expression'].strip():
                    raise InputError('expression', 'must not be empty; return a dict of claims')
                check_expression(self.params['expression'])

    def find(self):
        return self.api.find_one(self.endpoint(), 'name', name=self.params['name'])

    def guard(self, existing):
        if existing.get('managed'):
            raise InputError('name', '%r is managed by authentik (%s) and rewritten by its blueprints; give your mapping another '
                                     'name and put it on the provider instead' % (self.params['name'], existing['managed']))

    def desired(self, existing):
        params = self.params
        if existing is None:
            for option in ('scope_name', 'expression'):
                if params[option] is None:
                    raise InputError(option, 'required to create scope mapping %r' % params['name'])
        return self.copied()


def main():
    ScopeMappingModule().run()


if __name__ == '__main__':
    main()
