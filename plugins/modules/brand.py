#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: brand
short_description: Manage the flow settings of an authentik brand
version_added: 0.2.0
description:
  - A brand decides, for the domain it serves, which flows authentik runs there, among them the device code flow that
    kubelogin's device code login needs (C(--grant-type=device-code)); without one, authentik answers the page where the
    person enters the code with 404.
  - The brand is found by its O(domain); without O(domain), the default brand (the one authentik uses for every domain
    that no other brand serves, C(authentik-default) on a fresh install).
  - With O(state=present) a brand for O(domain) is created when there is none. The default brand is never created or
    deleted by this module.
  - Flows are given by slug or by id and must have the designation authentik's brand form offers for the setting
    (O(flow_device_code) and O(flow_user_settings) V(stage_configuration), the others their own); anything else fails
    the task before anything is written. An empty string clears a setting. Settings not given are left as they are;
    a second run with the same options sends no write.
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
  - kubeauth.authentik.attributes.action_group
  - kubeauth.authentik.connection
attributes:
  check_mode:
    support: full
    details: A flow that an earlier task of the run would create (M(kubeauth.authentik.flow) in check mode) counts as
      that flow, with a warning.
  diff_mode:
    support: full
    details: Shows only the settings that change, as flow ids.
options:
  state:
    description:
      - V(present) creates the brand for O(domain) if needed and applies the settings; V(absent) deletes the brand for O(domain).
    type: str
    choices: [present, absent]
    default: present
  domain:
    description:
      - The domain the brand serves, exactly as authentik stores it (authentik picks the brand whose domain is the longest
        suffix of the host a request names, else the default brand).
      - Not given, the default brand.
    type: str
  flow_authentication:
    description: Slug or id of the login flow (designation V(authentication)); V('') clears it.
    type: str
  flow_invalidation:
    description: Slug or id of the logout flow (designation V(invalidation)); V('') clears it.
    type: str
  flow_recovery:
    description: Slug or id of the recovery flow (designation V(recovery)); V('') clears it.
    type: str
  flow_unenrollment:
    description: Slug or id of the unenrollment flow (designation V(unenrollment)); V('') clears it.
    type: str
  flow_user_settings:
    description: Slug or id of the user settings flow (designation V(stage_configuration)); V('') clears it.
    type: str
  flow_device_code:
    description:
      - Slug or id of the device code flow (designation V(stage_configuration)), through which a person enters the code
        that a device code login (kubelogin C(--grant-type=device-code)) shows; V('') clears it, and the brand then
        answers C(/device) with 404.
      - One setting for the whole brand, so for every application that offers device code logins on its domains.
    type: str
notes:
  - authentik's device code page is C(<authentik>/device). It serves the brand of the host the person's browser names,
    which need not be the host kubelogin talked to; set the device code flow on the brand of the host people open.
seealso:
  - module: kubeauth.authentik.flow
  - module: kubeauth.authentik.oauth2_provider
'''

EXAMPLES = r'''
- name: Device code logins on the default brand
  kubeauth.authentik.brand:
    flow_device_code: device-code

- name: The brand of a separate login domain, created if missing
  kubeauth.authentik.brand:
    domain: login.example.com
    flow_authentication: default-authentication-flow
    flow_invalidation: default-invalidation-flow
    flow_device_code: device-code

- name: No device code logins on the default brand any more
  kubeauth.authentik.brand:
    flow_device_code: ""

- name: Remove the brand of a domain
  kubeauth.authentik.brand:
    domain: login.example.com
    state: absent
'''

RETURN = r'''
brand:
  description:
    - The brand as the server holds it after the task; null after O(state=absent).
    - Flow settings are flow ids (null when not set).
  returned: always
  type: dict
  sample:
    brand_uuid: 6a4cbb4f-0c34-4b1c-9d2b-6e1f6c3c8f7e
    domain: authentik-default
    default: true
    flow_authentication: 4e2b8c1a-57d0-4b44-b6d4-8e1c2a3b4c5d
    flow_invalidation: 7c6d5e4f-3a2b-4c1d-9e8f-0a1b2c3d4e5f
    flow_recovery: null
    flow_unenrollment: null
    flow_user_settings: 0f1e2d3c-4b5a-4968-8776-655443322110
    flow_device_code: 2f5e8a3c-9a1b-4d2e-8f7a-0c1d2e3f4a5b
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

from ..module_utils.api import BRAND_FLOWS, BRANDS, is_id
from ..module_utils.errors import InputError
from ..module_utils.resource import ObjectModule


class BrandModule(ObjectModule):
    object_key = 'brand'
    detail_key = 'brand_uuid'
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        domain=dict(type='str'),
        **dict((field, dict(type='str')) for field, dummy in BRAND_FLOWS)
    )

    def endpoint(self):
        return BRANDS

    def validate(self):
        domain = self.params['domain']
        if domain is not None and not domain.strip():
            raise InputError('domain', 'must not be empty; leave it out for the default brand')
        if domain is not None and domain != domain.strip():
            raise InputError('domain', '%r has spaces around it; authentik compares the domain exactly' % domain)
        if self.params['state'] == 'absent' and domain is None:
            raise InputError('domain', 'state=absent needs the domain of the brand to delete; the default brand is never deleted '
                                       '(authentik serves every domain without a brand of its own with it)')

    def find(self):
        brand = self.api.brand(self.params['domain'], 'domain')
        if brand is None and self.params['domain'] is None:
            raise InputError('domain', 'this authentik has no default brand; name the brand to manage with domain')
        return brand

    def guard(self, existing):
        if self.params['state'] == 'absent' and existing.get('default'):
            raise InputError('state', 'brand %r is the default brand, which authentik serves every domain without a brand of its '
                                      'own with; it is not deleted' % existing.get('domain'))

    def flow_ref(self, field, designation, ref, existing):
        """The flow id for a setting: None to clear, the held id unread, else looked up (and its designation checked)."""
        if ref == '':
            return None
        held = (existing or {}).get(field)
        if held is not None and is_id(ref) and str(held).lower() == ref.lower():
            return held
        return self.api.flow_pk(ref, field, designation, may_be_created=True)

    def desired(self, existing):
        want = {}
        if existing is None:
            want['domain'] = self.params['domain']
        for field, designation in BRAND_FLOWS:
            if self.params[field] is not None:
                want[field] = self.flow_ref(field, designation, self.params[field].strip(), existing)
        return want


def main():
    BrandModule().run()


if __name__ == '__main__':
    main()
