"""kubeadm's own phases on a node, the kubelet under its init script, and the apiserver's readiness.

kubeadm runs phase by phase: there is no systemd for its kubelet-start phase to drive, and only etcd and
kube-apiserver images exist (no controller-manager, scheduler, CoreDNS or kube-proxy: the tests need none).
"""

import os
import subprocess

import yaml

from kubeauth_node.common import (ADMIN_CONF, APISERVER_MANIFEST, ETCD_DATA, K8S_ETC, K8S_MINOR, K8S_VERSION, KUBEADM_CONFIG,
                                  KUBELET_DIR, KUBELET_HEALTHZ, KUBELET_LOG, MANIFESTS_DIR, RUNTIME_ENDPOINT,
                                  StageError, binary, tail, wait_for, wait_quietly)
from kubeauth_node.services import KUBELET_PREAMBLE, install_init_script, service, service_running
from kubeauth_node.target import crictl_argv, kubectl_argv

# Preflight checks skipped by name on the single node; every other check runs. ip_forward stays 0 on this
# machine: the node runs only host-network static pods, and turning routing on would change how the
# machine treats traffic. (An HA node sets it in its own network namespace instead.)
PREFLIGHT_IGNORED = ['FileContent--proc-sys-net-ipv4-ip_forward']
if K8S_MINOR >= (1, 35):
    # This machine has cgroup v1: from 1.35 kubeadm's system verification fails on it unless skipped, besides
    # the kubelet's failCgroupV1: false (kubeadm's message asks for both).
    PREFLIGHT_IGNORED.append('SystemVerification')
if K8S_MINOR < (1, 31):
    # kubeadm 1.30 asks for conntrack and iptables (for kube-proxy, which this node does not run), and its
    # HTTPProxyCIDR check builds "https://[10.96.0.1]:1234/", which the Go of today's build refuses to parse.
    PREFLIGHT_IGNORED.extend(['FileExisting-conntrack', 'FileExisting-iptables', 'HTTPProxyCIDR'])
# kubeadm's config API: v1beta4 from 1.31 (extraArgs as name/value lists), v1beta3 before (maps).
KUBEADM_API = 'kubeadm.k8s.io/v1beta4' if K8S_MINOR >= (1, 31) else 'kubeadm.k8s.io/v1beta3'


def kubelet_configuration(**extra):
    """The KubeletConfiguration every node shares; extra keys for the single node's loopback-only kubelet."""
    config = {
        'apiVersion': 'kubelet.config.k8s.io/v1beta1',
        'kind': 'KubeletConfiguration',
        'cgroupDriver': 'cgroupfs',
        'containerRuntimeEndpoint': RUNTIME_ENDPOINT,
        'staticPodPath': MANIFESTS_DIR,
        'failSwapOn': False,
        'healthzBindAddress': '127.0.0.1',
        # Keeps the flex-volume directory inside the kubelet's own tree (default is under /usr).
        'volumePluginDir': os.path.join(KUBELET_DIR, 'volume-plugins'),
        # A test node must not evict its control plane when the work disk is busy.
        'evictionHard': {'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%'},
        'imageGCHighThresholdPercent': 100,
        # See restrict_oom_score_adj in the containerd config: a negative value cannot be set here.
        'oomScoreAdj': 0,
    }
    if K8S_MINOR >= (1, 35):
        # From 1.35 the kubelet refuses to start on cgroup v1 unless told otherwise; this machine has v1.
        config['failCgroupV1'] = False
    config.update(extra)
    return config


def node_registration(name, address):
    return {
        'name': name,
        'criSocket': RUNTIME_ENDPOINT,
        # No registry is reachable: the images are imported, never pulled.
        'imagePullPolicy': 'Never',
        'kubeletExtraArgs': [{'name': 'node-ip', 'value': address}] if KUBEADM_API.endswith('v1beta4') else {'node-ip': address},
    }


def single_node_config(name, address):
    """InitConfiguration, ClusterConfiguration and KubeletConfiguration for the loopback-only single node."""
    docs = [
        {
            'apiVersion': KUBEADM_API,
            'kind': 'InitConfiguration',
            'localAPIEndpoint': {'advertiseAddress': '127.0.0.1', 'bindPort': 6443},
            'nodeRegistration': node_registration(name, address),
        },
        {
            'apiVersion': KUBEADM_API,
            'kind': 'ClusterConfiguration',
            'kubernetesVersion': K8S_VERSION,
            'clusterName': 'kubeauth-test',
            'controlPlaneEndpoint': '127.0.0.1:6443',
            'apiServer': {'certSANs': ['127.0.0.1', 'localhost']},
            'etcd': {'local': {'dataDir': ETCD_DATA}},
        },
        kubelet_configuration(address='127.0.0.1'),
    ]
    return yaml.safe_dump_all(docs, sort_keys=False)


def kubeadm(target, *args, timeout=300):
    return target.run('kubeadm', [binary('kubeadm')] + list(args), timeout=timeout)


def init_phases(target, config=KUBEADM_CONFIG, ignored=tuple(PREFLIGHT_IGNORED)):
    """kubeadm's own init phases, bar wait-control-plane and the addons this node has no images for."""
    if os.path.exists(target.path(APISERVER_MANIFEST)) and os.path.exists(target.path(ADMIN_CONF)):
        return 'already initialised'
    cfg = '--config=' + config
    preflight = ['init', 'phase', 'preflight', cfg] + (['--ignore-preflight-errors=' + ','.join(ignored)] if ignored else [])
    kubeadm(target, *preflight)
    kubeadm(target, 'init', 'phase', 'certs', 'all', cfg)
    kubeadm(target, 'init', 'phase', 'kubeconfig', 'all', cfg)
    kubeadm(target, 'init', 'phase', 'etcd', 'local', cfg)
    kubeadm(target, 'init', 'phase', 'control-plane', 'apiserver', cfg)
    # Writes the kubelet's config.yaml and kubeadm-flags.env; with no systemctl it starts nothing.
    kubeadm(target, 'init', 'phase', 'kubelet-start', cfg)
    return 'certs, kubeconfig, etcd local, control-plane apiserver, kubelet-start'


def install_kubelet_script(target):
    install_init_script(target, 'kubelet', {
        'name': 'kubelet',
        'daemon': binary('kubelet'),
        'args': '$KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS',
        'logfile': KUBELET_LOG,
        'description': 'kubelet of the kubeauth test node',
        'requires': ' containerd',
        'preamble': KUBELET_PREAMBLE.format(etc=K8S_ETC, kubelet_dir=KUBELET_DIR),
    })


def kubelet_healthy(target):
    return service_running(target, 'kubelet') and target.http_ok(KUBELET_HEALTHZ)


def start_kubelet(target):
    install_kubelet_script(target)
    if kubelet_healthy(target):
        return 'already running'
    log = target.path(KUBELET_LOG)
    service(target, 'kubelet', 'kubelet', 'start', log=log)
    wait_for('kubelet', 'kubelet /healthz', lambda: target.http_ok(KUBELET_HEALTHZ), timeout=120, log=log,
             alive=lambda: service_running(target, 'kubelet'), command=target.command(['service', 'kubelet', 'start']))
    return 'started'


def apiserver_ready(target, kubeconfig=ADMIN_CONF, server=None):
    """/readyz through kubectl inside the node (server overrides the kubeconfig's, e.g. the node's own apiserver)."""
    extra = ['--server', server] if server else []
    code, out = target.call(kubectl_argv(kubeconfig, *extra, 'get', '--raw', '/readyz', '--request-timeout=5s'), timeout=30)
    return code == 0 and out.strip() == 'ok'


def apiserver_logs(target):
    """The last apiserver container's log and the kubelet's, for a failure report."""
    code, out = target.call(crictl_argv('ps', '-a', '-q', '--name', 'kube-apiserver'))
    ids = out.split() if code == 0 else []
    text = ''
    if ids:
        logs = subprocess.run(target.crictl('logs', '--tail', '20', ids[0]), capture_output=True, text=True, check=False)
        text += '--- kube-apiserver container %s ---\n%s%s\n' % (ids[0][:13], logs.stdout, logs.stderr)
    log = target.path(KUBELET_LOG)
    return text + '--- %s ---\n%s' % (log, tail(log, 15))


def wait_apiserver(target, timeout=300, server=None, what='/readyz'):
    if wait_quietly(lambda: apiserver_ready(target, server=server), timeout):
        return 'ready'
    raise StageError('apiserver', 'timed out after %ss waiting for %s %s' % (timeout, server or 'the apiserver', what),
                     None, apiserver_logs(target))


def upload_config(target, config=KUBEADM_CONFIG):
    kubeadm(target, 'init', 'phase', 'upload-config', 'all', '--config=' + config)
    return 'kubeadm-config and kubelet-config ConfigMaps'


def mark_control_plane(target, config=KUBEADM_CONFIG):
    # kubeadm waits for the kubelet to register the node, then labels and taints it.
    kubeadm(target, 'init', 'phase', 'mark-control-plane', '--config=' + config)
    return 'node %s labelled and tainted' % target.name
