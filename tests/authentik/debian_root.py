"""A Debian testing ("forky") root for releases whose Python the host lacks (3.14 for 2026.2.2).

Made with debootstrap from the machine's own Debian mirror. Programs run inside it through
`unshare --mount` + `chroot`: /proc, /sys, /dev and the release's cache and state directories are
mounted in a private mount namespace (at the same paths as on the host), so the mounts vanish with
the last process and nothing is left mounted on the host. The network is the host's.
"""

import glob
import os
import re
import shlex
import shutil

from authentik.layout import DEBIAN_ROOT, TOOLS, UV_CACHE, digest
from authentik.steps import run

SUITE = 'forky'
# Build dependencies of authentik's sdists (lxml/xmlsec against one libxml2, gssapi, psycopg-c, py-ubjson);
# libxmlsec1-dev brings the OpenSSL backend (libxmlsec1-openssl10310 in forky).
BUILD_PACKAGES = ['build-essential', 'pkg-config', 'libxml2-dev', 'libxslt1-dev', 'libxmlsec1-dev',
                  'libpq-dev', 'libkrb5-dev', 'libltdl-dev', 'zlib1g-dev', 'libffi-dev', 'ca-certificates']
HOST_CA_DIR = '/usr/local/share/ca-certificates'


def debian_mirror():
    """The Debian archive this machine's apt uses (deb822 or one-line sources)."""
    for path in ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*')):
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
        except OSError:
            continue
        for url in re.findall(r'^(?:URIs:|deb)\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s*$', text, re.M) + \
                re.findall(r'^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s', text, re.M):
            if url.startswith(('http://', 'https://')):
                return url
    return 'http://deb.debian.org/debian'


def packages(python_minor):
    return ['python%s' % python_minor, 'python%s-dev' % python_minor, 'python%s-venv' % python_minor] + BUILD_PACKAGES


def _host_cas():
    return sorted(glob.glob(os.path.join(HOST_CA_DIR, '*.crt')))


def root_stamp(python_minor):
    cas = b''.join(open(path, 'rb').read() for path in _host_cas())  # pylint: disable=consider-using-with
    return os.path.join(DEBIAN_ROOT, '.kubeauth-root-' + digest(SUITE, ' '.join(packages(python_minor)), cas))


def root_ready(python_minor):
    return os.path.exists(root_stamp(python_minor))


def ensure_root(python_minor, log):
    """debootstrap the root once, then install what the release needs; both kept while the package list holds."""
    stamp = root_stamp(python_minor)
    if os.path.exists(stamp):
        return 'cached'
    base_done = os.path.join(DEBIAN_ROOT, '.kubeauth-debootstrap-done')
    if not os.path.exists(base_done):
        if os.path.exists(DEBIAN_ROOT):
            shutil.rmtree(DEBIAN_ROOT)  # a debootstrap that did not finish
        os.makedirs(os.path.dirname(DEBIAN_ROOT), exist_ok=True)
        run('debian root', ['debootstrap', '--variant=minbase', SUITE, DEBIAN_ROOT, debian_mirror(),
                            '/usr/share/debootstrap/scripts/sid'], log, timeout=1800)
        open(base_done, 'w').close()  # pylint: disable=consider-using-with
    # The archive's Release file outlives its Valid-Until on a dated mirror; services never start in here.
    _write(os.path.join(DEBIAN_ROOT, 'etc/apt/apt.conf.d/99kubeauth'), 'Acquire::Check-Valid-Until "false";\n')
    _write(os.path.join(DEBIAN_ROOT, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', 0o755)
    shutil.copyfile('/etc/resolv.conf', os.path.join(DEBIAN_ROOT, 'etc/resolv.conf'))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    run('debian root', inside([], ['apt-get', 'update']), log, env=env, timeout=1800)
    run('debian root', inside([], ['apt-get', 'install', '-y', '--no-install-recommends'] + packages(python_minor)), log,
        env=env, timeout=3600)
    # pip and uv inside reach the package index through the host's extra CAs.
    for path in _host_cas():
        shutil.copy(path, os.path.join(DEBIAN_ROOT, HOST_CA_DIR.lstrip('/')))
    run('debian root', inside([], ['update-ca-certificates']), log, env=env, timeout=300)
    for old in glob.glob(os.path.join(DEBIAN_ROOT, '.kubeauth-root-*')):
        os.unlink(old)
    open(stamp, 'w').close()  # pylint: disable=consider-using-with
    return 'made'


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.chmod(path, mode)


def inside(binds, command, cwd='/'):
    """argv that runs command in the root from cwd, with the host directories binds mounted at the same paths."""
    lines = ['set -e', 'R=%s' % shlex.quote(DEBIAN_ROOT),
             'mount -t proc proc "$R/proc"', 'mount --rbind /sys "$R/sys"', 'mount --rbind /dev "$R/dev"']
    for path in binds:
        os.makedirs(path, exist_ok=True)
        lines.append('mkdir -p "$R"%s && mount --bind %s "$R"%s' % (shlex.quote(path), shlex.quote(path), shlex.quote(path)))
    lines.append('exec chroot "$R" /bin/sh -c \'cd "$0" && exec "$@"\' %s "$@"' % shlex.quote(cwd))
    return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', '\n'.join(lines), 'kubeauth-root'] + list(command)


def wrap(release, command, cwd='/'):
    """command as it runs for release: directly, or inside the root with the release's directories
    (then cwd is where it starts; on the host the caller passes cwd to subprocess)."""
    if not release.in_root():
        return list(command)
    return inside([release.cache, release.state, UV_CACHE, TOOLS], command, cwd)
