"""One test per recorded exchange: the stand-in answers like the real 2025.10.4 server did."""

import pytest

from .recordings import index

# Recordings that cannot be replayed, with the reason. Empty: every exchange in
# recordings/_index.json replays (redacted values are filled with the stand-in's own).
NOT_REPLAYABLE = {}


@pytest.mark.parametrize("name", index())
def test_recording(replayed, name):
    """Status, tracked headers, body keys/types/nesting and deterministic values match."""
    if name in NOT_REPLAYABLE:
        pytest.skip(NOT_REPLAYABLE[name])
    problems = replayed.results[name]
    assert not problems, "\n".join(problems)


def test_index_is_complete():
    """All 139 exchanges of the index are replayed (the derived check is test_oidc's)."""
    assert len(index()) == 139
    assert "oidc-id-token-verification" not in index()
