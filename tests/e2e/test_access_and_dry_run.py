# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""On the real node with an authentik that has none of the objects yet: the dry run tells the truth, and only the
groups that may log in get a token.

`site.yml --check --diff` exits 0, reports every authentik object, the manifest, the RBAC bindings and the kubeconfig as
changes, sends no write to authentik, leaves the manifest byte for byte and writes no kubeconfig; the real run then
changes what the dry run said (plus the steps check mode cannot run). A user in an allowed group passes verify.yml;
one outside gets no token, and verify.yml says why.

This module runs first among the end-to-end tests (file order), while the session's node is fresh.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import uuid

import pytest
import requests

from e2e.stack import TEST_USER, Stack, node_env

pytestmark = pytest.mark.node

# Names of their own, so that the objects are new on a real server too (KUBEAUTH_E2E_AUTHENTIK=real:...).
SUFFIX = uuid.uuid4().hex[:6]
APP = 'kubernetes-' + SUFFIX
ALLOWED_GROUP = 'k8s-e2e-allowed-' + SUFFIX
OUTSIDER = 'k8s-e2e-outsider-' + SUFFIX


@pytest.fixture(scope='module')
def fresh(stack, tmp_path_factory):  # pylint: disable=unused-argument  # the session's stack brings the node up
    """An authentik of its own (a new stand-in) without any of the role's objects: the test user and its app password only."""
    own = Stack(str(tmp_path_factory.mktemp('fresh')))
    with open(own.inventory) as handle:
        inventory = json.load(handle)
    inventory['all']['vars'].update({
        'authentik_oidc_provider_name': APP, 'authentik_oidc_client_id': APP, 'authentik_oidc_application_slug': APP,
        'authentik_oidc_application_name': APP, 'authentik_oidc_email_mapping_name': APP + ': email (verified)',
        'authentik_oidc_access_groups': [{'name': ALLOWED_GROUP, 'users': [TEST_USER['username']], 'role': 'cluster-admin'}],
    })
    with open(own.inventory, 'w') as handle:
        json.dump(inventory, handle, indent=1)
    try:
        yield own
    finally:
        own.stop()


def outcomes(output):
    """{(host, task): 'changed' | 'ok' | 'skipping' | 'failed'} from ansible-playbook's default output."""
    found, task = {}, None
    for line in output.splitlines():
        header = re.match(r'^TASK \[(.*)\] \**$', line)
        if header:
            task = header.group(1)
            continue
        status = re.match(r'^(changed|ok|skipping|failed|fatal): \[([^\]]+)\]', line)
        if task and status:
            kind = 'failed' if status.group(1) == 'fatal' else status.group(1)
            key = (status.group(2).split(' ')[0], task)
            if found.get(key) != 'changed':
                found[key] = kind
    return found


def changed(found):
    return set(key for key, kind in found.items() if kind == 'changed')


def read_manifest():
    with open(node_env()['apiserver_manifest'], 'rb') as handle:
        return handle.read()


def test_dry_run_on_a_fresh_setup_then_the_real_run(fresh):
    manifest = read_manifest()
    assert b'--oidc-issuer-url' not in manifest and b'--authentication-config' not in manifest, \
        'the node is not fresh: another test configured OIDC before this module ran'
    mark = fresh.standin.mark()

    rc, dry = fresh.playbook('site.yml', '--check', '--diff')
    assert rc == 0, 'site.yml --check failed'
    writes = fresh.standin.writes_since(mark)
    assert writes == [], 'the dry run wrote to authentik: %r' % writes
    assert read_manifest() == manifest, 'the dry run changed the manifest'
    assert not os.path.exists(fresh.user_kubeconfig), 'the dry run wrote the kubeconfig'
    would = changed(outcomes(dry))
    expected = [('localhost', 'Email mapping that says email_verified True'),
                ('localhost', 'OAuth2 provider, signed with a real key, public client, regex redirect URIs'),
                ('localhost', 'Application that gives the provider its issuer URL'),
                ('localhost', 'Each group that may log in'),
                ('localhost', 'Bind each group to the application (unbind removed ones; none when every user may log in)'),
                ('node1', 'Render the desired manifest into the staging copy and compare it with the running one'),
                ('node1', 'Render the bindings'),
                ('localhost', 'Merge the cluster, the kubelogin user and the context')]
    for host, task in expected:
        assert any(h == host and t.endswith(task) for h, t in would), 'the dry run did not report %s on %s' % (task, host)
    issuer = fresh.standin.url + '/application/o/%s/' % APP
    assert '--oidc-issuer-url=' + issuer in dry, 'the dry run does not show the manifest with the issuer to be'

    rc, real = fresh.playbook('site.yml', '--diff')
    assert rc == 0, 'site.yml failed after its dry run'
    real_outcomes, dry_outcomes = outcomes(real), outcomes(dry)
    did = changed(real_outcomes)
    # Everything the dry run announced happened (its kubectl diff step only reports, in check mode) ...
    announced = set(key for key in would if not key[1].endswith('Compare with the cluster'))
    assert announced <= did, 'announced but not done: %r' % sorted(announced - did)
    # ... and every other change of the real run is a step check mode skips (restart cycle, kubectl apply).
    unannounced = [key for key in did - would if dry_outcomes.get(key) not in (None, 'skipping')]
    assert unannounced == [], 'changed without being announced: %r' % unannounced
    assert ('--oidc-issuer-url=' + issuer).encode() in read_manifest()


def test_allowed_and_refused_user(fresh):
    rc, output = fresh.playbook('verify.yml')
    assert rc == 0, 'verify.yml failed for a member of %s' % ALLOWED_GROUP
    assert 'kubectl auth whoami: oidc:%s' % TEST_USER['email'] in output

    user = fresh.api.call('POST', 'core/users/', json=dict(username=OUTSIDER, name='Outsider', email=OUTSIDER + '@example.com'))
    fresh.api.call('POST', 'core/tokens/', json=dict(identifier=OUTSIDER + '-pw', intent='app_password', user=user['pk'], expiring=False))
    password = fresh.api.call('GET', 'core/tokens/%s-pw/view_key/' % OUTSIDER)['key']
    token = requests.post(fresh.standin.url + '/application/o/token/', verify=fresh.standin.ca_path, timeout=30, data=dict(
        grant_type='password', client_id=APP, username=OUTSIDER, password=password, scope='openid email'))
    assert token.status_code == 400 and token.json()['error'] == 'invalid_grant', 'a user outside the groups got a token'

    rc, output = fresh.playbook('verify.yml', '-e', 'oidc_verify_username=' + OUTSIDER, '-e', 'oidc_verify_app_password=' + password)
    assert rc != 0, 'verify.yml passed for a user outside the allowed groups'
    assert 'authentik does not let %s log in to application %s' % (OUTSIDER, APP) in output
    assert 'only members of %s may' % ALLOWED_GROUP in output and 'is in no group' in output
