# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""authentication_config through ansible-playbook, on files (the node tier proves the result by requests)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat

import yaml

AUTHENTIK = 'https://ak.example.com/application/o/kubernetes/'
OTHER = 'https://ak2.example.com/application/o/kubernetes/'
EXISTING = """# written by the platform team
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /livez
jwt:
- issuer:
    url: https://token.ci.example.com
    audiences: [ci]
  claimMappings:
    username: {claim: sub, prefix: "ci:"}
"""


def own(url=AUTHENTIK, prefix='oidc:'):
    return {'issuer': {'url': url, 'audiences': ['kubernetes']},
            'claimMappings': {'username': {'expression': '"%s" + claims.email' % prefix},
                              'groups': {'claim': 'groups', 'prefix': 'oidc:'}}}


def sha256(path):
    with open(str(path), 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_merge_check_diff_backup_and_idempotence(run_local, tmp_path):
    directory = tmp_path / 'authn'
    directory.mkdir()
    path = directory / 'config.yaml'
    path.write_text(EXISTING)
    backups = tmp_path / 'backups'
    args = dict(path=str(path), authenticators=[own()], backup_dir=str(backups))

    check = run_local('authentication_config', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert path.read_text() == EXISTING and not backups.exists(), 'check mode writes nothing'
    assert check['changed_issuers'] == [AUTHENTIK]
    assert AUTHENTIK in check['diff']['after'] and check['diff']['before'] == ''
    assert 'token.ci.example.com' not in check['diff']['after'], 'the diff shows only the entries that change'

    merged = run_local('authentication_config', args, diff=True)
    assert merged.changed and merged['path'] == str(path)
    assert merged['sha256'] == sha256(path) == check['sha256']
    assert open(merged['backup_file']).read() == EXISTING, 'the previous content is kept for a restore'
    assert os.path.dirname(merged['backup_file']) == str(backups)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert sorted(os.listdir(str(directory))) == ['config.yaml'], 'no temporary file left beside it'
    config = yaml.safe_load(path.read_text())
    assert config['apiVersion'] == 'apiserver.config.k8s.io/v1beta1', 'the file keeps its apiVersion'
    assert config['anonymous'] == {'enabled': True, 'conditions': [{'path': '/livez'}]}
    assert [e['issuer']['url'] for e in config['jwt']] == ['https://token.ci.example.com', AUTHENTIK]
    assert merged['issuers'] == ['https://token.ci.example.com', AUTHENTIK]

    inode = os.stat(str(path)).st_ino
    again = run_local('authentication_config', args)
    assert not again.changed and 'backup_file' not in again.result and again['sha256'] == sha256(path)
    assert os.stat(str(path)).st_ino == inode, 'a second run writes nothing'

    updated = run_local('authentication_config', dict(args, authenticators=[own(prefix='new:')], keep_inode=True), diff=True)
    assert updated.changed and updated['changed_issuers'] == [AUTHENTIK]
    assert '"oidc:" + claims.email' in updated['diff']['before'] and '"new:"' in updated['diff']['after']
    assert 'token.ci' not in updated['diff']['before'] + updated['diff']['after']
    assert os.stat(str(path)).st_ino == inode, 'keep_inode writes into the mounted file itself'

    removed = run_local('authentication_config', dict(args, state='absent'), diff=True)
    assert removed.changed and removed['issuers'] == ['https://token.ci.example.com']
    assert yaml.safe_load(path.read_text()) == yaml.safe_load(EXISTING), 'removing takes away only its own entry'
    assert not run_local('authentication_config', dict(args, state='absent')).changed


def test_new_file_and_migration_between_issuers(run_local, tmp_path):
    path = tmp_path / 'kubeauth-authn' / 'authentication-config.yaml'
    created = run_local('authentication_config', dict(path=str(path), authenticators=[own()],
                                                      api_version='apiserver.config.k8s.io/v1beta1'))
    assert created.changed and 'backup_file' not in created.result
    assert yaml.safe_load(path.read_text()) == {'apiVersion': 'apiserver.config.k8s.io/v1beta1',
                                                'kind': 'AuthenticationConfiguration', 'jwt': [own()]}
    both = run_local('authentication_config', dict(path=str(path), authenticators=[own(OTHER), own()]))
    assert both['issuers'] == [AUTHENTIK, OTHER]
    moved = run_local('authentication_config', dict(path=str(path), authenticators=[own(OTHER)], remove_issuers=[AUTHENTIK]),
                      diff=True)
    assert moved['issuers'] == [OTHER] and moved['changed_issuers'] == [AUTHENTIK]
    assert AUTHENTIK in moved['diff']['before'] and moved['diff']['after'] == ''


def test_record_replaces_a_changed_issuer_and_keeps_foreign_entries(run_local, tmp_path):
    path = tmp_path / 'config.yaml'
    path.write_text(EXISTING)
    record = tmp_path / 'state' / 'issuers.json'
    first = run_local('authentication_config', dict(path=str(path), authenticators=[own()], record=str(record)))
    assert first['issuers'] == ['https://token.ci.example.com', AUTHENTIK]
    check = run_local('authentication_config', dict(path=str(path), authenticators=[own(OTHER)], record=str(record)), check=True)
    assert check.changed and check['issuers'] == ['https://token.ci.example.com', OTHER]
    moved = run_local('authentication_config', dict(path=str(path), authenticators=[own(OTHER)], record=str(record)), diff=True)
    assert moved['issuers'] == ['https://token.ci.example.com', OTHER], 'the issuer it put in before is replaced, not kept'
    assert sorted(moved['changed_issuers']) == sorted([AUTHENTIK, OTHER])
    assert not run_local('authentication_config', dict(path=str(path), authenticators=[own(OTHER)], record=str(record))).changed
    record.write_text('{"not": "a list"}')
    broken = run_local('authentication_config', dict(path=str(path), authenticators=[own()], record=str(record)))
    assert broken.failed and broken.msg.startswith('record:')


def test_bad_input_changes_nothing(run_local, tmp_path):
    path = tmp_path / 'config.yaml'
    path.write_text(EXISTING)
    no_audience = run_local('authentication_config', dict(path=str(path), authenticators=[{'issuer': {'url': AUTHENTIK}}]))
    assert no_audience.failed and no_audience.msg.startswith('authenticators[0]:') and 'audiences' in no_audience.msg
    twice = run_local('authentication_config', dict(path=str(path), authenticators=[own(), own()]))
    assert twice.failed and 'twice' in twice.msg
    pod = tmp_path / 'pod.yaml'
    pod.write_text('apiVersion: v1\nkind: Pod\n')
    wrong = run_local('authentication_config', dict(path=str(pod), authenticators=[own()]))
    assert wrong.failed and wrong.msg.startswith('path:') and 'kind' in wrong.msg
    assert path.read_text() == EXISTING and pod.read_text() == 'apiVersion: v1\nkind: Pod\n'
