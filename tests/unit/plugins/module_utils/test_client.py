# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP client: pagination, retries, never a duplicate create, errors, version detection.

Response bodies are shaped like the real server's recordings in shared/authentik/recordings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests
import responses

from ansible_collections.kubeauth.authentik.plugins.module_utils.client import (
    AmbiguousWriteError,
    AuthentikClient,
    base_url,
    format_error_body,
)
from ansible_collections.kubeauth.authentik.plugins.module_utils.errors import AuthentikError

BASE = 'https://ak.example.test'
API = BASE + '/api/v3/'


def page(results, current=1, total_pages=1, count=None):
    count = len(results) if count is None else count
    return {
        'pagination': {'next': current + 1 if current < total_pages else 0, 'previous': current - 1,
                       'count': count, 'current': current, 'total_pages': total_pages,
                       'start_index': 1, 'end_index': count},
        'results': results, 'autocomplete': {},
    }


@pytest.fixture
def client():
    sleeps = []
    c = AuthentikClient(BASE, 'tok', sleep=sleeps.append)
    c.sleeps = sleeps
    return c


def calls(method=None):
    return [c for c in responses.calls if method is None or c.request.method == method]


@pytest.mark.parametrize('given,expected', [
    ('https://ak.example.test', BASE),
    ('https://ak.example.test/', BASE),
    ('https://ak.example.test/api/v3/', BASE),
    ('https://ak.example.test/sub/api/v3', BASE + '/sub'),
])
def test_base_url(given, expected):
    assert base_url(given) == expected


@pytest.mark.parametrize('bad', ['ak.example.test', 'ftp://ak', '', None])
def test_base_url_rejects(bad):
    with pytest.raises(AuthentikError, match='authentik_url'):
        base_url(bad)


@responses.activate
def test_bearer_token_and_version_fetched_once(client):
    responses.get(API + 'admin/version/', json={'version_current': '2025.10.4', 'version_latest': '2025.10.4'})
    assert client.version == '2025.10.4'
    assert client.features.scope_mapping_path == 'propertymappings/provider/scope/'
    assert len(calls()) == 1
    assert calls()[0].request.headers['Authorization'] == 'Bearer tok'


@responses.activate
def test_version_answer_that_is_not_authentik(client):
    responses.get(API + 'admin/version/', json={'hello': 'world'})
    with pytest.raises(AuthentikError, match='did not report an authentik version'):
        client.features


@responses.activate
def test_list_follows_pagination(client):
    responses.get(API + 'flows/instances/', match=[responses.matchers.query_param_matcher({'page_size': '100', 'page': '1'})],
                  json=page([{'slug': 'a'}, {'slug': 'b'}], 1, 2, 3))
    responses.get(API + 'flows/instances/', match=[responses.matchers.query_param_matcher({'page_size': '100', 'page': '2'})],
                  json=page([{'slug': 'c'}], 2, 2, 3))
    assert [f['slug'] for f in client.list('flows/instances/')] == ['a', 'b', 'c']


@responses.activate
def test_list_passes_filters(client):
    responses.get(API + 'providers/oauth2/', match=[responses.matchers.query_param_matcher(
        {'name': 'kubernetes', 'page_size': '100', 'page': '1'})], json=page([{'pk': 6}]))
    assert client.list('providers/oauth2/', params={'name': 'kubernetes'}) == [{'pk': 6}]


@responses.activate
def test_get_retries_5xx_then_succeeds(client):
    responses.get(API + 'providers/oauth2/6/', status=503)
    responses.get(API + 'providers/oauth2/6/', status=502)
    responses.get(API + 'providers/oauth2/6/', json={'pk': 6})
    assert client.get('providers/oauth2/6/') == {'pk': 6}
    assert len(calls()) == 3
    assert client.sleeps == [0.5, 1.0]


@responses.activate
def test_retry_after_header_is_honoured(client):
    responses.get(API + 'x/', status=429, headers={'Retry-After': '7'})
    responses.get(API + 'x/', json={})
    client.get('x/')
    assert client.sleeps == [7]


@responses.activate
def test_get_gives_up_after_retries(client):
    for dummy in range(client.retries):
        responses.get(API + 'x/', status=500, json={'detail': 'boom'})
    with pytest.raises(AuthentikError, match='500'):
        client.get('x/')
    assert len(calls()) == client.retries


@responses.activate
def test_get_retries_connection_errors(client):
    responses.get(API + 'x/', body=requests.exceptions.ConnectionError('reset'))
    responses.get(API + 'x/', json={'ok': True})
    assert client.get('x/') == {'ok': True}


@responses.activate
def test_missing_ok_returns_none_on_404(client):
    responses.get(API + 'core/applications/nope/', status=404, json={'detail': 'No Application matches the given query.'})
    assert client.get('core/applications/nope/', missing_ok=True) is None
    with pytest.raises(AuthentikError, match='404'):
        client.get('core/applications/nope/')


@responses.activate
def test_post_5xx_is_not_repeated_when_the_object_exists(client):
    responses.post(API + 'providers/oauth2/', status=502)
    created = {'pk': 6, 'name': 'kubernetes'}
    assert client.create('providers/oauth2/', {'name': 'kubernetes'}, find_existing=lambda: created) == created
    assert len(calls('POST')) == 1


@responses.activate
def test_post_5xx_is_repeated_once_absence_is_confirmed(client):
    responses.post(API + 'providers/oauth2/', status=500)
    responses.post(API + 'providers/oauth2/', status=201, json={'pk': 7})
    assert client.create('providers/oauth2/', {'name': 'k'}, find_existing=lambda: None) == {'pk': 7}
    assert len(calls('POST')) == 2


@responses.activate
def test_post_dropped_connection_without_lookup_raises(client):
    responses.post(API + 'providers/oauth2/', body=requests.exceptions.ConnectionError('aborted'))
    with pytest.raises(AmbiguousWriteError):
        client.create('providers/oauth2/', {'name': 'k'})
    assert len(calls('POST')) == 1


@responses.activate
def test_post_429_is_safe_to_repeat(client):
    responses.post(API + 'core/applications/', status=429)
    responses.post(API + 'core/applications/', status=201, json={'slug': 'k'})
    assert client.create('core/applications/', {'slug': 'k'}) == {'slug': 'k'}


@responses.activate
def test_400_is_reported_field_by_field_and_not_retried(client):
    responses.post(API + 'providers/oauth2/', status=400, json={
        'client_type': ['"secret" is not a valid choice.'], 'sub_mode': ['"email" is not a valid choice.']})
    with pytest.raises(AuthentikError) as err:
        client.create('providers/oauth2/', {})
    assert 'client_type: "secret" is not a valid choice.; sub_mode: "email" is not a valid choice.' in str(err.value)
    assert err.value.status == 400
    assert len(calls()) == 1


@responses.activate
def test_403_explains_token(client):
    responses.get(API + 'providers/oauth2/6/', status=403, json={'detail': 'Token invalid/expired'})
    with pytest.raises(AuthentikError, match='authentik_token.*API token'):
        client.get('providers/oauth2/6/')


@responses.activate
def test_405_on_a_path_known_to_be_wrong_names_the_move(client):
    responses.get(API + 'admin/version/', json={'version_current': '2025.10.4'})
    responses.post(API + 'propertymappings/scope/', status=405, body='')
    client.features
    with pytest.raises(AuthentikError, match='moved to propertymappings/provider/scope/ in authentik 2024.8'):
        client.create('propertymappings/scope/', {})


@responses.activate
def test_405_elsewhere_is_not_explained_as_a_move(client):
    responses.get(API + 'admin/version/', json={'version_current': '2025.10.4'})
    responses.post(API + 'providers/oauth2/', status=405, json={'detail': 'Method "POST" not allowed.'})
    client.features
    with pytest.raises(AuthentikError) as err:
        client.create('providers/oauth2/', {})
    assert 'moved' not in str(err.value) and 'Method "POST" not allowed.' in str(err.value)
    assert err.value.status == 405


@responses.activate
def test_given_server_version_saves_the_version_request():
    client = AuthentikClient(BASE, 'tok', server_version='2024.8.4')
    assert client.features.scope_mapping_path == 'propertymappings/provider/scope/'
    assert client.version == '2024.8.4'
    assert len(calls()) == 0


@responses.activate
def test_given_server_version_is_checked_when_the_server_refuses():
    client = AuthentikClient(BASE, 'tok', server_version='2024.8.4', sleep=lambda s: None)
    responses.post(API + 'providers/oauth2/', status=400, json={'redirect_uris': ['Not a valid string.']})
    responses.get(API + 'admin/version/', json={'version_current': '2025.10.4'})
    with pytest.raises(AuthentikError, match='server_version is 2024.8.4 but .* runs authentik 2025.10.4'):
        client.create('providers/oauth2/', {})


@responses.activate
def test_given_server_version_that_matches_keeps_the_real_error():
    client = AuthentikClient(BASE, 'tok', server_version='2025.10.4', sleep=lambda s: None)
    responses.post(API + 'providers/oauth2/', status=400, json={'name': ['provider with this name already exists.']})
    responses.get(API + 'admin/version/', json={'version_current': '2025.10.4'})
    with pytest.raises(AuthentikError, match='provider with this name already exists'):
        client.create('providers/oauth2/', {})
    assert len(calls('GET')) == 1


def test_bad_server_version_names_the_option():
    with pytest.raises(AuthentikError, match='server_version'):
        AuthentikClient(BASE, 'tok', server_version='latest')


@responses.activate
def test_delete_of_absent_object_is_fine(client):
    responses.delete(API + 'core/applications/k/', status=404, json={'detail': 'Not found.'})
    client.delete('core/applications/k/')


@responses.activate
def test_patch_sends_only_given_payload(client):
    responses.patch(API + 'providers/oauth2/6/', json={'pk': 6, 'sub_mode': 'user_email'},
                    match=[responses.matchers.json_params_matcher({'sub_mode': 'user_email'})])
    assert client.patch('providers/oauth2/6/', {'sub_mode': 'user_email'})['sub_mode'] == 'user_email'


@responses.activate
def test_tls_error_names_ca_path(client):
    responses.get(API + 'x/', body=requests.exceptions.SSLError('certificate verify failed'))
    with pytest.raises(AuthentikError, match='ca_path'):
        client.get('x/')


def test_verify_setting():
    assert AuthentikClient(BASE, 't', ca_path='/ca.pem').verify == '/ca.pem'
    assert AuthentikClient(BASE, 't', validate_certs=False).verify is False
    assert AuthentikClient(BASE, 't').verify is True
    assert 'Authorization' not in AuthentikClient(BASE, None).session.headers


@responses.activate
def test_ca_path_wins_over_requests_ca_bundle(monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    responses.get(API + 'x/', json={})
    AuthentikClient(BASE, 't', ca_path='/ca.pem').get('x/')
    assert calls()[0].request.req_kwargs['verify'] == '/ca.pem'


def test_format_error_body_nested():
    assert format_error_body({'redirect_uris': [{'url': ['bad']}]}) == 'redirect_uris: url: bad'
    assert format_error_body(['a', 'b']) == 'a; b'
