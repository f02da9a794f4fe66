"""Where a release's source, caches and running state live, and what its source asks for.

Caches (reused while their inputs are unchanged) live under $KUBEAUTH_AUTHENTIK_CACHE
(default /var/cache/kubeauth-authentik), the running instance under $KUBEAUTH_AUTHENTIK_STATE
(default /var/lib/kubeauth-authentik): never in the work tree.
"""

import glob
import hashlib
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE_ROOT = os.environ.get('KUBEAUTH_AUTHENTIK_CACHE', '/var/cache/kubeauth-authentik')
STATE_ROOT = os.environ.get('KUBEAUTH_AUTHENTIK_STATE', '/var/lib/kubeauth-authentik')
PYENV_ROOT = os.environ.get('PYENV_ROOT', '/root/.pyenv')
# Shared by every release: the uv download cache, uv itself, the Debian root for Pythons the host lacks.
UV_CACHE = os.path.join(CACHE_ROOT, 'uv-cache')
TOOLS = os.path.join(CACHE_ROOT, 'tools')
DEBIAN_ROOT = os.path.join(CACHE_ROOT, 'roots', 'forky')
# Jobs side by side on a fresh machine install packages at the same time, and dpkg serves one caller: each apt-get
# of the tests waits for this lock (tests/node, tests/authentik and tests/run.sh take the same one), and for dpkg's.
APT_GET = ['flock', '--timeout', '1800', '/run/lock/kubeauth-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=600']


def shared_dir():
    return os.environ.get('KUBEAUTH_SHARED') or os.path.join(os.path.dirname(REPO), 'shared')


def digest(*parts):
    """A short digest of strings/bytes: the key of a cache."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode())
        hasher.update(b'\0')
    return hasher.hexdigest()[:16]


def file_digest(path):
    hasher = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            hasher.update(block)
    return hasher.hexdigest()[:16]


class Release:
    """One authentik release: its tarball, cache directories and instance state directory."""

    def __init__(self, version):
        if not re.match(r'^\d{4}\.\d+\.\d+$', version or ''):
            raise ValueError('--version must look like 2025.10.4, not %r' % version)
        self.version = version
        self.tarball = os.path.join(shared_dir(), 'authentik', 'src', 'authentik-%s.tar.gz' % version)
        self.cache = os.path.join(CACHE_ROOT, version)
        self.src = os.path.join(self.cache, 'src')
        self.venv = os.path.join(self.cache, 'venv')
        self.db_template = os.path.join(self.cache, 'db-template')
        self.secrets = os.path.join(self.cache, 'secrets.json')
        self.build_logs = os.path.join(self.cache, 'logs')
        self.state = os.path.join(STATE_ROOT, version)
        self.logs = os.path.join(self.state, 'logs')
        self.pids = os.path.join(self.state, 'pids')
        self.env_file = os.path.join(self.state, 'env.json')

    # --- facts read from the extracted source
    def read(self, relative):
        with open(os.path.join(self.src, relative), encoding='utf-8') as handle:
            return handle.read()

    def python_minor(self):
        """'3.13' from requires-python ('==3.13.*', '>=3.13,<3.14', ...)."""
        match = re.search(r'^requires-python\s*=\s*"[^"0-9]*(3\.\d+)', self.read('pyproject.toml'), re.M)
        if not match:
            raise RuntimeError('pyproject.toml of %s has no requires-python' % self.version)
        return match.group(1)

    def uv_version(self):
        """The uv release the release's own Dockerfile copies from ghcr.io/astral-sh/uv."""
        for dockerfile in ('Dockerfile', 'lifecycle/container/Dockerfile'):
            if os.path.exists(os.path.join(self.src, dockerfile)):
                match = re.search(r'ghcr\.io/astral-sh/uv:(\d+\.\d+\.\d+)', self.read(dockerfile))
                if match:
                    return match.group(1)
        raise RuntimeError('no ghcr.io/astral-sh/uv image in the Dockerfile of %s' % self.version)

    def host_python(self):
        """pyenv's interpreter of the wanted minor version, or None (then the Debian root provides it)."""
        minor = self.python_minor()
        for candidate in sorted(glob.glob(os.path.join(PYENV_ROOT, 'versions', minor + '.*', 'bin', 'python' + minor))):
            if os.access(candidate, os.X_OK):
                return candidate
        return None

    def in_root(self):
        """True when the release runs inside the Debian root (the host has no matching Python)."""
        return self.host_python() is None

    def python(self):
        return self.host_python() or '/usr/bin/python' + self.python_minor()

    def expected_blueprints(self):
        """Blueprint files the worker instantiates on a fresh install (not marked instantiate: false)."""
        count = 0
        for path in glob.glob(os.path.join(self.src, 'blueprints', '**', '*.yaml'), recursive=True):
            with open(path, encoding='utf-8') as handle:
                if not re.search(r'blueprints\.goauthentik\.io/instantiate:\s*"?false', handle.read()):
                    count += 1
        return count
