# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One local stack for every end-to-end module: the node comes up once and goes down once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from e2e.stack import Stack, node


@pytest.fixture(scope='session')
def stack(tmp_path_factory):
    node('up')
    running = Stack(str(tmp_path_factory.mktemp('stack')))
    try:
        yield running
    finally:
        running.stop()
        node('down')


@pytest.fixture(name='applied', scope='session')
def applied_fixture(stack):
    """The stack with the site as site.yml leaves it, applied once for the modules that only need it applied
    (a run that changes nothing when an earlier module left it so; tests that change the provider put it back)."""
    rc, output = stack.playbook('site.yml', echo=False)
    assert rc == 0, output
    return stack


def pytest_report_header(config):  # pylint: disable=unused-argument  # pytest's hook signature
    """Which kubelogin the end-to-end tests drive (it is built by the stack when missing)."""
    from e2e import kubelogin  # pylint: disable=import-outside-toplevel  # only when e2e tests are collected
    try:
        if kubelogin.cached():
            binary = kubelogin.paths()[0]
            return 'kubelogin: %s (%s)' % (kubelogin.version_of(binary), binary)
        return 'kubelogin: not built yet; the stack builds it from %s' % kubelogin.tarball()[0]
    except kubelogin.BuildError as exc:
        return 'kubelogin: %s' % exc
