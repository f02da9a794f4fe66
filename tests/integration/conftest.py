# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration tier: every module through ansible-playbook against an authentik server.

With KUBEAUTH_AUTHENTIK_REAL=<version> the tests run against the real authentik of
that release that `python3 -m authentik.server --version <version> up` (from tests/) started; with
AUTHENTIK_URL and AUTHENTIK_TOKEN set (and AUTHENTIK_CA_PATH if its CA is private)
against that server; otherwise each test module starts the stand-in once per
emulated release.

"No write was sent" is proven from what the server received, never from the
modules' changed flags: the stand-in's request log, or a real server's TLS front
access log (tests/authentik; AUTHENTIK_ACCESS_LOG for a server given by URL). The
same log gives the requests the modules sent, validated against the release's
schema (the stand-in validates them itself).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import uuid

import pytest
import requests

from integration.playbook_session import playbook_env, run_playbook

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
STANDIN_VERSIONS = ('2024.8.4', '2024.10.5', '2025.10.4', '2026.2.2')
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')


def real_server():
    """{url, token, ca_path, access_log, schema} of the real server under test, or None."""
    version = os.environ.get('KUBEAUTH_AUTHENTIK_REAL')
    if version:
        import authentik as real  # tests/authentik, the real server tool (tests/ is on sys.path)
        facts = real.facts(version)
        return dict(facts, param='real-' + version)
    url, token = os.environ.get('AUTHENTIK_URL'), os.environ.get('AUTHENTIK_TOKEN')
    if url and token:
        return dict(url=url, token=token, ca_path=os.environ.get('AUTHENTIK_CA_PATH'), param='real',
                    access_log=os.environ.get('AUTHENTIK_ACCESS_LOG'), schema=os.environ.get('AUTHENTIK_SCHEMA'))
    return None


def pytest_generate_tests(metafunc):
    if 'authentik' in metafunc.fixturenames:
        versions = [real_server()['param']] if real_server() else list(STANDIN_VERSIONS)
        wanted = getattr(metafunc.module, 'VERSIONS', None)
        if wanted and not real_server():
            versions = [v for v in versions if v in wanted]
        metafunc.parametrize('authentik', versions, indirect=True, scope='module', ids=[v.replace('.', '_') for v in versions])


def pytest_collection_modifyitems(config, items):
    """A test module that names its releases (VERSIONS: release-independent work, run once) runs against a real
    server only of one of those releases: against the other one it is deselected, as it is on the stand-in. (The
    role against real 2026.2.2 runs end to end, in stage e2e-oldest.)"""
    server = real_server()
    release = server['param'][len('real-'):] if server and server['param'].startswith('real-') else None
    if release is None:
        return
    other = [item for item in items if getattr(item.module, 'VERSIONS', None) and release not in item.module.VERSIONS]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


class Server:
    """One authentik server as the tests see it."""

    def __init__(self, url, token, ca_path, version, standin=None, access_log=None, schema=None):
        self.url, self.token, self.ca_path, self.version, self.standin = url, token, ca_path, version, standin
        self.access_log, self.schema = access_log, schema  # a real server's: tests/authentik.AccessLog, schema.yml
        self._mark = access_log.mark() if access_log else 0
        self.http = requests.Session()
        self.http.headers['Authorization'] = 'Bearer %s' % token
        # requests lets REQUESTS_CA_BUNDLE beat a session's verify; a per-request verify wins.
        self.verify = ca_path or True

    # --- direct API access, for test setup and for looking behind the modules
    def api(self, method, path, **kwargs):
        response = self.http.request(method, self.url + '/api/v3/' + path, timeout=30, verify=self.verify, **kwargs)
        return response

    def api_json(self, method, path, **kwargs):
        response = self.api(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def find(self, path, **filters):
        return self.api_json('GET', path, params=filters)['results']

    @property
    def scope_path(self):
        return 'propertymappings/provider/scope/' if self.version_tuple >= (2024, 8) else 'propertymappings/scope/'

    @property
    def version_tuple(self):
        return tuple(int(p) for p in self.version.split('.')[:3])

    # --- what the server received: the stand-in's request log, or a real server's access log
    def reset_log(self):
        """Mark: writes() counts from here."""
        if self.standin:
            self.http.post(self.url + '/_standin/reset-log', timeout=30, verify=self.verify).raise_for_status()
        elif self.access_log:
            self._mark = self.access_log.mark()

    def writes(self):
        """API writes [{method, path, query, status}] received since the last reset_log();
        None only for a real server given by URL without its access log."""
        if self.standin:
            log = self.http.get(self.url + '/_standin/requests', timeout=30, verify=self.verify).json()
            return [r for r in log if r['method'] in WRITES and r['path'].startswith('/api/v3/')]
        if self.access_log:
            return [dict((k, e[k]) for k in ('method', 'path', 'query', 'status')) for e in self.access_log.writes(self._mark)]
        return None

    def violations_mark(self):
        if self.standin:
            return len(self.http.get(self.url + '/_standin/violations', timeout=30, verify=self.verify).json())
        return self.access_log.mark() if self.access_log else 0

    def violations_since(self, mark):
        """Schema violations since violations_mark(): the stand-in's (requests and its own answers), or the
        requests a real server received that its release's schema rejects."""
        if self.standin:
            return self.http.get(self.url + '/_standin/violations', timeout=30, verify=self.verify).json()[mark:]
        if self.access_log and self.schema:
            from authentik.schema_check import violations  # pylint: disable=import-outside-toplevel
            return violations(self.access_log.entries(mark), self.schema, self.url)
        return []


@pytest.fixture(scope='module')
def authentik(request, tmp_path_factory):
    real = real_server()
    if real:
        access_log = None
        if real.get('access_log'):
            from authentik import AccessLog  # pylint: disable=import-outside-toplevel
            access_log = AccessLog(real['access_log'], real['url'], real.get('ca_path'))
        server = Server(real['url'].rstrip('/'), real['token'], real.get('ca_path'), None, access_log=access_log,
                        schema=real.get('schema'))
        server.version = server.api_json('GET', 'admin/version/')['version_current']
        yield server
        return
    import standin  # tests/ is on sys.path (tests/run.sh)
    handle = standin.start(version=request.param, state_dir=str(tmp_path_factory.mktemp('standin')))
    try:
        yield Server(handle.url, handle.token, handle.ca_path, request.param, standin=handle)
    finally:
        handle.stop()


@pytest.fixture(autouse=True)
def no_schema_violations(request):
    """Every request the modules send must validate against the release's schema, and every answer of the
    stand-in against the emulated release's."""
    if 'authentik' not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue('authentik')
    seen = server.violations_mark()
    yield
    new = server.violations_since(seen)
    assert new == [], 'outside the real OpenAPI schema of %s:\n%s' % (server.version, json.dumps(new, indent=1)[:4000])


@pytest.fixture
def unique():
    """A name no other test uses, so tests can share one server."""
    return 'it-%s' % uuid.uuid4().hex[:8]


@pytest.fixture
def provider_name(run_module, unique):
    """A provider (and its application) name for the test, both removed afterwards."""
    yield unique
    run_module('application', dict(slug=unique, state='absent'))
    run_module('oauth2_provider', dict(name=unique, state='absent'))


class Run:
    """Result of one module task run through ansible-playbook."""

    def __init__(self, result, output):
        self.result, self.output = result, output
        self.failed = bool(result.get('failed'))
        self.changed = bool(result.get('changed'))
        self.msg = result.get('msg', '')

    def __getitem__(self, key):
        return self.result[key]

    def get(self, key, default=None):
        return self.result.get(key, default)


def playbook_runner(tmp_path, env_extra=None, defaults=None):
    """run(module, args, check=False, diff=False) -> Run, one task through ansible-playbook."""
    counter = [0]

    def run(module, args, check=False, diff=False):
        counter[0] += 1
        args = dict(defaults or {}, **args)
        out = tmp_path / ('result-%d.json' % counter[0])
        playbook = tmp_path / ('play-%d.yml' % counter[0])
        # JSON is YAML: the arguments go in verbatim, no templating of user input. The result reaches the file
        # through the module_result callback (callback_plugins/), not through a second task.
        playbook.write_text(json.dumps([{
            'hosts': 'localhost', 'gather_facts': False,
            'tasks': [
                {'name': 'module under test', 'kubeauth.authentik.%s' % module: args,
                 'ignore_errors': True, 'check_mode': check, 'diff': diff},
            ],
        }]))
        env = playbook_env(ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED='module_result',
                           KUBEAUTH_MODULE_RESULT=str(out), **(env_extra or {}))
        dummy, output = run_playbook(['-v', str(playbook)], env)
        assert out.exists(), 'ansible-playbook did not run the task:\n' + output
        return Run(json.loads(out.read_text()), output)

    return run


@pytest.fixture
def run_module(authentik, tmp_path):
    """Modules that talk to authentik: the connection comes from AUTHENTIK_URL / AUTHENTIK_TOKEN."""
    connected = playbook_runner(tmp_path, dict(AUTHENTIK_URL=authentik.url, AUTHENTIK_TOKEN=authentik.token),
                                dict(ca_path=authentik.ca_path) if authentik.ca_path else None)
    plain = tmp_path / 'plain'
    plain.mkdir()
    unconnected = playbook_runner(plain)

    def run(module, args, check=False, diff=False, connection=True):
        return (connected if connection else unconnected)(module, args, check=check, diff=diff)

    return run


@pytest.fixture
def run_local(tmp_path):
    """Modules that need no authentik (node-side files)."""
    return playbook_runner(tmp_path)
