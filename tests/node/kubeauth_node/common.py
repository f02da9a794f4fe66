"""Versions, the paths a node owns, and the small helpers every stage uses (run, wait, files, errors)."""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import yaml

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.dirname(PACKAGE_DIR)
# The collection's root: tests/node/kubeauth_node -> the repository (or its copy in the collection tree).
COLLECTION_ROOT = os.path.dirname(os.path.dirname(NODE_DIR))
GO_DIR = os.path.join(NODE_DIR, 'go')
PAUSE_SOURCE = os.path.join(NODE_DIR, 'pause', 'pause.c')
GO = os.environ.get('KUBEAUTH_NODE_GO', '/usr/local/go/bin/go')
# Jobs side by side on a fresh machine install packages at the same time, and dpkg serves one caller: each apt-get
# of the tests waits for this lock (tests/node, tests/authentik and tests/run.sh take the same one), and for dpkg's.
APT_GET = ['flock', '--timeout', '1800', '/run/lock/kubeauth-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=600']


# The Kubernetes release of the node. The module in go/ pins the default one; go/<release>/ holds the
# module of another release (its own go.mod, go.sum and wrappers, whose upstream APIs differ between
# releases), chosen by KUBEAUTH_K8S_VERSION, which node.py --k8s-version sets before this module loads.


def _go_mod_version(module, module_dir):
    """The version a module's go.mod pins for a module: the single source of every version."""
    with open(os.path.join(module_dir, 'go.mod'), encoding='utf-8') as handle:
        text = handle.read()
    match = re.search(r'^\s*(?:require\s+)?' + re.escape(module) + r'\s+(v\S+)', text, re.M)
    return match.group(1) if match else None


def release_dirs():
    """{release: module directory} of the releases besides the default one (go/vX.Y.Z/go.mod)."""
    return dict((name, os.path.join(GO_DIR, name)) for name in sorted(os.listdir(GO_DIR))
                if name.startswith('v') and os.path.isfile(os.path.join(GO_DIR, name, 'go.mod')))


def module_dir_for(version):
    """The Go module of a Kubernetes release: go/ for the default release, else go/<version>/."""
    default = _go_mod_version('k8s.io/kubernetes', GO_DIR)
    if not version or version.lstrip('v') == default.lstrip('v'):
        return GO_DIR
    version = 'v' + version.lstrip('v')
    others = release_dirs()
    if version not in others:
        raise ValueError('no Go module for Kubernetes %s: the test node builds %s (default)%s; add go/%s/go.mod'
                         % (version, default, ''.join(', ' + name for name in others), version))
    return others[version]


GO_MODULE_DIR = module_dir_for(os.environ.get('KUBEAUTH_K8S_VERSION'))
K8S_VERSION = _go_mod_version('k8s.io/kubernetes', GO_MODULE_DIR)
# (major, minor) of the node's release, for the few places where the config differs between releases.
K8S_MINOR = tuple(int(part) for part in K8S_VERSION.lstrip('v').split('.')[:2])
# crictl speaks CRI v1 to every release: a release module without it (1.30's cannot take cri-tools'
# newer staging modules) builds it from the default module.
CRICTL_MODULE_DIR = GO_MODULE_DIR if _go_mod_version('sigs.k8s.io/cri-tools', GO_MODULE_DIR) else GO_DIR
CRICTL_VERSION = _go_mod_version('sigs.k8s.io/cri-tools', CRICTL_MODULE_DIR)
ETCD_VERSION = _go_mod_version('go.etcd.io/etcd/server/v3', GO_MODULE_DIR)
CACHE_ROOT = os.environ.get('KUBEAUTH_NODE_CACHE', '/var/cache/kubeauth-node')
BIN_DIR = os.path.join(CACHE_ROOT, K8S_VERSION, 'bin')
IMAGE_CACHE = os.path.join(CACHE_ROOT, K8S_VERSION, 'images')

# What a node owns, as the node itself sees it. The single node is the host, so these are host paths;
# a node of the HA cluster sees the same paths in its own mount namespace (ha_netns binds them).
STATE_DIR = '/var/lib/kubeauth-node'
RUN_DIR = '/run/kubeauth-node'
LOG_DIR = '/var/log'
CONTAINERD_DIR = os.path.join(STATE_DIR, 'containerd')
CONTAINERD_CONFIG = os.path.join(CONTAINERD_DIR, 'config.toml')
CONTAINERD_SOCK = os.path.join(RUN_DIR, 'containerd.sock')
CONTAINERD_LOG = os.path.join(LOG_DIR, 'containerd.log')
RUNTIME_ENDPOINT = 'unix://' + CONTAINERD_SOCK
CRICTL_CONFIG = os.path.join(STATE_DIR, 'crictl.yaml')
KUBELET_LOG = os.path.join(LOG_DIR, 'kubelet.log')
KUBEADM_CONFIG = os.path.join(STATE_DIR, 'kubeadm.yaml')
K8S_ETC = '/etc/kubernetes'
MANIFESTS_DIR = os.path.join(K8S_ETC, 'manifests')
APISERVER_MANIFEST = os.path.join(MANIFESTS_DIR, 'kube-apiserver.yaml')
PKI_DIR = os.path.join(K8S_ETC, 'pki')
ADMIN_CONF = os.path.join(K8S_ETC, 'admin.conf')
KUBELET_DIR = '/var/lib/kubelet'
ETCD_DATA = '/var/lib/etcd'
INIT_D = '/etc/init.d'
KUBELET_HEALTHZ = 'http://127.0.0.1:10248/healthz'
# Marks init scripts this tool wrote, so `down` removes those and no others.
MARKER = '# Installed by kubeauth tests/node/node.py'


class StageError(Exception):
    """A stage failed: carries what ran and the end of the log that explains it."""

    def __init__(self, stage, message, command=None, log_tail=''):
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.command = command
        self.log_tail = log_tail

    def report(self):
        lines = ['FAILED stage %s: %s' % (self.stage, self.message)]
        if self.command:
            lines.append('  command: %s' % ' '.join(self.command))
        if self.log_tail:
            lines.append('  last log lines:')
            lines.extend('    ' + line for line in self.log_tail.splitlines())
        return '\n'.join(lines)


def say(message):
    print(message, flush=True)


def tail(path, lines=25):
    """Last lines of a log file, or a note that it is missing."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            data = handle.read().decode('utf-8', 'replace')
    except OSError as exc:
        return '(no log %s: %s)' % (path, exc)
    return '\n'.join(data.splitlines()[-lines:])


def binary(name):
    return os.path.join(BIN_DIR, name)


def run(stage, command, *, timeout=300, env=None, log=None, check=True, input_text=None):
    """Run a command; on failure raise StageError with its output or the named log."""
    full_env = dict(os.environ, PATH=BIN_DIR + os.pathsep + os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'))
    full_env.update(env or {})
    try:
        result = subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=timeout, check=False,
                                input=input_text)
    except subprocess.TimeoutExpired as exc:
        raise StageError(stage, 'timed out after %ss' % timeout, command, tail(log) if log else '') from exc
    except OSError as exc:
        raise StageError(stage, str(exc), command) from exc
    if check and result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        detail = '\n'.join(output.splitlines()[-25:])
        if log:
            detail += '\n--- %s ---\n%s' % (log, tail(log))
        raise StageError(stage, 'exit %d' % result.returncode, command, detail)
    return result


def wait_for(stage, what, probe, *, timeout, log=None, interval=2.0, alive=None, command=None):
    """Poll probe() until it returns a true value; fail the stage with the log tail on timeout,
    or at once when alive() says the daemon behind it has exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if alive is not None and not alive():
            raise StageError(stage, 'exited while waiting for %s' % what, command, tail(log) if log else '')
        if time.monotonic() > deadline:
            raise StageError(stage, 'timed out after %ss waiting for %s' % (timeout, what), command, tail(log) if log else '')
        time.sleep(interval)


def wait_quietly(probe, timeout, interval=2.0):
    """True once probe() is true within timeout (no error on timeout: the caller explains)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(interval)
    return bool(probe())


def write_file(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.chmod(path, mode)


def read_json(path, default):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path, data, mode=0o644):
    write_file(path, json.dumps(data, indent=1, sort_keys=True) + '\n', mode)


def http_ok(url, timeout=3):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec: loopback health endpoint
            return response.status == 200
    except (OSError, ValueError):
        return False


def remove_tree(path, keep_dir=False):
    """Remove a file or directory tree; with keep_dir, empty the directory but leave it (a mount target elsewhere)."""
    if os.path.isdir(path) and not os.path.islink(path):
        if not keep_dir:
            shutil.rmtree(path)
            return
        for entry in os.listdir(path):
            remove_tree(os.path.join(path, entry))
    elif os.path.lexists(path):
        # Files, links, and the sockets a stopped daemon leaves behind.
        os.unlink(path)


def run_stages(prefix, stages):
    """Run (name, action) pairs in order, printing each stage's result and time; the total time is returned."""
    started = time.monotonic()
    for name, action in stages:
        stage_started = time.monotonic()
        say('%s: %-20s ...' % (prefix, name))
        try:
            result = action()
        except StageError:
            raise
        except (OSError, ValueError, KeyError, subprocess.SubprocessError, yaml.YAMLError) as exc:
            raise StageError(name, '%s: %s' % (type(exc).__name__, exc)) from exc
        say('%s: %-20s %s (%.1fs)' % (prefix, name, result, time.monotonic() - stage_started))
    return time.monotonic() - started
