"""Single-node Kubernetes control plane for the tests: build, up, down, status, env.

Usage: python3 tests/node/node.py {build|up|down|status|env}
"""

import argparse
import glob
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
GO_DIR = os.path.join(HERE, 'go')
GO = os.environ.get('KUBEAUTH_NODE_GO', '/usr/local/go/bin/go')


def _go_mod_version(module):
    """The version go.mod pins for a module: the single source of every version."""
    with open(os.path.join(GO_DIR, 'go.mod'), encoding='utf-8') as handle:
        text = handle.read()
    match = re.search(r'^\s*(?:require\s+)?' + re.escape(module) + r'\s+(v\S+)', text, re.M)
    if not match:
        raise RuntimeError('go.mod does not pin %s' % module)
    return match.group(1)


K8S_VERSION = _go_mod_version('k8s.io/kubernetes')
CRICTL_VERSION = _go_mod_version('sigs.k8s.io/cri-tools')
ETCD_VERSION = _go_mod_version('go.etcd.io/etcd/server/v3')
CACHE_ROOT = os.environ.get('KUBEAUTH_NODE_CACHE', '/var/cache/kubeauth-node')
BIN_DIR = os.path.join(CACHE_ROOT, K8S_VERSION, 'bin')
STAMP = os.path.join(BIN_DIR, '.stamp')
BUILD_LOG = os.path.join(CACHE_ROOT, K8S_VERSION, 'build.log')

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
LEDGER = os.path.join(STATE_DIR, 'ledger.json')
IMAGE_DIR = os.path.join(STATE_DIR, 'images')
PAUSE_SOURCE = os.path.join(HERE, 'pause', 'pause.c')
K8S_ETC = '/etc/kubernetes'
MANIFESTS_DIR = os.path.join(K8S_ETC, 'manifests')
ADMIN_CONF = os.path.join(K8S_ETC, 'admin.conf')
KUBELET_DIR = '/var/lib/kubelet'
ETCD_DATA = '/var/lib/etcd'
APISERVER_URL = 'https://127.0.0.1:6443'
# kubeadm reads advertiseAddress 127.0.0.1 as "the global address on lo", and the kubelet refuses a
# loopback node IP: so lo carries one address from the benchmarking range (RFC 2544), reachable from
# this machine only. Clients still use 127.0.0.1 (controlPlaneEndpoint).
LO_ADDRESS = '198.18.0.1'
KUBELET_HEALTHZ = 'http://127.0.0.1:10248/healthz'
INIT_D = '/etc/init.d'
# Marks init scripts this tool wrote, so `down` removes those and no others.
MARKER = '# Installed by kubeauth tests/node/node.py'
# Paths the node stack may create outside its own directories; `down` removes those it created.
FOREIGN_PATHS = ['/run/containerd', '/var/log/pods', '/var/log/containers', '/etc/cni', '/opt/cni', '/opt/containerd']
# Sysctls the kubelet sets at start; `down` puts back what was there before.
KUBELET_SYSCTLS = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
                   'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes']
# Preflight checks skipped by name; every other check runs. ip_forward stays 0: the node runs only
# host-network static pods, and turning routing on would change how the machine treats traffic.
PREFLIGHT_IGNORED = ['FileContent--proc-sys-net-ipv4-ip_forward']

# Wrapper package -> binary name; crictl is the upstream main package (see go.mod's tool line).
BINARIES = [
    ('./cmd/kubectl', 'kubectl'),
    ('./cmd/kubeadm', 'kubeadm'),
    ('sigs.k8s.io/cri-tools/cmd/crictl', 'crictl'),
    ('./cmd/etcd', 'etcd'),
    ('./cmd/kube-apiserver', 'kube-apiserver'),
    ('./cmd/kubelet', 'kubelet'),
]


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


# ---------------------------------------------------------------- build


def _source_digest():
    """Digest of everything that decides the binaries: a changed pin means a rebuild."""
    digest = hashlib.sha256()
    for root, _dirs, files in sorted(os.walk(GO_DIR)):
        for name in sorted(files):
            if name.endswith('.go') or name in ('go.mod', 'go.sum'):
                path = os.path.join(root, name)
                digest.update(os.path.relpath(path, GO_DIR).encode())
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
        result = subprocess.run(command, cwd=GO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
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
        return
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


# ---------------------------------------------------------------- helpers


def binary(name):
    return os.path.join(BIN_DIR, name)


def run(stage, command, *, timeout=300, env=None, log=None, check=True):
    """Run a command; on failure raise StageError with its output or the named log."""
    full_env = dict(os.environ, PATH=BIN_DIR + os.pathsep + os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'))
    full_env.update(env or {})
    try:
        result = subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
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


def http_ok(url, timeout=3):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec: loopback health endpoint
            return response.status == 200
    except (OSError, ValueError):
        return False


def crictl(*args):
    return [binary('crictl'), '--config', CRICTL_CONFIG] + list(args)


def kubectl(*args):
    return [binary('kubectl'), '--kubeconfig', ADMIN_CONF] + list(args)


def node_name():
    # kubeadm's default node name: the lower-cased host name.
    return socket.gethostname().lower()


# ---------------------------------------------------------------- environment facts


def env_facts():
    """Every path and version that tests, molecule scenarios and roles need, in one place."""
    return {
        'k8s_version': K8S_VERSION,
        'etcd_version': ETCD_VERSION,
        'crictl_version': CRICTL_VERSION,
        'bin_dir': BIN_DIR,
        'kubectl': binary('kubectl'),
        'kubeadm': binary('kubeadm'),
        'kubelet': binary('kubelet'),
        'crictl': binary('crictl'),
        'crictl_args': crictl()[1:],
        'crictl_config': CRICTL_CONFIG,
        'runtime_endpoint': RUNTIME_ENDPOINT,
        'kubeconfig': ADMIN_CONF,
        'apiserver_url': APISERVER_URL,
        'manifests_dir': MANIFESTS_DIR,
        'apiserver_manifest': os.path.join(MANIFESTS_DIR, 'kube-apiserver.yaml'),
        'pki_dir': os.path.join(K8S_ETC, 'pki'),
        'kubeadm_config': KUBEADM_CONFIG,
        'node_name': node_name(),
        'node_ip': LO_ADDRESS,
        'kubelet_service': 'kubelet',
        'containerd_service': 'containerd',
        'kubelet_log': KUBELET_LOG,
        'containerd_log': CONTAINERD_LOG,
        'state_dir': STATE_DIR,
    }


# ---------------------------------------------------------------- packages


def ensure_packages():
    """containerd and runc from Debian, and a static C toolchain for the pause image."""
    wanted = {'containerd': 'containerd', 'runc': 'runc', 'gcc': 'gcc', 'ip': 'iproute2'}
    missing = [package for tool, package in wanted.items() if not shutil.which(tool)]
    if not os.path.exists('/usr/lib/x86_64-linux-gnu/libc.a') and not os.path.exists('/usr/lib/libc.a'):
        missing.append('libc6-dev')
    if not missing:
        return 'present'
    env = {'DEBIAN_FRONTEND': 'noninteractive'}
    install = ['apt-get', 'install', '-y', '--no-install-recommends'] + missing
    if run('packages', install, timeout=600, env=env, check=False).returncode != 0:
        # A fresh machine has no package lists yet.
        run('packages', ['apt-get', 'update'], timeout=600, env=env)
        run('packages', install, timeout=600, env=env)
    return 'installed ' + ' '.join(missing)


# ---------------------------------------------------------------- ledger of host changes


def record_host_state():
    """Before the first start, note what `down` must put back: foreign paths and kubelet sysctls."""
    if os.path.exists(LEDGER):
        return
    ledger = {'created_paths': [path for path in FOREIGN_PATHS if not os.path.exists(path)], 'sysctls': {}}
    for key in KUBELET_SYSCTLS:
        try:
            with open('/proc/sys/' + key, encoding='utf-8') as handle:
                ledger['sysctls'][key] = handle.read().strip()
        except OSError:
            pass
    write_file(LEDGER, json.dumps(ledger, indent=1) + '\n')


def lo_address_present():
    result = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo'], capture_output=True, text=True, check=False)
    return ' %s/' % LO_ADDRESS in result.stdout


def ensure_lo_address():
    """Give lo the node's address (see LO_ADDRESS), noting in the ledger that `down` must take it away."""
    if lo_address_present():
        return 'present'
    run('lo-address', ['ip', 'addr', 'add', LO_ADDRESS + '/32', 'dev', 'lo'])
    ledger = read_json(LEDGER, {})
    ledger['lo_address_added'] = True
    write_file(LEDGER, json.dumps(ledger, indent=1) + '\n')
    return 'added %s/32 to lo' % LO_ADDRESS


def restore_host_state():
    ledger = read_json(LEDGER, {})
    if ledger.get('lo_address_added') and lo_address_present():
        subprocess.run(['ip', 'addr', 'del', LO_ADDRESS + '/32', 'dev', 'lo'], capture_output=True, check=False)
    for key, value in ledger.get('sysctls', {}).items():
        try:
            with open('/proc/sys/' + key, 'w', encoding='utf-8') as handle:
                handle.write(value)
        except OSError as exc:
            say('down: could not restore sysctl %s=%s: %s' % (key, value, exc))
    for path in ledger.get('created_paths', []):
        remove_tree(path)


# ---------------------------------------------------------------- services (LSB init scripts)


INIT_SCRIPT = '''#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $local_fs $network{requires}
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {description}
### END INIT INFO
{marker}; `node.py down` removes it.

NAME={name}
DAEMON={daemon}
PIDFILE={run_dir}/{name}.pid
LOGFILE={logfile}
{preamble}

. /lib/lsb/init-functions

do_start() {{
    mkdir -p {run_dir}
    # Exit 1 from --test means already running: nothing to do.
    start-stop-daemon --start --test --quiet --pidfile "$PIDFILE" --exec "$DAEMON" >/dev/null || return 0
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" \\
        --output "$LOGFILE" --exec "$DAEMON" -- {args}
}}

do_stop() {{
    start-stop-daemon --stop --quiet --oknodo --retry=TERM/30/KILL/5 --pidfile "$PIDFILE" --exec "$DAEMON"
    status=$?
    rm -f "$PIDFILE"
    return $status
}}

case "$1" in
    start)
        log_daemon_msg "Starting $NAME" "$NAME"; do_start; log_end_msg $? ;;
    stop)
        log_daemon_msg "Stopping $NAME" "$NAME"; do_stop; log_end_msg $? ;;
    restart|force-reload)
        log_daemon_msg "Restarting $NAME" "$NAME"; do_stop; do_start; log_end_msg $? ;;
    status)
        status_of_proc -p "$PIDFILE" "$DAEMON" "$NAME" && exit 0 || exit $? ;;
    *)
        echo "Usage: $0 {{start|stop|restart|force-reload|status}}" >&2; exit 3 ;;
esac
'''

KUBELET_PREAMBLE = '''# The same arguments as kubeadm's systemd drop-in (10-kubeadm.conf).
KUBELET_KUBECONFIG_ARGS="--bootstrap-kubeconfig={etc}/bootstrap-kubelet.conf --kubeconfig={etc}/kubelet.conf"
KUBELET_CONFIG_ARGS="--config={kubelet_dir}/config.yaml"
KUBELET_KUBEADM_ARGS=""
KUBELET_EXTRA_ARGS=""
# Written by `kubeadm init phase kubelet-start`.
[ -r {kubelet_dir}/kubeadm-flags.env ] && . {kubelet_dir}/kubeadm-flags.env
[ -r /etc/default/kubelet ] && . /etc/default/kubelet'''


def init_script_path(name):
    return os.path.join(INIT_D, name)


def install_init_script(stage, spec):
    """Write /etc/init.d/<name> from spec (name, daemon, args, logfile, description, requires, preamble)
    unless a script not written by this tool is there."""
    path = init_script_path(spec['name'])
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            if MARKER not in handle.read():
                raise StageError(stage, '%s exists and was not installed by node.py; refusing to replace it' % path)
    values = dict({'requires': '', 'preamble': ''}, marker=MARKER, run_dir=RUN_DIR, **spec)
    write_file(path, INIT_SCRIPT.format(**values), 0o755)


def service(stage, name, action, log=None):
    """Drive the init script through the `service` command, as Ansible's service module does."""
    return run(stage, ['service', name, action], timeout=120, log=log)


def service_running(name):
    if not os.path.exists(init_script_path(name)):
        return False
    result = subprocess.run(['service', name, 'status'], capture_output=True, check=False)
    return result.returncode == 0


def remove_init_script(name):
    path = init_script_path(name)
    try:
        with open(path, encoding='utf-8') as handle:
            ours = MARKER in handle.read()
    except OSError:
        return
    if ours:
        os.unlink(path)


# ---------------------------------------------------------------- containerd


def containerd_config(pause_image):
    """A private containerd: own root, state and socket; CRI with cgroupfs and the local pause image."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return '\n'.join([
        'version = 2',
        'root = "%s"' % os.path.join(CONTAINERD_DIR, 'root'),
        'state = "%s"' % os.path.join(RUN_DIR, 'containerd'),
        '',
        '[grpc]',
        '  address = "%s"' % CONTAINERD_SOCK,
        '',
        '[plugins."io.containerd.internal.v1.opt"]',
        '  path = "%s"' % os.path.join(CONTAINERD_DIR, 'opt'),
        '',
        '[%s]' % cri,
        '  sandbox_image = "%s"' % pause_image,
        # This sandbox lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj (runc fails
        # with "failed to update /proc/self/oom_score_adj: Permission denied"): clamp at containerd's own.
        '  restrict_oom_score_adj = true',
        '[%s.containerd]' % cri,
        '  snapshotter = "overlayfs"',
        '  default_runtime_name = "runc"',
        '[%s.containerd.runtimes.runc]' % cri,
        '  runtime_type = "io.containerd.runc.v2"',
        '[%s.containerd.runtimes.runc.options]' % cri,
        '  SystemdCgroup = false',
        '[%s.cni]' % cri,
        '  bin_dir = "%s"' % os.path.join(STATE_DIR, 'cni', 'bin'),
        '  conf_dir = "%s"' % os.path.join(STATE_DIR, 'cni', 'net.d'),
        '',
    ])


def containerd_answers():
    result = subprocess.run(['ctr', '--address', CONTAINERD_SOCK, 'version'], capture_output=True, check=False, timeout=10)
    return result.returncode == 0


def start_containerd(pause_image):
    write_file(CONTAINERD_CONFIG, containerd_config(pause_image))
    # An explicit crictl config: without one crictl warns on every call about /etc/crictl.yaml.
    write_file(CRICTL_CONFIG, yaml.safe_dump({'runtime-endpoint': RUNTIME_ENDPOINT, 'image-endpoint': RUNTIME_ENDPOINT,
                                              'timeout': 30}))
    install_init_script('containerd', {
        'name': 'containerd',
        'daemon': shutil.which('containerd') or '/usr/bin/containerd',
        'args': '--config %s' % CONTAINERD_CONFIG,
        'logfile': CONTAINERD_LOG,
        'description': 'containerd of the kubeauth test node',
    })
    if service_running('containerd') and containerd_answers():
        return 'already running'
    service('containerd', 'containerd', 'start', log=CONTAINERD_LOG)
    wait_for('containerd', 'containerd to answer on %s' % CONTAINERD_SOCK, containerd_answers, timeout=60, log=CONTAINERD_LOG,
             interval=1, alive=lambda: service_running('containerd'), command=['service', 'containerd', 'start'])
    return 'started'


# ---------------------------------------------------------------- images


def kubeadm_images():
    """The exact image names this kubeadm asks for, keyed by component."""
    result = run('image-names', [binary('kubeadm'), 'config', 'images', 'list', '--config', KUBEADM_CONFIG])
    images = {}
    for line in result.stdout.split():
        component = line.rsplit('/', 1)[-1].split(':', 1)[0]
        images[component] = line
    for component in ('kube-apiserver', 'etcd', 'pause'):
        if component not in images:
            raise StageError('image-names', 'kubeadm lists no %s image' % component, None, result.stdout)
    return images


def _add_dirs(archive, paths):
    for path, mode in paths:
        info = tarfile.TarInfo(path)
        info.type = tarfile.DIRTYPE
        info.mode = mode
        archive.addfile(info)


def _add_file(archive, source, arcname):
    info = archive.gettarinfo(source, arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    info.mtime = 0
    info.mode = 0o755
    with open(source, 'rb') as handle:
        archive.addfile(info, handle)


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def build_image_archive(tag, source, target, workdir):
    """A docker-archive tar (manifest.json with RepoTags, config, one layer) holding one static binary."""
    layer = os.path.join(workdir, 'layer.tar')
    with tarfile.open(layer, 'w', format=tarfile.GNU_FORMAT) as archive:
        _add_dirs(archive, [('etc', 0o755), ('tmp', 0o1777), ('usr', 0o755), ('usr/local', 0o755), ('usr/local/bin', 0o755)])
        _add_file(archive, source, target.lstrip('/'))
    layer_id = _sha256_file(layer)
    config = json.dumps({
        'architecture': 'amd64',
        'os': 'linux',
        'created': '1970-01-01T00:00:00Z',
        'config': {'Entrypoint': [target], 'Env': ['PATH=/usr/local/bin:/usr/bin:/bin'], 'WorkingDir': '/'},
        'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + layer_id]},
        'history': [{'created': '1970-01-01T00:00:00Z', 'created_by': 'kubeauth tests/node/node.py'}],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + '.json'
    manifest = json.dumps([{'Config': config_name, 'RepoTags': [tag], 'Layers': [layer_id + '/layer.tar']}]).encode()
    path = os.path.join(IMAGE_DIR, tag.rsplit('/', 1)[-1].replace(':', '_') + '.tar')
    with tarfile.open(path, 'w') as archive:
        for name, data in ((config_name, config), ('manifest.json', manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        archive.add(layer, layer_id + '/layer.tar')
    os.unlink(layer)
    return path


def build_pause():
    out = os.path.join(CACHE_ROOT, 'pause', 'pause')
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(PAUSE_SOURCE):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        run('images', ['gcc', '-static', '-O2', '-s', '-Wall', '-o', out, PAUSE_SOURCE])
    return out


def imported_images():
    result = run('images', ['ctr', '--address', CONTAINERD_SOCK, '-n', 'k8s.io', 'images', 'ls', '-q'])
    return set(result.stdout.split())


def import_images(images):
    """Import the pause, etcd and kube-apiserver images under kubeadm's names, with no registry."""
    wanted = [
        (images['pause'], build_pause(), '/pause'),
        (images['etcd'], binary('etcd'), '/usr/local/bin/etcd'),
        (images['kube-apiserver'], binary('kube-apiserver'), '/usr/local/bin/kube-apiserver'),
    ]
    present = imported_images()
    done = []
    os.makedirs(IMAGE_DIR, exist_ok=True)
    for tag, source, target in wanted:
        if tag in present:
            continue
        archive = build_image_archive(tag, source, target, IMAGE_DIR)
        run('images', ['ctr', '--address', CONTAINERD_SOCK, '-n', 'k8s.io', 'images', 'import', archive], timeout=600)
        os.unlink(archive)
        done.append(tag)
    missing = [tag for tag, _source, _target in wanted if tag not in imported_images()]
    if missing:
        raise StageError('images', 'not visible after import: %s' % ', '.join(missing))
    return ('imported ' + ' '.join(done)) if done else 'present'


# ---------------------------------------------------------------- kubeadm


def kubeadm_config():
    """InitConfiguration, ClusterConfiguration and KubeletConfiguration for a loopback-only node."""
    docs = [
        {
            'apiVersion': 'kubeadm.k8s.io/v1beta4',
            'kind': 'InitConfiguration',
            'localAPIEndpoint': {'advertiseAddress': '127.0.0.1', 'bindPort': 6443},
            'nodeRegistration': {
                'name': node_name(),
                'criSocket': RUNTIME_ENDPOINT,
                # No registry is reachable: the images are imported, never pulled.
                'imagePullPolicy': 'Never',
                'kubeletExtraArgs': [{'name': 'node-ip', 'value': LO_ADDRESS}],
            },
        },
        {
            'apiVersion': 'kubeadm.k8s.io/v1beta4',
            'kind': 'ClusterConfiguration',
            'kubernetesVersion': K8S_VERSION,
            'clusterName': 'kubeauth-test',
            'controlPlaneEndpoint': '127.0.0.1:6443',
            'apiServer': {'certSANs': ['127.0.0.1', 'localhost']},
            'etcd': {'local': {'dataDir': ETCD_DATA}},
        },
        {
            'apiVersion': 'kubelet.config.k8s.io/v1beta1',
            'kind': 'KubeletConfiguration',
            'cgroupDriver': 'cgroupfs',
            'containerRuntimeEndpoint': RUNTIME_ENDPOINT,
            'staticPodPath': MANIFESTS_DIR,
            'failSwapOn': False,
            'address': '127.0.0.1',
            'healthzBindAddress': '127.0.0.1',
            # Keeps the flex-volume directory inside the kubelet's own tree (default is under /usr).
            'volumePluginDir': os.path.join(KUBELET_DIR, 'volume-plugins'),
            # The test node must not evict its control plane when the work disk is busy.
            'evictionHard': {'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%'},
            'imageGCHighThresholdPercent': 100,
            # See restrict_oom_score_adj in the containerd config: a negative value cannot be set here.
            'oomScoreAdj': 0,
        },
    ]
    return yaml.safe_dump_all(docs, sort_keys=False)


def kubeadm(*args, timeout=300):
    command = [binary('kubeadm')] + list(args)
    return run('kubeadm', command, timeout=timeout)


def kubeadm_phases():
    """kubeadm's own init phases, bar wait-control-plane and the addons this node has no images for."""
    if os.path.exists(os.path.join(MANIFESTS_DIR, 'kube-apiserver.yaml')) and os.path.exists(ADMIN_CONF):
        return 'already initialised'
    cfg = '--config=' + KUBEADM_CONFIG
    kubeadm('init', 'phase', 'preflight', cfg, '--ignore-preflight-errors=' + ','.join(PREFLIGHT_IGNORED))
    kubeadm('init', 'phase', 'certs', 'all', cfg)
    kubeadm('init', 'phase', 'kubeconfig', 'all', cfg)
    kubeadm('init', 'phase', 'etcd', 'local', cfg)
    kubeadm('init', 'phase', 'control-plane', 'apiserver', cfg)
    # Writes the kubelet's config.yaml and kubeadm-flags.env; with no systemctl it starts nothing.
    kubeadm('init', 'phase', 'kubelet-start', cfg)
    return 'certs, kubeconfig, etcd local, control-plane apiserver, kubelet-start'


def start_kubelet():
    install_init_script('kubelet', {
        'name': 'kubelet',
        'daemon': binary('kubelet'),
        'args': '$KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS',
        'logfile': KUBELET_LOG,
        'description': 'kubelet of the kubeauth test node',
        'requires': ' containerd',
        'preamble': KUBELET_PREAMBLE.format(etc=K8S_ETC, kubelet_dir=KUBELET_DIR),
    })
    if service_running('kubelet') and http_ok(KUBELET_HEALTHZ):
        return 'already running'
    service('kubelet', 'kubelet', 'start', log=KUBELET_LOG)
    wait_for('kubelet', 'kubelet /healthz', lambda: http_ok(KUBELET_HEALTHZ), timeout=120, log=KUBELET_LOG,
             alive=lambda: service_running('kubelet'), command=['service', 'kubelet', 'start'])
    return 'started'


def apiserver_ready():
    result = subprocess.run(kubectl('get', '--raw', '/readyz', '--request-timeout=5s'), capture_output=True, text=True,
                            check=False, timeout=30)
    return result.returncode == 0 and result.stdout.strip() == 'ok'


def apiserver_logs():
    """The last apiserver container's log and the kubelet's, for a failure report."""
    result = subprocess.run(crictl('ps', '-a', '-q', '--name', 'kube-apiserver'), capture_output=True, text=True, check=False)
    ids = result.stdout.split()
    text = ''
    if ids:
        logs = subprocess.run(crictl('logs', '--tail', '20', ids[0]), capture_output=True, text=True, check=False)
        text += '--- kube-apiserver container %s ---\n%s%s\n' % (ids[0][:13], logs.stdout, logs.stderr)
    return text + '--- %s ---\n%s' % (KUBELET_LOG, tail(KUBELET_LOG, 15))


def wait_apiserver(timeout=300):
    if wait_for_quietly(apiserver_ready, timeout):
        return 'ready'
    raise StageError('apiserver', 'timed out after %ss waiting for %s/readyz' % (timeout, APISERVER_URL),
                     kubectl('get', '--raw', '/readyz'), apiserver_logs())


def wait_for_quietly(probe, timeout, interval=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(interval)
    return probe()


def upload_config():
    kubeadm('init', 'phase', 'upload-config', 'all', '--config=' + KUBEADM_CONFIG)
    return 'kubeadm-config and kubelet-config ConfigMaps'


def mark_control_plane():
    # kubeadm waits for the kubelet to register the node, then labels and taints it.
    kubeadm('init', 'phase', 'mark-control-plane', '--config=' + KUBEADM_CONFIG)
    return 'node %s labelled and tainted' % node_name()


# ---------------------------------------------------------------- up / down / status


def up():
    """Bring the node up stage by stage, timing each; every stage is a no-op when already done."""
    started = time.monotonic()
    images = {}

    def stage_images():
        write_file(KUBEADM_CONFIG, kubeadm_config())
        images.update(kubeadm_images())
        return 'kubeadm asks for ' + ', '.join(images[name] for name in ('kube-apiserver', 'etcd', 'pause'))

    stages = [
        ('build', lambda: build() or 'ok'),
        ('packages', ensure_packages),
        ('host-state', lambda: record_host_state() or 'recorded in ' + LEDGER),
        ('lo-address', ensure_lo_address),
        ('image-names', stage_images),
        ('containerd', lambda: start_containerd(images['pause'])),
        ('images', lambda: import_images(images)),
        ('kubeadm', kubeadm_phases),
        ('kubelet', start_kubelet),
        ('apiserver', wait_apiserver),
        ('upload-config', upload_config),
        ('mark-control-plane', mark_control_plane),
    ]
    for name, action in stages:
        stage_started = time.monotonic()
        say('up: %-18s ...' % name)
        try:
            result = action()
        except (OSError, ValueError, KeyError, subprocess.SubprocessError, yaml.YAMLError) as exc:
            raise StageError(name, '%s: %s' % (type(exc).__name__, exc)) from exc
        say('up: %-18s %s (%.1fs)' % (name, result, time.monotonic() - stage_started))
    say('up: node ready in %.1fs; kubeconfig %s' % (time.monotonic() - started, ADMIN_CONF))


def _our_shims():
    """PIDs of containerd shims serving this node's containerd (found by its socket in their command line)."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0].endswith(b'containerd-shim-runc-v2') and CONTAINERD_SOCK.encode() in argv:
            pids.append(int(entry))
    return pids


def _mounts_under(prefixes):
    with open('/proc/self/mountinfo', encoding='utf-8') as handle:
        points = [line.split()[4] for line in handle]
    return [p for p in points if any(p == pre or p.startswith(pre + '/') for pre in prefixes)]


def remove_tree(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def _kill_pod_processes():
    """Container processes still in the kubelet's cgroups (when containerd could not stop them)."""
    pids = set()
    for procs in glob.glob('/sys/fs/cgroup/pids/kubepods/**/cgroup.procs', recursive=True):
        with open(procs, encoding='utf-8') as handle:
            pids.update(int(pid) for pid in handle.read().split())
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if pids:
        time.sleep(1)


def _remove_kubepods_cgroups():
    """The kubelet's cgroupfs tree (/kubepods in each v1 hierarchy), deepest first."""
    for hierarchy in glob.glob('/sys/fs/cgroup/*/kubepods') + glob.glob('/sys/fs/cgroup/kubepods'):
        for root, _dirs, _files in sorted(os.walk(hierarchy), key=lambda item: -item[0].count('/')):
            try:
                os.rmdir(root)
            except OSError as exc:
                say('down: cgroup %s left: %s' % (root, exc))


def down():
    """Stop everything this tool started and remove what it wrote; safe to run twice."""
    if os.path.exists(init_script_path('kubelet')):
        subprocess.run(['service', 'kubelet', 'stop'], capture_output=True, check=False)
    if os.path.exists(CONTAINERD_SOCK) and os.access(binary('crictl'), os.X_OK) and containerd_answers():
        subprocess.run(crictl('rm', '-a', '-f'), capture_output=True, check=False, timeout=120)
        subprocess.run(crictl('rmp', '-a', '-f'), capture_output=True, check=False, timeout=120)
    if os.path.exists(init_script_path('containerd')):
        subprocess.run(['service', 'containerd', 'stop'], capture_output=True, check=False)
    _kill_pod_processes()
    for pid in _our_shims():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for point in reversed(_mounts_under([STATE_DIR, RUN_DIR, KUBELET_DIR, '/run/containerd'])):
        subprocess.run(['umount', '-l', point], capture_output=True, check=False)
    _remove_kubepods_cgroups()
    # The ledger exists from the first `up` stage that changes the host until the end of `down`:
    # without it, kubeadm's and the kubelet's directories are not this tool's to remove.
    if os.path.exists(LEDGER):
        restore_host_state()
        for path in (K8S_ETC, KUBELET_DIR, ETCD_DATA):
            remove_tree(path)
    for path in (RUN_DIR, STATE_DIR):
        remove_tree(path)
    for name in ('kubelet', 'containerd'):
        remove_init_script(name)
    say('down: node removed (logs kept: %s, %s)' % (KUBELET_LOG, CONTAINERD_LOG))


def status():
    containerd_up = os.path.exists(CONTAINERD_SOCK) and containerd_answers()
    return {
        'binaries': binaries_cached(),
        'bin_dir': BIN_DIR,
        'containerd': containerd_up,
        'kubelet': service_running('kubelet') and http_ok(KUBELET_HEALTHZ),
        'apiserver_ready': os.path.exists(ADMIN_CONF) and binaries_cached() and apiserver_ready(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['build', 'up', 'down', 'status', 'env'])
    parser.add_argument('--force', action='store_true', help='build: rebuild even when cached')
    args = parser.parse_args(argv)
    try:
        if args.command == 'build':
            build(force=args.force)
        elif args.command == 'up':
            up()
        elif args.command == 'down':
            down()
        elif args.command == 'status':
            print(json.dumps(status(), indent=1))
        else:
            print(json.dumps(env_facts(), indent=1))
    except StageError as exc:
        print(exc.report(), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
