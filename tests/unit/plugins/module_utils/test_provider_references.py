# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A provider's references by name or by id (_references.py, api.py): what is read, and what is checked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kubeauth.authentik.plugins.module_utils._references import ProviderReferences
from ansible_collections.kubeauth.authentik.plugins.module_utils.api import PENDING, AuthentikAPI, is_id, is_pending
from ansible_collections.kubeauth.authentik.plugins.module_utils.errors import InputError
from ansible_collections.kubeauth.authentik.plugins.module_utils.versions import ServerFeatures

FLOW = '0b8bd5c7-57a5-4c6b-8e1c-6a37d0f3f7a1'
INVALIDATION = '4f1c6b8d-2d0c-4a8e-9a59-7b3c5d1e2f30'
KEY = 'bd475a65-f576-495b-b328-84651f65053f'
EDDSA = '9d1e8c3a-1111-4a5b-8c7d-0e1f2a3b4c5d'
OPENID, PROFILE, EMAIL = ('aafab4f1-7ab6-4caa-bff7-d9fc7a39ff6%d' % i for i in range(3))
SCOPES = 'propertymappings/provider/scope/'


class FakeClient:
    """Flows, keypairs and scope mappings of a 2025.10 server; records every read."""

    def __init__(self):
        self.features = ServerFeatures('2025.10.4')
        self.reads = []
        self.objects = {
            'flows/instances/': [dict(pk=FLOW, slug='implicit', designation='authorization'),
                                 dict(pk=INVALIDATION, slug='default-provider-invalidation-flow', designation='invalidation')],
            'crypto/certificatekeypairs/': [dict(pk=KEY, name='self-signed', private_key_available=True, private_key_type='rsa'),
                                            dict(pk=EDDSA, name='edwards', private_key_available=True, private_key_type='ed25519')],
            SCOPES: [dict(pk=OPENID, managed='goauthentik.io/providers/oauth2/scope-openid', name='openid'),
                     dict(pk=PROFILE, managed='goauthentik.io/providers/oauth2/scope-profile', name='profile'),
                     dict(pk=EMAIL, managed=None, name='k8s: email')],
        }

    def list(self, path, params=None):
        self.reads.append(('list', path, dict(params or {})))
        wanted = dict((dict(flow_uuid='pk').get(k, k), v) for k, v in (params or {}).items())
        return [o for o in self.objects[path] if all(str(o.get(k)) == str(v) for k, v in wanted.items() if k in o)]

    def get(self, path, params=None, missing_ok=False):
        self.reads.append(('get', path))
        collection, pk = path.rstrip('/').rsplit('/', 1)
        found = [o for o in self.objects[collection + '/'] if o['pk'] == pk]
        return found[0] if found else None


def params(**given):
    base = dict(name='k8s', authorization_flow=None, invalidation_flow=None, signing_key=None, encryption_key=None,
                property_mappings=None)
    base.update(given)
    return base


HELD = dict(authorization_flow=FLOW, invalidation_flow=INVALIDATION, signing_key=KEY, encryption_key=None,
            property_mappings=[OPENID, EMAIL, PROFILE])


def test_ids_are_uuids_and_placeholders_are_pending():
    assert is_id(KEY) and is_id(KEY.upper()) and not is_id('authentik Self-signed Certificate') and not is_id(None)
    assert is_pending(PENDING % ('application', 'prod')) and not is_pending(KEY) and not is_pending('(pending)x')


def test_held_ids_need_no_read():
    client = FakeClient()
    want = ProviderReferences(AuthentikAPI(client), HELD).desired(
        params(authorization_flow=FLOW.upper(), signing_key=KEY, property_mappings=[PROFILE, OPENID, EMAIL]), creating=False)
    assert want == dict(authorization_flow=FLOW, signing_key=KEY, property_mappings=[PROFILE, OPENID, EMAIL])
    assert client.reads == []


def test_names_are_read_as_before():
    client = FakeClient()
    want = ProviderReferences(AuthentikAPI(client), HELD).desired(
        params(authorization_flow='implicit', signing_key='self-signed',
               property_mappings=['goauthentik.io/providers/oauth2/scope-openid', 'k8s: email']), creating=False)
    assert want == dict(authorization_flow=FLOW, signing_key=KEY, property_mappings=[OPENID, EMAIL])
    assert [read[1] for read in client.reads] == ['flows/instances/', 'crypto/certificatekeypairs/', SCOPES]


def test_ids_not_held_are_read_once_each():
    client = FakeClient()
    want = ProviderReferences(AuthentikAPI(client), dict(HELD, property_mappings=[OPENID])).desired(
        params(signing_key=KEY, property_mappings=[OPENID, EMAIL]), creating=False)
    assert want == dict(signing_key=KEY, property_mappings=[OPENID, EMAIL])
    assert client.reads == [('get', SCOPES + EMAIL + '/')]

    client = FakeClient()
    want = ProviderReferences(AuthentikAPI(client), None).desired(params(authorization_flow=FLOW, signing_key=KEY), creating=True)
    assert want == dict(authorization_flow=FLOW, invalidation_flow=INVALIDATION, signing_key=KEY)
    assert ('list', 'flows/instances/', dict(flow_uuid=FLOW)) in client.reads
    assert ('get', 'crypto/certificatekeypairs/%s/' % KEY) in client.reads


def test_ids_not_held_are_checked_as_names_are():
    api = AuthentikAPI(FakeClient())
    with pytest.raises(InputError) as err:
        ProviderReferences(api, HELD).desired(params(signing_key=EDDSA), creating=False)
    assert err.value.option == 'signing_key' and "'edwards' holds a Ed25519 key" in str(err.value)
    with pytest.raises(InputError, match="designation 'invalidation', expected 'authorization'"):
        ProviderReferences(api, HELD).desired(params(authorization_flow=INVALIDATION), creating=False)
    missing = '00000000-0000-4000-8000-000000000000'
    with pytest.raises(InputError, match='no certificate keypair with id or name'):
        ProviderReferences(api, HELD).desired(params(signing_key=missing), creating=False)


def test_missing_id_is_an_error_even_in_check_mode_and_placeholders_only_there():
    placeholder = PENDING % ('scope mapping', 'k8s: groups')
    api = AuthentikAPI(FakeClient(), check_mode=True)
    with pytest.raises(InputError, match='no scope mapping with id or name'):
        api.scope_mapping('00000000-0000-4000-8000-000000000000', 'property_mappings')
    assert api.scope_mapping_pks([OPENID, placeholder], 'property_mappings') == [OPENID, placeholder]
    assert len(api.pending) == 1 and 'does not exist yet' in api.pending[0]
    with pytest.raises(InputError, match='outside check mode'):
        AuthentikAPI(FakeClient()).scope_mapping_pks([OPENID, placeholder], 'property_mappings')
