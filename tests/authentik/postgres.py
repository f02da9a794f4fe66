"""A private PostgreSQL cluster (initdb/pg_ctl) on a free 127.0.0.1 port, owned by the postgres user.

Durability is off (fsync, synchronous_commit, full_page_writes): a throw-away test database.
"""

import glob
import os
import shutil
import subprocess

from authentik.steps import StepError, run

USER = 'postgres'  # the server refuses to run as root
DB_USER = DB_NAME = 'authentik'
SPEED = '-c fsync=off -c synchronous_commit=off -c full_page_writes=off'


def bin_dir():
    """The newest Debian PostgreSQL server (the packages step installs one when there is none)."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'), key=lambda p: int(p.split('/')[4]))
    if not found:
        raise StepError('postgres', 'no PostgreSQL server here: apt-get install postgresql')
    return os.path.dirname(found[-1])


def installed():
    return bool(glob.glob('/usr/lib/postgresql/*/bin/initdb'))


def _as_postgres(command):
    return ['runuser', '-u', USER, '--'] + command


def _owned(path, mode):
    import pwd  # pylint: disable=import-outside-toplevel
    entry = pwd.getpwnam(USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    os.chmod(path, mode)


def init(datadir, password, log):
    """A new cluster whose superuser is authentik (password auth over TCP) with an authentik database."""
    if os.path.exists(datadir):
        shutil.rmtree(datadir)
    os.makedirs(datadir)
    _owned(datadir, 0o700)
    pwfile = os.path.join(os.path.dirname(datadir), '.pgpass-init')
    with open(pwfile, 'w', encoding='utf-8') as handle:
        handle.write(password + '\n')
    _owned(pwfile, 0o600)
    try:
        run('postgres', _as_postgres([os.path.join(bin_dir(), 'initdb'), '-D', datadir, '-U', DB_USER, '--pwfile', pwfile,
                                      '-A', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C.UTF-8', '--no-sync']), log)
    finally:
        os.unlink(pwfile)


def start(datadir, port, log):
    """The server's own log (written by the postgres user) is log with .log replaced by -server.log."""
    server_log = log[:-len('.log')] + '-server.log'
    open(server_log, 'a').close()  # pylint: disable=consider-using-with
    _owned(server_log, 0o640)
    options = '-c listen_addresses=127.0.0.1 -p %d -k %s %s' % (port, datadir, SPEED)
    run('postgres', _as_postgres([os.path.join(bin_dir(), 'pg_ctl'), '-D', datadir, '-l', server_log, '-w', '-t', '120',
                                  '-o', options, 'start']), log)


def create_database(port, password, log):
    run('postgres', [os.path.join(bin_dir(), 'createdb'), '-h', '127.0.0.1', '-p', str(port), '-U', DB_USER, '-O', DB_USER, DB_NAME],
        log, env=dict(os.environ, PGPASSWORD=password))


def running(datadir):
    if not os.path.exists(os.path.join(datadir, 'postmaster.pid')):
        return False
    result = subprocess.run(_as_postgres([os.path.join(bin_dir(), 'pg_ctl'), '-D', datadir, 'status']),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return result.returncode == 0


def stop(datadir, log):
    """Stop the cluster of this data directory (its own postmaster.pid), and no other."""
    if running(datadir):
        run('postgres', _as_postgres([os.path.join(bin_dir(), 'pg_ctl'), '-D', datadir, '-m', 'fast', '-w', '-t', '60', 'stop']), log)
