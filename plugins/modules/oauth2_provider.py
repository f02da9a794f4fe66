#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: oauth2_provider
short_description: Manage an authentik OAuth2/OpenID provider
version_added: 0.1.0
description:
  - Create, update or delete an OAuth2/OpenID Connect provider in authentik, found by its O(name).
  - Flows, keypairs and property mappings are given by slug or name, or by id, and resolved to their ids;
    an unknown one fails the task before anything is written.
  - A reference given by id (its C(pk), as M(kubeauth.authentik.flow_info), M(kubeauth.authentik.certificate_keypair_info)
    and M(kubeauth.authentik.scope_mapping_info) return it) is not read at all when the provider already holds that id,
    so a run that changes nothing reads only the provider. An id the provider does not hold yet is read once and
    checked as a name would be (the flow's designation, the keypair's private key and key type) before anything is
    written. A value that is not found as an id is looked up as a name.
  - Only the fields given are managed; a second run with the same options sends no write.
  - A signing key is required (see
    R(Empty JWKS or HS256 tokens,ansible_collections.kubeauth.authentik.docsite.troubleshooting.empty_jwks) for why).
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
    description:
      - V(present) creates or updates the provider, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the provider, unique in authentik; the provider is found by it.
    type: str
    required: true
  client_type:
    description:
      - V(public) for clients such as kubelogin that cannot keep a secret; V(confidential) otherwise.
    type: str
    choices: [public, confidential]
    default: public
  client_id:
    description:
      - OAuth2 client id. authentik generates one when it is not given at creation.
    type: str
  client_secret:
    description:
      - Client secret of a V(confidential) client. Not allowed with O(client_type=public).
      - Never shown in output or diffs.
    type: str
  redirect_uris:
    description:
      - Allowed redirect URIs. kubelogin listens on a random local port, so use V(regex) entries such as
        C(http://localhost:.*) and C(http://127\.0\.0\.1:.*).
      - Compared without regard to order.
      - Servers older than 2024.10.3 (and 2024.8.5) store one URI per line and try each both verbatim and as a regex;
        there O(redirect_uris[].matching_mode) cannot be stored.
    type: list
    elements: dict
    suboptions:
      url:
        description: The URI, or a Python regular expression when O(redirect_uris[].matching_mode=regex).
        type: str
        required: true
      matching_mode:
        description: How the URI is compared with the one a client sends.
        type: str
        choices: [strict, regex]
        default: strict
      redirect_uri_type:
        description:
          - V(authorization) for a redirect after login, V(logout) for a redirect after logout (authentik 2026.5 and later).
          - Not given means V(authorization), which is how authentik reads an entry without a type; on authentik 2026.5
            and later the type is sent with every entry, so that the provider reads back as it was written.
        type: str
        choices: [authorization, logout]
  authorization_flow:
    description:
      - Slug of the flow used when authorizing, for example C(default-provider-authorization-implicit-consent), or its id.
      - Required when the provider is created.
    type: str
  invalidation_flow:
    description:
      - Slug or id of the flow that ends the session (authentik 2024.10 and later).
      - When creating on such a server without this option, C(default-provider-invalidation-flow) is used.
    type: str
  signing_key:
    description:
      - Name or id of the certificate keypair that signs tokens, for example C(authentik Self-signed Certificate).
      - Required with O(state=present). A missing keypair, one without a private key, or one with an Ed25519, Ed448
        or DSA key (kube-apiserver verifies RSA and ECDSA signatures only) is an error.
      - Given by the id the provider already holds, the keypair is not read, so not checked again.
    type: str
  encryption_key:
    description:
      - Name or id of a certificate keypair to encrypt tokens with (authentik 2024.10 and later). kube-apiserver cannot read encrypted tokens.
    type: str
  property_mappings:
    description:
      - Scope mappings of the provider, by name, by managed id (C(goauthentik.io/providers/oauth2/scope-email)) or by id.
      - In check mode the placeholder that M(kubeauth.authentik.scope_mapping) returns as the C(pk) of a mapping it would
        create counts as that mapping (a warning says so).
      - The list replaces the provider's mappings as a whole, as authentik does; order does not matter.
    type: list
    elements: str
  sub_mode:
    description:
      - What the C(sub) claim holds. V(user_email) lets RBAC bindings match the user's email.
    type: str
    choices: [hashed_user_id, user_id, user_uuid, user_username, user_email, user_upn]
  include_claims_in_id_token:
    description:
      - Put the scope claims (email, groups) into the id_token itself, which kube-apiserver reads.
    type: bool
  issuer_mode:
    description:
      - V(per_provider) gives each application its own issuer, C(https://host/application/o/<slug>/) (with the trailing slash).
    type: str
    choices: [global, per_provider]
  access_code_validity:
    description: Validity of authorization codes, in authentik's duration format such as C(minutes=1).
    type: str
  access_token_validity:
    description: Validity of access and id tokens, such as C(hours=1) or C(minutes=10;seconds=30).
    type: str
  refresh_token_validity:
    description: Validity of refresh tokens, such as C(days=30).
    type: str
  refresh_token_threshold:
    description: Renew a refresh token that is valid for less than this (authentik 2025.10 and later).
    type: str
  logout_uri:
    description: Logout URI of the client (authentik 2025.10 and later).
    type: str
  logout_method:
    description: How authentik logs the client out (authentik 2025.10 and later).
    type: str
    choices: [backchannel, frontchannel]
  grant_types:
    description:
      - Grant types the provider allows (authentik 2026.5 and later); compared without regard to order.
      - kubelogin needs V(authorization_code) and V(refresh_token); V(password) serves automation with app passwords,
        V(urn:ietf:params:oauth:grant-type:device_code) headless logins.
      - Not given leaves the provider's grant types as they are (authentik gives an existing provider every grant type).
        An empty list is refused, as authentik refuses it.
      - Servers before 2026.5 allow every grant type on every provider; there the option cannot restrict anything,
        and the task warns instead of failing.
      - V(urn:ietf:params:oauth:grant-type:token-exchange) needs authentik 2026.8.
    type: list
    elements: str
    choices:
      - authorization_code
      - implicit
      - hybrid
      - refresh_token
      - client_credentials
      - password
      - urn:ietf:params:oauth:grant-type:device_code
      - urn:ietf:params:oauth:grant-type:token-exchange
  read_urls:
    description:
      - V(false) skips reading the provider's issuer, discovery and JWKS URLs (one request), and returns none of them.
      - For plays that take the issuer from the M(kubeauth.authentik.application) task that follows, which reads the same
        URLs from authentik after the provider has its application.
    type: bool
    default: true
notes:
  - The server's client secret is never returned, public clients included (authentik keeps one for every provider).
seealso:
  - module: kubeauth.authentik.scope_mapping
  - module: kubeauth.authentik.application
  - module: kubeauth.authentik.oidc_discovery_info
'''

EXAMPLES = r'''
- name: OIDC provider for kube-apiserver and kubelogin
  kubeauth.authentik.oauth2_provider:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ vault_authentik_token }}"
    name: kubernetes
    client_type: public
    client_id: kubernetes
    authorization_flow: default-provider-authorization-implicit-consent
    invalidation_flow: default-provider-invalidation-flow
    signing_key: authentik Self-signed Certificate
    redirect_uris:
      - url: http://localhost:.*
        matching_mode: regex
      - url: http://127\.0\.0\.1:.*
        matching_mode: regex
    property_mappings:
      - goauthentik.io/providers/oauth2/scope-openid
      - "kubernetes: email (verified)"
      - goauthentik.io/providers/oauth2/scope-profile
    sub_mode: user_email
    include_claims_in_id_token: true
    issuer_mode: per_provider
    # authentik 2026.5+; older releases allow every grant type (the task warns).
    grant_types: [authorization_code, refresh_token, password]

- name: References by id, read once for many providers; a provider that holds them reads nothing more
  kubeauth.authentik.oauth2_provider:
    name: "kubernetes-{{ item }}"
    client_id: "kubernetes-{{ item }}"
    authorization_flow: "{{ implicit_consent.flows[0].pk }}"
    signing_key: "{{ selfsigned.keypairs[0].pk }}"
    property_mappings: "{{ kubernetes_mappings.scope_mappings | map(attribute='pk') | list }}"
    redirect_uris:
      - url: http://localhost:.*
        matching_mode: regex
    issuer_mode: per_provider
    # the application task reports the issuer
    read_urls: false
  loop: [prod, staging]

- name: Connection set once for the whole collection
  module_defaults:
    group/kubeauth.authentik.authentik:
      authentik_url: https://authentik.example.com
      authentik_token: "{{ vault_authentik_token }}"
  block:
    - name: Shorter access tokens
      kubeauth.authentik.oauth2_provider:
        name: kubernetes
        signing_key: authentik Self-signed Certificate
        access_token_validity: minutes=10

- name: Remove the provider
  kubeauth.authentik.oauth2_provider:
    name: kubernetes
    state: absent
'''

RETURN = r'''
provider:
  description:
    - The provider as the server holds it after the task, without its client secret.
    - In check mode, the fields that would be sent for a new provider.
  returned: when the provider exists after the task
  type: dict
  sample:
    pk: 6
    name: kubernetes
    client_type: public
    client_id: kubernetes
    signing_key: bd475a65-f576-495b-b328-84651f65053f
    redirect_uris:
      - matching_mode: regex
        url: http://localhost:.*
    sub_mode: user_email
    issuer_mode: per_provider
issuer:
  description:
    - The OIDC issuer of the provider, ending with a slash; give it to kube-apiserver exactly.
    - null until an application uses the provider.
  returned: when the provider exists after the task, unless O(read_urls=false)
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/
discovery_url:
  description: URL of the provider's OpenID discovery document; null until an application uses the provider.
  returned: when the provider exists after the task, unless O(read_urls=false)
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/.well-known/openid-configuration
jwks_url:
  description: URL of the provider's JWKS; null until an application uses the provider.
  returned: when the provider exists after the task, unless O(read_urls=false)
  type: str
  sample: https://authentik.example.com/application/o/kubernetes/jwks/
server_version:
  description: The authentik release the task talked to.
  returned: always
  type: str
  sample: 2025.10.4
'''

import re

from ..module_utils._references import ProviderReferences
from ..module_utils.api import PROVIDERS
from ..module_utils.compare import duration, duration_seconds, redirect_uri_list, sorted_list
from ..module_utils.errors import NO_SIGNING_KEY, InputError
from ..module_utils.resource import ObjectModule

GRANT_TYPES = ['authorization_code', 'implicit', 'hybrid', 'refresh_token', 'client_credentials', 'password',
               'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']
DURATIONS = ('access_code_validity', 'access_token_validity', 'refresh_token_validity', 'refresh_token_threshold')
# Options copied to the server as they are (grant_types without repeats).
PLAIN = ('name', 'client_type', 'client_id', 'client_secret', 'sub_mode', 'include_claims_in_id_token', 'issuer_mode',
         'logout_uri', 'logout_method') + DURATIONS


class OAuth2ProviderModule(ObjectModule):
    object_key = 'provider'
    hidden = frozenset(['client_secret'])
    fields = dict((option, option) for option in PLAIN)
    normalizers = dict(
        property_mappings=sorted_list,
        grant_types=sorted_list,
        redirect_uris=redirect_uri_list,
        **dict((name, duration) for name in DURATIONS)
    )
    argument_spec = dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        name=dict(type='str', required=True),
        client_type=dict(type='str', choices=['public', 'confidential'], default='public'),
        client_id=dict(type='str'),
        client_secret=dict(type='str', no_log=True),
        redirect_uris=dict(type='list', elements='dict', options=dict(
            url=dict(type='str', required=True),
            matching_mode=dict(type='str', choices=['strict', 'regex'], default='strict'),
            redirect_uri_type=dict(type='str', choices=['authorization', 'logout']),
        )),
        authorization_flow=dict(type='str'),
        invalidation_flow=dict(type='str'),
        signing_key=dict(type='str', no_log=False),
        encryption_key=dict(type='str', no_log=False),
        property_mappings=dict(type='list', elements='str'),
        sub_mode=dict(type='str', choices=['hashed_user_id', 'user_id', 'user_uuid', 'user_username', 'user_email', 'user_upn']),
        include_claims_in_id_token=dict(type='bool'),
        issuer_mode=dict(type='str', choices=['global', 'per_provider']),
        access_code_validity=dict(type='str'),
        access_token_validity=dict(type='str', no_log=False),
        refresh_token_validity=dict(type='str', no_log=False),
        refresh_token_threshold=dict(type='str', no_log=False),
        logout_uri=dict(type='str'),
        logout_method=dict(type='str', choices=['backchannel', 'frontchannel']),
        grant_types=dict(type='list', elements='str', choices=GRANT_TYPES),
        read_urls=dict(type='bool', default=True),
    )

    def endpoint(self):
        return PROVIDERS

    def validate(self):
        params = self.params
        if params['state'] == 'absent':
            return
        if params['client_secret'] is not None and params['client_type'] == 'public':
            raise InputError('client_secret', 'a public client has no secret to set; drop client_secret or use client_type=confidential')
        if not params['signing_key']:
            raise InputError('signing_key', 'required with state=present: %s. Use e.g. signing_key: "authentik Self-signed '
                                            'Certificate"' % NO_SIGNING_KEY)
        for index, item in enumerate(params['redirect_uris'] or []):
            option = 'redirect_uris[%d].url' % index
            if not item['url'].strip():
                raise InputError(option, 'empty redirect URI')
            if item['matching_mode'] == 'regex':
                try:
                    re.compile(item['url'])
                except re.error as exc:
                    raise InputError(option, '%r is not a valid regular expression (%s); escape literal dots as \\. '
                                             'and close every group' % (item['url'], exc))
        if params['grant_types'] is not None and not params['grant_types']:
            raise InputError('grant_types', 'an empty list would allow no grant at all, and authentik refuses it; list the grants '
                                            '(kubelogin needs authorization_code and refresh_token) or leave the option out')
        for option in DURATIONS:
            if params[option] is not None:
                try:
                    duration_seconds(params[option])
                except ValueError as exc:
                    raise InputError(option, '%s; write it like hours=1 or minutes=10;seconds=30' % exc)

    def find(self):
        return self.api.find_one(PROVIDERS, 'name', name=self.params['name'])

    def desired(self, existing):
        params = self.params
        want = self.copied()
        if params['grant_types']:
            want['grant_types'] = list(dict.fromkeys(params['grant_types']))
        want.update(ProviderReferences(self.api, existing).desired(params, creating=existing is None))
        if params['redirect_uris'] is not None:
            want['redirect_uris'] = [dict(url=i['url'], matching_mode=i['matching_mode'], redirect_uri_type=i['redirect_uri_type'])
                                     for i in params['redirect_uris']]
        elif existing is None:
            want['redirect_uris'] = []
        return self.api.provider_to_wire(want)

    def extra_results(self, obj):
        return self.api.provider_oidc_urls(obj['pk']) if self.params['read_urls'] else {}


def main():
    module = OAuth2ProviderModule()
    module.run()


if __name__ == '__main__':
    main()
