"""Run a stand-in in the foreground until SIGTERM/SIGINT.

    cd tests && python3 -m standin.run --version 2025.10.4 --state-dir DIR [--port N] [--bind 127.0.0.1]

Writes DIR/standin.json {url, token, ca_path, version, pid} once listening and removes it on exit.
"""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from standin.launcher import STATE_FILE, start, write_state
from standin.versions import DEFAULT_VERSION, VERSIONS


def parse_args(argv=None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(description="authentik stand-in (HTTPS, test CA)")
    parser.add_argument("--version", default=DEFAULT_VERSION, choices=sorted(VERSIONS))
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--token", default=None, help="bootstrap API token (default: generated)")
    parser.add_argument("--admin-email", default="admin@example.com")
    parser.add_argument("--key-size", type=int, default=4096, help="RSA size of the self-signed keypair")
    parser.add_argument("--device-throttle", default=None,
                        help="rate of the device authorization endpoint, like authentik's throttle.providers.oauth2.device "
                             "(default 20/hour)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Start, announce, wait for a signal, stop."""
    args = parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    (args.state_dir / STATE_FILE).unlink(missing_ok=True)
    handle = start(args.version, args.state_dir, args.port, bind=args.bind, token=args.token,
                   admin_email=args.admin_email, key_size=args.key_size, device_throttle=args.device_throttle)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    state_file = write_state(handle, os.getpid())
    print(f"authentik {args.version} stand-in listening on {handle.url} (state: {state_file})", flush=True)
    try:
        stop.wait()
    finally:
        handle.stop()
        state_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
