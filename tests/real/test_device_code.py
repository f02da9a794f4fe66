# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device code grant on the real authentik and on the stand-in of the same release, step by step with the same
assertions: what tests/contract/test_device.py holds the stand-in to, checked against the real server.

A person (tests/e2e/person.py) opens the verification page on "another machine", logs in and types the code; the
device then polls the token endpoint. Each side gets its own provider, application, group, user and device code flow
(unique names); the real server's default brand gets the flow for the duration of the module and its previous device
code flow back afterwards (unless another one was set meanwhile). test_no_device_code_flow_on_the_brand clears it for
a moment: a device code login of another test on the same server at that moment gets a 404.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import uuid

import jwt
import pytest

from contract.scenario import flow_pk, kubernetes_setup
from e2e.person import Person, PersonError
from standin.client import StandinClient

DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
SCOPE = 'openid email profile offline_access'


class Side:
    """One server (real or stand-in) with its own provider, application, user and device code flow."""

    def __init__(self, name, client):
        self.name, self.client = name, client
        self.unique = 'dev-%s' % uuid.uuid4().hex[:8]
        self.setup = kubernetes_setup(client, self.unique)
        self.client_id = self.setup.provider['client_id']
        self.application = client.api('GET', 'core/applications/%s/' % self.unique).json()
        flow = client.api('POST', 'flows/instances/', json={
            'name': 'Device code', 'slug': self.unique, 'title': 'Device code', 'designation': 'stage_configuration',
            'authentication': 'require_authenticated'})
        assert flow.status_code == 201, flow.text
        self.flow = flow.json()
        self.brand = client.api('GET', 'core/brands/', params={'default': 'true'}).json()['results'][0]
        self.set_brand_flow(self.flow['pk'])

    def restore_brand(self):
        """The brand's previous device code flow back, unless something else (an end-to-end site.yml on the same
        server) has set another one meanwhile."""
        now = self.client.api('GET', 'core/brands/%s/' % self.brand['brand_uuid']).json()
        if now['flow_device_code'] in (self.flow['pk'], None):
            self.set_brand_flow(self.brand['flow_device_code'])

    def set_brand_flow(self, pk):
        response = self.client.api('PATCH', 'core/brands/%s/' % self.brand['brand_uuid'], json={'flow_device_code': pk})
        assert response.status_code == 200, response.text

    def provider(self, **changes):
        response = self.client.api('PATCH', 'providers/oauth2/%s/' % self.setup.provider['pk'], json=changes)
        assert response.status_code == 200, response.text

    def authorize(self, scope=SCOPE, client_id=None):
        """The device authorization request; a code with a leading zero is asked for again where the code entry takes
        an integer (2024.6, 2024.8), which never happens on the real releases here."""
        return self.client.request('POST', '/application/o/device/', auth=False,
                                   data={'client_id': client_id or self.client_id, 'scope': scope})

    def poll(self, device_code):
        return self.client.request('POST', '/application/o/token/', auth=False, data={
            'grant_type': DEVICE_GRANT, 'client_id': self.client_id, 'device_code': device_code})

    def person(self):
        return Person(self.setup.username, self.setup.app_password, self.client.handle.ca_path)

    def enter(self, answer):
        person = self.person()
        person.enter_device_code(answer['verification_uri'], answer['user_code'])
        return person

    def cleanup(self):
        self.restore_brand()
        api = self.client.api
        api('DELETE', 'core/applications/%s/' % self.unique)
        api('DELETE', 'providers/oauth2/%s/' % self.setup.provider['pk'])
        api('DELETE', 'flows/instances/%s/' % self.unique)
        for user in api('GET', 'core/users/', params={'username': self.setup.username}).json()['results']:
            api('DELETE', 'core/users/%s/' % user['pk'])
        for group in api('GET', 'core/groups/', params={'name': self.unique + '-admins'}).json()['results']:
            api('DELETE', 'core/groups/%s/' % group['pk'])


@pytest.fixture(name='side', scope='module', params=['real', 'standin'])
def side_fixture(request, real, real_client, standin_factory):
    if request.param == 'real':
        client = real_client
    else:
        client = StandinClient(standin_factory(real.version, key_size=2048, device_throttle='100/hour'))
    made = Side(request.param, client)
    yield made
    made.cleanup()


def test_device_authorization_answer(side):
    response = side.authorize()
    assert response.status_code == 200, response.text
    assert response.headers['Cache-Control'] == 'no-store'
    body = response.json()
    assert sorted(body) == sorted(['device_code', 'verification_uri', 'verification_uri_complete', 'user_code', 'expires_in',
                                   'interval'])
    base = side.client.base
    assert body['verification_uri'] == base + '/device'
    assert body['verification_uri_complete'] == base + '/device?code=' + body['user_code']
    assert len(body['user_code']) == 9 and body['user_code'].isdigit() and len(body['device_code']) == 128
    # The provider's access_code_validity (minutes=1 unless set) is all the time a person gets.
    assert body['expires_in'] == 60 and body['interval'] == 5
    pending = side.poll(body['device_code'])
    assert pending.status_code == 400 and pending.json()['error'] == 'authorization_pending'


def test_person_enters_the_code_and_the_device_gets_tokens(side):
    answer = side.authorize().json()
    person = side.enter(answer)
    components = [step['what'] for step in person.steps if step['what'] != 'get']
    assert components == ['ak-stage-identification', 'ak-stage-password', 'xak-flow-redirect', 'ak-provider-oauth2-device-code',
                          'xak-flow-redirect', 'ak-provider-oauth2-device-code-finish']
    response = side.poll(answer['device_code'])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['scope'] == SCOPE and body['expires_in'] == 3600
    # No offline_access mapping on this provider: authentik does not filter the device request's scopes.
    assert len(body['refresh_token']) == 128
    claims = jwt.decode(body['id_token'], options={'verify_signature': False})
    assert claims['aud'] == side.client_id and claims['email'] == '%s@example.com' % side.setup.username
    assert 'sid' not in claims and abs(claims['auth_time'] - time.time()) < 60
    again = side.poll(answer['device_code'])
    assert again.status_code == 400 and again.json()['error'] == 'invalid_grant', 'a device code worked twice'
    refreshed = side.client.request('POST', '/application/o/token/', auth=False, data={
        'grant_type': 'refresh_token', 'client_id': side.client_id, 'refresh_token': body['refresh_token']})
    assert refreshed.status_code == 200, refreshed.text


def test_without_offline_access_no_refresh_token(side):
    answer = side.authorize(scope='openid email profile').json()
    side.enter(answer)
    body = side.poll(answer['device_code']).json()
    assert 'access_token' in body and 'refresh_token' not in body


def test_code_in_the_link_and_a_code_nobody_issued(side):
    answer = side.authorize().json()
    person = side.person()
    person.device_code = answer['user_code']
    person.open(answer['verification_uri_complete'])
    assert person.device_done and side.poll(answer['device_code']).status_code == 200
    with pytest.raises(PersonError, match='shows a page: Permission denied'):
        side.enter(dict(answer, user_code='000000001'))


def test_refused_person_binds_nothing(side):
    others = side.client.api('POST', 'core/groups/', json={'name': side.unique + '-others'}).json()
    binding = side.client.api('POST', 'policies/bindings/', json={'target': side.application['pk'], 'group': others['pk'],
                                                                  'order': 0}).json()
    try:
        answer = side.authorize().json()
        with pytest.raises(PersonError, match='Permission denied'):
            side.enter(answer)
        assert side.poll(answer['device_code']).json()['error'] == 'authorization_pending'
    finally:
        side.client.api('DELETE', 'policies/bindings/%s/' % binding['pk'])
        side.client.api('DELETE', 'core/groups/%s/' % others['pk'])


def test_consent_in_the_authorization_flow(side):
    side.provider(authorization_flow=flow_pk(side.client, 'default-provider-authorization-explicit-consent'))
    try:
        answer = side.authorize().json()
        person = side.enter(answer)
        assert 'ak-stage-consent' in [step['what'] for step in person.steps]
        assert side.poll(answer['device_code']).status_code == 200
    finally:
        side.provider(authorization_flow=side.setup.provider['authorization_flow'])


def test_no_device_code_flow_on_the_brand(side):
    side.set_brand_flow(None)
    try:
        answer = side.authorize().json()
        assert answer['verification_uri'], 'the device request does not look at the brand'
        with pytest.raises(PersonError, match='/device answered 404'):
            side.enter(answer)
    finally:
        side.set_brand_flow(side.flow['pk'])


def test_an_expired_code_still_pending_until_the_cleanup(side):
    """expires_in passes without effect until authentik's cleanup task deletes the code (every five minutes)."""
    side.provider(access_code_validity='seconds=1')
    try:
        answer = side.authorize().json()
        assert answer['expires_in'] == 1
        time.sleep(2)
        assert side.poll(answer['device_code']).json()['error'] in ('authorization_pending', 'invalid_grant')
    finally:
        side.provider(access_code_validity='minutes=1')


def test_unknown_client(side):
    refused = side.authorize(client_id='no-such-client-' + side.unique)
    assert refused.status_code == 400 and refused.json()['error'] == 'invalid_client'
    assert side.poll('no-such-code').json()['error'] == 'invalid_grant'


def test_answering_the_finish_stage_is_a_flow_error(side):
    """authentik's page for the finish stage sends nothing back; an answer fails (challenge_valid returns nothing),
    after the code is bound: the device gets its token all the same."""
    answer = side.authorize().json()
    person = side.enter(answer)
    failed = person.session.post(person.steps[-1]['url'], json={'component': 'ak-provider-oauth2-device-code-finish'}, timeout=30)
    assert failed.status_code == 200 and failed.json()['component'] == 'ak-stage-flow-error'
    assert 'error' not in failed.json(), 'the error text is for superusers only'
    assert side.poll(answer['device_code']).status_code == 200
