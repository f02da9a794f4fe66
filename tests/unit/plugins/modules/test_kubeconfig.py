# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubeconfig merge: replaces by name, never clobbers other entries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeauth.authentik.plugins.modules.kubeconfig import merged, skeleton

PARAMS = dict(state='present', cluster_name='prod', cluster={'server': 'https://k8s:6443'}, user_name='oidc',
              user={'exec': {'command': 'kubectl', 'args': ['oidc-login', 'get-token']}}, namespace=None, current_context=False)


def other_config():
    config = skeleton()
    config['clusters'].append({'name': 'dev', 'cluster': {'server': 'https://dev:6443'}})
    config['users'].append({'name': 'admin', 'user': {'token': 'x'}})
    config['contexts'].append({'name': 'admin@dev', 'context': {'cluster': 'dev', 'user': 'admin'}})
    config['current-context'] = 'admin@dev'
    return config


def test_merge_keeps_other_contexts_and_current_context():
    out = merged(other_config(), PARAMS, 'oidc@prod')
    assert [c['name'] for c in out['contexts']] == ['admin@dev', 'oidc@prod']
    assert out['current-context'] == 'admin@dev'
    assert {'name': 'admin', 'user': {'token': 'x'}} in out['users']


def test_merge_is_idempotent_and_replaces_by_name():
    once = merged(other_config(), PARAMS, 'oidc@prod')
    assert merged(once, PARAMS, 'oidc@prod') == once
    moved = merged(once, dict(PARAMS, cluster={'server': 'https://new:6443'}), 'oidc@prod')
    assert [c for c in moved['clusters'] if c['name'] == 'prod'] == [{'name': 'prod', 'cluster': {'server': 'https://new:6443'}}]
    assert len(moved['clusters']) == 2


def test_current_context_and_absent():
    out = merged(other_config(), dict(PARAMS, current_context=True), 'oidc@prod')
    assert out['current-context'] == 'oidc@prod'
    gone = merged(out, dict(PARAMS, state='absent'), 'oidc@prod')
    assert [c['name'] for c in gone['contexts']] == ['admin@dev'] and gone['current-context'] == ''
