# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""policy_binding and application_access_info: who may use an application, and the token endpoint agreeing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

PROVIDER = dict(client_type='public', authorization_flow='default-provider-authorization-implicit-consent',
                signing_key='authentik Self-signed Certificate', redirect_uris=[{'url': 'http://localhost:.*', 'matching_mode': 'regex'}],
                property_mappings=['goauthentik.io/providers/oauth2/scope-openid', 'goauthentik.io/providers/oauth2/scope-email'],
                sub_mode='user_email', include_claims_in_id_token=True, issuer_mode='per_provider')


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def bindings(authentik, application):
    app = authentik.api_json('GET', 'core/applications/%s/' % application)
    return authentik.find('policies/bindings/', target=app['pk'])


def app_password(authentik, user_pk, identifier):
    authentik.api_json('POST', 'core/tokens/', json=dict(identifier=identifier, intent='app_password', user=user_pk, expiring=False))
    return authentik.api_json('GET', 'core/tokens/%s/view_key/' % identifier)['key']


@pytest.fixture
def setup(authentik, run_module, unique):
    """An application with a provider, a group with one member, and a user outside it."""
    assert not run_module('oauth2_provider', dict(PROVIDER, name=unique, client_id=unique)).failed
    assert not run_module('application', dict(name=unique, slug=unique, provider=unique)).failed
    inside = authentik.api_json('POST', 'core/users/', json=dict(username=unique + '-in', name='in', email=unique + '-in@example.com'))
    outside = authentik.api_json('POST', 'core/users/', json=dict(username=unique + '-out', name='out', email=unique + '-out@example.com'))
    assert not run_module('group', dict(name=unique, users=[inside['username']])).failed
    yield dict(app=unique, group=unique, inside=inside, outside=outside)
    run_module('application', dict(slug=unique, state='absent'))
    run_module('oauth2_provider', dict(name=unique, state='absent'))
    run_module('group', dict(name=unique, state='absent'))
    for account in (inside, outside):
        authentik.api('DELETE', 'core/users/%s/' % account['pk'])


def token_status(authentik, client_id, username, password):
    """The password grant as kubelogin sends it; (status, error)."""
    response = requests.post(authentik.url + '/application/o/token/', verify=authentik.verify, timeout=30, data=dict(
        grant_type='password', client_id=client_id, username=username, password=password, scope='openid email profile'))
    return response.status_code, response.json().get('error')


def test_group_binding_lifecycle_and_what_it_does(authentik, run_module, setup, unique):
    args = dict(application=setup['app'], group=setup['group'], order=10)

    authentik.reset_log()
    check = run_module('policy_binding', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert check['diff']['before'] == {} and check['diff']['after']['order'] == 10
    assert_no_writes(authentik)
    assert bindings(authentik, setup['app']) == []

    created = run_module('policy_binding', args)
    assert created.changed and not created.failed, created.msg
    stored = bindings(authentik, setup['app'])
    assert len(stored) == 1 and stored[0]['group_obj']['name'] == setup['group'] and stored[0]['order'] == 10

    authentik.reset_log()
    again = run_module('policy_binding', args)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)

    authentik.reset_log()
    update = run_module('policy_binding', dict(args, order=20, negate=False), diff=True)
    assert update.changed and update['diff'] == {'before': {'order': 10}, 'after': {'order': 20}}
    if authentik.standin:
        assert [w['method'] for w in authentik.writes()] == ['PATCH']

    # What the binding does: the policy engine and the token endpoint agree.
    inside = run_module('application_access_info', dict(application=setup['app'], username=setup['inside']['username']))
    outside = run_module('application_access_info', dict(application=setup['app'], username=setup['outside']['username']))
    assert inside['allowed'] is True and outside['allowed'] is False and not inside.changed
    assert outside['bound_groups'] == [setup['group']] and outside['user_groups'] == []
    assert inside['user_groups'] == [setup['group']] and inside['policy_engine_mode'] == 'any'
    good = app_password(authentik, setup['inside']['pk'], unique + '-in-pw')
    other = app_password(authentik, setup['outside']['pk'], unique + '-out-pw')
    assert token_status(authentik, unique, setup['inside']['username'], good) == (200, None)
    # authentik refuses at the token endpoint with a plain invalid_grant (views/token.py __check_policy_access).
    assert token_status(authentik, unique, setup['outside']['username'], other) == (400, 'invalid_grant')

    authentik.reset_log()
    check_delete = run_module('policy_binding', dict(args, state='absent'), check=True)
    assert check_delete.changed
    assert_no_writes(authentik)
    deleted = run_module('policy_binding', dict(args, state='absent'))
    assert deleted.changed and deleted['binding'] is None and bindings(authentik, setup['app']) == []
    assert run_module('application_access_info', dict(application=setup['app'], username=setup['outside']['username']))['allowed'], \
        'an application without bindings is open to every user'
    authentik.reset_log()
    assert not run_module('policy_binding', dict(args, state='absent')).changed
    assert_no_writes(authentik)


def test_user_and_policy_bindings(authentik, run_module, setup, unique):
    outside = setup['outside']['username']
    assert run_module('policy_binding', dict(application=setup['app'], user=outside, order=1)).changed
    assert run_module('application_access_info', dict(application=setup['app'], username=outside))['allowed']
    negated = run_module('policy_binding', dict(application=setup['app'], user=outside, negate=True), diff=True)
    assert negated.changed and negated['diff']['after'] == {'negate': True}
    assert not run_module('application_access_info', dict(application=setup['app'], username=outside))['allowed']
    assert run_module('policy_binding', dict(application=setup['app'], user=outside, state='absent')).changed

    policy = authentik.api_json('POST', 'policies/expression/', json=dict(
        name=unique + '-policy', expression='return request.user.username == "%s"' % outside))
    try:
        bound = run_module('policy_binding', dict(application=setup['app'], policy=policy['name'], order=2))
        assert bound.changed and bound['binding']['policy'] == policy['pk'], bound.msg
        assert run_module('application_access_info', dict(application=setup['app'], username=outside))['bound_policies'] == [policy['name']]
        assert not run_module('policy_binding', dict(application=setup['app'], policy=policy['name'], order=2)).changed
    finally:
        authentik.api('DELETE', 'policies/expression/%s/' % policy['pk'])


def test_duplicate_bindings_are_reduced_to_one(authentik, run_module, setup):
    """authentik has no unique constraint on group bindings: two concurrent creates leave two."""
    app = authentik.api_json('GET', 'core/applications/%s/' % setup['app'])
    group = authentik.find('core/groups/', name=setup['group'])[0]
    for dummy in range(2):
        authentik.api_json('POST', 'policies/bindings/', json=dict(target=app['pk'], group=group['pk'], order=0))
    result = run_module('policy_binding', dict(application=setup['app'], group=setup['group'], order=0))
    assert result.changed and result['duplicates_removed'] == 1, result.result
    left = bindings(authentik, setup['app'])
    assert [b['pk'] for b in left] == [result['binding']['pk']]
    assert not run_module('policy_binding', dict(application=setup['app'], group=setup['group'], order=0)).changed


@pytest.mark.parametrize('subject', ['group', 'user', 'policy'])
def test_unknown_subject_fails_before_any_write(authentik, run_module, setup, subject):
    authentik.reset_log()
    result = run_module('policy_binding', {'application': setup['app'], subject: 'no-such-%s-h11' % subject})
    assert result.failed and result.msg.startswith(subject + ':') and 'no %s' % subject in result.msg, result.msg
    assert_no_writes(authentik)


def test_access_info_for_an_unknown_user(authentik, run_module, setup):
    result = run_module('application_access_info', dict(application=setup['app'], username='no-such-user-h11'))
    assert result.failed and result.msg.startswith('username:')
