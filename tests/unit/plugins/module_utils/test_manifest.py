# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured edits of kubeadm's kube-apiserver static pod manifest."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.kubeauth.authentik.plugins.module_utils.manifest import ManifestError, edited, find_container, flags_of

KUBEADM_MANIFEST = """
apiVersion: v1
kind: Pod
metadata:
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=127.0.0.1
    - --authorization-mode=Node,RBAC
    - --client-ca-file=/etc/kubernetes/pki/ca.crt
    - --oidc-issuer-url=https://old.example.com/application/o/k/
    - --oidc-client-id=old
    - --secure-port=6443
    image: registry.k8s.io/kube-apiserver:v1.34.4
    name: kube-apiserver
    volumeMounts:
    - mountPath: /etc/kubernetes/pki
      name: k8s-certs
      readOnly: true
  hostNetwork: true
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki
      type: DirectoryOrCreate
    name: k8s-certs
"""


@pytest.fixture
def pod():
    return yaml.safe_load(KUBEADM_MANIFEST)


def command(pod):
    return find_container(pod, 'kube-apiserver')['command']


def test_changed_flag_keeps_its_position(pod):
    out = edited(pod, 'kube-apiserver', {'oidc-issuer-url': 'https://new.example.com/application/o/k/'})
    assert command(out).index('--oidc-issuer-url=https://new.example.com/application/o/k/') == 4
    assert command(out)[0] == 'kube-apiserver'
    assert command(pod)[4] == '--oidc-issuer-url=https://old.example.com/application/o/k/', 'the original is untouched'


def test_new_flags_are_appended_sorted(pod):
    out = edited(pod, 'kube-apiserver', {'--oidc-username-claim': 'email', 'oidc-groups-claim': 'groups'})
    assert command(out)[-2:] == ['--oidc-groups-claim=groups', '--oidc-username-claim=email']


def test_prefix_removal_spares_flags_being_set(pod):
    out = edited(pod, 'kube-apiserver', {'authentication-config': '/etc/kubernetes/authn/config.yaml'}, ['oidc-*'])
    flags = flags_of(find_container(out, 'kube-apiserver'))
    assert not [f for f in flags if f.startswith('--oidc-')]
    assert flags['--authentication-config'] == '/etc/kubernetes/authn/config.yaml'
    assert flags['--secure-port'] == '6443'


def test_no_edit_is_equal(pod):
    assert edited(pod, 'kube-apiserver', {'secure-port': '6443'}, ['not-there']) == pod


def test_volumes_are_added_once_and_removed(pod):
    vol = dict(name='kubeauth-authn', host_path='/etc/kubernetes/authn', mount_path='/etc/kubernetes/authn')
    once = edited(pod, 'kube-apiserver', volumes=[vol])
    twice = edited(once, 'kube-apiserver', volumes=[vol])
    assert once == twice
    assert {'hostPath': {'path': '/etc/kubernetes/authn', 'type': 'DirectoryOrCreate'}, 'name': 'kubeauth-authn'} in once['spec']['volumes']
    mounts = find_container(once, 'kube-apiserver')['volumeMounts']
    assert {'mountPath': '/etc/kubernetes/authn', 'name': 'kubeauth-authn', 'readOnly': True} in mounts
    gone = edited(once, 'kube-apiserver', remove_volumes=['kubeauth-authn'])
    assert gone == pod


def test_unknown_container(pod):
    with pytest.raises(ManifestError, match='kube-apiserver'):
        edited(pod, 'etcd', {'a': 'b'})
