# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on nodes: YAML in and out, and atomic writes through a dot-file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import traceback

from ansible.module_utils.basic import missing_required_lib

YAML_IMPORT_ERROR = None
try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()


def require_yaml(module):
    if yaml is None:
        module.fail_json(msg=missing_required_lib('PyYAML'), exception=YAML_IMPORT_ERROR)


def dump_yaml(data):
    """Block style, keys in their order, as kubeadm and kubectl write them."""
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_atomic(module, path, text, mode=0o600):
    """Replace path in one step. The temporary file is a dot-file in the same
    directory: the kubelet loads every other file of its manifests directory."""
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    module.atomic_move(tmp, path)
    # atomic_move keeps an existing file's mode; these files hold credentials or run as root.
    os.chmod(path, mode)
