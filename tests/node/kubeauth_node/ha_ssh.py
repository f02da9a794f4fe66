"""Real SSH into the HA nodes: Debian's sshd in each node's namespaces, a non-root user with passwordless sudo,
key authentication with a key made here, host keys per node, and the Ansible inventory that uses them."""

import os
import pwd
import socket
import subprocess

import yaml

from kubeauth_node.common import STATE_DIR, StageError, read_json, run, tail, wait_quietly, write_file, write_json
from kubeauth_node.ha_layout import HA_STATE_DIR, INVENTORY, LEDGER, NODE_PYTHON
from kubeauth_node.services import install_init_script, service, service_running

SSH_USER = 'kubeauth'
SSH_DIR = os.path.join(HA_STATE_DIR, 'ssh')
PRIVATE_KEY = os.path.join(SSH_DIR, 'id_ed25519')
KNOWN_HOSTS = os.path.join(SSH_DIR, 'known_hosts')
SUDOERS = '/etc/sudoers.d/kubeauth-node'
PRIVSEP_DIR = '/run/sshd'
SSHD = '/usr/sbin/sshd'
# Inside a node (its private state directory).
NODE_SSHD_DIR = os.path.join(STATE_DIR, 'sshd')
NODE_SSHD_CONFIG = os.path.join(NODE_SSHD_DIR, 'sshd_config')
NODE_HOST_KEY = os.path.join(NODE_SSHD_DIR, 'ssh_host_ed25519_key')
NODE_SSHD_LOG = '/var/log/sshd.log'
SSH_COMMON_ARGS = '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes' % KNOWN_HOSTS


def _note(key, value):
    ledger = read_json(LEDGER, {})
    ledger[key] = value
    write_json(LEDGER, ledger)


def ensure_user():
    """The login user: a home with the controller's public key, no password (key only), sudo without one."""
    try:
        account = pwd.getpwnam(SSH_USER)
    except KeyError:
        run('ssh', ['useradd', '--create-home', '--shell', '/bin/bash', '--user-group', SSH_USER])
        _note('user_created', SSH_USER)
        account = pwd.getpwnam(SSH_USER)
    # '*' rather than useradd's locked '!': sshd without PAM refuses a locked account even for keys.
    run('ssh', ['usermod', '--password', '*', SSH_USER])
    if not os.path.exists(SUDOERS):
        write_file(SUDOERS + '.tmp', '# kubeauth tests/node HA nodes: the Ansible user becomes root\n'
                   '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' % SSH_USER, 0o440)
        run('ssh', ['visudo', '-c', '-q', '-f', SUDOERS + '.tmp'])
        os.rename(SUDOERS + '.tmp', SUDOERS)
        _note('sudoers_created', SUDOERS)
    if not os.path.exists(PRIVATE_KEY):
        os.makedirs(SSH_DIR, mode=0o700, exist_ok=True)
        run('ssh', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'kubeauth-ha-controller', '-f', PRIVATE_KEY])
    with open(PRIVATE_KEY + '.pub', encoding='utf-8') as handle:
        public = handle.read()
    ssh_home = os.path.join(account.pw_dir, '.ssh')
    os.makedirs(ssh_home, mode=0o700, exist_ok=True)
    write_file(os.path.join(ssh_home, 'authorized_keys'), public, 0o600)
    for path in (ssh_home, os.path.join(ssh_home, 'authorized_keys')):
        os.chown(path, account.pw_uid, account.pw_gid)
    if not os.path.isdir(PRIVSEP_DIR):
        os.makedirs(PRIVSEP_DIR, mode=0o755)
        _note('privsep_created', PRIVSEP_DIR)
    return 'user %s, key %s' % (SSH_USER, PRIVATE_KEY)


def sshd_config(node):
    return '\n'.join([
        '# Written by kubeauth tests/node/node.py: the sshd of %s, in its own namespaces.' % node.name,
        'ListenAddress %s:22' % node.address,
        'HostKey %s' % NODE_HOST_KEY,
        # start-stop-daemon keeps the pid file (the init script's).
        'PidFile none',
        'PermitRootLogin no',
        'AllowUsers %s' % SSH_USER,
        'AuthenticationMethods publickey',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'AuthorizedKeysFile .ssh/authorized_keys',
        'PrintMotd no',
        'AcceptEnv LANG LC_*',
        'Subsystem sftp internal-sftp',
        # Ansible opens a connection per host and forks; the defaults would drop some under load.
        'MaxStartups 64:30:128',
        'MaxSessions 32',
        '',
    ])


def _listening(node):
    try:
        with socket.create_connection((node.address, 22), timeout=2):
            return True
    except OSError:
        return False


def ensure_sshd(node):
    """sshd inside the node, under the node's own init script `ssh` (so `service ssh restart` there is that node's)."""
    key = node.path(NODE_HOST_KEY)
    if not os.path.exists(key):
        os.makedirs(os.path.dirname(key), exist_ok=True)
        run('ssh', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', node.name, '-f', key])
    write_file(node.path(NODE_SSHD_CONFIG), sshd_config(node), 0o600)
    node.run('ssh', [SSHD, '-t', '-f', NODE_SSHD_CONFIG])
    install_init_script(node, 'ssh', {
        'name': 'ssh',
        'daemon': SSHD,
        'args': '-D -f %s -E %s' % (NODE_SSHD_CONFIG, NODE_SSHD_LOG),
        'logfile': NODE_SSHD_LOG,
        'description': 'OpenBSD Secure Shell server of the kubeauth test node',
    })
    if service_running(node, 'ssh') and _listening(node):
        return 'running'
    service(node, 'ssh', 'ssh', 'start', log=node.path(NODE_SSHD_LOG))
    if not wait_quietly(lambda: _listening(node), 20, interval=0.5):
        raise StageError('ssh', 'sshd of %s does not listen on %s:22' % (node.name, node.address), None,
                         tail(node.path(NODE_SSHD_LOG)))
    return 'started'


def write_known_hosts(nodes):
    lines = []
    for node in nodes:
        with open(node.path(NODE_HOST_KEY) + '.pub', encoding='utf-8') as handle:
            kind, key = handle.read().split()[:2]
        lines.append('%s %s %s' % (node.address, kind, key))
    write_file(KNOWN_HOSTS, '\n'.join(lines) + '\n', 0o644)


def inventory(nodes):
    return {'all': {'children': {'control_plane': {
        'hosts': {node.name: {'ansible_host': node.address} for node in nodes},
        'vars': {
            'ansible_connection': 'ssh',
            'ansible_user': SSH_USER,
            'ansible_ssh_private_key_file': PRIVATE_KEY,
            'ansible_ssh_common_args': SSH_COMMON_ARGS,
            'ansible_become': True,
            # The node's own Python (Debian's, with python3-yaml), never the controller's.
            'ansible_python_interpreter': NODE_PYTHON,
        },
    }}}}


def ensure_ssh(nodes):
    ensure_user()
    started = [node.name for node in nodes if ensure_sshd(node) == 'started']
    write_known_hosts(nodes)
    write_file(INVENTORY, '# Written by kubeauth tests/node/node.py up --nodes %d\n' % len(nodes)
               + yaml.safe_dump(inventory(nodes), sort_keys=False), 0o644)
    # One real login per node proves key, host key and user before anything relies on them.
    for node in nodes:
        command = ['ssh', '-i', PRIVATE_KEY] + SSH_COMMON_ARGS.split() + ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5',
                                                                          '%s@%s' % (SSH_USER, node.address), 'sudo', '-n', 'true']
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise StageError('ssh', 'ssh + sudo to %s failed' % node.name, command,
                             result.stderr + '\n' + tail(node.path(NODE_SSHD_LOG)))
    return 'sshd %s; inventory %s' % ('started on ' + ', '.join(started) if started else 'running', INVENTORY)


def remove_ssh_host_state():
    """The user, sudoers file and privilege-separation directory, if `up` made them."""
    ledger = read_json(LEDGER, {})
    if ledger.get('sudoers_created') and os.path.exists(SUDOERS):
        os.unlink(SUDOERS)
    if ledger.get('user_created'):
        subprocess.run(['userdel', '--remove', ledger['user_created']], capture_output=True, check=False)
    if ledger.get('privsep_created') and os.path.isdir(PRIVSEP_DIR):
        try:
            os.rmdir(PRIVSEP_DIR)
        except OSError:
            pass
