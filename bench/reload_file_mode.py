"""`file` mode on the single test node, under the load generator: a change to the configuration file alone (no
restart) beside the first switch to `file` mode (a restart). Figures only; nothing is asserted.

  (a) the first switch (flags -> file) through site.yml: failed requests, the apiserver's outage (/readyz polled every
      0.2 s) against (c);
  (b) a config-only change (another username prefix) through site.yml: failed requests (goal 0), time from the write of
      the file to the apiserver reporting it applied (its sha256 in ..._last_config_info, else the success counter),
      the role's own proof, the run's wall time, and whether the container changed;
  (c) the apiserver's own restart: its container stopped at once, the kubelet starting a new one (goal: (a)'s outage at
      most 1.5 times this).

    PYTHONPATH=tests:tests/node python3 bench/reload_file_mode.py [--keep-node] [--changes 3]
        (as root, from the repository; brings the node up if it is down, and then down again unless --keep-node)
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time

from apiserver_unavailability import ReadyzPoller, container_restart, node_cli, running_apiserver  # this directory
from e2e.stack import Stack
from kubeauth_node.loadgen import LoadGenerator, admin_token

AUTHN = '/etc/kubernetes/kubeauth-authn/authentication-config.yaml'
LOAD_RATE = 10  # requests per second, each on a new connection


class AppliedWatch:
    """Polls the apiserver's reload metrics every 0.1 s; when (monotonic and wall clock) each file sha256 was first
    reported applied, or each success count first seen."""

    def __init__(self, env):
        self.argv = [env['kubectl'], '--kubeconfig', env['kubeconfig'], 'get', '--raw', '/metrics']
        self.seen = {}  # hash or 'success:N' -> wall time first seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.1):
            result = subprocess.run(self.argv, capture_output=True, text=True, check=False)
            now = time.time()
            for digest in re.findall(r'_last_config_info\{[^}]*[{,]hash="sha256:([0-9a-f]+)"', result.stdout):
                self.seen.setdefault(digest, now)
            for count in re.findall(r'_automatic_reloads_total\{[^}]*status="success"[^}]*\} (\S+)', result.stdout):
                self.seen.setdefault('success:%d' % float(count), now)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def loaded(env, token):
    return LoadGenerator(env['apiserver_url'], os.path.join(env['pki_dir'], 'ca.crt'), {'admin': token}, rate=LOAD_RATE,
                         duration=900, path='/api')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keep-node', action='store_true', help='leave the node up at the end')
    parser.add_argument('--changes', type=int, default=3, help='config-only changes to measure')
    args = parser.parse_args(argv)

    was_up = json.loads(node_cli('status')).get('apiserver_ready')
    node_cli('up')
    env = json.loads(node_cli('env'))
    token = admin_token(env['kubeconfig'])
    stack = Stack('/var/tmp/kubeauth-bench-reload')
    changes = []
    try:
        rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=flags', echo=False)
        if rc:
            sys.exit('site.yml (flags) failed:\n' + output[-4000:])
        with loaded(env, token) as load, ReadyzPoller(env) as switch_poll:
            started = time.monotonic()
            rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=file', echo=False)
            switch_wall = time.monotonic() - started
            time.sleep(1)
            switch_load = load.stop()
        if rc:
            sys.exit('site.yml (the switch to file mode) failed:\n' + output[-4000:])

        for index in range(args.changes):
            container = running_apiserver(env)
            with loaded(env, token) as load, AppliedWatch(env) as watch:
                started = time.monotonic()
                rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=file',
                                            '-e', 'apiserver_oidc_username_prefix=bench-reload-%d:' % index, echo=False)
                wall = time.monotonic() - started
                time.sleep(1)
                report = load.stop()
            if rc:
                sys.exit('site.yml (config-only change) failed:\n' + output[-4000:])
            written = os.stat(AUTHN).st_mtime
            with open(AUTHN, 'rb') as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            applied = watch.seen.get(digest) or max(value for key, value in watch.seen.items() if key.startswith('success:'))
            proof = re.search(r"Read the apiserver's reload metrics until they say\][^\n]*\n((?:FAILED - RETRYING[^\n]*\n)*)ok:",
                              output)
            changes.append({'failed': report['failed'], 'sent': report['sent'], 'applied_after': applied - written,
                            'polls': proof.group(1).count('RETRYING') + 1 if proof else None, 'wall': wall,
                            'restarted': running_apiserver(env) != container,
                            'outcome': 'applied by a reload' in output})

        with ReadyzPoller(env) as restart_poll:
            restart_ready = container_restart(env, restart_poll)
            time.sleep(1)
    finally:
        stack.playbook('site.yml', echo=False)
        stack.stop()
        if not was_up and not args.keep_node:
            node_cli('down')

    print('\nfile mode on the single node, load %d req/s through new connections to the apiserver' % LOAD_RATE)
    outage = switch_poll.unavailable()
    print('  (a) first switch flags -> file: %d of %d requests failed; apiserver out of service %.1f s; site.yml %.1f s'
          % (switch_load['failed'], switch_load['sent'], outage, switch_wall))
    for index, change in enumerate(changes):
        print('  (b) config-only change %d: %d of %d requests failed; applied %.2f s after the write (role polls: %s); '
              'container restarted: %s; reported as reload: %s; site.yml %.1f s'
              % (index + 1, change['failed'], change['sent'], change['applied_after'], change['polls'],
                 change['restarted'], change['outcome'], change['wall']))
    if restart_ready is None:
        print('  (c) container restart: the kubelet did not restart the apiserver within 120 s')
    else:
        floor = restart_poll.unavailable()
        print('  (c) container restart: %.1f s out of service; ratio (a)/(c): %.2f (goal: at most 1.5)'
              % (floor, outage / floor if floor else float('inf')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
