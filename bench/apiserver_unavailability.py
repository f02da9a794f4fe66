"""How long kube-apiserver is unavailable when the apiserver_oidc role applies a change, against a bare restart.

On the real test node (tests/node/node.py), in one run:
  (i)   the role applies a change (another username prefix) through its full restart cycle;
  (ii)  the naive way: the same kind of change edited into the manifest in place, then wait for /readyz;
  (iii) a no-op role run (nothing to change): its wall time;
  (iv)  the apiserver's own restart: its container stopped at once, the kubelet starting a new one (the floor).
/readyz is polled every 0.2 s from a thread during (i) and (ii); unavailable time is the time it was not ok,
split into the old apiserver shutting down, no apiserver container, and the new one starting.
Prints figures and the ratios (i)/(ii) and (i)/(iv); asserts nothing about timing.

    PYTHONPATH=tests/node python3 bench/apiserver_unavailability.py [--keep-node]
        (as root, from the repository; brings the node up if it is down, and then down again unless --keep-node)
"""

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import yaml

from kubeauth_node.playbook import RolePlay  # tests/node on PYTHONPATH (see the usage above)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(ROOT, 'tests', 'node', 'node.py')
POLL_INTERVAL = 0.2


def node_cli(*args):
    result = subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit('node.py %s failed:\n%s%s' % (' '.join(args), result.stdout[-3000:], result.stderr[-3000:]))
    return result.stdout


class ReadyzPoller:
    """Polls /readyz (and the running apiserver containers) every POLL_INTERVAL seconds in a thread."""

    def __init__(self, env):
        self.env = env
        self.url = env['apiserver_url'] + '/readyz'
        self.context = ssl.create_default_context(cafile=os.path.join(env['pki_dir'], 'ca.crt'))
        self.samples = []  # (monotonic time, /readyz ok, running container ids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def probe(self):
        # /readyz is readable without credentials (system:public-info-viewer), as a load balancer reads it.
        try:
            with urllib.request.urlopen(self.url, timeout=1, context=self.context) as response:  # nosec: the node's own URL
                return response.status == 200 and response.read().strip() == b'ok'
        except (OSError, ValueError):
            return False

    def sample(self):
        return (time.monotonic(), self.probe(), tuple(running_apiserver(self.env)))

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            self.samples.append(self.sample())
            self._stop.wait(max(0.0, POLL_INTERVAL - (time.monotonic() - started)))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(self.sample())

    def unavailable(self):
        """Seconds not ok: each not-ok sample counts until the next sample."""
        return sum(later[0] - sample[0] for sample, later in zip(self.samples, self.samples[1:]) if not sample[1])

    def outages(self):
        count, previous = 0, True
        for sample in self.samples:
            count += previous and not sample[1]
            previous = sample[1]
        return count

    def phases(self):
        """Seconds of the first outage spent in: the old apiserver shutting down (not ready, still running),
        no apiserver container, and the new one starting (running, not ready yet)."""
        down = next((i for i, sample in enumerate(self.samples) if not sample[1]), None)
        if down is None:
            return None
        old = self.samples[down - 1][2] if down else ()
        end = next((i for i in range(down, len(self.samples)) if self.samples[i][1]), len(self.samples) - 1)
        spent = {'shutdown': 0.0, 'none': 0.0, 'startup': 0.0}
        for sample, later in zip(self.samples[down:end], self.samples[down + 1:end + 1]):
            ids = sample[2]
            phase = 'none' if not ids else ('shutdown' if set(ids) & set(old) else 'startup')
            spent[phase] += later[0] - sample[0]
        return spent


class Role:
    """The role against the node (the shared kubeauth_node.playbook.RolePlay), with a private state directory."""

    def __init__(self, env, workdir):
        self.play = RolePlay(workdir, title='The apiserver_oidc role, benchmarked')
        self.vars = {
            'apiserver_oidc_issuer_url': 'https://127.0.0.1:9443/application/o/kubernetes/',
            'apiserver_oidc_client_id': 'kubernetes',
            'apiserver_oidc_mode': 'flags',  # the restart cycle is what is measured
            'apiserver_oidc_kubectl': env['kubectl'],
            'apiserver_oidc_kubeconfig': env['kubeconfig'],
            'apiserver_oidc_crictl': env['crictl'],
            'apiserver_oidc_crictl_config': env['crictl_config'],
            'apiserver_oidc_manifest': env['apiserver_manifest'],
            'apiserver_oidc_state_dir': os.path.join(workdir, 'state'),
        }

    def run(self, prefix):
        """Wall seconds of one run that sets the username prefix; exits on failure."""
        result = self.play.run(dict(self.vars, apiserver_oidc_username_prefix=prefix), echo=False)
        if result.rc != 0:
            sys.exit('the role failed:\n%s' % result.output[-5000:])
        return result.elapsed


def running_apiserver(env):
    result = subprocess.run([env['crictl']] + env['crictl_args'] + ['ps', '-q', '--state', 'running', '--name', '^kube-apiserver$'],
                            capture_output=True, text=True, check=False)
    return result.stdout.split()


def bare_restart(env, prefix, poller, timeout=300):
    """Edit the flag in the manifest in place, as one would by hand; wait for a new container and /readyz.

    Returns the seconds until the apiserver was ready again on a new container, or None when the kubelet did
    not restart it within the timeout (the reason the role runs the full cycle).
    """
    before = running_apiserver(env)
    path = env['apiserver_manifest']
    with open(path, encoding='utf-8') as handle:
        pod = yaml.safe_load(handle)
    container = next(c for c in pod['spec']['containers'] if c['name'] == 'kube-apiserver')
    command = [arg for arg in container['command'] if not arg.startswith('--oidc-username-prefix=')]
    container['command'] = command + ['--oidc-username-prefix=' + prefix]
    text = yaml.safe_dump(pod, default_flow_style=False)
    started = time.monotonic()
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    deadline = started + timeout
    while time.monotonic() < deadline:
        now = running_apiserver(env)
        if now and now != before and poller.probe():
            return time.monotonic() - started
        time.sleep(POLL_INTERVAL)
    return None


def container_restart(env, poller, timeout=120):
    """The apiserver's own restart, the floor for any change: stop its container at once (SIGKILL) and let the
    kubelet start a new one. Returns the seconds until a new container answers /readyz, or None on timeout."""
    before = running_apiserver(env)
    started = time.monotonic()
    subprocess.run([env['crictl']] + env['crictl_args'] + ['stop', '--timeout', '0'] + before, capture_output=True, check=True)
    deadline = started + timeout
    while time.monotonic() < deadline:
        now = running_apiserver(env)
        if now and now != before and poller.probe():
            return time.monotonic() - started
        time.sleep(POLL_INTERVAL)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keep-node', action='store_true', help='leave the node up at the end')
    args = parser.parse_args(argv)

    was_up = json.loads(node_cli('status')).get('apiserver_ready')
    print('node: %s' % ('up' if was_up else 'bringing it up'), flush=True)
    node_cli('up')
    env = json.loads(node_cli('env'))
    try:
        with tempfile.TemporaryDirectory(prefix='kubeauth-bench-') as workdir:
            role = Role(env, workdir)
            # Start from the role's flags, so that the measured run is one change of one value.
            role.run('bench-0:')

            with ReadyzPoller(env) as role_poll:
                role_wall = role.run('bench-1:')
            noop_walls = [role.run('bench-1:') for dummy in range(3)]

            with ReadyzPoller(env) as restart_poll:
                restart_ready = container_restart(env, restart_poll)
                time.sleep(1)

            with ReadyzPoller(env) as bare_poll:
                bare_ready = bare_restart(env, 'bench-2:', bare_poll)
                # Let the poller see a few ok samples after the restart.
                time.sleep(1)
    finally:
        if not was_up and not args.keep_node:
            node_cli('down')

    role_down = role_poll.unavailable()
    bare_down = bare_poll.unavailable()
    print('\napiserver unavailability (/readyz polled every %.1f s)' % POLL_INTERVAL)
    print('  (i)   role applies a change:     %6.1f s unavailable in %d outage(s); role wall time %.1f s'
          % (role_down, role_poll.outages(), role_wall))
    if bare_ready is None:
        print('  (ii)  bare in-place edit:        the kubelet did not restart the apiserver within 300 s')
    else:
        print('  (ii)  bare in-place edit:        %6.1f s unavailable in %d outage(s); ready again %.1f s after the edit'
              % (bare_down, bare_poll.outages(), bare_ready))
        print('  ratio (i)/(ii):                  %6.2f' % (role_down / bare_down if bare_down else float('inf')))
    restart_down = restart_poll.unavailable()
    if restart_ready is None:
        print('  (iv)  container restart:         the kubelet did not restart the apiserver within 120 s')
    else:
        print('  (iv)  container restart:         %6.1f s unavailable; ready again %.1f s after the stop'
              % (restart_down, restart_ready))
        print('  ratio (i)/(iv):                  %6.2f   (goal: at most 1.5)'
              % (role_down / restart_down if restart_down else float('inf')))
    for name, poll in (('(i) ', role_poll), ('(ii)', bare_poll), ('(iv)', restart_poll)):
        phases = poll.phases()
        if phases:
            print('  %s outage: %.1f s old apiserver shutting down, %.1f s no apiserver, %.1f s new one starting'
                  % (name, phases['shutdown'], phases['none'], phases['startup']))
    print('  (iii) no-op role run wall time:  %6.1f s (min of %d; all: %s)'
          % (min(noop_walls), len(noop_walls), ', '.join('%.1f' % wall for wall in noop_walls)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
