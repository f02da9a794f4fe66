# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A playbook run through ansible-runner, the engine AWX and Automation Controller use, against the local stack.

ansible-runner takes a private data directory (inventory/, env/extravars, env/envvars) the way AWX lays one out
for a job; this writes one from the stack's inventory and secrets and runs the playbook from the checkout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

import ansible_runner

from e2e.stack import ROOT


def run_playbook(stack, private_data_dir, name):
    """Returns the finished ansible_runner Runner."""
    os.makedirs(os.path.join(private_data_dir, 'inventory'))
    os.makedirs(os.path.join(private_data_dir, 'env'))
    shutil.copy(stack.inventory, os.path.join(private_data_dir, 'inventory', 'hosts.json'))
    shutil.copy(stack.secrets, os.path.join(private_data_dir, 'env', 'extravars'))  # JSON is YAML
    with open(os.path.join(private_data_dir, 'env', 'envvars'), 'w') as handle:
        json.dump({'ANSIBLE_LOCALHOST_WARNING': 'False', 'ANSIBLE_NOCOLOR': '1'}, handle)
    return ansible_runner.run(private_data_dir=private_data_dir, playbook=os.path.join(ROOT, 'playbooks', name),
                              quiet=True)
