#!/usr/bin/env bash
# The main job on a fresh machine: the site playbook against the bundled local stack
# (the authentik stand-in over HTTPS and the real test node), a second run that must
# change nothing, then verify.yml, ending with the `kubectl auth whoami` of a test user.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

say "virtual environment (ansible-core, requests, the stand-in's dependencies)"
BIN=$(venv newest)
TREE=$(collection_tree)
say "the local stack and the playbooks"
cd "$TREE"
PATH="$BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" PYTHONPATH="$TREE/tests:$TREE/tests/node" \
  KUBEAUTH_SHARED="${KUBEAUTH_SHARED:-$(cd "$ROOT/.." && pwd)/shared}" \
  "$BIN/python" tests/e2e/stack.py demo "$CACHE/demo"
