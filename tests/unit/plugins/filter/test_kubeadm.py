# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeauth.authentik.plugins.filter.kubeadm import kubeadm_apiserver

VOLUME = dict(name='kubeauth-authn', host_path='/etc/kubernetes/kubeauth-authn', mount_path='/etc/kubernetes/kubeauth-authn')


def test_v1beta4_list_form_and_prefix_removal():
    config = {'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'ClusterConfiguration',
              'apiServer': {'extraArgs': [{'name': 'oidc-client-id', 'value': 'old'}, {'name': 'audit-log-path', 'value': '-'}]}}
    out = kubeadm_apiserver(config, {'authentication-config': '/x.yaml'}, ['oidc-*'], [VOLUME])
    assert out['apiServer']['extraArgs'] == [{'name': 'audit-log-path', 'value': '-'}, {'name': 'authentication-config', 'value': '/x.yaml'}]
    assert out['apiServer']['extraVolumes'] == [{'name': 'kubeauth-authn', 'hostPath': '/etc/kubernetes/kubeauth-authn',
                                                 'mountPath': '/etc/kubernetes/kubeauth-authn', 'readOnly': True,
                                                 'pathType': 'DirectoryOrCreate'}]
    assert config['apiServer']['extraArgs'][0]['value'] == 'old', 'input untouched'
    assert kubeadm_apiserver(out, {'authentication-config': '/x.yaml'}, ['oidc-*'], [VOLUME]) == out


def test_v1beta3_map_form():
    config = {'apiVersion': 'kubeadm.k8s.io/v1beta3', 'kind': 'ClusterConfiguration', 'apiServer': {}}
    out = kubeadm_apiserver(config, {'--oidc-client-id': 'kubernetes'}, [], [], ['kubeauth-authn'])
    assert out['apiServer']['extraArgs'] == {'oidc-client-id': 'kubernetes'}


def test_rejects_other_documents():
    with pytest.raises(AnsibleFilterError, match='ClusterConfiguration'):
        kubeadm_apiserver({'kind': 'InitConfiguration'})
