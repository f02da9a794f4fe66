"""The locks on the test node and the HA cluster: a second user is refused and told who holds it; the holder's own
children share its hold; the lock goes with its holder (tests/node/kubeauth_node/locks.py)."""

import os
import subprocess
import sys
import time

import pytest

from kubeauth_node import locks

NODE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'node')


@pytest.fixture(name='lock_dir')
def lock_dir_fixture(tmp_path, monkeypatch):
    monkeypatch.setattr(locks, 'LOCK_DIR', str(tmp_path))
    return str(tmp_path)


def locks_cli(lock_dir, *args, **kwargs):
    env = dict(os.environ, KUBEAUTH_LOCK_DIR=lock_dir, PYTHONPATH=NODE_DIR)
    return subprocess.Popen([sys.executable, '-m', 'kubeauth_node.locks'] + list(args), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def wait_until_held(resource, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = locks.holder_of(resource)
        if holder:
            return holder
        time.sleep(0.05)
    raise AssertionError('%s was never taken' % resource)


def test_a_second_user_is_refused_and_told_who_holds_it(lock_dir):
    first = locks_cli(lock_dir, 'hold', 'single-node', '--', 'sleep', '30')
    try:
        holder = wait_until_held('single-node')
        assert holder['pid'] == first.pid and holder['purpose'] == 'sleep 30'
        with pytest.raises(locks.Busy) as refused:
            locks.Hold('single-node', purpose='a second run').acquire()
        assert 'the single test node' in str(refused.value) and 'pid %d (sleep 30)' % first.pid in str(refused.value)
        second = locks_cli(lock_dir, 'hold', 'single-node', '--', 'true')
        err = second.communicate(timeout=20)[1]
        assert second.returncode == 75 and 'in use by pid %d' % first.pid in err
        # The other resource is not held by it.
        with locks.Hold('ha-cluster', purpose='the HA tests'):
            assert locks.holder_of('ha-cluster')['pid'] == os.getpid()
    finally:
        first.kill()
        first.wait()


def test_the_lock_goes_with_its_holder_and_a_waiter_gets_it(lock_dir):
    first = locks_cli(lock_dir, 'hold', 'ha-cluster', '--', 'sleep', '2')
    wait_until_held('ha-cluster')
    started = time.monotonic()
    with locks.Hold('ha-cluster', purpose='after the first', wait=30, say=lambda message: None) as hold:
        assert not hold.nested and time.monotonic() - started > 0.5
        assert locks.holder_of('ha-cluster')['purpose'] == 'after the first'
    assert locks.holder_of('ha-cluster') is None
    first.wait(timeout=20)


def test_the_holders_children_share_its_hold(lock_dir):
    with locks.Hold('single-node', purpose='a test run'):
        child = locks_cli(lock_dir, 'hold', 'single-node', '--', sys.executable, '-c', 'print("used")')
        out, err = child.communicate(timeout=20)
        assert child.returncode == 0 and out.strip() == 'used', err
    assert locks.holder_of('single-node') is None


def test_an_unknown_resource_is_named(lock_dir):
    with pytest.raises(ValueError, match="unknown resource 'the-node'; known: authentik-2025.10.4, authentik-2026.2.2, "
                                         "ha-cluster, single-node"):
        locks.Hold('the-node').acquire()


def test_every_apt_get_of_the_tests_waits_for_the_others():
    """Jobs side by side on a fresh machine install packages at once and dpkg serves one caller (a run where stage
    node and the authentik build both installed packages lost node's first test modules to "Could not get lock"):
    every apt-get the tests start on this machine goes through the one lock (APT_GET, run.sh's apt_get). The Debian
    root of tests/authentik/debian_root.py has a dpkg of its own."""
    from authentik.layout import APT_GET as AUTHENTIK_APT_GET  # pylint: disable=import-outside-toplevel
    from kubeauth_node.common import APT_GET as NODE_APT_GET  # pylint: disable=import-outside-toplevel
    assert AUTHENTIK_APT_GET == NODE_APT_GET and NODE_APT_GET[:2] == ['flock', '--timeout']
    tests_dir = os.path.dirname(NODE_DIR)
    bare = []
    for folder, _dirs, files in os.walk(tests_dir):
        for name in files:
            path = os.path.join(folder, name)
            if name == 'debian_root.py' or not name.endswith(('.py', '.sh')) or path == os.path.abspath(__file__):
                continue
            with open(path, encoding='utf-8', errors='replace') as handle:
                for number, line in enumerate(handle, 1):
                    code = line.split('#', 1)[0]
                    if ("'apt-get'" in code and 'APT_GET = ' not in code) or \
                            (name.endswith('.sh') and 'apt-get ' in code and 'flock' not in code and 'echo' not in code):
                        bare.append('%s:%d: %s' % (os.path.relpath(path, tests_dir), number, line.strip()))
    assert not bare, 'apt-get without the shared lock:\n' + '\n'.join(bare)
