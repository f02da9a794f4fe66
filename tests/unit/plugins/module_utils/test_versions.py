# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release boundaries, checked against the version table of shared/authentik/README.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kubeauth.authentik.plugins.module_utils.versions import GRANT_TYPE, RELEASES, ServerFeatures, parse_version


@pytest.mark.parametrize('text,expected', [
    ('2025.10.4', (2025, 10, 4)),
    ('2024.8', (2024, 8, 0)),
    ('v2024.10.5', (2024, 10, 5)),
    ('2026.2.0-rc1', (2026, 2, 0)),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize('text', ['', None, 'latest', 'abc.def'])
def test_parse_version_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_version(text)


@pytest.mark.parametrize('version,path', [
    ('2024.6.4', 'propertymappings/scope/'),
    ('2024.8.0', 'propertymappings/provider/scope/'),
    ('2024.8.4', 'propertymappings/provider/scope/'),
    ('2025.10.4', 'propertymappings/provider/scope/'),
])
def test_scope_mapping_path(version, path):
    assert ServerFeatures(version).scope_mapping_path == path


@pytest.mark.parametrize('version,structured', [
    ('2024.6.4', False),
    ('2024.8.4', False),
    ('2024.8.5', True),
    ('2024.8.6', True),
    ('2024.10.0', False),
    ('2024.10.2', False),
    ('2024.10.3', True),
    ('2024.10.5', True),
    ('2024.12.1', True),
    ('2025.10.4', True),
])
def test_redirect_uris_shape(version, structured):
    assert ServerFeatures(version).has('redirect_uris_structured') is structured


# key_type from authentik-client 2025.12.0, grant_types and redirect_uri_type from 2026.5.0
# (the published API clients of those releases; 2025.10.4 and 2026.2.2 also from their schemas).
@pytest.mark.parametrize('version,invalidation,logout,key_type,grant_types', [
    ('2024.8.4', False, False, False, False),
    ('2024.10.0', True, False, False, False),
    ('2025.8.1', True, False, False, False),
    ('2025.10.4', True, True, False, False),
    ('2025.12.0', True, True, True, False),
    ('2026.2.2', True, True, True, False),
    ('2026.2.7', True, True, True, False),
    ('2026.5.0', True, True, True, True),
    ('2026.8.5', True, True, True, True),
])
def test_field_availability(version, invalidation, logout, key_type, grant_types):
    features = ServerFeatures(version)
    assert features.has('invalidation_flow') is invalidation
    assert features.has('logout_uri') is logout and features.has('logout_method') is logout
    assert features.has('key_type') is key_type
    assert features.keypair_key_type_field == ('key_type' if key_type else 'private_key_type')
    assert features.has('grant_types') is grant_types
    assert features.has('redirect_uri_type') is grant_types


def test_unsupported_provider_fields_lists_only_newer_fields():
    features = ServerFeatures('2024.10.5')
    assert features.unsupported_provider_fields(['name', 'invalidation_flow', 'logout_uri', 'encryption_key']) == ['logout_uri']
    assert ServerFeatures('2024.8.4').unsupported_provider_fields(['logout_uri', 'encryption_key']) == ['encryption_key', 'logout_uri']
    assert ServerFeatures('2026.5.0').unsupported_provider_fields(['logout_uri', 'grant_types']) == []
    # grant_types is no error on older releases (they allow every grant type): api.py warns instead.
    assert ServerFeatures('2025.10.4').unsupported_provider_fields(['grant_types']) == []


@pytest.mark.parametrize('version,parents', [('2024.8.4', False), ('2025.10.4', False), ('2025.12.0', True), ('2026.2.2', True)])
def test_group_parents_list(version, parents):
    # Schema 2025.10.4: Group.parent; schema 2026.2.2: Group.parents (a list).
    assert ServerFeatures(version).has('group_parents') is parents


@pytest.mark.parametrize('version,path,moved', [
    ('2025.10.4', 'propertymappings/scope/', True),
    ('2025.10.4', '/api/v3/propertymappings/scope/x/', True),
    ('2024.6.4', 'propertymappings/scope/', False),
    ('2024.6.4', 'propertymappings/provider/scope/', True),
    ('2025.10.4', 'providers/oauth2/', False),
])
def test_path_hint_only_for_paths_known_to_be_wrong(version, path, moved):
    assert (ServerFeatures(version).path_hint(path) is not None) is moved


def test_an_unknown_feature_is_an_error_not_a_no():
    with pytest.raises(KeyError):
        ServerFeatures('2026.8.5').has('no_such_feature')


@pytest.mark.parametrize('grant_type,first', [('authorization_code', '2026.5'), ('urn:ietf:params:oauth:grant-type:device_code', '2026.5'),
                                              ('urn:ietf:params:oauth:grant-type:token-exchange', '2026.8')])
def test_grant_types_each_from_its_release(grant_type, first):
    assert ServerFeatures.release_of(GRANT_TYPE + grant_type) == first
    assert ServerFeatures(first + '.0').has_grant_type(grant_type)
    assert not ServerFeatures('2026.2.2').has_grant_type(grant_type)


def test_every_release_in_the_table_parses():
    for feature, release in RELEASES.items():
        assert parse_version(release), feature
