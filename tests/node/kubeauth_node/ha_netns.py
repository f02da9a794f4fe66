"""Network, mount and UTS namespaces of the HA nodes, their cgroup roots, and taking all of it away again."""

import glob
import os
import shutil
import signal
import subprocess
import time

from kubeauth_node.common import INIT_D, MARKER, read_json, run, say, write_file, write_json
from kubeauth_node.ha_layout import (BRIDGE, BRIDGE_ADDRESS, LB_ADDRESS, LB_NETNS, LB_VETH, LEDGER, NS_DIR,
                                     PREFIX_LENGTH, PRIVATE_FILES, hosts_file)

CGROUP_ROOT = '/sys/fs/cgroup'


def _ip(*args, check=True):
    return run('network', ['ip'] + list(args), check=check)


def _link_exists(name, netns=None):
    prefix = ['-n', netns] if netns else []
    return _ip(*prefix, 'link', 'show', name, check=False).returncode == 0


def _netns_exists(name):
    return os.path.exists(os.path.join('/run/netns', name))


def _has_address(device, address, netns=None):
    prefix = ['-n', netns] if netns else []
    return (' %s/' % address) in _ip(*prefix, '-4', '-o', 'addr', 'show', 'dev', device).stdout


def ensure_bridge():
    if not _link_exists(BRIDGE):
        _ip('link', 'add', BRIDGE, 'type', 'bridge')
    if not _has_address(BRIDGE, BRIDGE_ADDRESS):
        _ip('addr', 'add', '%s/%d' % (BRIDGE_ADDRESS, PREFIX_LENGTH), 'dev', BRIDGE)
    _ip('link', 'set', BRIDGE, 'up')


def ensure_netns(netns, veth, address, routing=False):
    """A network namespace with lo and eth0 (the peer of veth, a port of the bridge) at address."""
    if not _netns_exists(netns):
        _ip('netns', 'add', netns)
    if not _link_exists(veth):
        _ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
    _ip('link', 'set', veth, 'master', BRIDGE, 'up')
    if not _has_address('eth0', address, netns):
        _ip('-n', netns, 'addr', 'add', '%s/%d' % (address, PREFIX_LENGTH), 'dev', 'eth0')
    _ip('-n', netns, 'link', 'set', 'lo', 'up')
    _ip('-n', netns, 'link', 'set', 'eth0', 'up')
    if routing:
        # A default route makes kubeadm's address defaulting work; this machine does not forward
        # (ip_forward stays 0 here), so nothing goes further than the bridge.
        _ip('-n', netns, 'route', 'replace', 'default', 'via', BRIDGE_ADDRESS)
        # kubeadm's preflight wants IPv4 forwarding; in the node's own namespace it changes nothing outside it.
        run('network', ['nsenter', '--net=/run/netns/' + netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])


def ensure_network(nodes):
    ensure_bridge()
    ensure_netns(LB_NETNS, LB_VETH, LB_ADDRESS)
    for node in nodes:
        ensure_netns(node.netns, node.veth, node.address, routing=True)
    listed = ', '.join('%s %s' % (node.name, node.address) for node in nodes)
    return 'bridge %s %s/%d, load balancer %s, %s' % (BRIDGE, BRIDGE_ADDRESS, PREFIX_LENGTH, LB_ADDRESS, listed)


def _mount_points():
    with open('/proc/self/mountinfo', encoding='utf-8') as handle:
        return [line.split()[4] for line in handle]


def _ns_dir_private():
    """Namespace files can be bind-mounted only on a private mount (as `ip netns` does for /run/netns)."""
    if NS_DIR in _mount_points():
        return
    os.makedirs(NS_DIR, exist_ok=True)
    run('mount-ns', ['mount', '--bind', NS_DIR, NS_DIR])
    run('mount-ns', ['mount', '--make-private', NS_DIR])


def _inode(path):
    stat = os.stat(path)
    return '%d:%d' % (stat.st_dev, stat.st_ino)


def _setup_script(node, fresh):
    """Inside the mount namespace: host name, (when fresh) no copies of other mounts, the private binds."""
    lines = ['set -e', 'hostname %s' % node.name]
    if fresh:
        # Mounts copied from this machine under these paths (another node's namespace files, the single
        # node's container mounts) would keep them busy: this node does not need them.
        drop = [NS_DIR, '/run/netns'] + sorted(node.binds)
        lines.append("awk '{print $5}' /proc/self/mountinfo | sort -r | while read -r point; do")
        lines.append('  for prefix in %s; do' % ' '.join(drop))
        lines.append('    case "$point" in "$prefix"|"$prefix"/*) umount -l "$point" 2>/dev/null || true ;; esac')
        lines.append('  done')
        lines.append('done')
    # A bind already in place (same device and inode as the private directory) is left alone.
    for node_path, private in sorted(node.binds.items()):
        lines.append('[ "$(stat -c %%d:%%i %s)" = "%s" ] || mount --bind %s %s' % (node_path, _inode(private), private, node_path))
    return '\n'.join(lines) + '\n'


def _private_init_d(node):
    """The node's own /etc/init.d: this machine's scripts, without the single node's kubelet and containerd."""
    target = node.binds[INIT_D]
    if os.path.isdir(target):
        return
    shutil.copytree(INIT_D, target + '.tmp', symlinks=True)
    for name in ('kubelet', 'containerd', 'ssh'):
        path = os.path.join(target + '.tmp', name)
        if os.path.exists(path):
            os.unlink(path)
    os.rename(target + '.tmp', target)


def ensure_mount_namespace(node, ledger, count):
    _ns_dir_private()
    files = dict(PRIVATE_FILES)
    for node_path, private in node.binds.items():
        if node_path not in files and node_path != INIT_D:
            os.makedirs(private, exist_ok=True)
    write_file(node.binds['/etc/hosts'], hosts_file(count))
    _private_init_d(node)
    # The bind targets must exist on this machine; the ones made here are recorded for `down`.
    for node_path in node.binds:
        if not os.path.exists(node_path) and node_path not in files:
            os.makedirs(node_path)
            if node_path not in ledger.setdefault('created_dirs', []):
                ledger['created_dirs'].append(node_path)
                write_json(LEDGER, ledger)
    points = _mount_points()
    fresh = node.mount_ns not in points or node.uts_ns not in points
    if fresh:
        for path in (node.mount_ns, node.uts_ns):
            if path in points:
                run('mount-ns', ['umount', path])
            open(path, 'w', encoding='utf-8').close()
        run('mount-ns', ['unshare', '--mount=' + node.mount_ns, '--uts=' + node.uts_ns, '--propagation', 'private', 'true'])
    run('mount-ns', ['nsenter', '--mount=' + node.mount_ns, '--uts=' + node.uts_ns, '--', 'sh', '-c', _setup_script(node, fresh)])
    return 'created' if fresh else 'present'


def _cgroup_hierarchies():
    return sorted(path for path in glob.glob(os.path.join(CGROUP_ROOT, '*')) if os.path.ismount(path))


def ensure_cgroup_root(node):
    """The kubelet's cgroupRoot in every hierarchy (it refuses a root that does not exist)."""
    for hierarchy in _cgroup_hierarchies():
        path = hierarchy + node.cgroup_root
        if os.path.isdir(path):
            continue
        os.mkdir(path)
        if os.path.basename(hierarchy) == 'cpuset':
            # A new cpuset has no CPUs or memory nodes until given its parent's.
            for name in ('cpuset.cpus', 'cpuset.mems'):
                with open(os.path.join(hierarchy, name), encoding='utf-8') as handle:
                    value = handle.read().strip()
                with open(os.path.join(path, name), 'w', encoding='utf-8') as handle:
                    handle.write(value)


def _namespace_id(path):
    """The inode of a bind-mounted namespace file (None when it is not mounted: only an empty file is there)."""
    if path not in _mount_points():
        return None
    return os.stat(path).st_ino


def processes_of(node):
    """PIDs in the node's mount or network namespace or under its cgroup root."""
    wanted = {'mnt': _namespace_id(node.mount_ns), 'net': _namespace_id(node.netns_file)}
    pids = set()
    for kind, inode in wanted.items():
        if inode is None:
            continue
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                try:
                    if os.readlink('/proc/%s/ns/%s' % (entry, kind)) == '%s:[%d]' % (kind, inode):
                        pids.add(int(entry))
                except OSError:
                    continue
    for procs in glob.glob(os.path.join(CGROUP_ROOT, 'pids', node.cgroup_root.lstrip('/'), '**', 'cgroup.procs'), recursive=True):
        with open(procs, encoding='utf-8') as handle:
            pids.update(int(pid) for pid in handle.read().split())
    pids.discard(os.getpid())
    return pids


def kill_processes(pids_of, what):
    """SIGKILL what pids_of() returns until nothing is left (a few rounds: killed parents may leave children)."""
    for _round in range(10):
        pids = pids_of()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    say('down: processes of %s still there: %s' % (what, sorted(pids_of())))


def remove_cgroup_root(node):
    for hierarchy in _cgroup_hierarchies():
        top = hierarchy + node.cgroup_root
        for root, _dirs, _files in sorted(os.walk(top), key=lambda item: -item[0].count('/')):
            try:
                os.rmdir(root)
            except OSError as exc:
                say('down: cgroup %s left: %s' % (root, exc))


def remove_namespaces(node):
    points = _mount_points()
    for path in (node.mount_ns, node.uts_ns):
        if path in points:
            subprocess.run(['umount', path], capture_output=True, check=False)
        if os.path.exists(path):
            os.unlink(path)
    if _netns_exists(node.netns):
        subprocess.run(['ip', 'netns', 'del', node.netns], capture_output=True, check=False)
    if _link_exists(node.veth):
        subprocess.run(['ip', 'link', 'del', node.veth], capture_output=True, check=False)


def remove_network():
    for name in (LB_NETNS,):
        if _netns_exists(name):
            subprocess.run(['ip', 'netns', 'del', name], capture_output=True, check=False)
    for link in (LB_VETH, BRIDGE):
        if _link_exists(link):
            subprocess.run(['ip', 'link', 'del', link], capture_output=True, check=False)
    if NS_DIR in _mount_points():
        subprocess.run(['umount', NS_DIR], capture_output=True, check=False)


def release_created_dirs(single_running):
    """Remove the (empty) bind targets this cluster made, unless the single node uses them now."""
    ledger = read_json(LEDGER, {})
    for path in ledger.get('created_dirs', []):
        if single_running:
            continue
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            say('down: %s left in place: %s' % (path, exc))


def our_init_script(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return MARKER in handle.read()
    except OSError:
        return False
