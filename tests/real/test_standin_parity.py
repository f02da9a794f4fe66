# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in answers like the real server: the same requests to both, compared step by step.

The real answer is the reference (tests/contract/compare.py, as for the recordings): status,
content type, then JSON bodies field by field, keys in order; ids are mapped on first sight and
must then agree everywhere; per-install values (keys, fingerprints, timestamps, secrets) only
need the same shape. A difference is a stand-in bug: fix the stand-in (tests/standin/README.md
lists the ones found).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import uuid

import pytest

from contract.compare import Comparison, IdMap, decode_jwt
from contract.recordings import RECORDED_BASE
from contract.replay import namespace_of
from real.scenario import save, steps
from authentik import AccessLog
from authentik.schema_check import violations
from standin.client import StandinClient

NAMES = [name for name, _request, _save in steps('x')]
SECRET_KEYS = ('client_secret', 'key', 'refresh_token')
JWT_KEYS = ('access_token', 'id_token')  # compared decoded, as the recordings do
# Differ per install or per token, not per implementation: only the same length is asked of them.
PER_INSTALL = ('build_hash', 'jti')
# The real server lists these in the database's order (no ORDER BY, or ties of an ORDER BY: neither the request
# order nor sorted); the stand-in keeps the request order. Compared as multisets, as the modules compare them.
UNORDERED = ('property_mappings', 'scopes_supported', 'claims_supported')


def main_type(response):
    return (response.headers.get('Content-Type') or '').split(';')[0].strip()


def as_reference(body, base_url):
    """The real server's JSON as a recording: its base URL as the recorded one, secrets redacted by length."""
    text = json.dumps(_redact(body)).replace(base_url, RECORDED_BASE)  # after decoding: tokens carry the issuer
    return json.loads(text)


def _redact(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in JWT_KEYS and isinstance(value, str) and value.count('.') == 2:
                out[key], out[key + '__decoded'] = '<redacted:jwt>', decode_jwt(value)
            elif key in SECRET_KEYS and isinstance(value, str) and value:
                out[key] = '<redacted:%s (%d chars)>' % (key, len(value))
            else:
                out[key] = _redact(value)
        return out
    if isinstance(node, list):
        return [_redact(item) for item in node]
    return node


@pytest.fixture(scope='module')
def played(real, real_client, standin_factory):
    """Every step against the real server and a fresh stand-in of its release: {step: [differences]}."""
    twin = StandinClient(standin_factory(real.version))
    unique = 'parity-%s' % uuid.uuid4().hex[:6]
    access_log = AccessLog(real.access_log, real.url, real.ca_path)
    mark = access_log.mark()
    ids, contexts, results = IdMap(), ({}, {}), {}
    for name, request, keep in steps(unique):
        answers = []
        for client, context in zip((real_client, twin), contexts):
            method, path, kwargs = request(context)
            answers.append(client.request(method, path, **kwargs))
            body = _json(answers[-1])
            if keep and isinstance(body, dict):
                save(context, keep, body)
        results[name] = compare(path, answers, ids, real.url, twin.base)
    twin.close()
    return results, access_log.entries(mark)


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def compare(path, answers, ids, real_base, standin_base):
    real_answer, twin_answer = answers
    problems = []
    if real_answer.status_code != twin_answer.status_code:
        problems.append('status: real %d, stand-in %d (%s)' % (
            real_answer.status_code, twin_answer.status_code, twin_answer.text[:300]))
    if main_type(real_answer) != main_type(twin_answer):
        problems.append('content-type: real %r, stand-in %r' % (main_type(real_answer), main_type(twin_answer)))
    real_body, twin_body = _json(real_answer), _json(twin_answer)
    if main_type(real_answer) == 'application/json' and real_body is not None:
        comparison = Comparison(ids, standin_base, namespace_of(path))
        reference = as_reference(real_body, real_base)
        _drop_per_install(reference, twin_body)
        _align_unordered(reference, twin_body, ids)
        comparison.compare(reference, twin_body)
        problems.extend(comparison.problems)
    return problems


def _drop_per_install(reference, actual):
    """Values that differ between any two installs or tokens: the stand-in's own stand when of the same length.
    A real token's exp comes from the grant's expiry and iat from a later clock reading, so exp - iat may be one
    second short of the validity; that second is not the stand-in's to copy."""
    if isinstance(reference, dict) and isinstance(actual, dict):
        for key in PER_INSTALL:
            if key in reference and key in actual and isinstance(reference[key], str) and isinstance(actual[key], str) \
                    and len(reference[key]) == len(actual[key]):
                reference[key] = actual[key]
        for key, value in reference.items():
            if key.endswith('__decoded') and isinstance(actual.get(key[:-9]), str) and actual[key[:-9]].count('.') == 2:
                decoded = decode_jwt(actual[key[:-9]])
                _drop_per_install(value, decoded)
                claims, mine = value.get('claims', {}), decoded.get('claims', {})
                if {'exp', 'iat'} <= set(claims) and {'exp', 'iat'} <= set(mine) and \
                        abs((claims['exp'] - claims['iat']) - (mine['exp'] - mine['iat'])) <= 1:
                    claims['exp'] = claims['iat'] + mine['exp'] - mine['iat']
            elif key in actual:
                _drop_per_install(value, actual[key])
    elif isinstance(reference, list) and isinstance(actual, list):
        for ref_item, act_item in zip(reference, actual):
            _drop_per_install(ref_item, act_item)


def _align_unordered(reference, actual, ids):
    """Unordered lists with the same members (ids mapped) take the stand-in's order; others stay to be reported."""
    if isinstance(reference, dict) and isinstance(actual, dict):
        for key, value in reference.items():
            if key in UNORDERED and isinstance(value, list) and isinstance(actual.get(key), list):
                mapped = [ids.forward['uuid'].get(item, item) for item in value]
                if sorted(mapped) == sorted(actual[key]):
                    reverse = dict((ids.forward['uuid'].get(item, item), item) for item in value)
                    reference[key] = [reverse[item] for item in actual[key]]
            else:
                _align_unordered(value, actual.get(key), ids)
    elif isinstance(reference, list) and isinstance(actual, list):
        for ref_item, act_item in zip(reference, actual):
            _align_unordered(ref_item, act_item, ids)


@pytest.mark.parametrize('step', NAMES)
def test_standin_answers_like_the_real_server(played, step):
    results = played[0]
    assert results[step] == [], '%s: the stand-in differs from the real server:\n  %s' % (step, '\n  '.join(results[step]))


def test_what_the_real_server_accepted_fits_its_schema(played, real):
    """The schema check the integration tier applies to the modules' requests agrees with the server itself:
    every API request of the scenario that the real server accepted validates against the release's schema."""
    accepted = [entry for entry in played[1] if entry['status'] < 300]
    assert accepted, 'the access log shows none of the scenario'
    assert violations(accepted, real.schema, real.url) == []
