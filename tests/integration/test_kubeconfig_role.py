# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oidc_kubeconfig role's login methods: the kubelogin arguments each one writes, offline_access on and off, and
bad input refused before the kubeconfig is touched. No authentik needed: the issuer and the cluster CA are given."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from integration.playbook_session import run_playbook

ISSUER = 'https://authentik.example.com/application/o/kubernetes/'
CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


def run(tmp_path, **role_vars):
    """(rc, output, exec args or None) of the role alone writing tmp_path/kubeconfig."""
    kubeconfig = tmp_path / 'kubeconfig'
    variables = dict({'oidc_kubeconfig_path': str(kubeconfig), 'oidc_kubeconfig_issuer_url': ISSUER,
                      'oidc_kubeconfig_cluster_ca_pem': CA_PEM, 'oidc_kubeconfig_server': 'https://127.0.0.1:6443'}, **role_vars)
    book = tmp_path / 'kubeconfig.yml'
    book.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False,
                                 'roles': [{'role': 'kubeauth.authentik.oidc_kubeconfig', 'vars': variables}]}]))
    rc, output = run_playbook([str(book)])
    args = None
    if kubeconfig.exists():
        args = yaml.safe_load(kubeconfig.read_text())['users'][0]['user']['exec']['args']
    return rc, output, args


def test_authcode_by_default_with_offline_access(tmp_path):
    rc, output, args = run(tmp_path)
    assert rc == 0, output[-3000:]
    assert args == ['oidc-login', 'get-token', '--oidc-issuer-url=' + ISSUER, '--oidc-client-id=kubernetes', '--grant-type=authcode',
                    '--oidc-pkce-method=S256', '--oidc-extra-scope=email', '--oidc-extra-scope=profile', '--oidc-extra-scope=groups',
                    '--oidc-extra-scope=offline_access']


def test_device_code_without_offline_access(tmp_path):
    rc, output, args = run(tmp_path, oidc_kubeconfig_login_method='device-code', oidc_kubeconfig_offline_access=False)
    assert rc == 0, output[-3000:]
    assert '--grant-type=device-code' in args and '--skip-open-browser' in args
    assert not [a for a in args if 'pkce' in a or 'offline_access' in a], args


def test_password_names_the_user(tmp_path):
    rc, output, args = run(tmp_path, oidc_kubeconfig_login_method='password', oidc_kubeconfig_username='ci-deployer')
    assert rc == 0, output[-3000:]
    assert '--grant-type=password' in args and '--username=ci-deployer' in args
    assert not [a for a in args if a.startswith('--password')], 'a password in the kubeconfig'


@pytest.mark.parametrize('bad, option', [
    (dict(oidc_kubeconfig_login_method='browser'), 'oidc_kubeconfig_login_method'),
    (dict(oidc_kubeconfig_login_method='password'), 'oidc_kubeconfig_username'),
    (dict(oidc_kubeconfig_offline_access='maybe'), 'oidc_kubeconfig_offline_access'),
])
def test_bad_input_writes_nothing(tmp_path, bad, option):
    rc, output, args = run(tmp_path, **bad)
    assert rc != 0 and option in output, output[-3000:]
    assert args is None and not (tmp_path / 'kubeconfig').exists()
