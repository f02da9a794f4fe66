# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Eight identical runs at once (several clusters' pipelines, or delegate_to: localhost without run_once) all succeed.

The runs wait at a barrier until all eight are up, and the stand-in answers creates after a
delay (as a busy server does), so every run's lookup finds nothing and every run sends its
create: the server keeps one object of each (unique mapping name, provider name and client id,
application slug, group name) and refuses the other creates with 400 "... already exists"; the
losers find the object and converge to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os
import subprocess
import sys
import time

from integration.playbook_session import playbook_env

RUNS = 8
# Seconds the stand-in holds each create: longer than the runs' start-up spread after the barrier.
CREATE_LATENCY = 3
VERSIONS = ('2025.10.4',)


def playbook(authentik, name, barrier, ready):
    connection = dict(authentik_url=authentik.url, authentik_token=authentik.token)
    if authentik.ca_path:
        connection['ca_path'] = authentik.ca_path
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/kubeauth.authentik.authentik': connection},
        'tasks': [
            {'name': 'ready', 'ansible.builtin.file': {'path': ready, 'state': 'touch', 'mode': '0600'}},
            {'name': 'barrier', 'ansible.builtin.wait_for': {'path': barrier, 'timeout': 300}},
            {'name': 'mapping', 'kubeauth.authentik.scope_mapping': {
                'name': name + '-email', 'scope_name': 'email', 'expression': 'return {"email": request.user.email, "email_verified": True}'}},
            {'name': 'provider', 'kubeauth.authentik.oauth2_provider': {
                'name': name, 'client_id': name, 'authorization_flow': 'default-provider-authorization-implicit-consent',
                'signing_key': 'authentik Self-signed Certificate', 'property_mappings': [name + '-email'],
                'redirect_uris': [{'url': 'http://localhost:.*', 'matching_mode': 'regex'}]}},
            {'name': 'application', 'kubeauth.authentik.application': {'name': name, 'slug': name, 'provider': name}},
            {'name': 'group', 'kubeauth.authentik.group': {'name': name}},
        ],
    }]


def test_concurrent_runs_converge(authentik, tmp_path, unique):
    barrier = tmp_path / 'go'
    env = playbook_env()  # concurrent runs, so ansible-playbook processes of their own, not the fork server
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')]
    authentik.reset_log()
    runs = []
    for index in range(RUNS):
        book = tmp_path / ('play-%d.yml' % index)
        book.write_text(json.dumps(playbook(authentik, unique, str(barrier), str(tmp_path / ('ready-%d' % index)))))
        runs.append(subprocess.Popen(command + [str(book)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     universal_newlines=True))
    deadline = time.time() + 300
    while len(list(tmp_path.glob('ready-*'))) < RUNS and time.time() < deadline:
        time.sleep(0.2)
    if authentik.standin:
        authentik.http.post(authentik.url + '/_standin/latency', json=dict(method='POST', seconds=CREATE_LATENCY),
                            timeout=30, verify=authentik.verify).raise_for_status()
    barrier.write_text('go')
    try:
        outputs = [run.communicate(timeout=600)[0] for run in runs]
    finally:
        if authentik.standin:
            authentik.http.post(authentik.url + '/_standin/latency', json=dict(method='POST', seconds=0), timeout=30,
                                verify=authentik.verify)
    failed = [out for run, out in zip(runs, outputs) if run.returncode != 0]
    assert not failed, 'a concurrent run failed:\n' + failed[0][-3000:]

    assert len(authentik.find(authentik.scope_path, name=unique + '-email')) == 1
    assert len(authentik.find('providers/oauth2/', name=unique)) == 1
    assert len(authentik.find('core/applications/', slug=unique)) == 1
    assert len(authentik.find('core/groups/', name=unique)) == 1
    writes = authentik.writes()
    if writes is not None:
        created = collections.Counter(w['path'] for w in writes if w['method'] == 'POST' and w['status'] == 201)
        refused = [w for w in writes if w['method'] == 'POST' and w['status'] == 400]
        assert sorted(created.values()) == [1, 1, 1, 1] and len(created) == 4, 'an object was created twice: %r' % created
        # Proof that the runs really raced (the stand-in's latency makes sure): creates were refused as
        # duplicates, and every run still passed.
        assert refused or not authentik.standin, 'no create was refused: the runs did not overlap'
        print('%d creates, %d refused as duplicates' % (sum(created.values()), len(refused)))
        assert not [w for w in writes if w['method'] in ('PUT', 'DELETE')]
