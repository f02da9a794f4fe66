"""node.py's command line: build, up, down, status, env of the single node (default) or the HA cluster (--nodes N)."""

import argparse
import json
import sys

import contextlib
import os

from kubeauth_node import ha_cluster, ha_facts, locks, single
from kubeauth_node.build import build
from kubeauth_node.common import K8S_VERSION, StageError

USAGE = '''%(prog)s {build|up|down|status|env} [--nodes N] [--k8s-version vX.Y.Z]

  --nodes 1 (default)  the single node: this machine itself, as before
  --nodes N (N >= 2)   the HA cluster: N control-plane nodes in their own namespaces behind HAProxy, over SSH
                       (the tests use 3); down/status/env act on the HA cluster that is up, whatever its size
  --k8s-version V      the Kubernetes release: go/go.mod's by default, or one of go/versions/*.mod
                       (same as KUBEAUTH_K8S_VERSION=V; node.py applies it before anything loads)'''


def main(argv=None):
    parser = argparse.ArgumentParser(description='Kubernetes control planes for the kubeauth.authentik tests.', usage=USAGE)
    parser.add_argument('command', choices=['build', 'up', 'down', 'status', 'env'])
    parser.add_argument('--nodes', type=int, default=1, metavar='N', help='1: the single node (default); N >= 2: the HA cluster')
    parser.add_argument('--force', action='store_true', help='build: rebuild even when cached')
    parser.add_argument('--k8s-version', metavar='V', help='the Kubernetes release (default: go/go.mod\'s)')
    args = parser.parse_args(argv)
    if args.k8s_version and args.k8s_version.lstrip('v') != K8S_VERSION.lstrip('v'):
        parser.error('--k8s-version %s: this process loaded %s; pass the option to node.py (or set KUBEAUTH_K8S_VERSION)'
                     % (args.k8s_version, K8S_VERSION))
    if args.nodes < 1:
        parser.error('--nodes must be 1 (the single node) or more (the HA cluster), not %d' % args.nodes)
    ha = args.nodes > 1
    try:
        with _held(args.command, 'ha-cluster' if ha else 'single-node'):
            return _run(args, ha)
    except locks.Busy as exc:
        print('node.py %s: %s' % (args.command, exc), file=sys.stderr, flush=True)
        return 75  # EX_TEMPFAIL: try again later


def _held(command, resource):
    """up and down change the node: one user at a time (KUBEAUTH_LOCK_WAIT seconds to wait for it, default none)."""
    if command not in ('up', 'down'):
        return contextlib.nullcontext()
    return locks.Hold(resource, purpose='node.py ' + command, wait=float(os.environ.get('KUBEAUTH_LOCK_WAIT', '0')))


def _run(args, ha):
    try:
        if args.command == 'build':
            build(force=args.force)
        elif args.command == 'up':
            ha_cluster.up(args.nodes) if ha else single.up()  # pylint: disable=expression-not-assigned
        elif args.command == 'down':
            ha_cluster.down() if ha else single.down()  # pylint: disable=expression-not-assigned
        elif args.command == 'status':
            print(json.dumps(ha_cluster.status() if ha else single.status(), indent=1))
        else:
            print(json.dumps(ha_facts.env_facts(ha_facts.recorded_count() or args.nodes) if ha else single.env_facts(), indent=1))
    except (StageError, ValueError) as exc:
        print(exc.report() if isinstance(exc, StageError) else 'node.py: %s' % exc, file=sys.stderr, flush=True)
        return 1
    return 0
