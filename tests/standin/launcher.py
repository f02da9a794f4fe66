"""Start and stop a stand-in: ``standin.start(...) -> Handle``."""

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .app import StandinApp
from .keys import generate_id
from .server import StandinServer, serve_in_thread
from .tls import make_certificates, server_context
from .versions import DEFAULT_VERSION

STATE_FILE = "standin.json"


@dataclass
class Handle:
    """A running stand-in."""

    url: str
    token: str
    ca_path: str
    version: str
    state_dir: str
    app: StandinApp = field(repr=False)
    server: StandinServer = field(repr=False)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _url(bind: str, port: int) -> str:
    return f"https://[{bind}]:{port}" if ":" in bind else f"https://{bind}:{port}"


def start(version: str = DEFAULT_VERSION, state_dir=None, port: int = 0, *, bind: str = "127.0.0.1",
          token: str = None, admin_email: str = "admin@example.com", key_size: int = 4096, device_throttle: str = None) -> Handle:
    """Create the CA and server certificate, seed the release's default objects, and serve.

    ``token`` is the bootstrap API token (generated when omitted); ``key_size`` is the RSA size
    of ``authentik Self-signed Certificate`` (authentik uses 4096); ``device_throttle`` is the rate of the device
    authorization endpoint (authentik's ``throttle.providers.oauth2.device``, ``20/hour`` when omitted).
    """
    state = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="authentik-standin-"))
    state.mkdir(parents=True, exist_ok=True)
    token = token or generate_id(60)
    app = StandinApp(version, token, admin_email=admin_email, key_size=key_size, device_throttle=device_throttle)
    # A stand-in bound to a test network's address (nodes in namespaces reach it there) is named in its certificate.
    paths = make_certificates(state, extra_names=() if bind in ("127.0.0.1", "localhost", "::1", "0.0.0.0") else (bind,))
    server = StandinServer((bind, port), app, server_context(paths))
    serve_in_thread(server)
    url = _url(bind, server.server_address[1])
    return Handle(url=url, token=token, ca_path=str(paths["ca"]), version=version, state_dir=str(state), app=app, server=server)


def write_state(handle: Handle, pid: int) -> Path:
    """standin.json {url, token, ca_path, version, pid}, written atomically."""
    target = Path(handle.state_dir) / STATE_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({
        "url": handle.url, "token": handle.token, "ca_path": handle.ca_path, "version": handle.version, "pid": pid,
    }, indent=2) + "\n", encoding="utf-8")
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    return target
