# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the collection: session, auth, retries, pagination,
error mapping and server version detection for authentik's /api/v3/."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

from .errors import AuthentikError
from .versions import ServerFeatures

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - exercised by the missing_required_lib path
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

API_PREFIX = '/api/v3/'
PAGE_SIZE = 100
# Status codes worth another try: rate limiting and gateway/server hiccups.
RETRY_STATUS = frozenset((429, 500, 502, 503, 504))
# A POST that got one of these was refused before anything was stored.
SAFE_POST_RETRY_STATUS = frozenset((429, 503))


def connection_argument_spec():
    """Connection options shared by every module (documented in the connection doc fragment)."""
    return dict(
        authentik_url=dict(type='str', required=True, fallback=(env_fallback, ['AUTHENTIK_URL'])),
        authentik_token=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['AUTHENTIK_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
        server_version=dict(type='str'),
    )


class AmbiguousWriteError(AuthentikError):
    """A create whose outcome is unknown (the server may or may not have stored it)."""


def base_url(url):
    """Normalize the user's URL: scheme and host required, no trailing /api/v3/."""
    parts = urlsplit(url or '')
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise AuthentikError(
            "authentik_url must be an absolute http(s) URL such as https://authentik.example.com, got %r" % (url,))
    path = parts.path.rstrip('/')
    if path.endswith('/api/v3'):
        path = path[:-len('/api/v3')]
    return '%s://%s%s' % (parts.scheme, parts.netloc, path)


def format_error_body(body):
    """Render a DRF error body field by field: 'redirect_uris: Invalid Regex Pattern: ...'."""
    if isinstance(body, dict):
        lines = []
        for field, problems in sorted(body.items()):
            if isinstance(problems, list):
                problems = '; '.join(format_error_body(p) for p in problems)
            elif isinstance(problems, dict):
                problems = format_error_body(problems)
            lines.append('%s: %s' % (field, problems))
        return '; '.join(lines)
    if isinstance(body, list):
        return '; '.join(format_error_body(item) for item in body)
    return str(body)


class AuthentikClient:
    """HTTP session against one authentik server.

    retries and backoff are attributes so tests can make them fast.
    """

    retries = 4
    backoff = 0.5

    def __init__(self, url, token, validate_certs=True, ca_path=None, timeout=30, session=None, sleep=time.sleep,
                 server_version=None):
        if requests is None:
            raise AuthentikError('the Python library requests is required')
        self.base = base_url(url)
        self.timeout = timeout
        self._sleep = sleep
        self._features = None
        # A version read earlier in the same run (server_version option) saves one request per
        # task; it is checked against the server whenever the server refuses a request.
        self._given_version = server_version
        if server_version:
            try:
                self._features = ServerFeatures(server_version)
            except ValueError:
                raise AuthentikError('server_version: %r is not an authentik version; pass the server_version an earlier '
                                     'task of this run returned, or leave it out' % (server_version,))
        self.session = session or requests.Session()
        self.session.headers.update({'Accept': 'application/json', 'User-Agent': 'kubeauth.authentik'})
        if token:
            self.session.headers['Authorization'] = 'Bearer %s' % token
        # Passed on every request: requests lets REQUESTS_CA_BUNDLE override a
        # session-level verify, which would silently ignore ca_path.
        self.verify = (ca_path or True) if validate_certs else False

    @classmethod
    def from_module(cls, module):
        """Build a client from a module's parameters, failing the module cleanly."""
        if requests is None:
            module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        params = module.params
        if not params['authentik_token']:
            module.fail_json(msg='authentik_token is empty: set it or the AUTHENTIK_TOKEN environment variable to an API token')
        try:
            return cls(params['authentik_url'], params['authentik_token'], validate_certs=params['validate_certs'],
                       ca_path=params['ca_path'], timeout=params['timeout'], server_version=params.get('server_version'))
        except AuthentikError as exc:
            module.fail_json(msg=str(exc))

    # ---------------------------------------------------------------- version
    @property
    def features(self):
        """Server release features; the version is fetched once per client."""
        if self._features is None:
            self._features = self._read_features()
        return self._features

    def _read_features(self):
        body = self.get('admin/version/')
        try:
            return ServerFeatures(body['version_current'])
        except (KeyError, TypeError, ValueError):
            raise AuthentikError('%s did not report an authentik version (admin/version/ said %r); '
                                 'is authentik_url the authentik server?' % (self.base, body))

    def _check_given_version(self):
        """After a refused request: a given server_version must still be the server's."""
        given, self._given_version = self._given_version, None
        if not given:
            return
        actual = self._read_features()
        if actual.version != self._features.version:
            raise AuthentikError('server_version is %s but %s runs authentik %s; pass the server_version this run read '
                                 '(a module\'s server_version result) or leave it out' % (given, self.base, actual.version_string))

    @property
    def version(self):
        return self.features.version_string

    # ------------------------------------------------------------------ verbs
    def get(self, path, params=None, missing_ok=False):
        """GET one resource; with missing_ok a 404 returns None."""
        response = self._send('GET', path, params=params, ok=(200, 404) if missing_ok else (200,))
        if response.status_code == 404:
            return None
        return self._json(response)

    def list(self, path, params=None):
        """Every item of a paginated list, following the pagination envelope."""
        params = dict(params or {})
        params.setdefault('page_size', PAGE_SIZE)
        page, items = 1, []
        while True:
            params['page'] = page
            body = self._json(self._send('GET', path, params=params))
            if not isinstance(body, dict) or 'results' not in body:
                raise AuthentikError('%s did not answer with a paginated list: %r' % (self.url(path), body))
            items.extend(body['results'])
            page = (body.get('pagination') or {}).get('next') or 0
            if not page:
                return items

    def create(self, path, payload, find_existing=None):
        """POST a new object, never creating it twice.

        A POST whose outcome is unknown (connection dropped, 5xx) is not repeated
        blindly: find_existing() looks for the object first and only a confirmed
        absence allows another attempt.
        """
        for attempt in range(self.retries):
            try:
                return self._json(self._send('POST', path, json=payload, ok=(200, 201)))
            except AmbiguousWriteError:
                found = find_existing() if find_existing else None
                if found is not None:
                    return found
                if find_existing is None or attempt == self.retries - 1:
                    raise
                self._sleep(self.backoff * (2 ** attempt))
        raise AuthentikError('unreachable')  # pragma: no cover

    def patch(self, path, payload):
        return self._json(self._send('PATCH', path, json=payload))

    def delete(self, path):
        """DELETE; an already absent object counts as deleted."""
        self._send('DELETE', path, ok=(200, 204, 404))

    # -------------------------------------------------------------- transport
    def url(self, path):
        """API paths are relative ('providers/oauth2/'); '/x' is on the server; full URLs stay as they are."""
        if path.startswith(('https://', 'http://')):
            return path
        return self.base + (path if path.startswith('/') else API_PREFIX + path)

    def _send(self, method, path, params=None, json=None, ok=(200,)):
        """One request with retries.  A POST is only repeated when the server
        provably stored nothing (connect timeout, 429, 503); any other failure
        of a POST becomes an AmbiguousWriteError for create() to resolve."""
        url = self.url(path)
        for attempt in range(self.retries):
            last_try = attempt == self.retries - 1
            response = None
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise AuthentikError('TLS verification of %s failed: %s. Set ca_path to the CA bundle that signed the '
                                     'server certificate (or validate_certs=false for a throwaway test server)' % (self.base, exc))
            except requests.exceptions.ConnectTimeout as exc:
                if last_try:
                    raise AuthentikError('cannot connect to %s: %s' % (self.base, exc))
            except requests.exceptions.RequestException as exc:
                if method == 'POST':
                    raise AmbiguousWriteError('%s %s failed before an answer came back: %s' % (method, url, exc))
                if last_try:
                    raise AuthentikError('cannot reach %s (%s %s): %s' % (self.base, method, url, exc))
            else:
                status = response.status_code
                if status in ok:
                    return response
                retryable = SAFE_POST_RETRY_STATUS if method == 'POST' else RETRY_STATUS
                if method == 'POST' and status in RETRY_STATUS - SAFE_POST_RETRY_STATUS:
                    raise AmbiguousWriteError(self._describe(method, path, response), status, self._body(response))
                if status not in retryable or last_try:
                    if status in (400, 404, 405) and self._given_version:
                        self._check_given_version()
                    raise AuthentikError(self._describe(method, path, response), status, self._body(response))
            self._sleep(self._delay(attempt, response))
        raise AuthentikError('unreachable')  # pragma: no cover

    def _delay(self, attempt, response):
        retry_after = response.headers.get('Retry-After') if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(int(retry_after), 60)
        return self.backoff * (2 ** attempt)

    @staticmethod
    def _body(response):
        try:
            return response.json()
        except ValueError:
            return response.text

    def _json(self, response):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise AuthentikError('%s answered %s with a body that is not JSON: %s'
                                 % (response.url, response.status_code, response.text[:200]))

    def _describe(self, method, path, response):
        """An error message that says what went wrong and what to do about it."""
        url = self.url(path)
        hint = self._features.path_hint(path) if self._features else None
        status = response.status_code
        body = self._body(response)
        detail = format_error_body(body) if not isinstance(body, str) else body.strip()[:200]
        if status == 400:
            return 'authentik rejected %s %s: %s' % (method, url, detail)
        if status in (401, 403):
            return ('authentik refused the request (%s %s -> %s: %s). Check authentik_token (or AUTHENTIK_TOKEN): it must be '
                    'an API token (intent "api") of a user allowed to manage this object; app passwords are not accepted '
                    'by the API, and HTTP Basic auth is not supported.' % (method, url, status, detail))
        if status == 404 and hint:
            return '%s %s -> 404: %s; please report this, the client chooses paths by server version.' % (method, url, hint)
        if status == 404:
            return ('%s %s -> 404 (%s). The object does not exist, or this authentik release (%s) has no such endpoint.'
                    % (method, url, detail, self._features.version_string if self._features else 'unknown version'))
        if status == 405 and hint:
            return '%s %s -> 405: %s; please report this, the client chooses paths by server version.' % (method, url, hint)
        if status == 405:
            return '%s %s -> 405: authentik refused %s on this URL (%s).' % (method, url, method, detail or 'no detail')
        return '%s %s -> %s: %s' % (method, url, status, detail)
