# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end on the real node: a real RS256 token from the authentik stand-in, accepted by a real kube-apiserver.

site -> verify -> site again (no change, no restart) -> rollback -> verify fails as it should -> site -> verify;
and the negative case: with authentik's managed email mapping (email_verified False) the apiserver rejects
the token and verify says why.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from e2e.runner import run_playbook
from e2e.stack import apiserver_container_id, kubeadm_cluster_configuration, recap

pytestmark = pytest.mark.node
# `stack` (conftest.py): one node and one stand-in for every end-to-end module.


def test_site_verify_idempotence_and_rollback(stack):
    rc, output = stack.playbook('site.yml')
    assert rc == 0, 'site.yml failed'
    container = apiserver_container_id()
    # kubeadm upgrade regenerates the manifest from this: the OIDC flags must be there too, in the form of the
    # cluster's kubeadm API (v1beta4 from 1.31: a list of name/value; v1beta3 before: a map).
    cluster = yaml.safe_load(kubeadm_cluster_configuration())
    extra_args = cluster['apiServer']['extraArgs']
    if isinstance(extra_args, list):
        extra_args = dict((arg['name'], arg['value']) for arg in extra_args)
    assert extra_args.get('oidc-issuer-url', '').startswith(stack.standin.url), extra_args

    rc, output = stack.playbook('verify.yml')
    assert rc == 0, 'verify.yml failed'
    assert 'kubectl auth whoami: oidc:k8s-e2e@example.com groups=oidc:k8s-admins' in output

    # The generated user kubeconfig, driven by real kubectl through its exec plugin.
    whoami = stack.user_kubectl('auth', 'whoami', '-o', 'json')
    assert whoami.returncode == 0, whoami.stderr
    user_info = json.loads(whoami.stdout)['status']['userInfo']
    assert user_info['username'] == 'oidc:k8s-e2e@example.com' and 'oidc:k8s-admins' in user_info['groups']
    assert stack.user_kubectl('get', 'namespaces').returncode == 0, 'the RBAC binding of the group does not work'

    mark = stack.standin.mark()
    rc, output = stack.playbook('site.yml')
    assert rc == 0
    assert recap(output, 'node1')['changed'] == 0 and recap(output, 'localhost')['changed'] == 0
    assert apiserver_container_id() == container, 'a run with nothing to change restarted the apiserver'
    # What authentik received (its request log or TLS front access log), not the changed flags.
    assert stack.standin.writes_since(mark) == [], 'the second site.yml run sent API writes'

    rc, output = stack.playbook('rollback.yml')
    assert rc == 0, 'rollback.yml failed'
    assert apiserver_container_id() != container

    rc, output = stack.playbook('verify.yml')
    assert rc != 0, 'verify passed on an apiserver without OIDC settings'
    assert 'apiserver_oidc_issuer_url' in output

    rc, output = stack.playbook('site.yml')
    assert rc == 0
    rc, output = stack.playbook('verify.yml')
    assert rc == 0, 'verify.yml failed after the site was applied again'


def test_managed_email_mapping_is_rejected_and_explained(stack):
    """authentik 2025.10's managed email mapping says email_verified False: verify names the fix."""
    provider = stack.api.first('providers/oauth2/', name='kubernetes')
    managed = stack.api.first('propertymappings/provider/scope/', managed='goauthentik.io/providers/oauth2/scope-email')
    custom = stack.api.first('propertymappings/provider/scope/', name='kubernetes: email (verified)')
    mappings = [pk for pk in provider['property_mappings'] if pk != custom['pk']] + [managed['pk']]
    stack.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'property_mappings': mappings})
    try:
        rc, output = stack.playbook('verify.yml')
        assert rc != 0, 'a token with email_verified false was accepted'
        assert 'email_verified false' in output and "'Email not verified' in the troubleshooting guide" in output
        assert 'authentik_oidc_email_mapping_name' in output
    finally:
        rc, output = stack.playbook('site.yml')
        assert rc == 0, 'site.yml did not put the verified mapping back'
    rc, output = stack.playbook('verify.yml')
    assert rc == 0


def test_site_through_ansible_runner(stack, tmp_path):
    """AWX and Automation Controller run site.yml through ansible-runner: the same stack, the same outcome."""
    result = run_playbook(stack, str(tmp_path / 'runner'), 'site.yml')
    assert (result.status, result.rc) == ('successful', 0), result.stdout.read()
    assert not result.stats['failures'] and not result.stats['dark']
    ran = {(event['event_data'].get('host'), event['event_data'].get('role'))
           for event in result.events if event['event'] == 'runner_on_ok'}
    assert {('localhost', 'authentik_oidc'), ('node1', 'apiserver_oidc'), ('node1', 'oidc_rbac'),
            ('localhost', 'oidc_kubeconfig')} <= ran


def test_requests_fit_the_release_schema(stack):
    """Every API request the playbooks sent in this session validates against the release's OpenAPI schema
    (the stand-in checks them as they arrive; a real server's are read back from its front's access log)."""
    assert stack.standin.request_violations_since(stack.started) == []
