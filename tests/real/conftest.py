# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests that need a real authentik: KUBEAUTH_AUTHENTIK_REAL=<version>, the server that
`cd tests && python3 -m authentik.server --version <version> up` started (tests/run.sh stage real does both)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import types

import pytest

import authentik as real_tool  # tests/authentik (tests/ is on sys.path)
from standin.client import StandinClient
from standin.pytest_plugin import StandinFactory


@pytest.fixture(scope='session')
def real():
    version = os.environ.get('KUBEAUTH_AUTHENTIK_REAL')
    if not version:
        pytest.fail('tests/real needs a real authentik: KUBEAUTH_AUTHENTIK_REAL=<version> with '
                    '`cd tests && python3 -m authentik.server --version <version> up` (bash tests/run.sh real does both)')
    return types.SimpleNamespace(**real_tool.facts(version))


@pytest.fixture(scope='session')
def real_client(real):
    client = StandinClient(real)  # only url, token, ca_path are used: a plain HTTPS client
    yield client
    client.close()


@pytest.fixture(scope='session')
def standin_factory(tmp_path_factory):
    factory = StandinFactory(tmp_path_factory)
    yield factory
    factory.stop_all()
