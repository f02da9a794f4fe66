#!/usr/bin/env bash
# The main job on a fresh machine: the site playbook against the bundled local stack
# (the authentik stand-in over HTTPS and the real test node), a second run that must
# change nothing, then verify.yml, and real kubectl with the generated user kubeconfig logging in through the
# real kubelogin, ending with the `kubectl auth whoami` of a test user.
#
#   bash scripts/demo.sh                             the authentik stand-in (2025.10.4 behaviour)
#   bash scripts/demo.sh --authentik real:2025.10.4  a real authentik built from ../shared/authentik/src
#                                                    (real:2026.2.2 too; tests/authentik/README.md)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

AUTHENTIK=standin
while [ $# -gt 0 ]; do
  case $1 in
    --authentik) AUTHENTIK=${2:-}; shift 2 ;;
    --authentik=*) AUTHENTIK=${1#*=}; shift ;;
    *) echo "usage: bash scripts/demo.sh [--authentik standin|real:<version>]  (unknown argument: $1)" >&2; exit 2 ;;
  esac
done
case $AUTHENTIK in
  standin | real:?*) ;;
  *) echo "--authentik must be standin or real:<version> (e.g. real:2025.10.4), not '$AUTHENTIK'" >&2; exit 2 ;;
esac

say "virtual environment (ansible-core, requests, the stand-in's dependencies)"
BIN=$(venv newest)
TREE=$(collection_tree)
export KUBEAUTH_SHARED="${KUBEAUTH_SHARED:-$(cd "$ROOT/.." && pwd)/shared}"
say "the real kubelogin (kubectl oidc-login), built once from shared/vendor and cached"
"$BIN/python" "$ROOT/tests/e2e/kubelogin.py" build >/dev/null
if [ "$AUTHENTIK" != standin ]; then
  say "real authentik ${AUTHENTIK#real:} (built from source the first time: several minutes)"
  "$BIN/python" "$ROOT/tests/authentik/server.py" --version "${AUTHENTIK#real:}" up
fi
say "the local stack and the playbooks (holding the test node: a test run using it is waited for)"
cd "$TREE"
PATH="$BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" PYTHONPATH="$TREE/tests:$TREE/tests/node" KUBEAUTH_E2E_AUTHENTIK="$AUTHENTIK" \
  "$BIN/python" -m kubeauth_node.locks hold --wait 3600 single-node -- "$BIN/python" tests/e2e/stack.py demo "$CACHE/demo"
if [ "$AUTHENTIK" != standin ]; then
  echo "the real authentik stays up; remove it with: python3 tests/authentik/server.py --version ${AUTHENTIK#real:} down"
fi
