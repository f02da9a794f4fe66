"""The rolling rollout on the HA cluster, side by side in one run (figures only; nothing is asserted).

On the HA test cluster (tests/node: 3 control-plane nodes in their own namespaces, HAProxy in front, SSH with become):
  (a) failed requests through the load balancer while apiserver_oidc rolls a change over every node (goal 0);
  (b) each node's apiserver unavailability during that rollout (its own /readyz polled every 0.2 s), against
      (c) the apiserver's own restart on the same node: its container stopped at once, the kubelet starting a new
      one (the floor; goal: (b)/(c) at most 1.5);
  (d) the total rollout time against N x one node's cycle (the same role, one node, one change);
  (e) the no-op run time of the role and of site.yml over SSH.

    python3 bench/rollout_ha.py [--nodes 3] [--keep]    (as root; PYTHONPATH=tests:tests/node, as tests/run.sh sets it)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from e2e.ha_stack import HAStack
from kubeauth_node import ha_facts
from kubeauth_node.loadgen import LoadGenerator, admin_token

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(ROOT, 'tests', 'node', 'node.py')
POLL_INTERVAL = 0.2
ROLLOUT = '''---
- name: apiserver_oidc, one control-plane node at a time
  hosts: control_plane
  serial: 1
  max_fail_percentage: 0
  gather_facts: false
  roles:
    - role: kubeauth.authentik.apiserver_oidc
'''


def node_cli(*args):
    result = subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit('node.py %s failed:\n%s%s' % (' '.join(args), result.stdout[-3000:], result.stderr[-3000:]))
    return result.stdout


class Pollers:
    """Every node's /readyz, polled every POLL_INTERVAL seconds in one thread each."""

    def __init__(self, facts):
        self.urls = {node['name']: node['apiserver_url'] for node in facts['nodes']}
        self.samples = {name: [] for name in self.urls}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in self.urls]

    def _run(self, name):
        while not self._stop.is_set():
            started = time.monotonic()
            self.samples[name].append((started, ha_facts.readyz(self.urls[name], timeout=1)))
            self._stop.wait(max(0.0, POLL_INTERVAL - (time.monotonic() - started)))

    def unavailable(self, name):
        """Seconds the node's /readyz was not ok: the sum of its not-ok intervals."""
        samples = self.samples[name]
        return sum(later[0] - earlier[0] for earlier, later in zip(samples, samples[1:]) if not earlier[1])

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join()


def container_restart(facts, node, timeout=120):
    """Stop the node's apiserver container at once; seconds until the kubelet's new one answers /readyz."""
    crictl = node['exec_prefix'] + [facts['crictl']] + facts['node_side']['crictl_args']
    ids = subprocess.run(crictl + ['ps', '-q', '--name', '^kube-apiserver$'], capture_output=True, text=True, check=True).stdout.split()
    started = time.monotonic()
    subprocess.run(crictl + ['stop', '--timeout', '0'] + ids, capture_output=True, check=True)
    deadline = started + timeout
    seen_down = False
    while time.monotonic() < deadline:
        ready = ha_facts.readyz(node['apiserver_url'], timeout=1)
        seen_down = seen_down or not ready
        if seen_down and ready:
            return time.monotonic() - started
        time.sleep(POLL_INTERVAL)
    return None


def timed_playbook(stack, path, *extra):
    started = time.monotonic()
    rc, output = stack.playbook(path, *extra, echo=False)
    if rc:
        sys.exit('%s failed:\n%s' % (path, output[-6000:]))
    return time.monotonic() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nodes', type=int, default=3)
    parser.add_argument('--keep', action='store_true', help='leave the cluster up at the end')
    args = parser.parse_args(argv)
    print('cluster: bringing up %d nodes (reused when up)' % args.nodes, flush=True)
    node_cli('up', '--nodes', str(args.nodes))
    facts = json.loads(node_cli('env', '--nodes', str(args.nodes)))
    names = [node['name'] for node in facts['nodes']]
    figures = {}
    try:
        with tempfile.TemporaryDirectory(prefix='kubeauth-bench-ha-') as workdir:
            stack = HAStack(workdir, facts)
            rollout = os.path.join(workdir, 'rollout.yml')
            with open(rollout, 'w', encoding='utf-8') as handle:
                handle.write(ROLLOUT)
            try:
                print('site.yml: the OIDC settings on every node (the starting point)', flush=True)
                timed_playbook(stack, 'site.yml')
                print('(c) each apiserver\'s own restart', flush=True)
                restarts = {node['name']: container_restart(facts, node) for node in facts['nodes']}
                print('(d) one node\'s cycle', flush=True)
                # The role alone: the issuer it would otherwise take from the authentik play's facts.
                role_vars = {'apiserver_oidc_issuer_url': stack.issuer, 'apiserver_oidc_client_id': 'kubernetes'}
                stack.write_inventory(group_vars=dict(role_vars, apiserver_oidc_username_prefix='bench-1:'))
                one_node = timed_playbook(stack, rollout, '--limit', names[0])
                print('(a, b, d) the rollout of a change over every node, under load', flush=True)
                stack.write_inventory(group_vars=dict(role_vars, apiserver_oidc_username_prefix='bench-2:'))
                token = admin_token(facts['kubeconfig'])
                with LoadGenerator(facts['lb_url'], facts['ca_cert'], {'admin': token}, rate=5, duration=900) as load:
                    with Pollers(facts) as pollers:
                        full = timed_playbook(stack, rollout)
                    report = load.stop()
                print('(e) no-op runs over SSH', flush=True)
                noop_role = min(timed_playbook(stack, rollout) for dummy in range(2))
                noop_site = timed_playbook(stack, 'site.yml')
            finally:
                stack.stop()
        figures = dict(restarts=restarts, one_node=one_node, full=full, report=report, pollers=pollers,
                       noop_role=noop_role, noop_site=noop_site)
    finally:
        if not args.keep:
            node_cli('down', '--nodes', str(args.nodes))
    report, pollers = figures['report'], figures['pollers']
    print('\nrolling a change over %d control-plane nodes (serial: 1, over SSH with become), HAProxy in front' % len(names))
    print('  (a) requests through the load balancer: %d sent, %d failed (goal 0)%s'
          % (report['sent'], report['failed'], (': ' + json.dumps(report['reasons'])) if report['failed'] else ''))
    ratios = []
    for name in names:
        down, floor = pollers.unavailable(name), figures['restarts'][name]
        ratio = down / floor if floor else float('inf')
        ratios.append(ratio)
        print('  (b) %s apiserver unavailable %.1f s; (c) its own container restart %s; ratio %.2f (goal <= 1.5)'
              % (name, down, '%.1f s' % floor if floor else 'did not come back in 120 s', ratio))
    print('  (d) rollout %.1f s; one node\'s cycle %.1f s; rollout / (N x cycle) = %.2f'
          % (figures['full'], figures['one_node'], figures['full'] / (len(names) * figures['one_node'])))
    print('  (e) no-op: apiserver_oidc over %d nodes %.1f s; site.yml %.1f s' % (len(names), figures['noop_role'], figures['noop_site']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
