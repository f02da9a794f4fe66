"""The load balancer in front of the apiservers: Debian's HAProxy in its own network namespace.

TCP mode (TLS passes through to the apiservers), each backend health-checked on /readyz over TLS, as the
kubeadm HA guide configures it: a node whose apiserver drains or is down leaves the rotation within
about two seconds, and a connection that fails is retried on another apiserver.
"""

import os
import signal
import socket
import time

from kubeauth_node.common import StageError, run, tail, wait_quietly, write_file
from kubeauth_node.ha_layout import APISERVER_PORT, HA_LOG_DIR, HA_RUN_DIR, HA_STATE_DIR, LB_ADDRESS, LB_NETNS

HAPROXY = '/usr/sbin/haproxy'
CONFIG = os.path.join(HA_STATE_DIR, 'haproxy', 'haproxy.cfg')
PIDFILE = os.path.join(HA_RUN_DIR, 'haproxy.pid')
STATS_SOCKET = os.path.join(HA_RUN_DIR, 'haproxy.sock')
LOG = os.path.join(HA_LOG_DIR, 'haproxy.log')
# Health checks: every second; two failures take a server out, two successes put it back.
CHECK = 'inter 1s fall 2 rise 2'


def haproxy_config(nodes):
    servers = '\n'.join('    server %s %s:%d check check-ssl verify none' % (node.name, node.address, APISERVER_PORT)
                        for node in nodes)
    return '''# Written by kubeauth tests/node/node.py (the HA cluster's load balancer).
global
    log stdout format raw local0 info
    maxconn 4096
    stats socket {stats} mode 600 level admin

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    timeout connect 2s
    timeout client 5m
    timeout server 5m
    timeout check 2s
    # A connection refused by a stopped apiserver is retried, on another server.
    retries 3
    option redispatch

frontend kube-apiserver
    bind {address}:{port}
    default_backend kube-apiservers

backend kube-apiservers
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server {check}
{servers}
'''.format(stats=STATS_SOCKET, address=LB_ADDRESS, port=APISERVER_PORT, check=CHECK, servers=servers)


def _pid():
    try:
        with open(PIDFILE, encoding='utf-8') as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def stats():
    """{server name: status} as HAProxy sees its backends (UP, DOWN, ...), from its stats socket."""
    if not os.path.exists(STATS_SOCKET):
        return {}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(3)
            sock.connect(STATS_SOCKET)
            sock.sendall(b'show stat\n')
            data = b''
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return {}
    lines = data.decode('utf-8', 'replace').splitlines()
    if not lines:
        return {}
    header = lines[0].lstrip('# ').split(',')
    servers = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(',')))
        if row.get('pxname') == 'kube-apiservers' and row.get('svname') not in ('BACKEND', 'FRONTEND', None):
            servers[row['svname']] = row.get('status', '')
    return servers


def ensure_haproxy(nodes):
    """Write the config; (re)start HAProxy in the load balancer's namespace when it changed or is not running."""
    text = haproxy_config(nodes)
    try:
        with open(CONFIG, encoding='utf-8') as handle:
            same = handle.read() == text
    except OSError:
        same = False
    if same and _pid():
        return 'running'
    write_file(CONFIG, text)
    run('load-balancer', [HAPROXY, '-c', '-q', '-f', CONFIG])
    stop_haproxy()
    os.makedirs(HA_LOG_DIR, exist_ok=True)
    os.makedirs(HA_RUN_DIR, exist_ok=True)
    # -db: stay in the foreground, so start-stop-daemon keeps its pid and its log (stdout) goes to a file.
    run('load-balancer', ['nsenter', '--net=/run/netns/' + LB_NETNS, 'start-stop-daemon', '--start', '--background',
                          '--make-pidfile', '--pidfile', PIDFILE, '--output', LOG, '--exec', HAPROXY, '--',
                          '-db', '-f', CONFIG])
    if not wait_quietly(lambda: _pid() and os.path.exists(STATS_SOCKET), 20, interval=0.5):
        raise StageError('load-balancer', 'HAProxy did not start', None, tail(LOG))
    return 'started on %s:%d (backends %s)' % (LB_ADDRESS, APISERVER_PORT, ', '.join(node.name for node in nodes))


def stop_haproxy():
    pid = _pid()
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _tick in range(50):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
    for path in (PIDFILE, STATS_SOCKET):
        if os.path.exists(path):
            os.unlink(path)
