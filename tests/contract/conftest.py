"""Contract tests: the stand-in against the real server's recordings and schemas.

``standin`` is imported from tests/, which is on sys.path (pytest puts the parent of this
package there; tests/run.sh sets PYTHONPATH the same way).
"""

import pytest

from standin.client import StandinClient
from standin.pytest_plugin import StandinFactory

from .recordings import index
from .replay import Replayer


@pytest.fixture(name="standin_factory", scope="session")
def standin_factory_fixture(tmp_path_factory):
    """Stand-ins for this session, stopped at its end."""
    factory = StandinFactory(tmp_path_factory)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def replayed(standin_factory):
    """Every recording replayed once, in recorded order, against a fresh 2025.10.4 stand-in."""
    client = StandinClient(standin_factory("2025.10.4"), token="")
    replayer = Replayer(client)
    for name in index():
        replayer.replay(name)
    yield replayer
    client.close()
