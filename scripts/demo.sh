#!/usr/bin/env bash
# The main job on a fresh machine: the site playbook against the bundled local
# stack (the authentik stand-in over HTTPS), then a second run that must change nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

say "virtual environment (ansible-core, requests, stand-in dependencies)"
BIN=$(venv newest)
TREE=$(collection_tree)
STATE=$CACHE/demo
rm -rf "$STATE" && mkdir -p "$STATE"

say "authentik stand-in (2025.10.4 behaviour) on https://127.0.0.1"
"$BIN/python" "$ROOT/tests/standin/run.py" --version 2025.10.4 --state-dir "$STATE" > "$STATE/standin.log" 2>&1 &
STANDIN=$!
trap 'kill $STANDIN 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$STATE/standin.json" ] && break; sleep 0.2; done
[ -s "$STATE/standin.json" ] || { echo "the stand-in did not start:"; cat "$STATE/standin.log"; exit 1; }
field() { "$BIN/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$STATE/standin.json" "$1"; }
export AUTHENTIK_URL AUTHENTIK_TOKEN
AUTHENTIK_URL=$(field url)
AUTHENTIK_TOKEN=$(field token)
CA=$(field ca_path)
echo "authentik at $AUTHENTIK_URL, CA $CA"

play() {
  (cd "$TREE" && PATH="$BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=False "$BIN/ansible-playbook" playbooks/site.yml -e "authentik_oidc_ca_path=$CA" "$@")
}

say "site.yml, first run"
play
say "site.yml, second run (must report no change)"
play | tee "$STATE/second.log"
grep -Eq 'changed=0 +unreachable=0 +failed=0' "$STATE/second.log" || { echo "second run changed something"; exit 1; }

say "what kube-apiserver will see"
ISSUER="$AUTHENTIK_URL/application/o/kubernetes/"
curl -s --cacert "$CA" "${ISSUER}.well-known/openid-configuration" | "$BIN/python" -c \
  'import json,sys; d=json.load(sys.stdin); print("issuer:", d["issuer"]); print("jwks_uri:", d["jwks_uri"]); print("algs:", d["id_token_signing_alg_values_supported"])'
curl -s --cacert "$CA" "${ISSUER}jwks/" | "$BIN/python" -c 'import json,sys; print("JWKS keys:", len(json.load(sys.stdin).get("keys", [])))'
