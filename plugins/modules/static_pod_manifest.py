#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: static_pod_manifest
short_description: Edit the command flags, volumes and mounts of a static pod manifest
version_added: 0.2.0
description:
  - Reads a static pod manifest such as C(/etc/kubernetes/manifests/kube-apiserver.yaml), sets and removes command-line
    flags of one container and hostPath volumes with their mounts, and writes the result to O(dest).
  - Edits the parsed YAML, never the text; a flag keeps its position when its value changes.
  - Reports a change when the result differs from O(src). O(dest) is written only when its content differs from the
    result, so a second run writes nothing. The temporary file is dot-prefixed because the kubelet loads every other
    file in its manifests directory.
  - Does not restart anything. The C(kubeauth.authentik.apiserver_oidc) role renders to a staging path with this
    module and then runs the kubelet restart cycle.
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
    details: The whole manifest before and after.
options:
  src:
    description: The manifest to read.
    type: path
    default: /etc/kubernetes/manifests/kube-apiserver.yaml
  dest:
    description: Where to write the result; O(src) when not given.
    type: path
  container:
    description: Name of the container whose flags are edited.
    type: str
    default: kube-apiserver
  flags:
    description:
      - Flags to set, name to value; the name may omit the leading C(--). Values are strings.
    type: dict
    default: {}
  remove_flags:
    description:
      - Flags to drop; a trailing C(*) matches a prefix, as in C(oidc-*). Flags also in O(flags) are kept.
    type: list
    elements: str
    default: []
  volumes:
    description: hostPath volumes to add or replace (by name), each mounted into the container.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Volume name, unique in the pod.
        type: str
        required: true
      host_path:
        description: Directory (or file) on the node.
        type: path
        required: true
      mount_path:
        description: Where the container sees it.
        type: path
        required: true
      type:
        description: hostPath type.
        type: str
        default: DirectoryOrCreate
      read_only:
        description: Mount read-only.
        type: bool
        default: true
  remove_volumes:
    description: Names of volumes (and their mounts) to drop.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Render the OIDC flags into a staging copy (nothing restarts)
  kubeauth.authentik.static_pod_manifest:
    src: /etc/kubernetes/manifests/kube-apiserver.yaml
    dest: /var/lib/kubeauth/apiserver/staged.yaml
    flags:
      oidc-issuer-url: https://authentik.example.com/application/o/kubernetes/
      oidc-client-id: kubernetes
      oidc-username-claim: email
    remove_flags:
      - authentication-config
  register: staged
'''

RETURN = r'''
dest:
  description: The file that holds the result.
  returned: always
  type: str
command:
  description: The container's command (or args) after the edit.
  returned: always
  type: list
  elements: str
flags:
  description: The container's flags after the edit, name to value (null for a flag without a value).
  returned: always
  type: dict
changed_flags:
  description: Names of the flags that were added, changed or removed.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.files import dump_yaml, read_text, require_yaml, write_atomic, yaml
from ..module_utils.manifest import ManifestError, edited, find_container, flags_of


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', default='/etc/kubernetes/manifests/kube-apiserver.yaml'),
            dest=dict(type='path'),  # a staging copy, or src itself
            container=dict(type='str', default='kube-apiserver'),
            flags=dict(type='dict', default={}),
            remove_flags=dict(type='list', elements='str', default=[]),
            volumes=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                host_path=dict(type='path', required=True),
                mount_path=dict(type='path', required=True),
                type=dict(type='str', default='DirectoryOrCreate'),
                read_only=dict(type='bool', default=True),
            )),
            remove_volumes=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    require_yaml(module)
    params = module.params
    dest = params['dest'] or params['src']
    for name, value in params['flags'].items():
        if value is None or isinstance(value, (dict, list)):
            module.fail_json(msg='flags: %s needs a plain value, got %r; to drop a flag use remove_flags' % (name, value))
    try:
        with open(params['src']) as handle:
            source = handle.read()
        pod = yaml.safe_load(source)
        result_pod = edited(pod, params['container'], params['flags'], params['remove_flags'], params['volumes'], params['remove_volumes'])
        container = find_container(result_pod, params['container'])
    except (IOError, OSError) as exc:
        module.fail_json(msg='src: cannot read %s: %s' % (params['src'], exc))
    except (yaml.YAMLError, ManifestError) as exc:
        module.fail_json(msg='src: %s is not a usable pod manifest: %s' % (params['src'], exc))

    # changed means "the manifest would change"; dest (a staging copy, or src itself) gets the result.
    text = dump_yaml(result_pod) if result_pod != pod else source
    changed = text != source
    current = read_text(dest)
    before_flags = flags_of(find_container(pod, params['container']))
    after_flags = flags_of(container)
    changed_flags = sorted(k for k in set(before_flags) | set(after_flags) if before_flags.get(k, 0) != after_flags.get(k, 0))
    if current != text and not module.check_mode:
        write_atomic(module, dest, text)
    result = dict(changed=changed, command=container.get('command') or container.get('args'), flags=after_flags,
                  changed_flags=changed_flags, dest=dest)
    if module._diff:
        result['diff'] = dict(before=source, after=text, before_header=params['src'], after_header=params['src'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
