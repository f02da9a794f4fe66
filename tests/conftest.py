"""pytest wiring shared by the test tiers: the `node` and `ha` markers (real test nodes) and their opt-in gate."""

import os

import pytest


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


def pytest_collection_finish(session):
    """A session that runs node tests holds the node they use (the HA cluster for `ha` tests) until it ends, so two
    sessions, or a session and a test run, never change one node at once (kubeauth_node.locks). The holder of the
    run that started this session lends it its hold; anybody else's session stops here, saying who holds the node.
    KUBEAUTH_LOCK_WAIT=SECONDS waits that long for it instead."""
    if os.environ.get('PYTEST_XDIST_WORKER'):  # the controller of an xdist session holds for its workers
        return
    needed = set()
    for item in session.items:
        if item.get_closest_marker('node') is not None:
            needed.add('ha-cluster' if item.get_closest_marker('ha') is not None else 'single-node')
    if not needed:
        return
    from kubeauth_node import locks  # pylint: disable=import-outside-toplevel  # tests/node on the path for node tests
    holds = []
    try:
        for resource in sorted(needed):
            holds.append(locks.Hold(resource, purpose='pytest ' + ' '.join(session.config.invocation_params.args),
                                    wait=float(os.environ.get('KUBEAUTH_LOCK_WAIT', '0'))).acquire())
    except locks.Busy as exc:
        for hold in holds:
            hold.release()
        pytest.exit(str(exc), returncode=pytest.ExitCode.INTERRUPTED)
    session.config.kubeauth_node_holds = holds


def pytest_unconfigure(config):
    for hold in getattr(config, 'kubeauth_node_holds', ()):
        hold.release()
