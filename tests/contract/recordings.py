"""The real server's recordings (shared/authentik/recordings), as the contract tests use them."""

import functools
import json

from standin.versions import reference_dir

RECORDED_BASE = "http://127.0.0.1:9000"


@functools.lru_cache(maxsize=None)
def index() -> tuple:
    """Recording names in the order they were made (recordings/_index.json)."""
    with open(reference_dir() / "recordings" / "_index.json", encoding="utf-8") as handle:
        entries = json.load(handle)
    return tuple(entry["file"].rsplit("/", 1)[-1][:-len(".json")] for entry in entries)


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """One recording by name."""
    with open(reference_dir() / "recordings" / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def derived_check() -> dict:
    """recordings/oidc-id-token-verification.json: an id_token verified against the JWKS."""
    return load("oidc-id-token-verification")
