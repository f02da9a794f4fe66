#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: kubeconfig
short_description: Merge one cluster, user and context into a kubeconfig file
version_added: 0.2.0
description:
  - Adds or replaces, by name, one cluster, one user and one context in a kubeconfig file, and leaves every other
    entry and preference as it is; never clobbers other contexts.
  - Creates the file (mode 0600) when it does not exist. Writes only when the content changes.
  - With O(state=absent) removes the named entries.
requirements:
  - PyYAML on the host the module runs on (a control-plane node, or the controller)
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  path:
    description: The kubeconfig file.
    type: path
    required: true
  state:
    description: V(present) merges the entries, V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  cluster_name:
    description: Name of the cluster entry.
    type: str
    required: true
  cluster:
    description:
      - Body of the cluster entry, as in a kubeconfig, for example C(server) and C(certificate-authority-data).
      - Required with O(state=present).
    type: dict
  user_name:
    description: Name of the user entry.
    type: str
    required: true
  user:
    description:
      - Body of the user entry, as in a kubeconfig, for example an C(exec) plugin.
      - Required with O(state=present).
    type: dict
  context_name:
    description: Name of the context that joins them; C(<user_name>@<cluster_name>) when not given.
    type: str
  namespace:
    description: Default namespace of the context.
    type: str
  current_context:
    description: Make the context the current one.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: kubelogin user for the cluster
  kubeauth.authentik.kubeconfig:
    path: ~/.kube/config
    cluster_name: prod
    cluster:
      server: https://k8s.example.com:6443
      certificate-authority-data: "{{ ca_pem | b64encode }}"
    user_name: oidc
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: kubectl
        args: [oidc-login, get-token, --oidc-issuer-url=https://authentik.example.com/application/o/kubernetes/,
               --oidc-client-id=kubernetes, --oidc-extra-scope=email, --oidc-extra-scope=profile, --oidc-extra-scope=groups]
        interactiveMode: IfAvailable
    context_name: oidc@prod
'''

RETURN = r'''
context:
  description: Name of the context.
  returned: always
  type: str
  sample: oidc@prod
contexts:
  description: Names of all contexts in the file after the task.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.files import dump_yaml, read_text, require_yaml, write_atomic, yaml

SECTIONS = ('clusters', 'users', 'contexts')


def skeleton():
    return {'apiVersion': 'v1', 'kind': 'Config', 'preferences': {}, 'clusters': [], 'users': [], 'contexts': [], 'current-context': ''}


def upsert(entries, name, key, body):
    entry = {'name': name, key: body}
    for index, existing in enumerate(entries):
        if existing.get('name') == name:
            entries[index] = entry
            return
    entries.append(entry)


def merged(config, params, context_name):
    config = dict(config)
    for section in SECTIONS:
        config[section] = list(config.get(section) or [])
    names = dict(clusters=params['cluster_name'], users=params['user_name'], contexts=context_name)
    if params['state'] == 'absent':
        for section, name in names.items():
            config[section] = [e for e in config[section] if e.get('name') != name]
        if config.get('current-context') == context_name:
            config['current-context'] = ''
        return config
    upsert(config['clusters'], params['cluster_name'], 'cluster', params['cluster'])
    upsert(config['users'], params['user_name'], 'user', params['user'])
    context = {'cluster': params['cluster_name'], 'user': params['user_name']}
    if params['namespace']:
        context['namespace'] = params['namespace']
    upsert(config['contexts'], context_name, 'context', context)
    if params['current_context']:
        config['current-context'] = context_name
    return config


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            cluster_name=dict(type='str', required=True),
            cluster=dict(type='dict'),
            user_name=dict(type='str', required=True),
            user=dict(type='dict'),
            context_name=dict(type='str'),
            namespace=dict(type='str'),
            current_context=dict(type='bool', default=False),
        ),
        required_if=[('state', 'present', ('cluster', 'user'))],
        supports_check_mode=True,
    )
    require_yaml(module)
    params = module.params
    path = params['path']
    context_name = params['context_name'] or '%s@%s' % (params['user_name'], params['cluster_name'])
    if params['state'] == 'present' and not (params['cluster'] or {}).get('server'):
        module.fail_json(msg='cluster: needs a server, such as https://k8s.example.com:6443')

    before_text = read_text(path) or ''
    try:
        config = yaml.safe_load(before_text) if before_text.strip() else skeleton()
    except yaml.YAMLError as exc:
        module.fail_json(msg='path: %s is not a kubeconfig (YAML error: %s); nothing was changed' % (path, exc))
    if not isinstance(config, dict):
        module.fail_json(msg='path: %s is not a kubeconfig; nothing was changed' % path)

    after = merged(config, params, context_name)
    changed = after != config or not before_text
    if params['state'] == 'absent' and not before_text:
        changed = False
    after_text = dump_yaml(after) if changed else before_text
    if changed and not module.check_mode:
        write_atomic(module, path, after_text)
    result = dict(changed=changed, context=context_name, contexts=[c.get('name') for c in after['contexts']])
    if module._diff:
        result['diff'] = dict(before=before_text, after=after_text, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
