"""pytest fixtures for the stand-in.

Load with ``pytest_plugins = ["standin.pytest_plugin"]`` in the top-level conftest (or
``-p standin.pytest_plugin``), with tests/ on sys.path. Fixtures:

- ``standin_factory``: session-scoped; ``standin_factory(version, **start_kwargs)`` starts a
  fresh stand-in (stopped at session end); ``standin_factory.shared(version)`` reuses one per
  version for the whole session.
- ``standin``: a fresh stand-in per test; parametrize the version indirectly:
  ``@pytest.mark.parametrize("standin", standin_versions(), indirect=True)``.
- ``standin_client``: a StandinClient for ``standin``.
"""

# pylint: disable=redefined-outer-name  # pytest fixtures take other fixtures by name
import pytest

from .client import StandinClient
from .launcher import start
from .versions import DEFAULT_VERSION, VERSIONS


def standin_versions() -> list:
    """Every emulated version, oldest first (for parametrize)."""
    return list(VERSIONS)


class StandinFactory:
    """Starts stand-ins in per-test state directories and stops them at the end."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.running = []
        self.cache = {}

    def __call__(self, version: str = DEFAULT_VERSION, **kwargs):
        state_dir = self.tmp_path_factory.mktemp(f"standin-{version.replace('.', '_')}")
        handle = start(version, state_dir, **kwargs)
        self.running.append(handle)
        return handle

    def shared(self, version: str = DEFAULT_VERSION):
        """One stand-in per version for the session (tests must not depend on its state)."""
        if version not in self.cache:
            self.cache[version] = self(version)
        return self.cache[version]

    def stop_all(self) -> None:
        """Stop every stand-in this factory started."""
        for handle in self.running:
            handle.stop()
        self.running.clear()
        self.cache.clear()


@pytest.fixture(scope="session")
def standin_factory(tmp_path_factory):
    """Session-wide factory of stand-ins."""
    factory = StandinFactory(tmp_path_factory)
    yield factory
    factory.stop_all()


@pytest.fixture
def standin(request, standin_factory):
    """A fresh stand-in of DEFAULT_VERSION, or of the indirectly parametrized version."""
    handle = standin_factory(getattr(request, "param", DEFAULT_VERSION))
    yield handle
    handle.stop()


@pytest.fixture
def standin_client(standin):
    """A client of the ``standin`` fixture's server."""
    client = StandinClient(standin)
    yield client
    client.close()
