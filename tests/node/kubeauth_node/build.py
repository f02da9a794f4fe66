"""Build the Kubernetes binaries from the Go modules go.mod pins, once per source digest, outside the work tree."""

import hashlib
import os
import subprocess
import threading
import time

from kubeauth_node.common import (BIN_DIR, CACHE_ROOT, CRICTL_MODULE_DIR, CRICTL_VERSION, GO, GO_MODULE_DIR,
                                  K8S_VERSION, StageError, say, tail)

STAMP = os.path.join(BIN_DIR, '.stamp')
BUILD_LOG = os.path.join(CACHE_ROOT, K8S_VERSION, 'build.log')

# Wrapper package -> binary name; crictl is the upstream main package (see go.mod's tool line), built in
# the module that pins it (common.CRICTL_MODULE_DIR).
CRICTL = 'sigs.k8s.io/cri-tools/cmd/crictl'
BINARIES = [
    ('./cmd/kubectl', 'kubectl'),
    ('./cmd/kubeadm', 'kubeadm'),
    (CRICTL, 'crictl'),
    ('./cmd/etcd', 'etcd'),
    ('./cmd/kube-apiserver', 'kube-apiserver'),
    ('./cmd/kubelet', 'kubelet'),
]


def _module_sources(module_dir):
    """The .go files, go.mod and go.sum of one module, without the modules nested in it (other releases)."""
    found = []
    for root, dirs, files in os.walk(module_dir):
        dirs[:] = sorted(d for d in dirs if not os.path.isfile(os.path.join(root, d, 'go.mod')))
        found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith('.go') or name in ('go.mod', 'go.sum'))
    return found


def _source_digest():
    """Digest of everything that decides the binaries: a changed pin means a rebuild."""
    digest = hashlib.sha256()
    # Names relative to their module, so that moving a release's module (go/ <-> go/<release>/) keeps its cache.
    paths = [(path, os.path.relpath(path, GO_MODULE_DIR)) for path in _module_sources(GO_MODULE_DIR)]
    if CRICTL_MODULE_DIR != GO_MODULE_DIR:
        paths += [(os.path.join(CRICTL_MODULE_DIR, name), 'crictl/' + name) for name in ('go.mod', 'go.sum')]
    for path, name in paths:
        digest.update(name.encode())
        with open(path, 'rb') as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def binaries_cached():
    """True when every binary exists and the stamp matches the current sources."""
    try:
        with open(STAMP, encoding='utf-8') as handle:
            stamp = handle.read().strip()
    except OSError:
        return False
    if stamp != _source_digest():
        return False
    return all(os.access(os.path.join(BIN_DIR, name), os.X_OK) for _pkg, name in BINARIES)


def _ldflags():
    """Version variables the upstream release build sets; kubeadm compares its own version."""
    major, minor = K8S_VERSION.lstrip('v').split('.')[:2]
    values = {
        'gitVersion': K8S_VERSION,
        'gitMajor': major,
        'gitMinor': minor,
        'gitTreeState': 'clean',
        'buildDate': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    }
    flags = ['-s', '-w']
    for package in ('k8s.io/client-go/pkg/version', 'k8s.io/component-base/version'):
        flags.extend('-X %s.%s=%s' % (package, key, value) for key, value in values.items())
    flags.append('-X sigs.k8s.io/cri-tools/pkg/version.Version=%s' % CRICTL_VERSION)
    return ' '.join(flags)


def _heartbeat(name, started, done):
    """Print a line a minute so a long cold build does not look hung."""
    while not done.wait(60):
        say('  ... still building %s (%.0fs)' % (name, time.monotonic() - started))


def _go_build(package, name, log):
    env = dict(os.environ, CGO_ENABLED='0', GOFLAGS='-buildvcs=false -trimpath')
    target = os.path.join(BIN_DIR, name)
    command = [GO, 'build', '-p', '2', '-ldflags=' + _ldflags(), '-o', target + '.tmp', package]
    log.write('$ %s\n' % ' '.join(command))
    log.flush()
    started = time.monotonic()
    done = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(name, started, done), daemon=True)
    beat.start()
    try:
        cwd = CRICTL_MODULE_DIR if package == CRICTL else GO_MODULE_DIR
        result = subprocess.run(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    finally:
        done.set()
    if result.returncode != 0:
        raise StageError('build', 'go build of %s failed (exit %d)' % (name, result.returncode), command, tail(BUILD_LOG))
    os.replace(target + '.tmp', target)
    return time.monotonic() - started


def build(force=False):
    """Build the binaries once per source digest into the cache outside the work tree."""
    if not force and binaries_cached():
        say('build: cached binaries for %s in %s' % (K8S_VERSION, BIN_DIR))
        return 'cached'
    os.makedirs(BIN_DIR, exist_ok=True)
    if os.path.exists(STAMP):
        os.unlink(STAMP)
    say('build: %s into %s (log %s)' % (K8S_VERSION, BIN_DIR, BUILD_LOG))
    started = time.monotonic()
    with open(BUILD_LOG, 'a', encoding='utf-8') as log:
        for index, (package, name) in enumerate(BINARIES, 1):
            say('  [%d/%d] %s: building' % (index, len(BINARIES), name))
            elapsed = _go_build(package, name, log)
            say('  [%d/%d] %s: done in %.0fs (total %.0fs)' % (index, len(BINARIES), name, elapsed, time.monotonic() - started))
    with open(STAMP, 'w', encoding='utf-8') as handle:
        handle.write(_source_digest() + '\n')
    say('build: finished in %.0fs' % (time.monotonic() - started))
    return 'built in %.0fs' % (time.monotonic() - started)
