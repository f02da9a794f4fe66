"""Locks on what test runs share: one user of the single node, of the HA cluster, at a time.

A lock is an flock(2) on /run/lock/kubeauth-<resource>.lock, held by a long-lived process (the test run's
scheduler, a pytest session, node.py while it changes a node), with the holder written into the file. A
process whose ancestor (or itself) holds the lock uses the resource under that hold: node.py started by a test
started by the scheduler needs no lock of its own. Anybody else is refused, or waits when asked to, and is
told who holds it. The lock goes with its holder's process, however that ends.

    python3 -m kubeauth_node.locks status                who holds what
    python3 -m kubeauth_node.locks hold [--wait SECONDS] single-node -- CMD
                                                     run CMD holding the lock (refused when it is taken,
                                                     unless it frees within SECONDS)
"""

import errno
import fcntl
import json
import os
import sys
import time

LOCK_DIR = os.environ.get('KUBEAUTH_LOCK_DIR', '/run/lock')

# What each lock guards; node.py's up and down, the pytest sessions of tests/node and tests/e2e and the test run's
# scheduler (tests/pipeline/plan.py) take these.
RESOURCES = {
    'single-node': 'the single test node (this machine: its kubelet, containerd and kube-apiserver)',
    'ha-cluster': 'the three-node HA test cluster (its namespaces, addresses and HAProxy)',
}


class Busy(Exception):
    """The resource is held by a process that is not this one or one of its ancestors."""

    def __init__(self, resource, holder):
        self.resource, self.holder = resource, holder
        super().__init__('%s is in use by %s; wait until it ends (python3 -m kubeauth_node.locks statusshows the holders)'
                         % (RESOURCES.get(resource, resource), describe(holder)))


def describe(holder):
    if not holder:
        return 'another process'
    since = time.strftime('%H:%M:%S', time.localtime(holder.get('since', 0)))
    return 'pid %s (%s) since %s' % (holder.get('pid'), holder.get('purpose') or ' '.join(holder.get('argv', [])), since)


def ancestors(pid):
    """pid and its ancestors, up to init."""
    chain = []
    while pid and pid not in chain:
        chain.append(pid)
        try:
            with open('/proc/%d/stat' % pid) as handle:
                # The command name is in parentheses and may hold spaces: the parent pid follows the last ')'.
                pid = int(handle.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return chain


def _path(resource):
    if resource not in RESOURCES:
        raise ValueError('unknown resource %r; known: %s' % (resource, ', '.join(sorted(RESOURCES))))
    return os.path.join(LOCK_DIR, 'kubeauth-%s.lock' % resource)


def holder_of(resource):
    """The recorded holder of a resource's lock, or None when nobody holds it."""
    path = _path(resource)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return _read(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read(path):
    for _attempt in range(20):  # the holder writes itself in just after it takes the lock
        try:
            with open(path) as handle:
                text = handle.read()
            if text.strip():
                return json.loads(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return None


class Hold:
    """Holds a resource for as long as it is open (a context manager)."""

    def __init__(self, resource, purpose='', wait=0.0, say=None):
        self.resource, self.purpose, self.wait = resource, purpose, wait
        self.say = say or (lambda message: print(message, file=sys.stderr, flush=True))
        self.fd = None
        self.nested = False

    def acquire(self):
        path = _path(self.resource)
        os.makedirs(LOCK_DIR, exist_ok=True)
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                holder = _read(path)
                if holder and holder.get('pid') in ancestors(os.getpid()):
                    self.nested = True  # used under a hold of this process or of one that started it
                    return self
                if time.monotonic() >= deadline:
                    raise Busy(self.resource, holder) from None
                if not told:
                    self.say('waiting for %s: in use by %s' % (self.resource, describe(holder)))
                    told = True
                time.sleep(1)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(dict(pid=os.getpid(), since=time.time(), purpose=self.purpose, argv=sys.argv)).encode())
            self.fd = fd
            return self

    def release(self):
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()


def main(argv):
    if argv[:1] == ['status']:
        for resource in sorted(RESOURCES):
            holder = holder_of(resource)
            print('%-12s %s' % (resource, describe(holder) if holder else 'free'))
        return 0
    wait = 0.0
    if argv[:2] == ['hold', '--wait'] and len(argv) > 2:
        wait, argv = float(argv[2]), argv[:1] + argv[3:]
    if argv[:1] == ['hold'] and '--' in argv and argv.index('--') >= 2:
        split = argv.index('--')
        try:
            holds = [Hold(resource, purpose=' '.join(argv[split + 1:]), wait=wait).acquire() for resource in argv[1:split]]
        except (Busy, ValueError) as exc:
            print('locks: %s' % exc, file=sys.stderr)
            return 75  # EX_TEMPFAIL
        try:
            import subprocess  # pylint: disable=import-outside-toplevel
            return subprocess.call(argv[split + 1:])
        finally:
            for hold in holds:
                hold.release()
    print(__doc__.strip().rsplit('\n\n', 1)[-1], file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
