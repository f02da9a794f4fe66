"""A stand-in authentik server for tests, held to recorded real behaviour and the real schemas.

    import standin
    handle = standin.start(version="2025.10.4")   # https://127.0.0.1:<port>, own test CA
    ... handle.url, handle.token, handle.ca_path ...
    handle.stop()

See README.md beside this file for what is emulated and what differs from authentik.
"""

from .launcher import Handle, start
from .versions import DEFAULT_VERSION, VERSIONS

__all__ = ["DEFAULT_VERSION", "VERSIONS", "Handle", "start"]
