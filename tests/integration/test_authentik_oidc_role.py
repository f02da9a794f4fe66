# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The authentik_oidc role: a dry run that tells the truth, then the real run, then who may log in.

On a server that has none of the role's objects, --check --diff exits 0, reports every object as a
change, sends no write, and carries the issuer the real run then produces; the real run changes
exactly the tasks the dry run named; a third run changes nothing. Only members of the access
groups get a token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import requests

from integration.role_runner import role_vars, run_role, task_outcomes

VERSIONS = ('2025.10.4',)


def test_dry_run_then_real_run_then_no_change(authentik, tmp_path, unique):
    variables = role_vars(authentik, unique)
    authentik.reset_log()
    rc, dry, facts = run_role(authentik, tmp_path, variables, '--check', '--diff')
    assert rc == 0, dry[-4000:]
    assert authentik.writes() in (None, []), 'the dry run wrote: %r' % authentik.writes()
    expected_issuer = authentik.url + '/application/o/%s/' % unique
    assert facts['authentik_oidc_issuer_url'] == expected_issuer and facts['authentik_oidc_issuer_pending'] is True
    assert [g['name'] for g in facts['authentik_oidc_allowed_groups']] == [unique + '-admins']
    dry_outcomes = task_outcomes(dry)
    would_change = sorted(task for task, outcome in dry_outcomes.items() if outcome == 'changed')
    for task in ('Email mapping that says email_verified True', 'OAuth2 provider, signed with a real key, public client, regex redirect URIs',
                 'Application that gives the provider its issuer URL', 'Each group that may log in',
                 'Bind each group to the application (unbind removed ones; none when every user may log in)'):
        assert any(name.endswith(task) for name in would_change), (task, dry_outcomes)
    # ansible-core before 2.19 wraps warnings at 79 columns: compare the words, not the lines.
    assert 'does not exist yet; check mode counts it as created' in ' '.join(dry.split()), 'the pending references are not explained'

    rc, real, facts = run_role(authentik, tmp_path, variables, '--diff')
    assert rc == 0, real[-4000:]
    changed = sorted(task for task, outcome in task_outcomes(real).items() if outcome == 'changed')
    assert changed == would_change, 'the dry run said %r, the real run changed %r' % (would_change, changed)
    assert facts['authentik_oidc_issuer_url'] == expected_issuer and facts['authentik_oidc_issuer_pending'] is False

    authentik.reset_log()
    rc, again, dummy = run_role(authentik, tmp_path, variables)
    assert rc == 0 and [t for t, o in task_outcomes(again).items() if o == 'changed'] == [], again[-3000:]
    assert authentik.writes() in (None, [])
    if authentik.writes() is not None:
        versions = [line for line in authentik.http.get(authentik.url + '/_standin/requests', timeout=30, verify=authentik.verify).json()
                    if line['path'] == '/api/v3/admin/version/'] if authentik.standin else []
        assert len(versions) <= 1, 'the role read the server version %d times' % len(versions)


def token(authentik, client_id, username, password):
    response = requests.post(authentik.url + '/application/o/token/', verify=authentik.verify, timeout=30, data=dict(
        grant_type='client_credentials', client_id=client_id, username=username, password=password, scope='openid email'))
    return response.status_code, response.json().get('error')


def test_only_members_of_the_access_groups_get_a_token(authentik, tmp_path, unique):
    person = authentik.api_json('POST', 'core/users/', json=dict(username=unique + '-person', name='p', email=unique + '@example.com'))
    authentik.api_json('POST', 'core/tokens/', json=dict(identifier=unique + '-pw', intent='app_password', user=person['pk'], expiring=False))
    password = authentik.api_json('GET', 'core/tokens/%s-pw/view_key/' % unique)['key']

    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique))
    assert rc == 0, output[-4000:]
    assert token(authentik, unique, person['username'], password) == (400, 'invalid_grant'), 'a user outside the groups got a token'

    members = [{'name': unique + '-admins', 'users': [person['username']]}]
    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, authentik_oidc_access_groups=members))
    assert rc == 0, output[-4000:]
    assert token(authentik, unique, person['username'], password) == (200, None)

    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, authentik_oidc_access_groups=members,
                                                                authentik_oidc_allow_all_users=True))
    assert rc == 0, output[-4000:]
    app = authentik.api_json('GET', 'core/applications/%s/' % unique)
    assert authentik.find('policies/bindings/', target=app['pk']) == [], 'allow_all_users leaves bindings behind'


def test_no_access_group_is_refused(authentik, tmp_path, unique):
    authentik.reset_log()
    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, authentik_oidc_access_groups=[]))
    assert rc != 0 and 'authentik_oidc_allow_all_users' in output and 'every' in output
    assert authentik.writes() in (None, [])
