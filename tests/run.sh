#!/usr/bin/env bash
# The project's one test command: installs what it needs, then runs the stages.
#
#   bash tests/run.sh            every stage
#   bash tests/run.sh unit sanity
#
# Stages: sanity lint unit contract integration node
# Virtual environments and build caches live outside the work tree, under
# $KUBEAUTH_CACHE (default /var/cache/kubeauth), and are reused between runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KUBEAUTH_CACHE:-/var/cache/kubeauth}
NEWEST_CORE='ansible-core>=2.21,<2.22'
OLDEST_CORE='ansible-core>=2.17,<2.18'
ALL_STAGES=(sanity lint unit contract integration node)
FAILED=()
PASSED=()

say() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }

python_for() {  # newest|oldest -> interpreter path
  local want=$1 v
  if [ "$want" = newest ]; then v=3.13; else v=3.11; fi
  # pyenv's shims answer for versions that are not selected, so try real interpreters first.
  for candidate in "${PYENV_ROOT:-/root/.pyenv}/versions/$v"*/bin/"python$v" "python$v"; do
    if "$candidate" --version >/dev/null 2>&1; then command -v "$candidate"; return; fi
  done
  echo "python$v not found: install it (pyenv install $v) to run the $want ansible-core" >&2
  return 1
}

venv() {  # newest|oldest -> creates/updates $CACHE/venv-<name>, prints its bin dir
  local name=$1 core dir stamp
  if [ "$name" = newest ]; then core=$NEWEST_CORE; else core=$OLDEST_CORE; fi
  dir=$CACHE/venv-$name
  stamp=$dir/.stamp-$(cat "$ROOT/tests/requirements.txt" <(echo "$core") | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    echo "installing $core and tests/requirements.txt into $dir" >&2
    mkdir -p "$CACHE"
    "$(python_for "$name")" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "$core" -r "$ROOT/tests/requirements.txt" >&2
    if [ "$name" = newest ]; then
      "$dir/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/requirements-lint.txt" >&2
    fi
    rm -f "$dir"/.stamp-*
    touch "$stamp"
  fi
  echo "$dir/bin"
}

# ansible-test fetches get-pip.py from a host this machine cannot reach; give it an offline one.
offline_get_pip() {
  local bin=$1 version
  version=$("$bin/python" - <<'EOF'
import ansible_test._internal.python_requirements as r, inspect, re
print(' '.join(sorted(set(re.findall(r"pip='([0-9.]+)'", inspect.getsource(r))))))
EOF
)
  mkdir -p ~/.ansible/test/cache
  for v in $version; do cp "$ROOT/tests/tools/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${v//./_}.py"; done
}

# The collection as ansible-test and ansible see it: .../ansible_collections/kubeauth/authentik
collection_tree() {
  local dest=$CACHE/tree/ansible_collections/kubeauth/authentik
  rm -rf "$dest" && mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$dest")
  echo "$dest"
}

stage_sanity() {
  local name bin tree py
  tree=$(collection_tree)
  for name in newest oldest; do
    bin=$(venv "$name")
    offline_get_pip "$bin"
    py=$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "ansible-test sanity with $("$bin/ansible" --version | head -1) on Python $py"
    (cd "$tree" && PATH="$bin:$PATH" "$bin/ansible-test" sanity --color no --python "$py" --requirements \
      --exclude tests/node/go/)
  done
}

stage_lint() {
  local bin tree
  bin=$(venv newest)
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" "$bin/ansible-lint" --profile production --offline)
}

pytest_in() {  # venv-name, pytest args...
  local bin tree
  bin=$(venv "$1"); shift
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" PYTHONPATH="$CACHE/tree:$tree/tests" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" \
    KUBEAUTH_SHARED="${KUBEAUTH_SHARED:-$ROOT/../shared}" "$bin/python" -m pytest -p no:cacheprovider "$@")
}

stage_unit() {
  pytest_in newest -q tests/unit
  pytest_in oldest -q tests/unit
}

stage_contract() {
  pytest_in newest -q tests/contract
}

stage_integration() {
  pytest_in newest -q tests/integration
  pytest_in oldest -q tests/integration -k "2025_10_4 and not slow"
}

stage_node() {
  local bin
  bin=$(venv newest)
  "$bin/python" "$ROOT/tests/node/node.py" build
  pytest_in newest -q -m node tests/node
}

main() {
  local stages=("$@")
  [ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")
  for stage in "${stages[@]}"; do
    say "stage $stage"
    if "stage_$stage"; then PASSED+=("$stage"); else FAILED+=("$stage"); echo "stage $stage FAILED"; fi
  done
  say "summary"
  echo "passed: ${PASSED[*]:-none}"
  echo "failed: ${FAILED[*]:-none}"
  echo "${#PASSED[@]} passed, ${#FAILED[@]} failed"
  [ ${#FAILED[@]} -eq 0 ]
}

main "$@"
