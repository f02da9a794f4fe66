"""The single-node control plane on this machine itself (`node.py up`, or `--nodes 1`)."""

import glob
import os
import signal
import subprocess
import time

import yaml

from kubeauth_node import host, kubeadm
from kubeauth_node.build import binaries_cached, build
from kubeauth_node.common import (ADMIN_CONF, APISERVER_MANIFEST, BIN_DIR, CONTAINERD_LOG, CONTAINERD_SOCK, CRICTL_CONFIG,
                                  CRICTL_VERSION, ETCD_DATA, ETCD_VERSION, K8S_ETC, K8S_VERSION, KUBEADM_CONFIG, KUBELET_DIR,
                                  KUBELET_LOG, MANIFESTS_DIR, PKI_DIR, RUN_DIR, RUNTIME_ENDPOINT, STATE_DIR, binary,
                                  StageError, run_stages, say, write_file)
from kubeauth_node.containerd import containerd_answers, start_containerd
from kubeauth_node.images import import_images, kubeadm_images
from kubeauth_node.services import init_script_path, remove_init_script, service_running
from kubeauth_node.target import HOST, crictl_argv

APISERVER_URL = 'https://127.0.0.1:6443'


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
        'crictl_args': crictl_argv()[1:],
        'crictl_config': CRICTL_CONFIG,
        'runtime_endpoint': RUNTIME_ENDPOINT,
        'kubeconfig': ADMIN_CONF,
        'apiserver_url': APISERVER_URL,
        'manifests_dir': MANIFESTS_DIR,
        'apiserver_manifest': APISERVER_MANIFEST,
        'pki_dir': PKI_DIR,
        'kubeadm_config': KUBEADM_CONFIG,
        'node_name': HOST.name,
        'node_ip': HOST.address,
        'kubelet_service': 'kubelet',
        'containerd_service': 'containerd',
        'kubelet_log': KUBELET_LOG,
        'containerd_log': CONTAINERD_LOG,
        'state_dir': STATE_DIR,
    }


def up():
    """Bring the node up stage by stage, timing each; every stage is a no-op when already done."""
    images = {}

    def stage_images():
        running = running_release()
        if running and running != K8S_VERSION:
            raise StageError('image-names', 'the node is up with Kubernetes %s, not %s: take it down first '
                                            '(node.py down), then bring up %s' % (running, K8S_VERSION, K8S_VERSION))
        write_file(KUBEADM_CONFIG, kubeadm.single_node_config(HOST.name, HOST.address))
        images.update(kubeadm_images(HOST))
        return 'kubeadm asks for ' + ', '.join(images[name] for name in ('kube-apiserver', 'etcd', 'pause'))

    stages = [
        ('build', build),
        ('packages', host.ensure_packages),
        ('host-state', lambda: host.record_host_state() or 'recorded in ' + host.LEDGER),
        ('lo-address', host.ensure_lo_address),
        ('image-names', stage_images),
        ('containerd', lambda: start_containerd(HOST, images['pause'])),
        ('images', lambda: import_images(HOST, images)),
        ('kubeadm', lambda: kubeadm.init_phases(HOST)),
        ('kubelet', lambda: kubeadm.start_kubelet(HOST)),
        ('apiserver', lambda: kubeadm.wait_apiserver(HOST)),
        ('upload-config', lambda: kubeadm.upload_config(HOST)),
        ('mark-control-plane', lambda: kubeadm.mark_control_plane(HOST)),
    ]
    elapsed = run_stages('up', stages)
    say('up: node ready in %.1fs; kubeconfig %s' % (elapsed, ADMIN_CONF))


def running_release():
    """The Kubernetes release of the node that is set up (its kubeadm config), or None."""
    if not os.path.exists(APISERVER_MANIFEST):
        return None
    try:
        with open(KUBEADM_CONFIG, encoding='utf-8') as handle:
            docs = list(yaml.safe_load_all(handle))
    except OSError:
        return None
    return next((doc.get('kubernetesVersion') for doc in docs if doc and doc.get('kind') == 'ClusterConfiguration'), None)


def _own_mount_namespace(pid):
    """True when pid shares this process's mount namespace (an HA node's processes have their own)."""
    try:
        return os.readlink('/proc/%s/ns/mnt' % pid) == os.readlink('/proc/self/ns/mnt')
    except OSError:
        return False


def _our_shims():
    """PIDs of containerd shims serving this node's containerd (its socket in their command line, this mount namespace)."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0].endswith(b'containerd-shim-runc-v2') and CONTAINERD_SOCK.encode() in argv \
                and _own_mount_namespace(entry):
            pids.append(int(entry))
    return pids


def _mounts_under(prefixes):
    with open('/proc/self/mountinfo', encoding='utf-8') as handle:
        points = [line.split()[4] for line in handle]
    return [p for p in points if any(p == pre or p.startswith(pre + '/') for pre in prefixes)]


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
    if os.path.exists(CONTAINERD_SOCK) and os.access(binary('crictl'), os.X_OK) and containerd_answers(HOST):
        subprocess.run(HOST.crictl('rm', '-a', '-f'), capture_output=True, check=False, timeout=120)
        subprocess.run(HOST.crictl('rmp', '-a', '-f'), capture_output=True, check=False, timeout=120)
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
    if os.path.exists(host.LEDGER):
        host.restore_host_state()
        for path in (K8S_ETC, KUBELET_DIR, ETCD_DATA):
            host.release_path(path)
    for path in (RUN_DIR, STATE_DIR):
        host.release_path(path)
    for name in ('kubelet', 'containerd'):
        remove_init_script(HOST, name)
    say('down: node removed (logs kept: %s, %s)' % (KUBELET_LOG, CONTAINERD_LOG))


def status():
    containerd_up = os.path.exists(CONTAINERD_SOCK) and containerd_answers(HOST)
    return {
        'binaries': binaries_cached(),
        'bin_dir': BIN_DIR,
        'containerd': containerd_up,
        'kubelet': kubeadm.kubelet_healthy(HOST),
        'apiserver_ready': os.path.exists(ADMIN_CONF) and binaries_cached() and kubeadm.apiserver_ready(HOST),
    }


def running():
    return service_running(HOST, 'kubelet')
