# Shared by tests/run.sh and scripts/demo.sh: interpreters, virtual environments,
# and the collection tree that ansible and ansible-test expect.
# Callers set ROOT (the repository) before sourcing this file.

CACHE=${KUBEAUTH_CACHE:-/var/cache/kubeauth}
NEWEST_CORE='ansible-core>=2.21,<2.22'
OLDEST_CORE='ansible-core>=2.17,<2.18'

say() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }

python_for() {  # newest|oldest -> interpreter path
  # ansible-core 2.21 needs Python 3.12+, 2.17 runs on 3.10-3.12.
  local want=$1 v versions
  if [ "$want" = newest ]; then versions="3.13 3.12 3.14"; else versions="3.11 3.10 3.12"; fi
  for v in $versions; do
    # pyenv's shims answer for versions that are not selected, so try real interpreters first.
    for candidate in "${PYENV_ROOT:-/root/.pyenv}/versions/$v"*/bin/"python$v" "python$v"; do
      if "$candidate" --version >/dev/null 2>&1; then command -v "$candidate"; return; fi
    done
  done
  echo "no Python among $versions for the $want ansible-core: install one (pyenv install ${versions%% *})" >&2
  return 1
}

venv() {  # newest|oldest -> creates/updates $CACHE/venv-<name>, prints its bin dir
  local name=$1 core dir stamp reqs
  if [ "$name" = newest ]; then core=$NEWEST_CORE; else core=$OLDEST_CORE; fi
  dir=$CACHE/venv-$name
  reqs=("$ROOT/tests/requirements.txt")
  [ "$name" = newest ] && reqs+=("$ROOT/tests/requirements-lint.txt")
  stamp=$dir/.stamp-$(cat "${reqs[@]}" <(echo "$core") | sha256sum | cut -c1-16)
  mkdir -p "$CACHE"
  # One maker at a time: jobs of a run (and other runs) that need the same venv wait for it.
  exec {lock}>"$dir.lock"
  flock "$lock"
  if [ ! -f "$stamp" ]; then
    echo "installing $core and ${reqs[*]#"$ROOT/"} into $dir" >&2
    "$(python_for "$name")" -m venv "$dir"
    # One resolution for all of them, so that no tool moves ansible-core out of its range.
    "$dir/bin/pip" install -q --disable-pip-version-check "$core" "${reqs[@]/#/--requirement=}" >&2
    rm -f "$dir"/.stamp-*
    touch "$stamp"
  fi
  exec {lock}>&-
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

# The collection as ansible-test and ansible see it: $TREE_ROOT/ansible_collections/kubeauth/authentik, a copy of
# the work tree's files (each job of a test run has its own TREE_ROOT; ANSIBLE_COLLECTIONS_PATH names it).
TREE_ROOT=${TREE_ROOT:-$CACHE/tree}
collection_tree() {
  local dest=$TREE_ROOT/ansible_collections/kubeauth/authentik
  rm -rf "$dest" && mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$dest")
  echo "$dest"
}

