"""Processes this tool starts: each in its own session, remembered by a pid file with its start time,
so that stop() signals exactly the processes it started and never a recycled pid."""

import json
import os
import signal
import subprocess
import time


def _start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None when the process is gone."""
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def spawn(pids_dir, name, command, *, log, env, cwd=None):
    """Start command in a new session (its own process group), output appended to log; returns its pid."""
    os.makedirs(pids_dir, exist_ok=True)
    with open(log, 'a', encoding='utf-8') as handle:
        handle.write('\n$ %s\n' % ' '.join(command))
        handle.flush()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=handle,  # pylint: disable=consider-using-with
                                   stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(pids_dir, name + '.pid'), 'w', encoding='utf-8') as handle:
        json.dump({'pid': process.pid, 'start': _start_time(process.pid), 'command': command[:3]}, handle)
    return process.pid


def _record(pids_dir, name):
    try:
        with open(os.path.join(pids_dir, name + '.pid'), encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def alive(pids_dir, name):
    """True while the recorded process (same pid, same start time) runs and is not a zombie."""
    record = _record(pids_dir, name)
    if not record or _start_time(record['pid']) != record['start']:
        return False
    try:
        with open('/proc/%d/stat' % record['pid'], encoding='utf-8') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def stop(pids_dir, name, timeout=30):
    """SIGTERM the recorded process group, SIGKILL what is left after timeout; forget the pid file."""
    record = _record(pids_dir, name)
    path = os.path.join(pids_dir, name + '.pid')
    # A group outlives its leader only while a member lives, and its id is not reused meanwhile.
    if record and (alive(pids_dir, name) or (_start_time(record['pid']) is None and _group_alive(record['pid']))):
        pgid = record['pid']  # a session leader: its pid is its process group
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.2)
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
    if os.path.exists(path):
        os.unlink(path)


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid):
    """Any live (non-zombie) process still in the group."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='utf-8') as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':
            return True
    return False
