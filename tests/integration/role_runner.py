# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The authentik_oidc role through ansible-playbook, for the role's tests: run it, read its facts and task outcomes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from integration.playbook_session import playbook_env, run_playbook

FACTS = ('authentik_oidc_issuer_url', 'authentik_oidc_client_id', 'authentik_oidc_allowed_groups', 'authentik_oidc_issuer_pending')


def role_play(authentik, facts_file, role_vars):
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'roles': [{'role': 'kubeauth.authentik.authentik_oidc', 'vars': role_vars}],
        'post_tasks': [{'name': 'keep the facts', 'check_mode': False, 'diff': False, 'ansible.builtin.copy': {
            'dest': facts_file, 'mode': '0600',
            'content': '{{ %s | to_json }}' % ('{' + ', '.join("'%s': %s" % (f, f) for f in FACTS) + '}')}}],
    }]


def task_outcomes(output):
    """{task name: 'changed' | 'ok' | 'skipping' | 'failed'} of the localhost results (loop items count as changed if any is)."""
    outcomes, task = {}, None
    for line in output.splitlines():
        header = re.match(r'^TASK \[(.*)\]', line)
        if header:
            task = header.group(1)
            continue
        status = re.match(r'^(changed|ok|skipping|failed|fatal): \[localhost\]', line)
        if task and status and task != 'keep the facts':
            kind = 'failed' if status.group(1) == 'fatal' else status.group(1)
            if outcomes.get(task) != 'changed':
                outcomes[task] = kind
    return outcomes


def run_role(authentik, tmp_path, role_vars, *extra):
    facts = tmp_path / 'facts.json'
    if facts.exists():
        facts.unlink()
    book = tmp_path / 'role.yml'
    book.write_text(json.dumps(role_play(authentik, str(facts), role_vars)))
    rc, output = run_playbook([str(book)] + list(extra), playbook_env(AUTHENTIK_URL=authentik.url, AUTHENTIK_TOKEN=authentik.token),
                              timeout=600)
    loaded = json.loads(facts.read_text()) if facts.exists() else None
    return rc, output, loaded


def role_vars(authentik, unique, **more):
    base = dict(authentik_oidc_ca_path=authentik.ca_path or '', authentik_oidc_provider_name=unique, authentik_oidc_client_id=unique,
                authentik_oidc_application_slug=unique, authentik_oidc_application_name=unique,
                authentik_oidc_email_mapping_name=unique + ': email', authentik_oidc_access_groups=[{'name': unique + '-admins'}])
    base.update(more)
    return base
