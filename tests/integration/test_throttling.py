# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""429 throttling (authentik 2026.8 throttles per client IP) is waited out and retried, never doubled.

The stand-in answers the next requests with injected 429s (Retry-After, DRF's Throttled body), so
this module always runs against a stand-in of its own, whatever server the rest of the tier uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
import requests

PROVIDER = dict(name='throttled', client_id='throttled', authorization_flow='default-provider-authorization-implicit-consent',
                signing_key='authentik Self-signed Certificate')


class Throttled:
    def __init__(self, handle):
        self.handle = handle
        self.connection = dict(authentik_url=handle.url, authentik_token=handle.token, ca_path=handle.ca_path)

    def call(self, method, path, **kwargs):
        response = requests.request(method, self.handle.url + path, verify=self.handle.ca_path, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def throttle(self, method, count, path_prefix='/api/v3/', retry_after=1):
        self.call('POST', '/_standin/faults', json=dict(status=429, count=count, method=method, path_prefix=path_prefix,
                                                        retry_after=retry_after))
        self.call('POST', '/_standin/reset-log')

    def log(self):
        return self.call('GET', '/_standin/requests')


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    import standin  # tests/ is on sys.path (tests/run.sh)
    handle = standin.start(version='2026.2.2', state_dir=str(tmp_path_factory.mktemp('throttled')), key_size=2048)
    try:
        yield Throttled(handle)
    finally:
        handle.stop()


def test_reads_wait_out_429(server, run_local):
    server.throttle('GET', count=2, retry_after=1)
    started = time.monotonic()
    result = run_local('flow_info', dict(server.connection, slug='default-provider-invalidation-flow'))
    assert not result.failed, result.msg
    assert [f['slug'] for f in result['flows']] == ['default-provider-invalidation-flow']
    statuses = [entry['status'] for entry in server.log()]
    assert statuses[:3] == [429, 429, 200], statuses
    # Retry-After: 1 was honoured twice.
    assert time.monotonic() - started >= 2


def test_throttled_create_is_sent_again_and_made_once(server, run_local):
    server.throttle('POST', count=1, path_prefix='/api/v3/providers/oauth2/')
    created = run_local('oauth2_provider', dict(server.connection, **PROVIDER))
    assert created.changed and not created.failed, created.msg
    posts = [e['status'] for e in server.log() if e['method'] == 'POST' and e['path'] == '/api/v3/providers/oauth2/']
    assert posts == [429, 201]
    assert len(server.call('GET', '/api/v3/providers/oauth2/?name=throttled',
                           headers={'Authorization': 'Bearer ' + server.handle.token})['results']) == 1


def test_throttling_that_does_not_end_fails_clearly(server, run_local):
    server.throttle('GET', count=50, retry_after=0)
    try:
        result = run_local('flow_info', dict(server.connection, slug='default-provider-invalidation-flow'))
    finally:
        server.call('DELETE', '/_standin/faults')
    assert result.failed and '429' in result.msg and 'throttled' in result.msg
    assert [e['status'] for e in server.log()].count(429) == 4  # the client's four tries
