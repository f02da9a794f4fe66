"""One role in a one-play playbook, run by ansible-playbook against a node: what the fault tests, the bench
and the rollout tests share. The collection is this work tree (a symlink named as Ansible expects it)."""

import json
import os
import signal
import subprocess
import sys
import time

from kubeauth_node.common import COLLECTION_ROOT

PLAYBOOK = '''---
- name: {title}
  hosts: {hosts}
  gather_facts: false
  roles:
    - role: {role}
'''


def local_inventory(path, host='node1'):
    """The single node as Ansible reaches it: this machine, the local connection, the controller's Python."""
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump({'all': {'children': {'control_plane': {'hosts': {host: {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}}}, handle)
    return path


class RunResult:
    """rc, output and wall seconds of one ansible-playbook run."""

    def __init__(self, rc, output, elapsed):
        self.rc = rc
        self.output = output
        self.elapsed = elapsed

    def __iter__(self):
        # (rc, output) unpacking, as the fault tests read a run.
        return iter((self.rc, self.output))


class RolePlay:
    """ansible-playbook with one role against an inventory (default: the single node over the local connection).

    Each run gets its variables from a JSON file (-e @file) and writes its output to a log file in workdir.
    """

    def __init__(self, workdir, role='kubeauth.authentik.apiserver_oidc', inventory=None, hosts='control_plane',
                 title='The role under test', env=None):
        self.workdir = workdir
        self.collections = os.path.join(workdir, 'collections')
        tree = os.path.join(self.collections, 'ansible_collections', 'kubeauth')
        os.makedirs(tree, exist_ok=True)
        link = os.path.join(tree, 'authentik')
        if not os.path.islink(link):
            os.symlink(COLLECTION_ROOT, link)
        self.playbook = os.path.join(workdir, role.rsplit('.', 1)[-1] + '.yml')
        with open(self.playbook, 'w', encoding='utf-8') as handle:
            handle.write(PLAYBOOK.format(title=title, hosts=hosts, role=role))
        self.inventory = inventory or local_inventory(os.path.join(workdir, 'inventory.json'))
        self.extra_env = dict(env or {})
        self.runs = 0

    def env(self):
        return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                    ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_STDOUT_CALLBACK='default', **self.extra_env)

    def command(self, variables, *args):
        self.runs += 1
        extra = os.path.join(self.workdir, 'vars-%d.json' % self.runs)
        with open(extra, 'w', encoding='utf-8') as handle:
            json.dump(variables, handle)
        return [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', self.inventory, '-e', '@' + extra,
                self.playbook] + list(args)

    def start(self, variables, *args):
        """ansible-playbook in its own process group (a test can kill all of it); (process, open log file)."""
        command = self.command(variables, *args)
        log = open(os.path.join(self.workdir, 'run-%d.log' % self.runs), 'w+', encoding='utf-8')  # pylint: disable=consider-using-with
        proc = subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                start_new_session=True)
        return proc, log

    @staticmethod
    def finish(proc, log, timeout=600):
        """Wait for a started run (killing its process group on timeout); its output."""
        try:
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.seek(0)
            output = log.read()
            log.close()
        return output

    def run(self, variables, *args, timeout=600, echo=True):
        """One run to the end: RunResult(rc, output, elapsed); also unpacks as (rc, output)."""
        started = time.monotonic()
        proc, log = self.start(variables, *args)
        output = self.finish(proc, log, timeout)
        if echo:
            print(output)
        return RunResult(proc.returncode, output, time.monotonic() - started)
