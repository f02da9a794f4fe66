# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scope_mapping and scope_mapping_info: lifecycle, idempotence, check and diff modes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VERIFIED = 'return {\n    "email": request.user.email,\n    "email_verified": True,\n}\n'


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def test_lifecycle(authentik, run_module, unique):
    args = dict(name=unique, scope_name='email', expression=VERIFIED, description='verified email')

    authentik.reset_log()
    check = run_module('scope_mapping', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert check['diff']['before'] == {} and check['diff']['after']['scope_name'] == 'email'
    assert_no_writes(authentik)
    assert authentik.find(authentik.scope_path, name=unique) == []

    created = run_module('scope_mapping', args)
    assert created.changed and not created.failed, created.msg
    assert created['scope_mapping']['name'] == unique
    assert created['scope_mapping']['managed'] is None
    assert created['server_version'] == authentik.version
    stored = authentik.find(authentik.scope_path, name=unique)
    assert len(stored) == 1 and 'True' in stored[0]['expression']

    authentik.reset_log()
    again = run_module('scope_mapping', args)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)

    authentik.reset_log()
    update = run_module('scope_mapping', dict(args, description='changed'), diff=True)
    assert update.changed
    assert update['diff'] == {'before': {'description': 'verified email'}, 'after': {'description': 'changed'}}
    if authentik.writes() is not None:  # every server but one given by URL without its access log
        writes = authentik.writes()
        assert [w['method'] for w in writes] == ['PATCH']

    authentik.reset_log()
    check_delete = run_module('scope_mapping', dict(name=unique, state='absent'), check=True)
    assert check_delete.changed
    assert_no_writes(authentik)
    assert len(authentik.find(authentik.scope_path, name=unique)) == 1

    deleted = run_module('scope_mapping', dict(name=unique, state='absent'))
    assert deleted.changed and deleted['scope_mapping'] is None
    assert authentik.find(authentik.scope_path, name=unique) == []

    authentik.reset_log()
    gone = run_module('scope_mapping', dict(name=unique, state='absent'))
    assert not gone.changed
    assert_no_writes(authentik)


def test_trailing_whitespace_in_expression_is_no_change(authentik, run_module, unique):
    args = dict(name=unique, scope_name='groups', expression='return {"groups": [g.name for g in request.user.ak_groups.all()]}')
    assert run_module('scope_mapping', args).changed
    authentik.reset_log()
    assert not run_module('scope_mapping', dict(args, expression=args['expression'] + '\n\n')).changed
    assert_no_writes(authentik)
    run_module('scope_mapping', dict(name=unique, state='absent'))


def test_managed_mapping_is_refused(authentik, run_module):
    managed = authentik.find(authentik.scope_path, managed='goauthentik.io/providers/oauth2/scope-email')[0]
    authentik.reset_log()
    result = run_module('scope_mapping', dict(name=managed['name'], scope_name='email', expression=VERIFIED))
    assert result.failed and 'name' in result.msg and 'managed by authentik' in result.msg
    assert_no_writes(authentik)


def test_info_by_managed_id_name_and_scope(authentik, run_module):
    by_managed = run_module('scope_mapping_info', dict(managed=['goauthentik.io/providers/oauth2/scope-email',
                                                                'goauthentik.io/providers/oauth2/scope-profile']))
    assert sorted(m['scope_name'] for m in by_managed['scope_mappings']) == ['email', 'profile']
    email = [m for m in by_managed['scope_mappings'] if m['scope_name'] == 'email'][0]
    # The release's blueprint decides: False from 2025.10 (upstream PR #16206), True before.
    expected = 'False' if authentik.version_tuple >= (2025, 10) else 'True'
    assert '"email_verified": %s' % expected in email['expression']

    by_name = run_module('scope_mapping_info', dict(name=email['name']))
    assert [m['pk'] for m in by_name['scope_mappings']] == [email['pk']]

    by_scope = run_module('scope_mapping_info', dict(scope_name='profile'))
    assert all(m['scope_name'] == 'profile' for m in by_scope['scope_mappings']) and by_scope['scope_mappings']
    assert not by_scope.changed
