# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""group: lifecycle, members by username, parents as the release spells them, the superuser guard, bad input."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def user(authentik, username):
    found = authentik.find('core/users/', username=username)
    return found[0] if found else authentik.api_json('POST', 'core/users/', json=dict(username=username, name=username))


def stored(authentik, name):
    found = authentik.find('core/groups/', name=name)
    assert len(found) <= 1
    return found[0] if found else None


def parents_of(authentik, group):
    """A group's parents in either spelling of the release."""
    if 'parents' in group:
        return sorted(group['parents'])
    return [group['parent']] if group['parent'] else []


@pytest.fixture
def names(authentik, run_module, unique):
    made = []

    def make(suffix=''):
        made.append(unique + suffix)
        return unique + suffix
    yield make
    for name in reversed(made):
        run_module('group', dict(name=name, state='absent'))


def test_lifecycle(authentik, run_module, names, unique):
    alice, bob = user(authentik, unique + '-alice'), user(authentik, unique + '-bob')
    name = names()
    args = dict(name=name, users=[alice['username']], attributes={'team': 'platform'})

    authentik.reset_log()
    check = run_module('group', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert check['diff']['before'] == {} and check['diff']['after']['users'] == [alice['pk']]
    assert_no_writes(authentik)
    assert stored(authentik, name) is None

    created = run_module('group', args)
    assert created.changed and not created.failed, created.msg
    assert created['members'] == [alice['username']] and created['group']['is_superuser'] is False
    assert stored(authentik, name)['users'] == [alice['pk']]

    authentik.reset_log()
    again = run_module('group', args)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)

    authentik.reset_log()
    members = run_module('group', dict(args, users=[bob['username'], alice['username']]), diff=True)
    assert members.changed and members['members'] == sorted([alice['username'], bob['username']])
    assert members['diff'] == {'before': {'users': [alice['pk']]}, 'after': {'users': sorted([alice['pk'], bob['pk']])}}
    if authentik.standin:
        assert [w['method'] for w in authentik.writes()] == ['PATCH']

    exact = run_module('group', dict(name=name, users=[bob['username']]))
    assert exact.changed and exact['members'] == [bob['username']], 'users is the exact member list'
    appended = run_module('group', dict(name=name, users=[alice['username']], append_users=True))
    assert appended.changed and appended['members'] == sorted([alice['username'], bob['username']])
    assert not run_module('group', dict(name=name, users=[bob['username']], append_users=True)).changed

    attributes = run_module('group', dict(name=name, attributes={'team': 'apps'}), diff=True)
    assert attributes['diff'] == {'before': {'attributes': {'team': 'platform'}}, 'after': {'attributes': {'team': 'apps'}}}

    authentik.reset_log()
    check_delete = run_module('group', dict(name=name, state='absent'), check=True)
    assert check_delete.changed
    assert_no_writes(authentik)
    assert stored(authentik, name) is not None

    deleted = run_module('group', dict(name=name, state='absent'))
    assert deleted.changed and deleted['group'] is None and stored(authentik, name) is None
    assert user(authentik, alice['username'])['pk'] == alice['pk'], 'members stay when their group goes'

    authentik.reset_log()
    assert not run_module('group', dict(name=name, state='absent')).changed
    assert_no_writes(authentik)


def test_parents_follow_the_release(authentik, run_module, names):
    parent, other, child = names('-parent'), names('-other'), names('-child')
    for name in (parent, other):
        assert run_module('group', dict(name=name)).changed
    created = run_module('group', dict(name=child, parents=[parent]))
    assert created.changed, created.msg
    parent_pk = stored(authentik, parent)['pk']
    assert parents_of(authentik, stored(authentik, child)) == [parent_pk]
    authentik.reset_log()
    assert not run_module('group', dict(name=child, parents=[parent])).changed
    assert_no_writes(authentik)

    two = run_module('group', dict(name=child, parents=[parent, other]))
    if 'parents' in stored(authentik, child):
        assert two.changed and not two.failed, two.msg
        assert parents_of(authentik, stored(authentik, child)) == sorted([parent_pk, stored(authentik, other)['pk']])
    else:
        assert two.failed and two.msg.startswith('parents:') and 'one parent' in two.msg
        assert parents_of(authentik, stored(authentik, child)) == [parent_pk]

    removed = run_module('group', dict(name=child, parents=[]))
    assert removed.changed and parents_of(authentik, stored(authentik, child)) == []


def test_superuser_needs_allow_superuser(authentik, run_module, names, unique):
    name = names()
    authentik.reset_log()
    refused = run_module('group', dict(name=name, is_superuser=True))
    assert refused.failed and refused.msg.startswith('is_superuser:') and 'allow_superuser' in refused.msg
    assert_no_writes(authentik)
    assert stored(authentik, name) is None

    allowed = run_module('group', dict(name=name, is_superuser=True, allow_superuser=True))
    assert allowed.changed and allowed['group']['is_superuser'] is True

    member = user(authentik, unique + '-member')
    authentik.reset_log()
    adding = run_module('group', dict(name=name, users=[member['username']]))
    assert adding.failed and adding.msg.startswith('users:') and 'allow_superuser' in adding.msg
    assert_no_writes(authentik)
    assert run_module('group', dict(name=name, users=[member['username']], allow_superuser=True)).changed
    assert not run_module('group', dict(name=name, is_superuser=False, users=[member['username']])).failed
