"""Kubernetes control planes for the tests: build, up, down, status, env (tests/node/README.md).

Usage: python3 tests/node/node.py {build|up|down|status|env} [--nodes N] [--k8s-version vX.Y.Z]
       --nodes 1 (default) is the single node on this machine; --nodes 3 the HA cluster.
       --k8s-version picks the Kubernetes release (go/go.mod's by default, others under go/versions/).

The code is the kubeauth_node package beside this file (Python puts this directory on the path).
"""

import os
import sys


def _k8s_version(argv):
    """--k8s-version's value: kubeauth_node reads the release when it loads, so it is set before the import."""
    for index, arg in enumerate(argv):
        if arg == '--k8s-version' and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith('--k8s-version='):
            return arg.split('=', 1)[1]
    return None


if __name__ == '__main__':
    if _k8s_version(sys.argv[1:]):
        os.environ['KUBEAUTH_K8S_VERSION'] = _k8s_version(sys.argv[1:])
    try:
        from kubeauth_node.cli import main  # pylint: disable=import-outside-toplevel
    except ValueError as exc:  # an unknown release, named with the ones there are
        print('node.py: %s' % exc, file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
