# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The references of an OAuth2 provider (flows, keypairs, scope mappings), resolved lazily.

A reference given by name or slug is looked up on every run, one read each (the scope mappings in
one listing). A reference given by id (the object's pk, a UUID), the way Terraform passes ids from
data sources, needs no read when the provider already holds that id: authentik's relations keep a
held id pointing at an existing object (a deleted flow takes its providers with it, a deleted
keypair is cleared from them). An id the provider does not hold yet is read once and checked
exactly as a name is (the flow's designation; the keypair's private key and key type), so nothing
unchecked is ever written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .api import is_id
from .errors import InputError

# option (also the provider's field) -> the designation its flow must have
FLOWS = (('authorization_flow', 'authorization'), ('invalidation_flow', 'invalidation'))
KEYPAIRS = ('signing_key', 'encryption_key')


class ProviderReferences:
    """Ids of the references a provider should hold, reading only what the provider does not hold yet."""

    def __init__(self, api, existing):
        self.api = api
        self.existing = existing or {}

    def held(self, field, ref):
        """The provider's own value of field when ref is that very id (in any letter case), else None."""
        current = self.existing.get(field)
        if current is not None and is_id(ref) and str(current).lower() == ref.lower():
            return current
        return None

    def flow(self, field, ref, designation):
        return self.held(field, ref) or self.api.flow_pk(ref, field, designation)

    def keypair(self, field, ref):
        return self.held(field, ref) or self.api.signing_keypair(ref, field)['pk']

    def scope_mappings(self, field, refs):
        held = dict((str(pk).lower(), pk) for pk in self.existing.get(field) or [])
        kept = [held.get(ref.lower()) if is_id(ref) else None for ref in refs]
        resolved = iter(self.api.scope_mapping_pks([ref for ref, pk in zip(refs, kept) if pk is None], field))
        return [pk if pk is not None else next(resolved) for pk in kept]

    def desired(self, params, creating):
        """{field: id} for every reference the options give, plus the defaults a new provider needs."""
        if creating and not params['authorization_flow']:
            raise InputError('authorization_flow', 'required to create provider %r; for example '
                                                   'default-provider-authorization-implicit-consent' % params['name'])
        want = {}
        for field, designation in FLOWS:
            if params[field]:
                want[field] = self.flow(field, params[field], designation)
        if creating and not params['invalidation_flow']:
            default = self.api.default_invalidation_flow('invalidation_flow')
            if default:
                want['invalidation_flow'] = default
        for field in KEYPAIRS:
            if params[field]:
                want[field] = self.keypair(field, params[field])
        if params['property_mappings'] is not None:
            want['property_mappings'] = self.scope_mappings('property_mappings', params['property_mappings'])
        return want
