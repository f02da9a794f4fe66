"""Kubernetes control planes for the kubeauth.authentik tests (tests/node/README.md).

Import with tests/node on the Python path (tests/run.sh and scripts/demo.sh set PYTHONPATH):

    from kubeauth_node import ha_facts, single      # facts of the HA cluster / the single node
    from kubeauth_node.loadgen import LoadGenerator  # bounded load through the load balancer
    from kubeauth_node.playbook import RolePlay      # one role, one playbook, against a node

The command line is tests/node/node.py (cli.main).
"""
