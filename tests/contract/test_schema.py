"""The recorded traffic, the stand-in's traffic and the real OpenAPI schema agree.

- The stand-in's answers to the replay validate against schema.yml (stand-in bugs otherwise).
- Its request checks flag exactly the recorded requests that the real schema rejects.
- The real recorded answers validate against the stand-in's copy of schema.yml (with the
  errata of standin/spec.py), and need those errata: without them exactly the documented
  cases fail.
"""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from standin.schema_check import OpenAPIRequest, OpenAPIResponse
from standin.spec import Spec, load_raw_document
from standin.versions import get_profile
from standin.wire import Request, Response

from .recordings import RECORDED_BASE, index, load


def recorded_request(recording: dict) -> Request:
    """A recorded request as a stand-in Request (redactions left as they are)."""
    rq = recording["request"]
    split = urlsplit(rq["full_path"])
    body = rq["body"]
    return Request(
        method=rq["method"], path=split.path, query_string=split.query,
        headers={k.lower(): v for k, v in rq["headers"].items()},
        body=json.dumps(body).encode() if body is not None else b"", host=RECORDED_BASE.split("//")[1],
    )


def recorded_response(recording: dict) -> Response:
    """A recorded response as a stand-in Response."""
    rs = recording["response"]
    data = json.dumps(rs["body"]).encode() if rs["body_kind"] == "json" else (rs["body"] or "").encode()
    return Response(rs["status"], data, list(rs["headers"].items()))


def api_recordings() -> list:
    """Recordings of /api/v3/ exchanges."""
    return [name for name in index() if load(name)["request"]["path"].startswith("/api/v3/")]


def response_errors(openapi, name: str):
    """openapi-core's verdict on a recorded response: None or the error type name."""
    recording = load(name)
    request, response = recorded_request(recording), recorded_response(recording)
    if response.header("content-type") and response.header("content-type").startswith("text/html"):
        return None
    try:
        openapi.validate_response(OpenAPIRequest(request), OpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        return None
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any validation failure is the verdict
        return type(exc).__name__
    return None


@pytest.fixture(name="spec", scope="module")
def spec_fixture():
    """The stand-in's (patched) 2025.10.4 schema."""
    return Spec(get_profile("2025.10.4"))


def test_standin_responses_validate(replayed):
    """No response-side violation over the whole replay."""
    bad = {name: found for name, found in replayed.violations.items() if any(v["side"] == "response" for v in found)}
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_request_checks_flag_what_the_schema_rejects(replayed, spec):
    """The replay's request violations fall on exactly the recordings whose request the schema rejects."""
    expected = set()
    for name in api_recordings():
        try:
            spec.openapi.validate_request(OpenAPIRequest(recorded_request(load(name))))
        except Exception:  # pylint: disable=broad-exception-caught  # any validation failure counts
            expected.add(name)
    flagged = {name for name, found in replayed.violations.items() if any(v["side"] == "request" for v in found)}
    assert flagged == expected
    assert "providers-oauth2-create-400-redirect-uris-string" in flagged


def test_recorded_responses_validate_with_errata(spec):
    """Every real recorded answer fits the patched schema."""
    failures = {name: err for name in api_recordings() if (err := response_errors(spec.openapi, name))}
    assert not failures


def test_errata_are_needed():
    """Against the unpatched schema, exactly the errata's cases fail: undocumented 404s and setup_urls without application."""
    raw = OpenAPI.from_dict(load_raw_document("schema.yml"), config=Config(spec_validator_cls=None))
    failures = {name for name in api_recordings() if response_errors(raw, name)}
    not_found = {name for name in api_recordings() if load(name)["response"]["status"] == 404 and load(name)["response"]["body_kind"] == "json"}
    assert failures == not_found | {"providers-oauth2-setup-urls-no-application"}


def test_query_strings_survive_replay(replayed):
    """Sanity check of the replay itself: the repeated managed= filter reaches the stand-in as three values."""
    log = [r for r in replayed.client.requests_log() if r["path"].endswith("/propertymappings/provider/scope/") and "managed" in r["query"]]
    assert any(len(r["query"]["managed"]) == 3 for r in log)
    recorded = load("propertymappings-scope-filter-managed-multi")["request"]["full_path"]
    assert len([k for k, dummy in parse_qsl(urlsplit(recorded).query) if k == "managed"]) == 3
