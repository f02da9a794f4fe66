"""LSB init scripts for a node's daemons (containerd, kubelet, sshd), driven through `service` as Ansible's
service module drives them. There is no systemd here: start-stop-daemon keeps a pid file per daemon."""

import os

from kubeauth_node.common import INIT_D, MARKER, RUN_DIR, StageError, run, write_file

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
    pid=$(cat "$PIDFILE" 2>/dev/null)
    start-stop-daemon --stop --quiet --oknodo --retry=TERM/30/KILL/5 --pidfile "$PIDFILE" --exec "$DAEMON"
    status=$?
    # start-stop-daemon stops waiting once the process no longer matches $DAEMON, which an exiting process stops
    # doing before it has closed its files: a restart could then meet the old one's ports still bound. Wait until
    # it is gone (or a zombie), up to 10 s.
    i=0
    while [ -n "$pid" ] && [ -e "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null \\
        && [ "$i" -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
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


def install_init_script(target, stage, spec):
    """Write the node's /etc/init.d/<name> from spec (name, daemon, args, logfile, description, requires, preamble)
    unless a script not written by this tool is there."""
    path = target.path(init_script_path(spec['name']))
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            if MARKER not in handle.read() and not spec.get('replace_foreign'):
                raise StageError(stage, '%s exists and was not installed by node.py; refusing to replace it' % path)
    values = dict({'requires': '', 'preamble': ''}, marker=MARKER, run_dir=RUN_DIR, **spec)
    values.pop('replace_foreign', None)
    write_file(path, INIT_SCRIPT.format(**values), 0o755)


def service(target, stage, name, action, log=None):
    """`service <name> <action>` inside the node."""
    return run(stage, target.command(['service', name, action]), timeout=120, log=log)


def service_running(target, name):
    if not os.path.exists(target.path(init_script_path(name))):
        return False
    return target.call(['service', name, 'status'])[0] == 0


def remove_init_script(target, name):
    path = target.path(init_script_path(name))
    try:
        with open(path, encoding='utf-8') as handle:
            ours = MARKER in handle.read()
    except OSError:
        return
    if ours:
        os.unlink(path)
