# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module documentation states the attributes that are true of the module: the action group it belongs to
(meta/runtime.yml), and for read-only info modules that check mode changes nothing and diff mode does not apply."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
from pathlib import Path

import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[4]
MODULES = sorted(p for p in (COLLECTION / 'plugins' / 'modules').glob('*.py') if not p.name.startswith('_'))


def documentation(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'DOCUMENTATION' for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no DOCUMENTATION' % path.name)


def action_group():
    runtime = yaml.safe_load((COLLECTION / 'meta' / 'runtime.yml').read_text())
    return set(runtime['action_groups']['authentik'])


def test_there_are_modules_and_a_group():
    assert len(MODULES) >= 9 and 'oauth2_provider' in action_group()


@pytest.mark.parametrize('path', MODULES, ids=lambda p: p.stem)
def test_action_group_attribute_matches_runtime(path):
    fragments = documentation(path).get('extends_documentation_fragment') or []
    declared = 'kubeauth.authentik.attributes.action_group' in fragments
    assert declared == (path.stem in action_group()), (
        '%s: in meta/runtime.yml action_groups.authentik: %s; documents the action_group attribute: %s'
        % (path.stem, path.stem in action_group(), declared))


@pytest.mark.parametrize('path', MODULES, ids=lambda p: p.stem)
def test_info_modules_say_they_only_read(path):
    doc = documentation(path)
    fragments = doc.get('extends_documentation_fragment') or []
    if path.stem.endswith('_info'):
        assert 'kubeauth.authentik.attributes.info_module' in fragments, path.stem
        assert 'check_mode' not in (doc.get('attributes') or {}), '%s: the info_module fragment states it' % path.stem
    else:
        assert 'kubeauth.authentik.attributes.info_module' not in fragments, path.stem
        assert doc['attributes']['check_mode']['support'] in ('full', 'partial'), path.stem
        assert doc['attributes']['diff_mode']['support'] in ('full', 'partial'), path.stem


@pytest.mark.parametrize('path', sorted((COLLECTION / 'plugins').rglob('*.py')), ids=lambda p: p.name)
def test_no_six(path):
    """Python 3 only (ansible-core 2.17+): no compatibility shims."""
    tree = ast.parse(path.read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name and (name == 'six' or '.six' in name)], path
