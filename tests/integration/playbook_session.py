# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook for the integration tests, without paying its start-up each time.

An ansible-playbook start costs about 0.8 s of CPU, most of it importing Ansible; the tests run it some two thousand
times per full run. run_playbook() hands each run to a fork server (playbook_server.py) that imported Ansible once
and forks a child per run, which runs the command line exactly as the ansible-playbook command does. Ansible reads
its ANSIBLE_* settings when it is imported, so each set of ANSIBLE_* settings gets a server of its own (per pytest
process); everything else in the environment (AUTHENTIK_URL, ...) is the run's own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbook_server.py')
_servers = {}


class _Server:

    def __init__(self, env):
        self.proc = subprocess.Popen([sys.executable, SERVER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     universal_newlines=True, bufsize=1)

    def alive(self):
        return self.proc.poll() is None

    def _reply(self, timeout):
        ready, dummy, dummy = select.select([self.proc.stdout], [], [], max(0, timeout))
        line = self.proc.stdout.readline() if ready else ''
        return json.loads(line) if line else None

    def run(self, args, env, output, timeout):
        self.proc.stdin.write(json.dumps({'args': list(args), 'env': env, 'output': output}) + '\n')
        self.proc.stdin.flush()
        started = self._reply(30)
        if started is None:
            raise RuntimeError('the ansible-playbook fork server did not start a run')
        ended = self._reply(timeout)
        if ended is None:  # a hung run: stop it and everything it started, as subprocess.run's timeout would
            os.killpg(started['pid'], signal.SIGKILL)
            self._reply(30)
            raise subprocess.TimeoutExpired(['ansible-playbook'] + list(args), timeout)
        return ended['rc']

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@atexit.register
def _stop_servers():  # waited for, so their CPU time counts as this process's children's
    for server in _servers.values():
        if server.alive():
            server.stop()


def _server(env):
    key = tuple(sorted((name, value) for name, value in env.items() if name.startswith('ANSIBLE_')))
    server = _servers.get(key)
    if server is None or not server.alive():
        server = _servers[key] = _Server(env)
    return server


def playbook_env(**extra):
    """The environment of the tests' ansible-playbook runs: this one, plain output, the tests' Python for modules."""
    return dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='False',
                ANSIBLE_INVENTORY_UNPARSED_WARNING='False', **extra)


def run_playbook(args, env=None, timeout=300):
    """ansible-playbook ARGS with environment ENV (default: playbook_env()): (return code, output, stderr merged)."""
    env = playbook_env() if env is None else env
    with tempfile.NamedTemporaryFile(prefix='ansible-playbook-', suffix='.out', delete=False) as handle:
        output = handle.name
    try:
        rc = _server(env).run(args, dict(env), output, timeout)
        with open(output, encoding='utf-8', errors='replace') as handle:
            return rc, handle.read()
    finally:
        os.unlink(output)
