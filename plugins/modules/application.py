#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: application
short_description: Manage an authentik application
version_added: 0.1.0
description:
  - Create, update or delete an application in authentik, found by its O(slug).
  - The application's slug makes the per-provider OIDC issuer, C(https://host/application/o/<slug>/).
  - The provider is given by name; a provider already used by another application is an error found before any write.
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
    description: V(present) creates or updates the application, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  slug:
    description:
      - Internal name used in URLs; letters, digits, C(-) and C(_), at most 50 characters. The application is found by it.
    type: str
    required: true
  name:
    description: Display name. Required to create.
    type: str
  provider:
    description: Name of the OAuth2 provider of the application.
    type: str
  launch_url:
    description: URL opened from the user's library (C(meta_launch_url)); C(blank://blank) hides the application there.
    type: str
  group:
    description: Group name that the library sorts the application under.
    type: str
  description:
    description: Description shown in the library (C(meta_description)).
    type: str
  publisher:
    description: Publisher shown in the library (C(meta_publisher)).
    type: str
  open_in_new_tab:
    description: Open the launch URL in a new browser tab.
    type: bool
  policy_engine_mode:
    description: Whether V(all) or V(any) of the bound policies must pass for access.
    type: str
    choices: [all, any]
seealso:
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Kubernetes application on the kubernetes provider
  kubeauth.authentik.application:
    name: Kubernetes
    slug: kubernetes
    provider: kubernetes
    launch_url: blank://blank
    policy_engine_mode: any
  register: app

- name: The issuer to give kube-apiserver
  ansible.builtin.debug:
    msg: "{{ app.issuer }}"

- name: Remove it
  kubeauth.authentik.application:
    slug: kubernetes
    state: absent
'''

RETURN = r'''
application:
  description:
    - The application as the server holds it after the task (in check mode, the fields that would be sent to create it).
    - Its C(pk) is what O(kubeauth.authentik.policy_binding#module:target) takes. In check mode a new application's C(pk) is a
      placeholder, C((pending\) application 'SLUG'), that later tasks of the run count as the application.
  returned: when the application exists after the task
  type: dict
  sample:
    pk: c2126444-8d32-48ca-8c0c-15bea978d7f9
    name: Kubernetes
    slug: kubernetes
    provider: 6
    meta_launch_url: blank://blank
    policy_engine_mode: any
    group: ""
issuer:
  description: The OIDC issuer of the application's provider, ending with a slash; null without a provider.
  returned: when the application exists after the task
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/
discovery_url:
  description: URL of the provider's OpenID discovery document; null without a provider.
  returned: when the application exists after the task
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/.well-known/openid-configuration
jwks_url:
  description: URL of the provider's JWKS; null without a provider.
  returned: when the application exists after the task
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/jwks/
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

import re
from urllib.parse import urlsplit

from ..module_utils.api import APPLICATIONS
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule

SLUG = re.compile(r'^[-a-zA-Z0-9_]{1,50}$')


class ApplicationModule(ObjectModule):
    object_key = 'application'
    detail_key = 'slug'
    pending_pk = ('application', 'slug')
    fields = dict(slug='slug', name='name', launch_url='meta_launch_url', group='group', description='meta_description',
                  publisher='meta_publisher', open_in_new_tab='open_in_new_tab', policy_engine_mode='policy_engine_mode')
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        slug=dict(type='str', required=True),
        name=dict(type='str'),
        provider=dict(type='str'),
        launch_url=dict(type='str'),
        group=dict(type='str'),
        description=dict(type='str'),
        publisher=dict(type='str'),
        open_in_new_tab=dict(type='bool'),
        policy_engine_mode=dict(type='str', choices=['all', 'any']),
    )

    def endpoint(self):
        return APPLICATIONS

    def validate(self):
        if not SLUG.match(self.params['slug']):
            raise InputError('slug', '%r must be 1 to 50 letters, digits, "-" or "_"' % self.params['slug'])
        url = self.params['launch_url']
        if url and not (urlsplit(url).scheme and (urlsplit(url).netloc or urlsplit(url).path)):
            raise InputError('launch_url', '%r is not an absolute URL (scheme://...); use blank://blank for none' % url)

    def find(self):
        return self.api.application(self.params['slug'])

    def desired(self, existing):
        params = self.params
        if existing is None and not params['name']:
            raise InputError('name', 'required to create application %r' % params['slug'])
        want = self.copied()
        current = (existing or {}).get('provider_obj') or {}
        if params['provider'] and current.get('name') == params['provider']:
            # Already on this provider (names are unique): nothing to look up.
            want['provider'] = existing['provider']
        elif params['provider']:
            provider = self.api.provider_by_name(params['provider'], 'provider')
            user = provider.get('assigned_application_slug')
            if user and user != params['slug']:
                raise InputError('provider', 'provider %r already belongs to application %r; an authentik provider serves one '
                                             'application' % (params['provider'], user))
            want['provider'] = provider['pk']
        return want

    def extra_results(self, obj):
        return self.api.provider_oidc_urls(obj.get('provider'))


def main():
    ApplicationModule().run()


if __name__ == '__main__':
    main()
