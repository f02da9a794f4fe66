"""Real authentik servers for the tests, built from the release sources in shared/authentik/src.

CLI (from tests/): python3 -m authentik.server --version 2025.10.4 {build|up|down|status|env}
For the test tiers: facts(version) of a server that is up, and AccessLog to count what it received.
"""

import json
import os

from authentik.accesslog import WRITES, AccessLog  # noqa: F401  (re-exported)
from authentik.layout import STATE_ROOT


def facts(version):
    """{url, token, ca_path, access_log, version} of the server `server.py --version VERSION up` started."""
    path = os.path.join(STATE_ROOT, version, 'env.json')
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except OSError as exc:
        raise RuntimeError('authentik %s is not up (%s): cd tests && python3 -m authentik.server --version %s up'
                           % (version, exc, version)) from exc
