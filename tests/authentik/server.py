"""A real authentik of one release, built from shared/authentik/src: build, up, down, status, env.

Usage (from tests/, or with tests/ on PYTHONPATH): python3 -m authentik.server --version 2025.10.4 {build|up|down|status|env} [--force]

build   source, Python (pyenv, or a Debian testing root), dependencies per uv.lock, nginx, and a
        migrated database with the default blueprints applied; each cached while its inputs hold
up      build if needed, then PostgreSQL, the web app, the worker and the TLS front on free ports
env     JSON for the tests: url, token, ca_path, access_log, version, schema (the release's schema.yml)
status  JSON: built, up, each process
down    stop what up started (pid files) and remove the instance (logs are kept)
"""

import argparse
import json
import os
import secrets as random_secrets
import shutil
import signal
import subprocess
import sys
import time

from authentik import debian_root, deps, front, postgres, procs
from authentik.instance import SERVICES, Instance
from authentik.layout import APT_GET, Release, digest
from authentik.steps import StepError, run, say, step

TEMPLATE_REVISION = '2'  # bump when what the bootstrap blueprint reads changes (instance.app_env)
# lxml and xmlsec are built from source against the system libxml2; gssapi, psycopg-c need krb5, libpq.
HOST_BUILD_PACKAGES = ['build-essential', 'pkg-config', 'libxml2-dev', 'libxslt1-dev', 'libxmlsec1-dev', 'libxmlsec1-openssl',
                       'libpq-dev', 'libkrb5-dev', 'libltdl-dev', 'zlib1g-dev', 'libffi-dev']


def installed(package):
    result = subprocess.run(['dpkg-query', '-W', '-f=${Status}', package], capture_output=True, text=True, check=False)
    return result.stdout.endswith('installed')


def ensure_packages(release, log):
    wanted = ['openssl', 'util-linux'] + (['debootstrap'] if release.in_root() else HOST_BUILD_PACKAGES)
    if not postgres.installed():
        wanted.append('postgresql')
    missing = [package for package in wanted if not installed(package)]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        command = APT_GET + ['install', '-y', '--no-install-recommends'] + missing
        try:
            run('packages', command, log, env=env, timeout=1200)
        except StepError:
            run('packages', APT_GET + ['update'], log, env=env, timeout=600)  # a fresh machine has no lists yet
            run('packages', command, log, env=env, timeout=1200)
    return 'installed ' + ' '.join(missing) if missing else 'present'


def load_secrets(release):
    """Generated once per release cache (the database template is made with them), readable by root only."""
    try:
        with open(release.secrets, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        pass
    values = {'secret_key': random_secrets.token_urlsafe(50), 'pg_password': random_secrets.token_hex(16),
              'admin_password': random_secrets.token_urlsafe(18), 'token': random_secrets.token_hex(32)}
    os.makedirs(release.cache, exist_ok=True)
    fd = os.open(release.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(values, handle)
    return values


def template_stamp(release, uv):
    with open(release.secrets, encoding='utf-8') as handle:
        secrets = handle.read()
    key = digest(deps.deps_stamp(release, uv), deps.source_stamp(release), secrets, TEMPLATE_REVISION)
    return os.path.join(release.db_template, '.kubeauth-template-' + key)


def build(release, force=False):
    """Every cached piece, each rebuilt only when its inputs changed (or with force)."""
    started = time.monotonic()
    log = os.path.join(release.build_logs, 'build.log')
    os.makedirs(release.build_logs, exist_ok=True)
    if force:
        for path in (release.src, release.venv, release.db_template):
            shutil.rmtree(path, ignore_errors=True)
    say('build authentik %s (log %s)' % (release.version, log))
    with step('source', log):
        say('  ' + deps.ensure_source(release, log))
    with step('packages', log):
        say('  ' + ensure_packages(release, log))
    if release.in_root():
        with step('debian root', log):
            made = debian_root.ensure_root(release.python_minor(), log)
            say('  Python %s from Debian %s: %s' % (release.python_minor(), debian_root.SUITE, made))
    with step('uv', log):
        uv = deps.ensure_uv(release, log)
        say('  ' + uv)
    with step('dependencies', log):
        say('  %s (Python %s)' % (deps.ensure_venv(release, uv, log), release.python()))
    with step('front', log):
        say('  nginx: ' + front.ensure_nginx(log))
    secrets = load_secrets(release)
    stamp = template_stamp(release, uv)
    if os.path.exists(stamp):
        say('[database template] cached')
    else:
        if is_up(release):
            raise StepError('database template', 'authentik %s is up and its database template must be remade: run down first'
                            % release.version)
        instance = Instance(release, secrets)
        try:
            instance.prepare(fresh_db=True)
            instance.migrate()
            instance.start()
        finally:
            instance.stop()
        with step('database template', log):
            shutil.rmtree(release.db_template, ignore_errors=True)
            run('database template', ['cp', '-a', instance.pgdata, release.db_template], log)
            os.unlink(os.path.join(release.db_template, 'postmaster.opts'))
            open(stamp, 'w').close()  # pylint: disable=consider-using-with
    say('build authentik %s: done in %.0fs' % (release.version, time.monotonic() - started))


def is_up(release):
    if not os.path.exists(release.env_file):
        return False
    return all(procs.alive(release.pids, name) for name in SERVICES) and postgres.running(os.path.join(release.state, 'pg'))


def up(release):
    if is_up(release):
        say('authentik %s is already up: %s' % (release.version, read_env(release)['url']))
        return
    started = time.monotonic()
    if os.path.exists(release.state):
        Instance(release, load_secrets(release)).stop()  # leftovers of an up that did not finish
    build(release)
    instance = Instance(release, load_secrets(release))
    try:
        instance.prepare(fresh_db=False)
        instance.start()
    except BaseException:
        instance.stop()
        raise
    fd = os.open(release.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(instance.facts(), handle, indent=1)
    say('authentik %s up at %s in %.0fs (logs %s)' % (release.version, instance.url, time.monotonic() - started, release.logs))


def down(release):
    if os.path.exists(release.state):
        Instance(release, load_secrets(release)).stop()
        for entry in os.listdir(release.state):
            if entry != 'logs':
                path = os.path.join(release.state, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)  # pylint: disable=expression-not-assigned
    say('authentik %s: down (logs kept in %s)' % (release.version, release.logs))


def read_env(release):
    with open(release.env_file, encoding='utf-8') as handle:
        return json.load(handle)


def status(release):
    facts = read_env(release) if os.path.exists(release.env_file) else {}
    processes = dict((name, procs.alive(release.pids, name)) for name in SERVICES)
    processes['postgres'] = postgres.running(os.path.join(release.state, 'pg'))
    template = os.path.isdir(release.db_template) and bool(os.listdir(release.db_template))
    built = os.path.exists(release.src) and deps.venv_ready(release) and template
    return {'version': release.version, 'built': built, 'up': is_up(release), 'url': facts.get('url'), 'processes': processes,
            'logs': release.logs}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--version', required=True, help='authentik release, e.g. 2025.10.4 (its tarball in shared/authentik/src)')
    parser.add_argument('command', choices=['build', 'up', 'down', 'status', 'env'])
    parser.add_argument('--force', action='store_true', help='build: remake the source tree, dependencies and database template')
    args = parser.parse_args(argv)
    # Stopped from outside (a CI timeout, a test runner): `up` still stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('authentik server tool: terminated'))
    try:
        release = Release(args.version)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        if args.command == 'build':
            build(release, force=args.force)
        elif args.command == 'up':
            up(release)
        elif args.command == 'down':
            down(release)
        elif args.command == 'status':
            print(json.dumps(status(release), indent=1))
        elif not is_up(release):
            print('authentik %s is not up: cd tests && python3 -m authentik.server --version %s up' % (release.version, release.version),
                  file=sys.stderr)
            return 1
        else:
            facts = read_env(release)
            print(json.dumps(dict((k, facts[k]) for k in ('url', 'token', 'ca_path', 'access_log', 'version', 'schema')), indent=1))
    except StepError as exc:
        print(exc.report(), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
