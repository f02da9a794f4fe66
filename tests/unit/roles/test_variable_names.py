# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A registered result outranks a task's vars in Ansible: once a task registers a name on a host, every later task
on that host that sets the same name in its vars (or reads it from the role's defaults or a set_fact) gets the
registered result instead. So no role registers a name that the role also sets another way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'roles')


def tasks_of(items):
    """Every task in a list of tasks, blocks opened (block, rescue, always)."""
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from tasks_of(task.get(key))


def names_in(role, roles=ROLES):
    """(registered: {name: [where, ...]}, set otherwise: {name: [where, ...]}) for one role."""
    registered, other = {}, {}
    for folder in ('tasks', 'handlers'):
        path = os.path.join(roles, role, folder)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            with open(os.path.join(path, name)) as handle:
                for task in tasks_of(yaml.safe_load(handle)):
                    where = '%s/%s: %s' % (folder, name, task.get('name', '(unnamed)'))
                    if task.get('register'):
                        registered.setdefault(task['register'], []).append(where)
                    for key in (task.get('vars') or {}):
                        other.setdefault(key, []).append(where + ' (vars)')
                    for key in (task.get('ansible.builtin.set_fact') or {}):
                        if key != 'cacheable':
                            other.setdefault(key, []).append(where + ' (set_fact)')
                    loop_var = (task.get('loop_control') or {}).get('loop_var')
                    if loop_var:
                        other.setdefault(loop_var, []).append(where + ' (loop_var)')
    for folder in ('defaults', 'vars'):
        path = os.path.join(roles, role, folder, 'main.yml')
        if os.path.exists(path):
            with open(path) as handle:
                for key in (yaml.safe_load(handle) or {}):
                    other.setdefault(key, []).append('%s/main.yml' % folder)
    return registered, other


@pytest.mark.parametrize('role', sorted(os.listdir(ROLES)))
def test_no_register_shares_a_name(role):
    registered, other = names_in(role)
    clashes = dict((name, registered[name] + other[name]) for name in registered if name in other)
    assert not clashes, 'registered names also set another way (rename the register): %r' % clashes


def test_the_check_finds_a_clash(tmp_path):
    # The shape that broke the apiserver_oidc rescue: one file registers a name another file sets in a task's vars.
    tasks = tmp_path / 'demo' / 'tasks'
    tasks.mkdir(parents=True)
    (tasks / 'a.yml').write_text('- name: Find\n  ansible.builtin.command: "true"\n  register: demo_container\n')
    (tasks / 'b.yml').write_text('- block:\n    - name: Use\n      ansible.builtin.debug:\n        msg: x\n'
                                 '      vars:\n        demo_container: 1\n')
    registered, other = names_in('demo', str(tmp_path))
    assert registered == {'demo_container': ['tasks/a.yml: Find']}
    assert other == {'demo_container': ['tasks/b.yml: Use (vars)']}
