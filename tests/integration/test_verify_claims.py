# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oidc_verify names the claim kube-apiserver would reject, before asking the apiserver (which, from 1.34, logs only
"invalid bearer token"). authentik_oidc sets the provider up; the apiserver is a manifest file here (flags mode) or its
AuthenticationConfiguration (file mode); every case fails at the claim check, so no apiserver is needed.
The node tier runs the same role against a real kube-apiserver (tests/e2e/test_verify_claims.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from e2e.authentik_user import API, ensure_user
from integration.playbook_session import run_playbook

VERSIONS = ('2025.10.4',)
MANIFEST = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'kube-apiserver', 'namespace': 'kube-system'},
            'spec': {'containers': [{'name': 'kube-apiserver', 'image': 'registry.k8s.io/kube-apiserver:v1.34.4',
                                     'command': ['kube-apiserver', '--secure-port=6443']}]}}


class Site:
    """authentik_oidc applied once; oidc_verify run against manifest files that say what the apiserver trusts."""

    def __init__(self, authentik, directory):
        self.authentik, self.directory = authentik, directory
        self.connection = {'authentik_oidc_url': authentik.url, 'authentik_oidc_token': authentik.token,
                           'authentik_oidc_ca_path': authentik.ca_path or '',
                           # The application is closed to all but its access groups: the test user's group is one.
                           'authentik_oidc_access_groups': [{'name': 'verify-claims-admins'}]}
        rc, output = self.play('authentik_oidc', self.connection)
        assert rc == 0, output
        self.issuer = authentik.url + '/application/o/kubernetes/'
        self.user = ensure_user(API(authentik.url, authentik.token, authentik.ca_path), 'verify-claims', 'verify-claims@example.com',
                                'verify-claims-admins')

    def play(self, role, variables, name='play'):
        playbook = os.path.join(self.directory, name + '.json')
        with open(playbook, 'w') as handle:
            json.dump([{'name': 'Role under test', 'hosts': 'localhost', 'gather_facts': False, 'vars': variables,
                        'roles': ['kubeauth.authentik.' + role]}], handle)
        return run_playbook([playbook])

    def verify(self, flags=None, authn_config=None, **extra):
        """oidc_verify with the apiserver configured by these flags, or by this AuthenticationConfiguration."""
        manifest = json.loads(json.dumps(MANIFEST))
        command = manifest['spec']['containers'][0]['command']
        command += ['--%s=%s' % item for item in sorted((flags or {}).items())]
        if authn_config is not None:
            config = os.path.join(self.directory, 'authentication-config.json')
            with open(config, 'w') as handle:
                json.dump(authn_config, handle)
            command.append('--authentication-config=' + config)
        path = os.path.join(self.directory, 'kube-apiserver.json')
        with open(path, 'w') as handle:
            json.dump(manifest, handle)
        variables = dict(oidc_verify_issuer_url=self.issuer, oidc_verify_client_id='kubernetes',
                         oidc_verify_issuer_ca_file=self.authentik.ca_path or '', oidc_verify_username=self.user['username'],
                         oidc_verify_app_password=self.user['app_password'], oidc_verify_manifest=path,
                         oidc_verify_accepted_algs=['RS256'], oidc_verify_kubectl='/nonexistent/kubectl')
        variables.update(extra)
        return self.play('oidc_verify', variables, 'verify')

    def provider(self):
        return self.authentik.find('providers/oauth2/', name='kubernetes')[0]

    def patch_provider(self, **fields):
        self.authentik.api_json('PATCH', 'providers/oauth2/%s/' % self.provider()['pk'], json=fields)


@pytest.fixture(name='site', scope='module')
def site_fixture(authentik, tmp_path_factory):
    return Site(authentik, str(tmp_path_factory.mktemp('verify-claims')))


def flags(site, **changes):
    values = {'oidc-issuer-url': site.issuer, 'oidc-client-id': 'kubernetes', 'oidc-username-claim': 'email',
              'oidc-signing-algs': 'RS256'}
    values.update(changes)
    return values


def rejected_for(output):
    """The claims named in 'kube-apiserver would reject this token (...)', or None when the check passed."""
    marker = 'kube-apiserver would reject this token ('
    if marker not in output:
        return None
    return output.split(marker, 1)[1].split(')', 1)[0].split(', ')


def test_claims_that_look_right_reach_the_apiserver(site):
    """A good token passes the claim check; the run then stops at the apiserver this test has no kubectl for."""
    rc, output = site.verify(flags(site))
    assert rc != 0 and rejected_for(output) is None, output
    assert 'Ask the apiserver who the token is' in output


def test_audience_the_apiserver_does_not_accept(site):
    rc, output = site.verify(flags(site, **{'oidc-client-id': 'k8s-prod'}))
    assert rc != 0 and rejected_for(output) == ['aud'], output
    assert "for audience 'kubernetes', but kube-apiserver accepts 'k8s-prod'" in output and 'apiserver_oidc_client_id' in output
    assert "'Audience mismatch' in the troubleshooting guide" in output


def test_audience_in_the_authentication_configuration(site):
    config = {'apiVersion': 'apiserver.config.k8s.io/v1', 'kind': 'AuthenticationConfiguration', 'jwt': [{
        'issuer': {'url': site.issuer, 'audiences': ['other']},
        'claimMappings': {'username': {'expression': '"oidc:" + claims.email'}, 'groups': {'claim': 'groups', 'prefix': 'oidc:'}}}]}
    rc, output = site.verify(authn_config=config)
    assert rc != 0 and rejected_for(output) == ['aud'], output
    config['jwt'][0]['issuer']['audiences'] = ['kubernetes']
    rc, output = site.verify(authn_config=config)
    assert rejected_for(output) is None, output


def test_token_born_expired(site):
    kept = site.provider()['access_token_validity']
    site.patch_provider(access_token_validity='seconds=0')
    try:
        rc, output = site.verify(flags(site))
    finally:
        site.patch_provider(access_token_validity=kept)
    assert rc != 0 and rejected_for(output) == ['exp'], output
    assert 'authentik_oidc_access_token_validity' in output and 'gotcha' not in output


def test_managed_email_mapping_says_unverified(site):
    """authentik 2025.10's managed email mapping in place of the role's: email_verified false, named with its fix."""
    provider = site.provider()
    managed = site.authentik.find(site.authentik.scope_path, managed='goauthentik.io/providers/oauth2/scope-email')[0]
    custom = site.authentik.find(site.authentik.scope_path, name='kubernetes: email (verified)')[0]
    site.patch_provider(property_mappings=[pk for pk in provider['property_mappings'] if pk != custom['pk']] + [managed['pk']])
    try:
        rc, output = site.verify(flags(site))
        by_sub = site.verify(flags(site, **{'oidc-username-claim': 'sub'}))[1]
    finally:
        site.patch_provider(property_mappings=provider['property_mappings'])
    assert rc != 0 and rejected_for(output) == ['email_verified'], output
    assert 'email_verified false' in output and 'authentik_oidc_email_mapping_name' in output
    assert rejected_for(by_sub) is None, 'email_verified matters only when the user name is the email'
