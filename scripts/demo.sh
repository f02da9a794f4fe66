#!/usr/bin/env bash
# The main job on a fresh machine: the site playbook against the bundled local stack
# (the authentik stand-in over HTTPS and the real test node), a second run that must
# change nothing, then verify.yml, and real kubectl with the generated user kubeconfig logging in through the
# real kubelogin, ending with the `kubectl auth whoami` of a test user.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

say "virtual environment (ansible-core, requests, the stand-in's dependencies)"
BIN=$(venv newest)
TREE=$(collection_tree)
export KUBEAUTH_SHARED="${KUBEAUTH_SHARED:-$(cd "$ROOT/.." && pwd)/shared}"
say "the real kubelogin (kubectl oidc-login), built once from shared/vendor and cached"
"$BIN/python" "$ROOT/tests/e2e/kubelogin.py" build >/dev/null
say "the local stack and the playbooks"
cd "$TREE"
PATH="$BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" PYTHONPATH="$TREE/tests:$TREE/tests/node" \
  "$BIN/python" tests/e2e/stack.py demo "$CACHE/demo"
