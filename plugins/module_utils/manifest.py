# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured edits of a static pod manifest: command flags, volumes and mounts.

Pure functions over the parsed YAML; no regexes on YAML text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class ManifestError(Exception):
    pass


def flag_name(name):
    """'oidc-issuer-url' or '--oidc-issuer-url' -> '--oidc-issuer-url'."""
    return '--' + name.lstrip('-')


def split_flag(arg):
    """'--a=b' -> ('--a', 'b'); '--a' -> ('--a', None); anything else -> (None, None)."""
    if not isinstance(arg, str) or not arg.startswith('--'):
        return None, None
    name, sep, value = arg.partition('=')
    return name, (value if sep else None)


def find_container(pod, name):
    containers = ((pod or {}).get('spec') or {}).get('containers') or []
    for container in containers:
        if container.get('name') == name:
            return container
    raise ManifestError('no container named %r in the manifest (containers: %s)'
                        % (name, ', '.join(str(c.get('name')) for c in containers) or 'none'))


def command_of(container):
    """The list that holds the flags: kubeadm puts them in command, others in args."""
    if container.get('command') and any(split_flag(a)[0] for a in container['command']):
        return container['command']
    container.setdefault('args', [])
    return container['args']


def flags_of(container):
    """{'--flag': value} of a container, as the apiserver will parse them."""
    return dict(split_flag(a) for a in command_of(container) if split_flag(a)[0])


def matches(name, patterns):
    for pattern in patterns:
        pattern = flag_name(pattern)
        if pattern.endswith('*') and name.startswith(pattern[:-1]):
            return True
        if name == pattern:
            return True
    return False


def edit_flags(container, set_flags, remove_flags):
    """Set flags in place (keeping their position), append new ones, drop removed ones."""
    argv = command_of(container)
    wanted = dict((flag_name(k), str(v)) for k, v in (set_flags or {}).items())
    out, seen = [], set()
    for arg in argv:
        name, dummy = split_flag(arg)
        if name in wanted:
            if name not in seen:
                out.append('%s=%s' % (name, wanted[name]))
                seen.add(name)
            continue
        if name and matches(name, remove_flags or []):
            continue
        out.append(arg)
    out.extend('%s=%s' % (name, value) for name, value in sorted(wanted.items()) if name not in seen)
    argv[:] = out


def edit_volumes(pod, container, volumes, remove_volumes):
    """hostPath volumes with their mounts, by name; replaced in place or appended."""
    if not volumes and not remove_volumes:
        return
    spec = pod['spec']
    pod_volumes = spec.setdefault('volumes', [])
    mounts = container.setdefault('volumeMounts', [])
    gone = set(remove_volumes or [])
    pod_volumes[:] = [v for v in pod_volumes if v.get('name') not in gone]
    mounts[:] = [m for m in mounts if m.get('name') not in gone]
    for vol in volumes or []:
        volume = {'hostPath': {'path': vol['host_path'], 'type': vol.get('type') or 'DirectoryOrCreate'}, 'name': vol['name']}
        mount = {'mountPath': vol['mount_path'], 'name': vol['name'], 'readOnly': bool(vol.get('read_only', True))}
        upsert(pod_volumes, volume)
        upsert(mounts, mount)


def upsert(items, item):
    for index, existing in enumerate(items):
        if existing.get('name') == item['name']:
            items[index] = item
            return
    items.append(item)


def edited(pod, container_name, set_flags=None, remove_flags=None, volumes=None, remove_volumes=None):
    """A changed copy of the pod; the original is untouched."""
    pod = copy.deepcopy(pod)
    container = find_container(pod, container_name)
    edit_flags(container, set_flags, remove_flags)
    edit_volumes(pod, container, volumes, remove_volumes)
    return pod
