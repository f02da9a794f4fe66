#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: authentication_config
short_description: Add, update or remove JWT authenticators in a kube-apiserver AuthenticationConfiguration file
version_added: 0.3.0
description:
  - Reads the AuthenticationConfiguration file at O(path) (the one the running kube-apiserver's C(--authentication-config)
    names), adds or replaces each entry of O(authenticators) in its C(jwt) list, found by C(issuer.url), and keeps every
    other C(jwt) entry, the C(anonymous) section, the C(apiVersion) and any other field as they are.
  - A missing file is created with O(api_version) and only O(authenticators).
  - Compares the parsed content, not the text; when nothing changes nothing is written, so a second run reports no change
    and kube-apiserver does not reload. A changed file is written in one step (a temporary dot-file in the same directory,
    then a rename), mode C(0600), after a copy of the previous content was kept in O(backup_dir).
  - The file is written again as YAML, so comments in it are lost when it changes.
  - Does not restart or reload anything; kube-apiserver 1.30+ reloads the file by itself. The
    C(kubeauth.authentik.apiserver_oidc) role uses this module in its C(file) mode.
requirements:
  - PyYAML on the host the module runs on (a control-plane node)
author:
  - kubeauth maintainers (@kubeauth)
extends_documentation_fragment:
  - kubeauth.authentik.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Only the C(jwt) entries that are added, changed or removed, before and after.
options:
  path:
    description: The AuthenticationConfiguration file, as the node sees it.
    type: path
    required: true
  state:
    description:
      - V(present) adds or replaces the entries of O(authenticators).
      - V(absent) removes the entries whose issuer URL is one of O(authenticators) (only C(issuer.url) is read) or of
        O(remove_issuers); every other entry stays.
    type: str
    choices: [present, absent]
    default: present
  authenticators:
    description:
      - C(jwt) entries exactly as kube-apiserver takes them (C(issuer), C(claimValidationRules), C(claimMappings),
        C(userValidationRules)); each needs C(issuer.url) (https), C(issuer.audiences) and C(claimMappings.username).
      - Issuer URLs must be unique in the list.
    type: list
    elements: dict
    default: []
  remove_issuers:
    description:
      - Issuer URLs whose entries to remove (an issuer this file should no longer trust, such as the one of a previous run).
        An issuer also in O(authenticators) is kept.
    type: list
    elements: str
    default: []
  api_version:
    description:
      - apiVersion of a file that does not exist yet. An existing file keeps its own.
      - kube-apiserver 1.30 to 1.33 serve C(apiserver.config.k8s.io/v1beta1), 1.34 and newer C(apiserver.config.k8s.io/v1).
    type: str
    choices: [apiserver.config.k8s.io/v1alpha1, apiserver.config.k8s.io/v1beta1, apiserver.config.k8s.io/v1]
    default: apiserver.config.k8s.io/v1
  backup_dir:
    description:
      - Where the previous content is kept when the file changes; the directory of O(path) when not given.
      - Keep it out of a directory that a program loads every file of (the kubelet's manifests directory).
    type: path
  record:
    description:
      - A file (JSON) where the module notes the issuers of O(authenticators) it put in. An issuer noted there by an
        earlier run and no longer in O(authenticators) is removed, so that a changed issuer URL replaces the old entry
        instead of leaving it trusted; entries the module did not put in are never removed this way.
      - Not written in check mode. Keep it outside the directory kube-apiserver reads.
    type: path
  keep_inode:
    description:
      - Write the new content into the existing file instead of replacing it, keeping its inode.
      - Needed when the file itself (not its directory) is mounted into the kube-apiserver container, as kubespray does; a
        replaced file would stay invisible to the running container. The write is then not atomic, and kube-apiserver may
        read a partial file, which it refuses and reads again once complete.
    type: bool
    default: false
seealso:
  - module: kubeauth.authentik.static_pod_manifest
'''

EXAMPLES = r'''
- name: Trust authentik next to whatever the file already trusts
  kubeauth.authentik.authentication_config:
    path: /etc/kubernetes/authn/authentication-config.yaml
    api_version: apiserver.config.k8s.io/v1
    backup_dir: /var/lib/kubeauth/apiserver/backups
    authenticators:
      - issuer:
          url: https://authentik.example.com/application/o/kubernetes/
          audiences: [kubernetes]
        claimMappings:
          username:
            expression: '"oidc:" + claims.email'
          groups:
            claim: groups
            prefix: "oidc:"
  register: authn

- name: Stop trusting an issuer, leaving the other entries
  kubeauth.authentik.authentication_config:
    path: /etc/kubernetes/authn/authentication-config.yaml
    state: absent
    remove_issuers:
      - https://old-authentik.example.com/application/o/kubernetes/
'''

RETURN = r'''
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/kubernetes/authn/authentication-config.yaml
backup_file:
  description: The copy of the previous content, when the file existed and changed (not in check mode).
  returned: changed and the file existed before
  type: str
  sample: /var/lib/kubeauth/apiserver/backups/authentication-config.yaml.20261207T121500.123456
sha256:
  description:
    - Hex sha256 of the file's content after the task (in check mode, of the content it would write). kube-apiserver
      publishes the sha256 of the file in force in C(apiserver_authentication_config_controller_last_config_info).
  returned: always
  type: str
issuers:
  description: Issuer URLs of the C(jwt) entries after the task, in file order.
  returned: always
  type: list
  elements: str
changed_issuers:
  description: Issuer URLs whose entries were added, changed or removed.
  returned: always
  type: list
  elements: str
api_version:
  description: The file's apiVersion.
  returned: always
  type: str
diff:
  description: Only the C(jwt) entries that changed, as YAML, before and after.
  returned: always
  type: dict
'''

import datetime
import hashlib
import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.authn_config import (
    AuthnConfigError, changed_entries, check_document, empty_config, entry_problems, issuer_of, merged)
from ..module_utils.files import dump_yaml, read_text, require_yaml, write_atomic, yaml


def validate(module):
    seen = set()
    state = module.params['state']
    for index, entry in enumerate(module.params['authenticators']):
        problems = entry_problems(entry) if state == 'present' else ([] if issuer_of(entry) else ['issuer.url is missing'])
        if problems:
            module.fail_json(msg='authenticators[%d]: %s' % (index, '; '.join(problems)))
        if issuer_of(entry) in seen:
            module.fail_json(msg='authenticators[%d]: issuer %s appears twice; kube-apiserver needs each issuer once'
                             % (index, issuer_of(entry)))
        seen.add(issuer_of(entry))


def backup(module, path, backup_dir):
    directory = backup_dir or os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S.%f')
    target = os.path.join(directory, '%s.%s' % (os.path.basename(path), stamp))
    shutil.copyfile(path, target)
    os.chmod(target, 0o600)
    return target


def write_in_place(path, text):
    """Same inode: a container that mounts the file itself sees the new content."""
    with open(path, 'r+') as handle:
        handle.seek(0)
        handle.write(text)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)


def read_record(module, path):
    """Issuer URLs an earlier run noted, [] without a record."""
    text = read_text(path) if path else None
    if text is None:
        return []
    try:
        issuers = json.loads(text)
    except ValueError:
        issuers = None
    if not isinstance(issuers, list) or not all(isinstance(i, str) for i in issuers):
        module.fail_json(msg='record: %s is not a JSON list of issuer URLs; remove it (the entries it named then stay in the file)' % path)
    return issuers


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            authenticators=dict(type='list', elements='dict', default=[]),
            remove_issuers=dict(type='list', elements='str', default=[]),
            api_version=dict(type='str', default='apiserver.config.k8s.io/v1',
                             choices=['apiserver.config.k8s.io/v1alpha1', 'apiserver.config.k8s.io/v1beta1',
                                      'apiserver.config.k8s.io/v1']),
            backup_dir=dict(type='path'),
            record=dict(type='path'),
            keep_inode=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    require_yaml(module)
    validate(module)
    params = module.params
    path = params['path']
    source = read_text(path)
    if source is None and os.path.exists(path):
        module.fail_json(msg='path: cannot read %s' % path)
    try:
        document = yaml.safe_load(source) if source is not None else None
        if source is not None:
            check_document(document)
    except (yaml.YAMLError, AuthnConfigError) as exc:
        module.fail_json(msg='path: %s is not an AuthenticationConfiguration this module can merge into (%s); '
                             'fix or move the file, or point path at another one' % (path, exc))
    noted = read_record(module, params['record'])
    wanted = [issuer_of(a) for a in params['authenticators']]
    remove = list(params['remove_issuers'])
    if params['state'] == 'present':
        remove += [i for i in noted if i not in wanted]
        record = wanted
    else:
        record = [i for i in noted if i not in wanted and i not in remove]
    if document is None and params['state'] == 'absent':
        if params['record'] and record != noted and not module.check_mode:
            write_atomic(module, params['record'], json.dumps(record), 0o600)
        module.exit_json(changed=False, path=path, sha256='', issuers=[], changed_issuers=[], api_version='',
                         diff=dict(before='', after=''))

    base = document if document is not None else empty_config(params['api_version'])
    result_doc = merged(base, params['authenticators'], remove, params['state'])
    changed = document is None or result_doc != document
    text = dump_yaml(result_doc) if changed else source
    issuers, before_entries, after_entries = changed_entries(document, result_doc)

    result = dict(changed=changed, path=path, sha256=hashlib.sha256(text.encode('utf-8')).hexdigest(),
                  issuers=[issuer_of(e) for e in result_doc.get('jwt') or []], changed_issuers=issuers,
                  api_version=result_doc.get('apiVersion'),
                  diff=dict(before=dump_yaml({'jwt': before_entries}) if before_entries else '',
                            after=dump_yaml({'jwt': after_entries}) if after_entries else '',
                            before_header='%s (jwt entries that change)' % path,
                            after_header='%s (jwt entries that change)' % path))
    if changed and not module.check_mode:
        if source is not None:
            result['backup_file'] = backup(module, path, params['backup_dir'])
        if params['keep_inode'] and source is not None:
            write_in_place(path, text)
        else:
            write_atomic(module, path, text, 0o600)
    if params['record'] and record != noted and not module.check_mode:
        write_atomic(module, params['record'], json.dumps(record), 0o600)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
