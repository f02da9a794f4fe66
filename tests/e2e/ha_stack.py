# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site playbook's stack on the HA cluster: the authentik stand-in where the nodes reach it, an inventory
that reaches the control-plane nodes over SSH with become, and the test user's token.

The cluster is tests/node's (`node.py up --nodes 3`): `facts` is its `node.py env --nodes 3`. Used by the HA
rollout tests (tests/node/test_rollout_ha.py), the rollout bench and `scripts/demo.sh --ha`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
import subprocess
import sys
import time

import requests
import yaml

import standin  # tests/ is the import root
from e2e.authentik_user import API, ensure_user
from e2e.stack import ROOT, TEST_USER, Stack, recap


class HAStack(Stack):
    """A stand-in bound to the controller's address on the nodes' bridge, and an SSH inventory of the nodes."""

    def __init__(self, state_dir, facts, version='2025.10.4'):  # pylint: disable=super-init-not-called
        self.state_dir = state_dir
        self.facts = facts
        os.makedirs(state_dir, exist_ok=True)
        # kube-apiserver on each node fetches the issuer's discovery document and JWKS: it must listen where the
        # nodes reach this machine, and authentik states the issuer from the address it is reached by.
        self.standin = standin.start(version=version, state_dir=os.path.join(state_dir, 'standin'),
                                     bind=facts['controller_address'])
        self.api = API(self.standin.url, self.standin.token, self.standin.ca_path)
        self.user = ensure_user(self.api, TEST_USER['username'], TEST_USER['email'], TEST_USER['group'])
        self.issuer = self.standin.url + '/application/o/kubernetes/'
        self.inventory = os.path.join(state_dir, 'inventory.yml')
        self.secrets = os.path.join(state_dir, 'secrets.yml')
        self.user_kubeconfig = os.path.join(state_dir, 'user-kubeconfig')
        self.write_inventory()

    def group_vars(self):
        node = self.facts['node_side']
        first = self.facts['nodes'][0]
        return {
            # One SSH round trip per task instead of several: what an Ansible user sets for a fleet.
            'ansible_pipelining': True,
            'authentik_oidc_url': self.standin.url,
            'authentik_oidc_ca_path': self.standin.ca_path,
            # Only the test user's group may log in (the application is bound to it).
            'authentik_oidc_access_groups': [{'name': TEST_USER['group']}],
            'apiserver_oidc_ca_bundle': self.standin.ca_path,
            # The rollout tests check the --oidc-* flags and a restart per node.
            'apiserver_oidc_mode': 'flags',
            'apiserver_oidc_kubectl': node['kubectl'], 'apiserver_oidc_crictl': node['crictl'],
            'apiserver_oidc_crictl_config': node['crictl_config'], 'apiserver_oidc_persist_kubeadm_config': True,
            'oidc_rbac_kubectl': node['kubectl'],
            'oidc_rbac_bindings': [{'name': 'oidc-e2e-admins', 'role': 'cluster-admin', 'groups': [TEST_USER['group']]}],
            'oidc_kubeconfig_path': self.user_kubeconfig, 'oidc_kubeconfig_server': self.facts['lb_url'],
            'oidc_kubeconfig_issuer_ca_file': self.standin.ca_path,
            'oidc_kubeconfig_extra_args': ['--grant-type=password', '--username=' + TEST_USER['username'],
                                           '--password={{ oidc_verify_app_password }}'],
            'oidc_verify_kubectl': node['kubectl'], 'oidc_verify_crictl': node['crictl'],
            'oidc_verify_crictl_config': node['crictl_config'],
            # The first node's own apiserver, by the address its serving certificate names.
            'oidc_verify_apiserver_url': first['apiserver_url'],
            'oidc_verify_username': TEST_USER['username'],
            'oidc_verify_expected_username': 'oidc:' + TEST_USER['email'],
            'oidc_verify_expected_groups': ['oidc:' + TEST_USER['group']],
        }

    def write_inventory(self, host_vars=None, group_vars=None):
        """The cluster's own SSH inventory (ansible_host, ssh, become, the node's Python) plus the site's
        variables; host_vars {node: {var: value}} for one node only (a fault injected on that node)."""
        with open(self.facts['inventory'], encoding='utf-8') as handle:
            inventory = copy.deepcopy(yaml.safe_load(handle))
        control_plane = inventory['all']['children']['control_plane']
        for host, values in (host_vars or {}).items():
            control_plane['hosts'][host] = dict(control_plane['hosts'][host] or {}, **values)
        inventory['all'].setdefault('vars', {}).update(self.group_vars(), **(group_vars or {}))
        with open(self.inventory, 'w', encoding='utf-8') as handle:
            json.dump(inventory, handle, indent=1)
        fd = os.open(self.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'authentik_oidc_token': self.standin.token, 'oidc_verify_app_password': self.user['app_password']},
                      handle)

    def authentik_side(self):
        """site.yml's first play alone (the authentik objects), so the test user's token exists before any node
        changes; (rc, output)."""
        path = os.path.join(self.state_dir, 'authentik-side.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('- name: Authentik side\n  hosts: localhost\n  gather_facts: false\n  roles:\n'
                         '    - role: kubeauth.authentik.authentik_oidc\n')
        return self.playbook(path)

    def oidc_token(self):
        """The test user's id_token, as oidc_verify gets one: client credentials with the user's app password."""
        discovery = requests.get(self.issuer + '.well-known/openid-configuration', verify=self.standin.ca_path, timeout=30)
        discovery.raise_for_status()
        response = requests.post(discovery.json()['token_endpoint'], verify=self.standin.ca_path, timeout=30, data={
            'grant_type': 'client_credentials', 'client_id': 'kubernetes', 'username': TEST_USER['username'],
            'password': self.user['app_password'], 'scope': 'openid email profile groups'})
        response.raise_for_status()
        return response.json()['id_token']


def demo(state_dir):
    """The main job against the HA cluster: site.yml twice over SSH (the second changes nothing), verify.yml."""
    started = time.time()
    node_py = os.path.join(ROOT, 'tests', 'node', 'node.py')
    print('== HA cluster: 3 control-plane nodes in their own namespaces behind HAProxy, reached over SSH', flush=True)
    subprocess.check_call([sys.executable, node_py, 'up', '--nodes', '3'])
    facts = json.loads(subprocess.check_output([sys.executable, node_py, 'env', '--nodes', '3']))
    print('== authentik stand-in on %s (where the nodes reach it) and a test user' % facts['controller_address'], flush=True)
    stack = HAStack(state_dir, facts)
    try:
        for run in ('first', 'second'):
            print('== site.yml, %s run (serial: 1 over %s)' % (run, ', '.join(node['name'] for node in facts['nodes'])), flush=True)
            rc, output = stack.playbook('site.yml')
            if rc:
                sys.exit('site.yml failed')
        changed = [host for host in ['localhost'] + [node['name'] for node in facts['nodes']] if recap(output, host).get('changed')]
        if changed:
            sys.exit('the second site.yml run changed something on %s' % ', '.join(changed))
        print('== verify.yml: a real token against the real kube-apiserver, over SSH', flush=True)
        rc, output = stack.playbook('verify.yml')
        if rc:
            sys.exit('verify.yml failed')
        whoami = re.findall(r'kubectl auth whoami: .*', output)
        print('\n== done in %.0fs; %s' % (time.time() - started, whoami[-1].rstrip('"') if whoami else 'no whoami line'))
        print('the cluster stays up; remove it with: python3 tests/node/node.py down --nodes 3')
    finally:
        stack.stop()


if __name__ == '__main__':
    if sys.argv[1:2] != ['demo']:
        sys.exit('usage: ha_stack.py demo [STATE_DIR]')
    demo(sys.argv[2] if len(sys.argv) > 2 else '/var/cache/kubeauth/demo-ha')
