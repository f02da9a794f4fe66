"""A node's own containerd (Debian's): private root, state and socket; CRI with cgroupfs and the local pause image."""

import os
import shutil

import yaml

from kubeauth_node.common import (CONTAINERD_CONFIG, CONTAINERD_DIR, CONTAINERD_LOG, CONTAINERD_SOCK, CRICTL_CONFIG,
                                  RUN_DIR, RUNTIME_ENDPOINT, STATE_DIR, wait_for, write_file)
from kubeauth_node.services import install_init_script, service, service_running


def containerd_config(pause_image):
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


def containerd_answers(target):
    return target.call(['ctr', '--address', CONTAINERD_SOCK, 'version'], timeout=10)[0] == 0


def start_containerd(target, pause_image):
    write_file(target.path(CONTAINERD_CONFIG), containerd_config(pause_image))
    # An explicit crictl config: without one crictl warns on every call about /etc/crictl.yaml.
    write_file(target.path(CRICTL_CONFIG), yaml.safe_dump({'runtime-endpoint': RUNTIME_ENDPOINT,
                                                           'image-endpoint': RUNTIME_ENDPOINT, 'timeout': 30}))
    log = target.path(CONTAINERD_LOG)
    install_init_script(target, 'containerd', {
        'name': 'containerd',
        'daemon': shutil.which('containerd') or '/usr/bin/containerd',
        'args': '--config %s' % CONTAINERD_CONFIG,
        'logfile': CONTAINERD_LOG,
        'description': 'containerd of the kubeauth test node',
    })
    if service_running(target, 'containerd') and containerd_answers(target):
        return 'already running'
    service(target, 'containerd', 'containerd', 'start', log=log)
    wait_for('containerd', 'containerd to answer on %s' % CONTAINERD_SOCK, lambda: containerd_answers(target), timeout=60,
             log=log, interval=1, alive=lambda: service_running(target, 'containerd'),
             command=target.command(['service', 'containerd', 'start']))
    return 'started'
