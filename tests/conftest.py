"""pytest wiring shared by the test tiers: the `node` and `ha` markers (real test nodes) and their opt-in gate."""

import os


def pytest_configure(config):
    config.addinivalue_line('markers', 'node: needs a real control plane (tests/node/node.py: the single node, or with ha the HA cluster); slow, root')
    config.addinivalue_line('markers', 'ha: needs the three-node HA cluster (node.py up --nodes 3); also marked node')


def pytest_collection_modifyitems(config, items):
    """Leave node tests out of ordinary runs: they build Kubernetes and change the machine.

    They run when selected with `-m node` or `-m ha` (or any -m expression naming one) or with KUBEAUTH_NODE_TESTS=1.
    HA tests carry both markers, so `-m "node and not ha"` selects the single node's tests alone.
    Left out means deselected, never skipped: once selected, a node that cannot come up fails.
    """
    markexpr = config.getoption('markexpr') or ''
    if 'node' in markexpr or 'ha' in markexpr.split() or os.environ.get('KUBEAUTH_NODE_TESTS') == '1':
        return
    kept = [item for item in items if item.get_closest_marker('node') is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
