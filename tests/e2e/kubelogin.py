# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real kubelogin (`kubectl oidc-login`), built from its vendored source for the e2e tests and the demo.

    python3 tests/e2e/kubelogin.py build     # build or reuse; prints the binary's path
    python3 tests/e2e/kubelogin.py path      # the directory to put first on PATH

The Go module proxy refuses github.com/int128/kubelogin itself but serves every module it
depends on, so the source comes from shared/vendor/kubelogin-<version>.tar.gz (see its README)
and the binary is cached outside the work tree, like the test node's Kubernetes binaries:
$KUBEAUTH_NODE_CACHE (default /var/cache/kubeauth-node)/kubelogin-<version>/kubectl-oidc_login,
rebuilt only when the tarball changes (its sha256 is the stamp).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GO = os.environ.get('KUBEAUTH_NODE_GO', '/usr/local/go/bin/go')
CACHE_ROOT = os.environ.get('KUBEAUTH_NODE_CACHE', '/var/cache/kubeauth-node')
BINARY = 'kubectl-oidc_login'


class BuildError(Exception):
    """The build failed; the message says what to do and ends with the build log's last lines."""


def shared_dir():
    """shared/ (KUBEAUTH_SHARED, else beside the repository, as tests/run.sh and .ci/run arrange)."""
    return os.environ.get('KUBEAUTH_SHARED') or os.path.join(os.path.dirname(ROOT), 'shared')


def tarball():
    """(path, version) of the one vendored kubelogin source tarball."""
    found = sorted(glob.glob(os.path.join(shared_dir(), 'vendor', 'kubelogin-*.tar.gz')))
    if len(found) != 1:
        raise BuildError('expected one kubelogin-<version>.tar.gz in %s/vendor, found %d; set KUBEAUTH_SHARED to the shared/ '
                         'directory' % (shared_dir(), len(found)))
    return found[0], re.match(r'kubelogin-(.+)\.tar\.gz$', os.path.basename(found[0])).group(1)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def paths():
    """(binary, stamp, log) in the cache for the vendored version."""
    version = tarball()[1]
    base = os.path.join(CACHE_ROOT, 'kubelogin-' + version)
    return os.path.join(base, BINARY), os.path.join(base, '.stamp'), os.path.join(base, 'build.log')


def cached():
    """True when the binary exists and was built from the current tarball."""
    binary, stamp, _log = paths()
    try:
        with open(stamp, encoding='utf-8') as handle:
            built_from = handle.read().strip()
    except OSError:
        return False
    return built_from == _sha256(tarball()[0]) and os.access(binary, os.X_OK)


def say(message):
    """Progress on stderr: stdout carries only the answer (a path)."""
    print(message, file=sys.stderr, flush=True)


def _tail(path, lines=25):
    with open(path, encoding='utf-8', errors='replace') as handle:
        return ''.join(handle.readlines()[-lines:])


def _heartbeat(started, done):
    """A line every 30 s, so a cold build (module downloads) does not look hung."""
    while not done.wait(30):
        say('  ... still building kubelogin (%.0fs)' % (time.monotonic() - started))


def build(force=False):
    """Build once per tarball digest; returns the binary's path."""
    source, version = tarball()
    binary, stamp, log_path = paths()
    if not force and cached():
        say('kubelogin: cached %s: %s' % (binary, version_of(binary)))
        return binary
    if not os.access(GO, os.X_OK):
        raise BuildError('kubelogin: no Go toolchain at %s; install Go or set KUBEAUTH_NODE_GO' % GO)
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    if os.path.exists(stamp):
        os.unlink(stamp)
    say('kubelogin: building v%s from %s into %s (log %s)' % (version, source, binary, log_path))
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='kubelogin-build-')
    done = threading.Event()
    threading.Thread(target=_heartbeat, args=(started, done), daemon=True).start()
    try:
        with open(log_path, 'w', encoding='utf-8') as log:
            subprocess.run(['tar', '-xzf', source, '-C', workdir], check=True, stdout=log, stderr=subprocess.STDOUT)
            tree = os.path.join(workdir, 'kubelogin-' + version)
            # -mod=mod: resolve from go.mod/go.sum through the proxy even if a vendor/ tree were present.
            env = dict(os.environ, CGO_ENABLED='0', GOTOOLCHAIN='local', GOFLAGS='-mod=mod -buildvcs=false -trimpath')
            command = [GO, 'build', '-ldflags=-s -w -X main.version=v' + version, '-o', binary + '.tmp', '.']
            log.write('$ %s\n' % ' '.join(command))
            log.flush()
            result = subprocess.run(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise BuildError('kubelogin: go build failed (exit %d); the Go module proxy must be reachable for its dependencies. '
                             'Last lines of %s:\n%s' % (result.returncode, log_path, _tail(log_path)))
        os.replace(binary + '.tmp', binary)
    finally:
        done.set()
        shutil.rmtree(workdir, ignore_errors=True)
    with open(stamp, 'w', encoding='utf-8') as handle:
        handle.write(_sha256(source) + '\n')
    say('kubelogin: built in %.0fs: %s' % (time.monotonic() - started, version_of(binary)))
    return binary


def version_of(binary):
    """What `kubectl-oidc_login --version` answers (e.g. 'kubelogin version v1.36.3')."""
    return subprocess.check_output([binary, '--version'], universal_newlines=True, stderr=subprocess.STDOUT).strip()


def bin_dir():
    """The directory to put first on PATH so that `kubectl oidc-login` resolves to the real kubelogin."""
    return os.path.dirname(build())


def main(argv):
    if argv[:1] not in (['build'], ['path']):
        sys.exit('usage: kubelogin.py build|path')
    try:
        binary = build()
    except BuildError as exc:
        sys.exit(str(exc))
    print(binary if argv[0] == 'build' else os.path.dirname(binary))


if __name__ == '__main__':
    main(sys.argv[1:])
