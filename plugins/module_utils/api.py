# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""authentik's objects as the connected release serves them.

Endpoints, wire shapes and name-to-primary-key lookups live here, next to the
client, so that modules describe objects in one canonical shape and never ask
which release they talk to.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeauth.authentik.plugins.module_utils.client import InputError

PROVIDERS = 'providers/oauth2/'
APPLICATIONS = 'core/applications/'
FLOWS = 'flows/instances/'
KEYPAIRS = 'crypto/certificatekeypairs/'

MANAGED_SCOPE_PREFIX = 'goauthentik.io/providers/oauth2/scope-'

NO_SIGNING_KEY_CONSEQUENCE = (
    'without a signing key authentik serves an empty JWKS ({}) and signs tokens with HS256 '
    '(the client secret), which kube-apiserver cannot verify')


class AuthentikAPI:
    """Endpoints, shapes and lookups for one server (wraps an AuthentikClient)."""

    def __init__(self, client):
        self.client = client

    @property
    def features(self):
        return self.client.features

    @property
    def scope_mappings(self):
        return self.client.features.scope_mapping_path

    # ----------------------------------------------------------------- shapes
    def provider_to_wire(self, payload):
        """Adapt a canonical provider payload to this release.

        Raises InputError for fields the release does not have, so a play
        written for a newer server fails before anything is written.
        """
        features = self.features
        unsupported = features.unsupported_provider_fields(k for k, v in payload.items() if v is not None)
        if unsupported:
            minimum = features.provider_field_minimum()
            raise InputError(unsupported[0], 'authentik %s does not have this field (it appeared in %s); remove the option '
                                             'or upgrade authentik' % (features.version_string, minimum[unsupported[0]]))
        wire = dict(payload)
        if 'redirect_uris' in wire and not features.redirect_uris_structured:
            # Before 2024.10.3 (and 2024.8.5) one URI per line; every line is
            # tried both verbatim and as a regular expression by the server.
            wire['redirect_uris'] = '\n'.join(item['url'] for item in wire['redirect_uris'])
        return wire

    # ---------------------------------------------------------------- lookups
    def find_one(self, path, option, **filters):
        """The single object matching exact filters, or None; several is an error."""
        found = self.client.list(path, params=filters)
        if len(found) > 1:
            raise InputError(option, '%d objects match %s; make it unique' % (len(found), filters))
        return found[0] if found else None

    def flow_pk(self, slug, option, designation=None):
        flow = self.find_one(FLOWS, option, slug=slug)
        if flow is None:
            known = sorted(f['slug'] for f in self.client.list(FLOWS, params={'designation': designation} if designation else None))
            raise InputError(option, 'no flow with slug %r; flows%s on this server: %s'
                             % (slug, ' of designation %s' % designation if designation else '', ', '.join(known) or 'none'))
        if designation and flow.get('designation') != designation:
            raise InputError(option, 'flow %r has designation %r, expected %r' % (slug, flow.get('designation'), designation))
        return flow['pk']

    def default_invalidation_flow(self, option):
        """The stock invalidation flow where the release requires one (2024.10+), else None."""
        if not self.features.invalidation_flow:
            return None
        return self.flow_pk('default-provider-invalidation-flow', option, 'invalidation')

    def signing_keypair(self, name, option):
        """A keypair usable for RS256 signing, by name."""
        keypair = self.find_one(KEYPAIRS, option, name=name)
        if keypair is None:
            known = sorted(k['name'] for k in self.client.list(KEYPAIRS, params={'has_key': 'true'}))
            raise InputError(option, 'no certificate keypair named %r (%s). Keypairs with a private key: %s'
                             % (name, NO_SIGNING_KEY_CONSEQUENCE, ', '.join(known) or 'none'))
        if not keypair.get('private_key_available'):
            raise InputError(option, 'certificate keypair %r has no private key, so it cannot sign tokens (%s)'
                             % (name, NO_SIGNING_KEY_CONSEQUENCE))
        return keypair

    def scope_mapping(self, ref, option):
        """A scope mapping by managed id (goauthentik.io/...) or by name."""
        key = 'managed' if ref.startswith('goauthentik.io/') else 'name'
        mapping = self.find_one(self.scope_mappings, option, **{key: ref})
        if mapping is None:
            raise InputError(option, 'no scope mapping with %s %r; create it first (kubeauth.authentik.scope_mapping) '
                                     'or use a managed id such as %semail' % (key, ref, MANAGED_SCOPE_PREFIX))
        return mapping

    def scope_mapping_pks(self, refs, option):
        return [self.scope_mapping(ref, option)['pk'] for ref in refs]

    def provider_by_name(self, name, option):
        provider = self.find_one(PROVIDERS, option, name=name)
        if provider is None:
            raise InputError(option, 'no OAuth2 provider named %r; create it first with kubeauth.authentik.oauth2_provider' % (name,))
        return provider

    def provider_oidc_urls(self, provider_pk):
        """issuer, discovery_url and jwks_url of a provider; None until an application uses it.

        The issuer keeps authentik's trailing slash: kube-apiserver compares it byte for byte.
        """
        urls = (self.client.get('%s%s/setup_urls/' % (PROVIDERS, provider_pk)) if provider_pk is not None else None) or {}
        issuer = urls.get('issuer')
        # Before an application exists the server omits jwks; derive it from the issuer when there is one.
        return dict(issuer=issuer, discovery_url=urls.get('provider_info'),
                    jwks_url=urls.get('jwks') or (issuer + 'jwks/' if issuer else None))
