"""What the node tools change on this machine and how `down` puts it back: packages, ledgers, sysctls, lo.

Two ledgers, one per cluster kind: the single node's (LEDGER) and the HA cluster's (HA_LEDGER). Both
clusters may run at once, so host-wide state that both touch is handed over rather than restored
early: the kubelet sysctls are restored by the last cluster to go, and directories the HA nodes use as
mount targets (/etc/kubernetes, ...) are emptied, not removed, while the other cluster still needs them.
"""

import os
import shutil
import subprocess

from kubeauth_node.common import APT_GET, STATE_DIR, read_json, remove_tree, run, say, write_json
from kubeauth_node.target import LO_ADDRESS

LEDGER = os.path.join(STATE_DIR, 'ledger.json')
HA_STATE_DIR = '/var/lib/kubeauth-ha'
HA_LEDGER = os.path.join(HA_STATE_DIR, 'ledger.json')
# Paths the node stack may create outside its own directories; `down` removes those it created.
FOREIGN_PATHS = ['/run/containerd', '/var/log/pods', '/var/log/containers', '/etc/cni', '/opt/cni', '/opt/containerd']
# Sysctls the kubelet sets at start; `down` puts back what was there before.
KUBELET_SYSCTLS = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
                   'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes']
POLICY_RC_D = '/usr/sbin/policy-rc.d'

# command on PATH -> Debian package. The single node needs the first group; the HA cluster all of them.
SINGLE_PACKAGES = {'containerd': 'containerd', 'runc': 'runc', 'gcc': 'gcc', 'ip': 'iproute2'}
HA_PACKAGES = {'haproxy': 'haproxy', 'sshd': 'openssh-server', 'ssh': 'openssh-client', 'sudo': 'sudo',
               'nsenter': 'util-linux', 'start-stop-daemon': 'dpkg'}


def single_active():
    return os.path.exists(LEDGER)


def ha_active():
    return os.path.exists(HA_LEDGER)


def _missing_packages(ha):
    wanted = dict(SINGLE_PACKAGES, **(HA_PACKAGES if ha else {}))
    path = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'
    missing = sorted({package for tool, package in wanted.items() if not shutil.which(tool, path=path)})
    if not os.path.exists('/usr/lib/x86_64-linux-gnu/libc.a') and not os.path.exists('/usr/lib/libc.a'):
        missing.append('libc6-dev')
    # The node-side modules run on the node's own Python and import PyYAML.
    if ha and subprocess.run(['/usr/bin/python3', '-c', 'import yaml'], capture_output=True, check=False).returncode != 0:
        missing.append('python3-yaml')
    return missing


def ensure_packages(ha=False):
    """containerd, runc, a static C toolchain; for the HA cluster also haproxy, openssh, sudo, python3-yaml."""
    missing = _missing_packages(ha)
    if not missing:
        return 'present'
    env = {'DEBIAN_FRONTEND': 'noninteractive'}
    install = APT_GET + ['install', '-y', '--no-install-recommends'] + missing
    # Installing a daemon's package must not start it on this machine (sshd on port 22, haproxy):
    # the nodes run their own. policy-rc.d answering 101 is Debian's way to say so.
    own_policy = not os.path.exists(POLICY_RC_D)
    if own_policy:
        with open(POLICY_RC_D, 'w', encoding='utf-8') as handle:
            handle.write('#!/bin/sh\n# kubeauth tests/node: no service starts during this install\nexit 101\n')
        os.chmod(POLICY_RC_D, 0o755)
    try:
        if run('packages', install, timeout=900, env=env, check=False).returncode != 0:
            # A fresh machine has no package lists yet.
            run('packages', APT_GET + ['update'], timeout=600, env=env)
            run('packages', install, timeout=900, env=env)
    finally:
        if own_policy:
            os.unlink(POLICY_RC_D)
    return 'installed ' + ' '.join(missing)


# ---------------------------------------------------------------- sysctls, shared by both clusters


def original_sysctls(other_ledger):
    """The kubelet sysctls as they were before any node tool's kubelet ran: the other cluster's record if it runs."""
    other = read_json(other_ledger, {})
    if other.get('sysctls'):
        return dict(other['sysctls'])
    values = {}
    for key in KUBELET_SYSCTLS:
        try:
            with open('/proc/sys/' + key, encoding='utf-8') as handle:
                values[key] = handle.read().strip()
        except OSError:
            pass
    return values


def restore_sysctls(values, other_running):
    """Put the sysctls back unless the other cluster's kubelets still run (it restores them when it goes)."""
    if other_running:
        return
    for key, value in values.items():
        try:
            with open('/proc/sys/' + key, 'w', encoding='utf-8') as handle:
                handle.write(value)
        except OSError as exc:
            say('down: could not restore sysctl %s=%s: %s' % (key, value, exc))


# ---------------------------------------------------------------- the single node's ledger


def record_host_state():
    """Before the first start, note what `down` must put back: foreign paths and kubelet sysctls."""
    if os.path.exists(LEDGER):
        return
    # A directory the HA cluster created as a mount target is the single node's to remove once it is used here.
    ha_made = set(read_json(HA_LEDGER, {}).get('created_dirs', []))
    created = [path for path in FOREIGN_PATHS if not os.path.exists(path) or path in ha_made]
    write_json(LEDGER, {'created_paths': created, 'sysctls': original_sysctls(HA_LEDGER)})


def lo_address_present():
    result = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo'], capture_output=True, text=True, check=False)
    return ' %s/' % LO_ADDRESS in result.stdout


def ensure_lo_address():
    """Give lo the node's address (see target.LO_ADDRESS), noting in the ledger that `down` must take it away."""
    if lo_address_present():
        return 'present'
    run('lo-address', ['ip', 'addr', 'add', LO_ADDRESS + '/32', 'dev', 'lo'])
    ledger = read_json(LEDGER, {})
    ledger['lo_address_added'] = True
    write_json(LEDGER, ledger)
    return 'added %s/32 to lo' % LO_ADDRESS


def release_path(path):
    """Remove a directory the single node made; while the HA cluster runs, empty it and hand it over
    (its nodes bind their own directories over it, and removing a mount target detaches their mounts)."""
    if not ha_active() or not os.path.isdir(path) or os.path.islink(path):
        remove_tree(path)
        return
    remove_tree(path, keep_dir=True)
    ledger = read_json(HA_LEDGER, {})
    if path not in ledger.setdefault('created_dirs', []):
        ledger['created_dirs'].append(path)
        write_json(HA_LEDGER, ledger)


def restore_host_state():
    ledger = read_json(LEDGER, {})
    if ledger.get('lo_address_added') and lo_address_present():
        subprocess.run(['ip', 'addr', 'del', LO_ADDRESS + '/32', 'dev', 'lo'], capture_output=True, check=False)
    restore_sysctls(ledger.get('sysctls', {}), ha_active())
    for path in ledger.get('created_paths', []):
        release_path(path)
