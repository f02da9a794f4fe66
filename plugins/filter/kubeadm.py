# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry kube-apiserver flags and volumes into kubeadm's ClusterConfiguration,
so that `kubeadm upgrade` regenerates the manifest with them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

from ..module_utils.manifest import matches


def _args_as_dict(extra_args):
    """v1beta3 keeps extraArgs as a map, v1beta4 as a list of {name, value}."""
    if isinstance(extra_args, dict):
        return dict(extra_args)
    return dict((item['name'], item['value']) for item in extra_args or [])


def kubeadm_apiserver(config, flags=None, remove_flags=None, volumes=None, remove_volumes=None):
    """A copy of a ClusterConfiguration with the apiServer's extraArgs and extraVolumes edited."""
    if not isinstance(config, dict) or config.get('kind') != 'ClusterConfiguration':
        raise AnsibleFilterError('kubeadm_apiserver: expects a ClusterConfiguration, got %r' % (type(config).__name__,))
    config = copy.deepcopy(config)
    api_server = config.setdefault('apiServer', {}) or {}
    config['apiServer'] = api_server
    as_list = config.get('apiVersion', '').endswith('v1beta4')
    args = _args_as_dict(api_server.get('extraArgs'))
    args = dict((name, value) for name, value in args.items() if not matches('--' + name.lstrip('-'), remove_flags or []))
    args.update((name.lstrip('-'), str(value)) for name, value in (flags or {}).items())
    if args or 'extraArgs' in api_server:
        api_server['extraArgs'] = [{'name': k, 'value': v} for k, v in sorted(args.items())] if as_list else args
    if volumes or remove_volumes:
        gone = set(remove_volumes or []) | set(v['name'] for v in volumes or [])
        kept = [v for v in api_server.get('extraVolumes') or [] if v.get('name') not in gone]
        kept.extend({'name': v['name'], 'hostPath': v['host_path'], 'mountPath': v['mount_path'],
                     'readOnly': bool(v.get('read_only', True)), 'pathType': v.get('type') or 'DirectoryOrCreate'}
                    for v in volumes or [])
        api_server['extraVolumes'] = kept
    return config


class FilterModule(object):
    def filters(self):
        return {'kubeadm_apiserver': kubeadm_apiserver}
