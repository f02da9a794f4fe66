"""pytest wiring shared by the test tiers: the `node` marker (real test node) and its opt-in gate."""

import os


def pytest_configure(config):
    config.addinivalue_line('markers', 'node: needs the real single-node control plane (tests/node/node.py); slow, runs as root')


def pytest_collection_modifyitems(config, items):
    """Leave node tests out of ordinary runs: they build Kubernetes and change the machine.

    They run when selected with `-m node` (or any -m expression naming it) or with KUBEAUTH_NODE_TESTS=1.
    Left out means deselected, never skipped: once selected, a node that cannot come up fails.
    """
    if 'node' in (config.getoption('markexpr') or '') or os.environ.get('KUBEAUTH_NODE_TESTS') == '1':
        return
    kept = [item for item in items if item.get_closest_marker('node') is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
