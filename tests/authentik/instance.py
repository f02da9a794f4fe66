"""A running authentik: its PostgreSQL, the web app (gunicorn), the worker and the TLS front.

All on free loopback ports; pid files under the state directory; the settings authentik reads
from the environment (see /work/shared/authentik/src/README.md for why each one is there).
"""

import json
import os
import shutil
import socket
import ssl
import time
import urllib.error
import urllib.request

from authentik import front, postgres, procs
from authentik.debian_root import wrap
from authentik.steps import StepError, run, step, wait_for

SERVICES = ('web', 'worker', 'front')  # started in this order after postgres, stopped in reverse


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def allocate_ports():
    ports, seen = {}, set()
    for name in ('postgres', 'web', 'web_metrics', 'worker_http', 'worker_metrics', 'front'):
        port = free_port()
        while port in seen:
            port = free_port()
        ports[name] = port
        seen.add(port)
    return ports


def app_env(release, ports, secrets, role):
    """The environment of the web app or the worker."""
    # No AUTHENTIK_* setting leaks in, and no PYTHONPATH: the test tiers put tests/authentik (this tool) there.
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('AUTHENTIK_') and k not in ('PYTHONPATH', 'PYTHONHOME'))
    http, metrics = (ports['web'], ports['web_metrics']) if role == 'web' else (ports['worker_http'], ports['worker_metrics'])
    tmp = os.path.join(release.state, 'tmp', role)
    env.update({
        'AUTHENTIK_SECRET_KEY': secrets['secret_key'],
        'AUTHENTIK_POSTGRESQL__HOST': '127.0.0.1', 'AUTHENTIK_POSTGRESQL__PORT': str(ports['postgres']),
        'AUTHENTIK_POSTGRESQL__USER': postgres.DB_USER, 'AUTHENTIK_POSTGRESQL__NAME': postgres.DB_NAME,
        'AUTHENTIK_POSTGRESQL__PASSWORD': secrets['pg_password'],
        'AUTHENTIK_BOOTSTRAP_PASSWORD': secrets['admin_password'], 'AUTHENTIK_BOOTSTRAP_TOKEN': secrets['token'],
        'AUTHENTIK_BOOTSTRAP_EMAIL': 'admin@example.com',  # as on the server of shared/authentik/recordings
        'AUTHENTIK_AVATARS': 'initials', 'AUTHENTIK_ERROR_REPORTING__ENABLED': 'false',
        'AUTHENTIK_DISABLE_UPDATE_CHECK': 'true', 'AUTHENTIK_DISABLE_STARTUP_ANALYTICS': 'true',
        'AUTHENTIK_OUTPOSTS__DISCOVER': 'false',  # else it looks for a Kubernetes cluster through any kubeconfig
        # One task at a time: two blueprint applications at once can deadlock in PostgreSQL (seen at start-up
        # with the default 2 threads), which leaves a default blueprint in status error.
        'AUTHENTIK_WORKER__THREADS': '1',
        'AUTHENTIK_LISTEN__HTTP': '127.0.0.1:%d' % http, 'AUTHENTIK_LISTEN__METRICS': '127.0.0.1:%d' % metrics,
        'AUTHENTIK_BLUEPRINTS_DIR': os.path.join(release.src, 'blueprints'),
        'AUTHENTIK_CERT_DISCOVERY_DIR': os.path.join(release.state, 'certs'),
        'AUTHENTIK_EMAIL__TEMPLATE_DIR': os.path.join(release.state, 'templates'),
        'AUTHENTIK_STORAGE__FILE__PATH': os.path.join(release.state, 'data'),
        'TMPDIR': tmp, 'PROMETHEUS_MULTIPROC_DIR': os.path.join(tmp, 'prometheus'),
        'VIRTUAL_ENV': release.venv, 'HOME': os.path.join(release.state, 'home'),
        'PATH': os.path.join(release.venv, 'bin') + ':/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'PYTHONDONTWRITEBYTECODE': '1',  # the cached tree stays as built
    })
    for name in ('certs', 'templates', 'data', 'home', os.path.join('tmp', role, 'prometheus')):
        os.makedirs(os.path.join(release.state, name), exist_ok=True)
    return env


def commands(release, ports):
    python = os.path.join(release.venv, 'bin', 'python')
    return {
        'migrate': [python, '-m', 'lifecycle.migrate'],
        'web': [os.path.join(release.venv, 'bin', 'gunicorn'), '-c', os.path.join(release.src, 'lifecycle', 'gunicorn.conf.py'),
                '-b', '127.0.0.1:%d' % ports['web'], 'authentik.root.asgi:application'],
        # As lifecycle/ak starts it: the command needs --pid-file (dramatiq reads args.pid_file).
        'worker': [python, '-m', 'manage', 'worker', '--pid-file', os.path.join(release.state, 'tmp', 'worker', 'worker.pid')],
    }


class Instance:
    """One release's running server; state in release.state."""

    def __init__(self, release, secrets):
        self.release, self.secrets = release, secrets
        self.pgdata = os.path.join(release.state, 'pg')
        self.front_dir = os.path.join(release.state, 'front')
        self.access_log = os.path.join(release.logs, 'access.log')

    def log(self, name):
        return os.path.join(self.release.logs, name + '.log')

    # --- lifecycle
    def prepare(self, fresh_db):
        """An empty state directory with a database: a new cluster, or a copy of the cached template."""
        release = self.release
        if os.path.exists(release.state):
            shutil.rmtree(release.state)
        os.makedirs(release.logs)
        os.chmod(release.state, 0o755)
        self.ports = allocate_ports()  # pylint: disable=attribute-defined-outside-init
        with step('postgres', self.log('postgres')):
            if fresh_db:
                postgres.init(self.pgdata, self.secrets['pg_password'], self.log('postgres'))
            else:
                # cp -a keeps the postgres user's ownership (shutil.copytree would not).
                run('postgres', ['cp', '-a', release.db_template, self.pgdata], self.log('postgres'))
            postgres.start(self.pgdata, self.ports['postgres'], self.log('postgres'))
            if fresh_db:
                postgres.create_database(self.ports['postgres'], self.secrets['pg_password'], self.log('postgres'))

    def migrate(self):
        release = self.release
        with step('migrations', self.log('migrate')):
            run('migrations', wrap(release, commands(release, self.ports)['migrate'], release.src), self.log('migrate'),
                env=app_env(release, self.ports, self.secrets, 'web'), cwd=release.src, timeout=1200)

    def start(self):
        release, ports = self.release, self.ports
        cmds = commands(release, ports)
        for role in ('web', 'worker'):
            with step(role, self.log(role)):
                procs.spawn(release.pids, role, wrap(release, cmds[role], release.src), log=self.log(role),
                            env=app_env(release, ports, self.secrets, role), cwd=release.src)
        with step('web ready', self.log('web')):
            wait_for('web ready', 'http://127.0.0.1:%d/-/health/live/' % ports['web'],
                     lambda: self._get('http://127.0.0.1:%d/-/health/live/' % ports['web'])[0] == 200,
                     timeout=300, log=self.log('web'), alive=lambda: procs.alive(release.pids, 'web'))
        with step('front', self.log('front')):
            self.ca_path = front.make_certs(self.front_dir, self.log('front'))  # pylint: disable=attribute-defined-outside-init
            config = front.write_config(self.front_dir, release.logs, self.access_log, ports['front'], ports['web'])
            procs.spawn(release.pids, 'front', front.command(config, self.front_dir), log=self.log('front'), env=dict(os.environ))
            wait_for('front', 'https://127.0.0.1:%d/-/health/ready/' % ports['front'],
                     lambda: self._get(self.url + '/-/health/ready/')[0] == 200, timeout=60, log=self.log('front'),
                     alive=lambda: procs.alive(release.pids, 'front'))
        with step('blueprints', self.log('worker')):
            self.wait_blueprints()

    @property
    def url(self):
        return 'https://127.0.0.1:%d' % self.ports['front']

    def _get(self, url, token=None):
        """(status, parsed JSON or None); (0, None) when nothing answers yet."""
        request = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token} if token else {})
        context = ssl.create_default_context(cafile=getattr(self, 'ca_path', None)) if url.startswith('https') else None
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:  # nosec: loopback test server
                body = response.read()
                return response.status, json.loads(body) if body[:1] in (b'{', b'[') else None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (OSError, ValueError):
            return 0, None

    def wait_blueprints(self):
        """The bootstrap token works and the worker has applied every blueprint of a fresh install."""
        release, expected = self.release, self.release.expected_blueprints()
        api = self.url + '/api/v3/'
        state = {}

        def applied():
            status, body = self._get(api + 'managed/blueprints/?page_size=100', self.secrets['token'])
            if status != 200:
                state['last'] = 'the bootstrap token is not accepted yet (HTTP %s)' % status
                return False
            enabled = [b for b in body['results'] if b['enabled']]
            statuses = [b['status'] for b in enabled]
            state['last'] = '%d of %d blueprints applied (%s)' % (
                statuses.count('successful'), expected, ', '.join(sorted(set(statuses))))
            failed = [b['path'] for b in enabled if b['status'] == 'error']
            if failed:
                raise StepError('blueprints', 'the worker could not apply %s (its task log: GET /api/v3/tasks/tasks/?rel_obj_id=<blueprint pk>)'
                                % ', '.join(failed), self.log('worker'))
            return statuses.count('successful') >= expected

        try:
            wait_for('blueprints', 'the worker to apply the blueprints', applied, timeout=600, log=self.log('worker'), interval=2,
                     alive=lambda: procs.alive(release.pids, 'worker'))
        except StepError as exc:
            exc.message += ': ' + state.get('last', '')
            raise
        status, version = self._get(api + 'admin/version/', self.secrets['token'])
        if status != 200 or version.get('version_current') != release.version:
            raise StepError('blueprints', 'admin/version answers %s %r, expected version %s' % (status, version, release.version))

    def stop(self):
        """Stop what this tool started for the release (pid files, the cluster of its data directory)."""
        for name in reversed(SERVICES):
            procs.stop(self.release.pids, name)
        postgres.stop(self.pgdata, self.log('postgres'))

    def facts(self):
        return {'url': self.url, 'token': self.secrets['token'], 'ca_path': self.ca_path, 'access_log': self.access_log,
                'version': self.release.version, 'schema': os.path.join(self.release.src, 'schema.yml'), 'ports': self.ports,
                'started': time.strftime('%Y-%m-%dT%H:%M:%S')}
