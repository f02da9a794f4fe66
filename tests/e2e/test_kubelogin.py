# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real kubelogin against the authentik stand-in and the real kube-apiserver, through real kubectl.

A person logs in the way kubelogin expects (authorization code with PKCE, kubelogin's own local
redirect server, --browser-command running tests/e2e/person.py); redirect URIs as the
authentik_oidc role sets them (regex) work on a random port, a single strict
http://localhost:8000 only on port 8000; the token cache spares a second login and the refresh
token replaces an expired one. The person's trace (what the browser opened) and kubelogin's token
cache show what happened; the stand-in's request log also shows that nothing else reached authentik.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import requests

import pytest

from e2e import kubelogin
from e2e.stack import HERE, TEST_USER, node_env
from standin.client import StandinClient

pytestmark = pytest.mark.node

PLAYBOOK = os.path.join(HERE, 'playbooks', 'user_kubeconfig.yml')
USER = 'oidc:' + TEST_USER['email']
STRICT_8000 = [{'matching_mode': 'strict', 'url': 'http://localhost:8000'}]


class Login:
    """A user kubeconfig for the authorization code flow, the person behind --browser-command, and the stand-in's log."""

    def __init__(self, stack, directory, *kubelogin_args, **kwargs):
        self.stack, self.directory = stack, directory
        self.kubeconfig = os.path.join(directory, 'kubeconfig')
        self.cache = os.path.join(directory, 'token-cache')
        self.trace = os.path.join(directory, 'person-trace.json')
        self.client = StandinClient(stack.standin)
        # The stand-in logs every request it answers; a real authentik behind the stack has no such endpoint.
        self.logged = self.client.request('GET', '/_standin/info', auth=False).status_code == 200
        person = os.path.join(directory, 'person.json')
        fd = os.open(person, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'username': TEST_USER['username'], 'password': stack.user['app_password'],
                       'ca': stack.standin.ca_path, 'trace': self.trace}, handle)
        self.env = {'KUBEAUTH_PERSON': person}
        browser = os.path.join(directory, 'browser')
        with open(browser, 'w') as handle:
            handle.write('#!/bin/sh\nexec %s %s "$@"\n' % (sys.executable, os.path.join(HERE, 'person.py')))
        os.chmod(browser, 0o755)
        extra = {
            'oidc_kubeconfig_path': self.kubeconfig,
            'oidc_kubeconfig_issuer_url': stack.standin.url + '/application/o/kubernetes/',
            # The stack's own kubeconfig uses the password grant; these tests log in through a browser.
            'oidc_kubeconfig_login_method': 'authcode',
            'oidc_kubeconfig_extra_args': ['--browser-command=' + browser, '--token-cache-dir=' + self.cache] + list(kubelogin_args),
        }
        if kwargs.get('scopes'):
            extra['oidc_kubeconfig_extra_scopes'] = kwargs['scopes']
        rc, output = stack.playbook(PLAYBOOK, '-e', json.dumps(extra), echo=False)
        assert rc == 0, output

    def kubectl(self, *args):
        """Real kubectl with this kubeconfig; returns (completed process, seconds, person's trace or None)."""
        if os.path.exists(self.trace):
            os.unlink(self.trace)
        if self.logged:
            self.client.reset_log()
        started = time.monotonic()
        result = self.stack.user_kubectl(*args, kubeconfig=self.kubeconfig, env=self.env)
        elapsed = time.monotonic() - started
        trace = None
        if os.path.exists(self.trace):
            with open(self.trace, encoding='utf-8') as handle:
                trace = json.load(handle)
        return result, elapsed, trace

    def whoami(self):
        result, elapsed, trace = self.kubectl('auth', 'whoami', '-o', 'json')
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)['status']['userInfo']['username'], elapsed, trace

    def oidc_requests(self):
        """What reached authentik's OAuth2 endpoints and login pages during the last kubectl call (None without a log)."""
        if not self.logged:
            return None
        return [entry for entry in self.client.requests_log()
                if entry['path'].startswith(('/application/o/', '/flows/', '/if/flow/', '/api/v3/flows/executor/'))]

    def refresh(self, refresh_token):
        """The token endpoint asked directly to refresh (what kubelogin does with a cached refresh token)."""
        return requests.post(self.stack.standin.url + '/application/o/token/', verify=self.stack.standin.ca_path, timeout=30, data={
            'grant_type': 'refresh_token', 'client_id': 'kubernetes', 'refresh_token': refresh_token})

    def cached_token_claims(self):
        names = [name for name in os.listdir(self.cache) if not name.endswith('.lock')]
        assert len(names) == 1, names
        with open(os.path.join(self.cache, names[0]), encoding='utf-8') as handle:
            cached = json.load(handle)
        payload = cached['id_token'].split('.')[1]
        return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4))), cached


def kubelogin_port(trace):
    """The port of kubelogin's own page, the first thing the person opened."""
    match = re.match(r'^http://localhost:(\d+)/$', trace['steps'][0]['url'])
    assert match, trace['steps'][0]
    return int(match.group(1))


def authorize_requests(requests_seen):
    return [entry for entry in requests_seen if entry['path'] == '/application/o/authorize/']


def authorize_query(trace):
    """The query of the first authorization request the person's browser was sent to (code and state redacted)."""
    url = [step['url'] for step in trace['steps'] if urlsplit(step['url']).path == '/application/o/authorize/'][0]
    return parse_qs(urlsplit(url).query)


@pytest.fixture(name='provider')
def provider_fixture(stack):
    """The kubernetes provider; whatever a test changes on it is put back."""
    provider = stack.api.first('providers/oauth2/', name='kubernetes')
    assert provider, 'site.yml has not created the provider'
    kept = {name: provider[name] for name in ('redirect_uris', 'access_token_validity', 'property_mappings')}
    yield provider
    stack.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json=kept)


def test_kubectl_finds_the_real_kubelogin(applied):
    """`kubectl oidc-login` is the binary built from the vendored source, and it says its release."""
    kubectl = node_env()['kubectl']
    path = os.pathsep.join([os.path.dirname(applied.kubelogin), os.environ.get('PATH', '')])
    # kubectl finds plugins only before any flag: no --kubeconfig here.
    answer = subprocess.check_output([kubectl, 'oidc-login', '--version'], env=dict(os.environ, PATH=path), universal_newlines=True)
    assert answer.strip() == 'kubelogin version v' + kubelogin.tarball()[1]


def test_password_grant_with_an_app_password(applied):
    """The kubeconfig site.yml writes (kubelogin's password grant) through the real binary, no browser."""
    result = applied.user_kubectl('auth', 'whoami', '-o', 'json')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)['status']['userInfo']['username'] == USER


def test_authorization_code_on_a_random_port_then_the_token_cache(applied, tmp_path):
    login = Login(applied, str(tmp_path), '--listen-address=127.0.0.1:0', '--authentication-timeout-sec=60')
    username, dummy, trace = login.whoami()
    assert username == USER and trace and trace['error'] is None
    port = kubelogin_port(trace)
    assert port not in (8000, 18000), 'kubelogin was asked for a random port'
    query = authorize_query(trace)
    # What the real kubelogin sends: localhost (it binds 127.0.0.1), no trailing slash, PKCE S256.
    assert query['redirect_uri'] == ['http://localhost:%d' % port]
    assert query['code_challenge_method'] == ['S256'] and query['response_type'] == ['code']
    assert set(query['scope'][0].split()) >= {'openid', 'email', 'profile', 'groups'}
    whats = [step['what'] for step in trace['steps']]
    assert 'ak-stage-identification' in whats and 'ak-stage-password' in whats, 'the person did not log in'
    assert trace['steps'][-1]['url'].startswith('http://localhost:%d?code=' % port) and trace['steps'][-1]['status'] == 200
    claims, cached = login.cached_token_claims()
    seen = login.oidc_requests()
    if seen is not None:
        assert [e['status'] for e in authorize_requests(seen)] == [302, 302]
        assert [e['status'] for e in seen if e['path'] == '/application/o/token/'] == [200]

    result, dummy, trace = login.kubectl('get', 'namespaces')
    assert result.returncode == 0, result.stderr
    assert trace is None, 'the person was asked to log in again'
    assert login.cached_token_claims()[1] == cached, 'the cached token was replaced'
    assert login.oidc_requests() in ([], None), 'the second kubectl call did not use the cached token'


def test_strict_redirect_uri_fails_off_port_8000(applied, provider, tmp_path):
    """authentik answers a mismatching redirect URI with its error page; kubelogin never hears back."""
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'redirect_uris': STRICT_8000})
    login = Login(applied, str(tmp_path), '--listen-address=127.0.0.1:0', '--authentication-timeout-sec=10')
    result, elapsed, trace = login.kubectl('auth', 'whoami')
    assert result.returncode != 0, 'a strict http://localhost:8000 redirect URI accepted a random port'
    assert trace and trace['error'].endswith('/application/o/authorize/ answered 400: Redirect URI Error'), trace
    assert authorize_query(trace)['redirect_uri'] == ['http://localhost:%d' % kubelogin_port(trace)]
    assert 'Redirect URI Error' in result.stderr and 'context deadline exceeded' in result.stderr, result.stderr
    assert elapsed >= 10, 'kubelogin gave up before its timeout (%.1fs)' % elapsed
    seen = login.oidc_requests()
    if seen is not None:
        assert [e['status'] for e in authorize_requests(seen)] == [400]
        assert not [e for e in seen if e['path'] == '/application/o/token/']


def port_8000_holder():
    """None when 127.0.0.1:8000 can be bound (kubelogin's first default), else why not."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(('127.0.0.1', 8000))
    except OSError as exc:
        return str(exc)
    finally:
        probe.close()
    return None


def test_strict_redirect_uri_works_on_port_8000(applied, provider, tmp_path):
    busy = port_8000_holder()
    if busy:
        pytest.skip('127.0.0.1:8000 is taken on this machine (%s), so kubelogin cannot listen there: the strict '
                    'http://localhost:8000 success case needs that port; the failing case ran regardless' % busy)
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'redirect_uris': STRICT_8000})
    login = Login(applied, str(tmp_path), '--authentication-timeout-sec=60')  # kubelogin's default addresses
    username, dummy, trace = login.whoami()
    assert username == USER and kubelogin_port(trace) == 8000
    assert authorize_query(trace)['redirect_uri'] == ['http://localhost:8000']


def test_expired_token_is_refreshed_with_offline_access(applied, provider, tmp_path):
    offline = applied.api.first('propertymappings/provider/scope/', managed='goauthentik.io/providers/oauth2/scope-offline_access')
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={
        'access_token_validity': 'seconds=20', 'property_mappings': provider['property_mappings'] + [offline['pk']]})
    login = Login(applied, str(tmp_path), '--listen-address=127.0.0.1:0', '--authentication-timeout-sec=60',
                  scopes=['email', 'profile', 'groups', 'offline_access'])
    username, dummy, trace = login.whoami()
    assert username == USER and trace['error'] is None
    claims, cached = login.cached_token_claims()
    assert claims['exp'] - claims['iat'] == 20, 'access_token_validity is not honoured'
    assert cached.get('refresh_token'), 'no refresh token for the offline_access scope'
    time.sleep(max(0, claims['exp'] - time.time()) + 1.5)

    username, dummy, trace = login.whoami()
    assert username == USER and trace is None, 'an expired token led to a new login instead of a refresh'
    refreshed, cached_now = login.cached_token_claims()
    assert refreshed['exp'] > claims['exp'] and cached_now['refresh_token'] != cached['refresh_token']
    seen = login.oidc_requests()
    if seen is not None:
        assert [(e['method'], e['status']) for e in seen if e['path'] == '/application/o/token/'] == [('POST', 200)]
        assert not authorize_requests(seen)
    # authentik rotated the refresh token: the old one is revoked, a second use is refused.
    reuse = login.refresh(cached['refresh_token'])
    assert reuse.status_code == 400 and reuse.json()['error'] == 'invalid_grant'
