"""Kubernetes control planes for the tests: build, up, down, status, env (tests/node/README.md).

Usage: python3 tests/node/node.py {build|up|down|status|env} [--nodes N]
       --nodes 1 (default) is the single node on this machine; --nodes 3 the HA cluster.

The code is the kubeauth_node package beside this file (Python puts this directory on the path).
"""

import sys

from kubeauth_node.cli import main

if __name__ == '__main__':
    sys.exit(main())
