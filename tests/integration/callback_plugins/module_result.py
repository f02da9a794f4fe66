# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration runner's callback: writes the result of the task named 'module under test' to the file
KUBEAUTH_MODULE_RESULT names, as the task would have registered it (internal keys and the invocation left out).

It replaces a second task that copied the registered result to that file: one module run less per
ansible-playbook, about a quarter of each run's CPU (tests/integration/conftest.py, playbook_runner)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: module_result
type: aggregate
short_description: the result of the module under test, to a file
description: Writes the result of the task named 'module under test' to the file KUBEAUTH_MODULE_RESULT names.
"""

import json
import os

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase

TASK = 'module under test'


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'module_result'
    CALLBACK_NEEDS_ENABLED = True

    def _keep(self, result, **outcome):
        path = os.environ.get('KUBEAUTH_MODULE_RESULT')
        if not path or result._task.get_name() != TASK:  # pylint: disable=protected-access  # the callback API's own
            return
        # What `register` keeps: the result without Ansible's internal keys and without the invocation.
        kept = dict((key, value) for key, value in result._result.items()  # pylint: disable=protected-access
                    if not key.startswith('_ansible') and key != 'invocation')
        kept.update(outcome)  # failed or skipped, as the registered result says (the raw one may leave it out)
        kept.setdefault('changed', False)
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(kept, handle, cls=AnsibleJSONEncoder, indent=1, sort_keys=True)

    def v2_runner_on_ok(self, result, **kwargs):  # pylint: disable=unused-argument
        self._keep(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):  # pylint: disable=unused-argument
        self._keep(result, failed=True)

    def v2_runner_on_skipped(self, result, **kwargs):  # pylint: disable=unused-argument
        self._keep(result, failed=False, skipped=True)
