"""The requests a real server received (its front's access log), validated against that release's
own OpenAPI schema (schema.yml of its source tree) with openapi-core: path, query and body.

Used by the test tiers (needs openapi-core, PyYAML); the server tool itself does not import it.
"""

import functools
from urllib.parse import parse_qsl

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict


@functools.lru_cache(maxsize=None)
def openapi(schema_path):
    with open(schema_path, encoding='utf-8') as handle:
        document = yaml.load(handle, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
    # The schema is upstream's own; validating the schema itself only costs time.
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


class LoggedRequest:
    """openapi-core's request protocol over one access-log entry."""

    def __init__(self, base_url, entry):
        self.host_url = base_url
        self.path = entry['path']
        self.method = entry['method'].lower()
        self.content_type = entry.get('content_type') or 'application/json'
        self.body = entry.get('body').encode() if entry.get('body') else None
        # Every module request carries a bearer token; the log says whether one was sent, never its value.
        headers = [('Authorization', 'Bearer logged-request')] if entry.get('auth') == 'bearer' else []
        self.parameters = RequestParameters(query=ImmutableMultiDict(parse_qsl(entry.get('query', ''), keep_blank_values=True)),
                                            header=Headers(headers), cookie=ImmutableMultiDict())


def _details(exc):
    errors = getattr(exc.__cause__, 'schema_errors', None) or []
    return ['%s: %s' % ('/'.join(str(p) for p in error.absolute_path) or '<root>', error.message) for error in errors]


def violations(entries, schema_path, base_url):
    """[{method, path, query, status, error, message, details}] for the /api/v3/ requests the schema rejects."""
    found = []
    app = openapi(schema_path)
    for entry in entries:
        if not entry['path'].startswith('/api/v3/') or entry['method'] in ('HEAD', 'OPTIONS'):
            continue
        try:
            app.validate_request(LoggedRequest(base_url, entry))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # openapi-core raises many types; all are findings
            found.append({'method': entry['method'], 'path': entry['path'], 'query': entry.get('query'), 'status': entry['status'],
                          'error': type(exc).__name__, 'message': str(exc), 'details': _details(exc)})
    return found
