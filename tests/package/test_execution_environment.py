# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment (execution-environment.yml, meta/execution-environment.yml) as ansible-builder makes it.

`ansible-builder create` writes the build context; no image is built here (no container runtime, no image
registry). Instead the commands of the image's galaxy and builder stages run against that context: the
collection installs from it, and ansible-builder's own introspection finds the collection's Python requirements.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args, **kwargs):
    proc = subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False, **kwargs)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


@pytest.fixture(scope='module')
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp('ee') / 'context'
    run(BIN / 'ansible-builder', 'create', '--file', ROOT / 'execution-environment.yml', '--context', out,
        '--output-filename', 'Containerfile')
    return out


@pytest.fixture(scope='module')
def installed(context, tmp_path_factory):
    """The galaxy stage: `ansible-galaxy collection install -r requirements.yml` in the context's _build."""
    dest = tmp_path_factory.mktemp('collections')
    # As in the image, where no other copy of the collection is installed (ansible-galaxy skips one it finds,
    # on its collections path or importable through PYTHONPATH).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest))
    env.pop('PYTHONPATH', None)
    run(BIN / 'ansible-galaxy', 'collection', 'install', '-r', 'requirements.yml', '--collections-path', dest,
        cwd=str(context / '_build'), env=env)
    assert (dest / 'ansible_collections' / 'kubeauth' / 'authentik' / 'MANIFEST.json').is_file()
    return dest


def test_containerfile_starts_from_the_base_image_and_installs_everything(context):
    definition = yaml.safe_load((ROOT / 'execution-environment.yml').read_text())
    text = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in text
    assert 'FROM $EE_BASE_IMAGE AS base' in text
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="(.*)"$', text, re.MULTILINE).group(1)
    assert 'ansible-core' in refs and 'ansible-runner' in refs
    # galaxy stage: the collection; builder stage: the Python requirements of every installed collection.
    assert re.search(r'^RUN .*ansible-galaxy collection install .*-r requirements.yml', text, re.MULTILINE)
    assert re.search(r'^RUN .*introspect.py introspect ', text, re.MULTILINE)
    assert 'RUN /output/scripts/assemble' in text


def test_build_context_holds_the_collection(context):
    build = context / '_build'
    requirements = yaml.safe_load((build / 'requirements.yml').read_text())
    assert requirements == {'collections': [{'name': 'collection', 'type': 'dir'}]}
    galaxy = yaml.safe_load((build / 'collection' / 'galaxy.yml').read_text())
    assert (galaxy['namespace'], galaxy['name']) == ('kubeauth', 'authentik')
    assert (build / 'collection' / 'requirements.txt').read_text() == (ROOT / 'requirements.txt').read_text()


def files_under(top):
    return {str(p.relative_to(top)) for p in top.rglob('*')
            if p.is_file() and '__pycache__' not in p.parts and not p.name.endswith('.pyc')}


def test_the_image_gets_every_plugin_role_and_playbook(installed):
    collection = installed / 'ansible_collections' / 'kubeauth' / 'authentik'
    for part in ('plugins', 'roles', 'playbooks', 'meta'):
        missing = files_under(ROOT / part) - files_under(collection / part)
        assert not missing, 'not in the execution environment: %s' % sorted(missing)
    doc = run(BIN / 'ansible-doc', 'kubeauth.authentik.oauth2_provider',
              env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed)))
    assert 'signing_key' in doc


def test_builder_stage_finds_the_python_requirements(context, installed, tmp_path):
    """The builder stage's introspection reads meta/execution-environment.yml of each installed collection."""
    out = tmp_path / 'requirements.txt'
    run(sys.executable, context / '_build' / 'scripts' / 'introspect.py', 'introspect', '--write-pip', out, installed)
    wanted = [line.strip() for line in (ROOT / 'requirements.txt').read_text().splitlines()
              if line.strip() and not line.startswith('#')]
    assert any(line.startswith('requests') for line in wanted)
    assert out.read_text().splitlines() == ['%s  # from collection kubeauth.authentik' % line for line in wanted]
