"""The release's source tree and its Python dependencies, exactly as its uv.lock pins them.

Two pins cannot be fetched here and are replaced (see /work/shared/authentik/src/README.md):
goauthentik's fork of djangorestframework (PyPI's same version with encode/django-rest-framework#9154
reverted, which is all the fork does) and the git pin of opencontainers (PyPI 0.0.15).
"""

import glob
import os
import re
import shutil
import sys

from authentik.debian_root import wrap
from authentik.layout import TOOLS, UV_CACHE, digest, file_digest
from authentik.steps import StepError, run

# Bump when the patches or the install recipe change: the caches keyed on it are rebuilt.
SOURCE_REVISION = '1'
DEPS_REVISION = '1'
OPENCONTAINERS_FROM_PYPI = 'opencontainers==0.0.15'

# The weekly WebAuthn device-list import reads mds/blob.jwt, which the source snapshot lacks.
MDS_TASK = 'authentik/stages/authenticator_webauthn/tasks.py'
MDS_ANCHOR = '    self = CurrentTask.get_task()\n'
MDS_SKIP = ('    if not MDS_BLOB_PATH.exists():  # kubeauth test build: the source snapshot has no mds/blob.jwt\n'
            '        self.info("FIDO Alliance MDS blob missing from this source tree: import skipped.")\n'
            '        return\n')

# encode/django-rest-framework#9154 as it reads in 3.16.0, and the check as it was before it.
DRF_9154 = '''        # Ignore validation if any field is None
        if serializer.instance is None:
            checked_values = [attrs[field_name] for field_name in checked_names]
        else:
            # Ignore validation if all field values are unchanged
            checked_values = [
                attrs[field_name]
                for field_name in checked_names
                if attrs[field_name] != getattr(serializer.instance, field_name)
            ]
'''
DRF_REVERTED = '''        # Ignore validation if any field is None (encode/django-rest-framework#9154 reverted, as in
        # goauthentik's fork: comparing with the instance raises RelatedObjectDoesNotExist in blueprints)
        checked_values = [attrs[field_name] for field_name in checked_names]
'''


def source_stamp(release):
    return os.path.join(release.src, '.kubeauth-source-' + digest(file_digest(release.tarball), SOURCE_REVISION))


def ensure_source(release, log):
    """The tarball extracted into the cache (top directory stripped), with the snapshot's gaps filled."""
    if not os.path.exists(release.tarball):
        raise StepError('source', 'no source tarball %s (KUBEAUTH_SHARED points at shared/)' % release.tarball)
    stamp = source_stamp(release)
    if os.path.exists(stamp):
        return 'cached'
    partial = release.src + '.partial'
    for path in (release.src, partial):
        if os.path.exists(path):
            shutil.rmtree(path)
    os.makedirs(partial)
    run('source', ['tar', '-xzf', release.tarball, '-C', partial, '--strip-components=1'], log)
    task = os.path.join(partial, MDS_TASK)
    if not os.path.exists(os.path.join(os.path.dirname(task), 'mds', 'blob.jwt')):
        _patch(task, MDS_ANCHOR, MDS_ANCHOR + MDS_SKIP, 'source', 'the skip for the missing WebAuthn MDS blob')
    # lifecycle/system_migrations/tenant_files.py expects <tree>/media.
    os.makedirs(os.path.join(partial, 'media'), exist_ok=True)
    os.rename(partial, release.src)
    open(stamp, 'w').close()  # pylint: disable=consider-using-with
    return 'extracted'


def _patch(path, old, new, step, what):
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if text.count(old) != 1:
        raise StepError(step, '%s no longer applies to %s: the code it replaces has changed' % (what, path))
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text.replace(old, new))


def ensure_uv(release, log):
    """uv at the version the release's Dockerfile uses, from PyPI, into the shared tools cache."""
    version = release.uv_version()
    target = os.path.join(TOOLS, 'uv-' + version)
    uv = os.path.join(target, 'bin', 'uv')
    if not os.access(uv, os.X_OK):
        run('uv', [sys.executable, '-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', target + '.partial',
                   'uv==' + version], log, timeout=600)
        if os.path.exists(target):
            shutil.rmtree(target)
        os.rename(target + '.partial', target)
    return uv


def deps_stamp(release, uv):
    parts = [release.read('uv.lock'), release.read('pyproject.toml'), uv, release.python(), DEPS_REVISION, DRF_REVERTED]
    return os.path.join(release.venv, '.kubeauth-deps-' + digest(*parts))


def locked_git_version(lock, name):
    """(version, git url) of a package the lock takes from git, or None."""
    match = re.search(r'^\[\[package\]\]\nname = "%s"\nversion = "([^"]+)"\nsource = \{ git = "([^"]+)"' % re.escape(name), lock, re.M)
    return match.groups() if match else None


def requirements(release, uv, log):
    """uv.lock exported as pinned requirements, git pins swapped for their PyPI stand-ins."""
    exported = os.path.join(release.cache, 'requirements.locked.txt')
    run('dependencies', [uv, 'export', '--frozen', '--no-dev', '--no-hashes', '--no-emit-project', '--format', 'requirements-txt',
                         '-o', exported], log, cwd=release.src, env=dict(os.environ, UV_CACHE_DIR=UV_CACHE))
    lock = release.read('uv.lock')
    lines, patch_drf = [], False
    with open(exported, encoding='utf-8') as handle:
        for line in handle:
            line = line.rstrip('\n')
            git = re.match(r'^([A-Za-z0-9_.-]+) @ git\+', line)
            if git and git.group(1) == 'djangorestframework':
                version = locked_git_version(lock, 'djangorestframework')[0]
                line, patch_drf = 'djangorestframework==' + version, True
            elif git and git.group(1) == 'opencontainers':
                line = OPENCONTAINERS_FROM_PYPI
            elif git:
                raise StepError('dependencies', 'uv.lock takes %s from git and no PyPI replacement is known' % git.group(1), log)
            elif line.startswith('-e ./'):
                line = '-e ' + os.path.join(release.src, line[len('-e ./'):])
            lines.append(line)
    wanted = os.path.join(release.cache, 'requirements.txt')
    with open(wanted, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')
    return wanted, patch_drf


def ensure_venv(release, uv, log):
    """A venv with exactly the locked dependencies, lxml/xmlsec built against the system libxml2."""
    stamp = deps_stamp(release, uv)
    if os.path.exists(stamp):
        return 'cached'
    wanted, patch_drf = requirements(release, uv, log)
    if os.path.exists(release.venv):
        shutil.rmtree(release.venv)
    env = dict(os.environ, UV_CACHE_DIR=UV_CACHE, UV_PYTHON_DOWNLOADS='never', UV_NATIVE_TLS='1', UV_LINK_MODE='copy')
    python = os.path.join(release.venv, 'bin', 'python')
    run('dependencies', wrap(release, [uv, 'venv', '--python', release.python(), release.venv]), log, env=env)
    run('dependencies', wrap(release, [uv, 'pip', 'install', '--python', python, '--compile-bytecode',
                                       '--no-binary', 'lxml', '--no-binary', 'xmlsec', '-r', wanted]), log, env=env, timeout=3600)
    if patch_drf:
        validators = glob.glob(os.path.join(release.venv, 'lib', 'python*', 'site-packages', 'rest_framework', 'validators.py'))
        if len(validators) != 1:
            raise StepError('dependencies', 'rest_framework/validators.py not found in %s' % release.venv, log)
        _patch(validators[0], DRF_9154, DRF_REVERTED, 'dependencies', 'the revert of encode/django-rest-framework#9154')
    # PYTHONDONTWRITEBYTECODE is common in CI: compile the tree (and the patched file) once, here.
    run('dependencies', wrap(release, [python, '-m', 'compileall', '-q', '-j', '2', os.path.join(release.src, 'authentik'),
                                       os.path.join(release.src, 'lifecycle')] + (validators if patch_drf else [])),
        log, env=dict(os.environ, PYTHONDONTWRITEBYTECODE=''), timeout=1200)
    open(stamp, 'w').close()  # pylint: disable=consider-using-with
    return 'installed'


def venv_ready(release):
    stamps = glob.glob(os.path.join(release.venv, '.kubeauth-deps-*'))
    return bool(stamps)
