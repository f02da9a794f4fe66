#!/usr/bin/env bash
# The project's one test command: installs what it needs, then runs the stages side by side.
#
#   bash tests/run.sh              every stage (what CI runs)
#   bash tests/run.sh quick        the edit loop: sanity of the changed files (newest ansible-core), lint, unit,
#                                  contract and the stand-in integration of one release (KUBEAUTH_QUICK_RELEASE)
#   bash tests/run.sh unit sanity  selected stages (and what they need: virtual environments, builds, servers)
#
# Stages: sanity lint package docs unit contract integration node ha real e2e (real: real-2025.10.4 and
# real-2026.2.2, one per server; e2e: e2e-newest and e2e-oldest, one per Kubernetes release)
# tests/pipeline/plan.py says what each stage needs and shares; tests/pipeline runs them, each with its own log
# under $KUBEAUTH_CACHE/runs/, and ends with each one's time and the total. Each stage below does the same
# whichever other stages run. Virtual environments and build caches live outside the work tree, under
# $KUBEAUTH_CACHE (default /var/cache/kubeauth), and are reused between runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# The reference data (../shared beside the repository unless given): every tool and test below reads it from here.
export KUBEAUTH_SHARED=${KUBEAUTH_SHARED:-$ROOT/../shared}
# The stand-in release of the quick lane's integration.
QUICK_RELEASE=${KUBEAUTH_QUICK_RELEASE:-2025.10.4}

# ---------------------------------------------------------------- prerequisites
job_venv_newest() { offline_get_pip "$(venv newest)"; venv_core newest; }
job_venv_oldest() { offline_get_pip "$(venv oldest)"; venv_core oldest; }

# The real kubelogin for the end to end, built from ../shared/vendor once (~1.5 min cold) and cached.
job_kubelogin() { "$(venv newest)/python" "$ROOT/tests/e2e/kubelogin.py" build; }

# The Kubernetes binaries of the test nodes (a cold build takes ~10 minutes of both cores).
job_k8s() { "$(venv newest)/python" "$ROOT/tests/node/node.py" build; }
job_k8s_oldest() { KUBEAUTH_K8S_VERSION=$(oldest_k8s) "$(venv newest)/python" "$ROOT/tests/node/node.py" build; }

# Real authentik servers built from ../shared/authentik/src (tests/authentik; cold ~5 minutes each), left up for
# the stages that use them; the run takes down at its end those it brought up (not one somebody else had up).
authentik_up() {  # version
  local server=(env PYTHONPATH="$ROOT/tests" "$(venv newest)/python" -m authentik.server --version "$1")
  if "${server[@]}" status | grep -q '"up": true'; then
    echo "authentik $1 was already up: used as it is and left up at the end of the run"
    touch "$RUN_DIR/authentik-$1.was-up"
  fi
  "${server[@]}" up
}
job_authentik_2025_10_4() { authentik_up 2025.10.4; }
job_authentik_2026_2_2() { authentik_up 2026.2.2; }

# apt-get that waits for the other jobs' (the same lock as tests/node's and tests/authentik's APT_GET) and dpkg's.
apt_get() { DEBIAN_FRONTEND=noninteractive flock --timeout 1800 /run/lock/kubeauth-apt.lock apt-get -o DPkg::Lock::Timeout=600 "$@"; }

job_chromium() {
  if command -v chromium > /dev/null && command -v chromedriver > /dev/null; then chromium --version; return; fi
  echo "installing Debian's chromium and chromium-driver"
  apt_get install -y -q --no-install-recommends chromium chromium-driver > /dev/null \
    || { apt_get update -q > /dev/null && apt_get install -y -q --no-install-recommends chromium chromium-driver > /dev/null; }
  chromium --version
}

# ----------------------------------------------------------------------- stages
sanity_with() {  # venv name, targets...: ansible-test sanity with that venv's ansible-core
  local name=$1 bin py core tree
  shift
  bin=$(venv "$name")
  tree=$(collection_tree)
  py=$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  core=$("$bin/ansible" --version)
  echo "ansible-test sanity with ${core%%$'\n'*} on Python $py ${*:+on $*}"
  (cd "$tree" && PATH="$bin:$PATH" "$bin/ansible-test" sanity --color no --python "$py" --requirements \
    --exclude tests/node/go/ "$@")
}

job_sanity() { sanity_with newest; sanity_with oldest; }

# The files changed against the branch point with main, committed or not (the quick lane's scope).
changed_files() {
  local base
  base=$(git -C "$ROOT" merge-base HEAD "${KUBEAUTH_QUICK_BASE:-main}" 2>/dev/null || git -C "$ROOT" rev-parse HEAD)
  { git -C "$ROOT" diff --name-only "$base"; git -C "$ROOT" ls-files -o --exclude-standard; } \
    | sort -u | grep -v '^tests/node/go/' | while read -r f; do [ -f "$ROOT/$f" ] && echo "$f"; done
}

job_sanity_changed() {
  local files=()
  mapfile -t files < <(changed_files)
  if [ ${#files[@]} -eq 0 ]; then echo "no file changed since the branch point with main"; return; fi
  sanity_with newest "${files[@]}"
}

job_lint() {
  local bin tree
  bin=$(venv newest)
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" "$bin/ansible-lint" --profile production --offline)
  # Changelog fragments; CHANGELOG.rst is generated from changelogs/changelog.yaml, never edited by hand.
  (cd "$tree" && PATH="$bin:$PATH" antsibull-changelog lint && PATH="$bin:$PATH" antsibull-changelog generate)
  if ! cmp -s "$ROOT/CHANGELOG.rst" "$tree/CHANGELOG.rst"; then
    diff -u "$ROOT/CHANGELOG.rst" "$tree/CHANGELOG.rst" || true
    echo "CHANGELOG.rst differs from what antsibull-changelog generates: change changelogs/ (release notes come from"
    echo "fragments through antsibull-changelog release), then run antsibull-changelog generate"
    return 1
  fi
  # Plugin and role documentation as the docs site renders it, and every reference in docs/docsite/.
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" antsibull-docs lint-collection-docs \
    --plugin-docs --check-extra-docs-refs --validate-collection-refs all --disallow-unknown-collection-refs .)
  echo "antsibull-changelog lint, CHANGELOG.rst, antsibull-docs lint-collection-docs: ok"
}

# The built artifact, installed the way users install it, documents every plugin.
job_package() {
  local bin out plugin
  bin=$(venv newest)
  out=$(mktemp -d)
  (cd "$ROOT" && "$bin/ansible-galaxy" collection build --output-path "$out")
  "$bin/ansible-galaxy" collection install -p "$out/installed" "$out"/kubeauth-authentik-*.tar.gz
  for plugin in "$ROOT"/plugins/modules/*.py; do
    plugin=$(basename "$plugin" .py)
    ANSIBLE_COLLECTIONS_PATH="$out/installed" "$bin/ansible-doc" "kubeauth.authentik.$plugin" > /dev/null
    echo "ansible-doc kubeauth.authentik.$plugin: ok"
  done
  for plugin in jwt_segment kubeadm_apiserver id_token_problems; do
    ANSIBLE_COLLECTIONS_PATH="$out/installed" "$bin/ansible-doc" -t filter "kubeauth.authentik.$plugin" > /dev/null
    echo "ansible-doc -t filter kubeauth.authentik.$plugin: ok"
  done
  rm -rf "$out"
  # The execution environment: ansible-builder's build context, and its galaxy and builder stages' commands.
  pytest_in newest -q tests/package
}

# The documentation site, built as Ansible's collection docs are (scripts/build-docs.sh: antsibull-docs, Sphinx),
# then opened page by page in Debian's headless Chromium (tests/docs).
job_docs() {
  local site=$RUN_DIR/docsite
  bash "$ROOT/scripts/build-docs.sh" "$site"
  KUBEAUTH_DOCSITE="$site/build/html" pytest_in newest -q tests/docs
}

# The collection's units on both ansible-core releases; the test run's own plan and locks once.
job_unit() { pytest_in newest -q tests/unit tests/pipeline; pytest_in oldest -q tests/unit; }
job_unit_newest() { pytest_in newest -q tests/unit tests/pipeline; }

job_contract() { pytest_in newest -q tests/contract; }

# Every module against the stand-in, two workers, a test module per worker (each starts its own stand-ins): the
# releases that cannot run for real here (2024.8.4, 2024.10.5), and on every release what no real server can give
# (injected faults, the three-cluster playbook) and the node-side modules. Stage real runs the rest against real
# 2025.10.4 and 2026.2.2 servers.
job_integration() {
  pytest_in newest -q -n 2 --dist loadscope --durations=10 tests/integration \
    -k "not (2025_10_4 or 2026_2_2) or throttling or many_clusters"
}

# One release (KUBEAUTH_QUICK_RELEASE) against the stand-in: the role's own run, and the tests of what changed (a
# changed plugins/modules/X.py brings tests/integration/test_X.py, a changed test file itself).
job_integration_one() {
  local f name files=(tests/integration/test_authentik_oidc_role.py)
  while read -r f; do
    case $f in
      plugins/modules/*.py) name=$(basename "$f" .py); name=tests/integration/test_${name%_info}.py ;;
      tests/integration/test_*.py) name=$f ;;
      *) continue ;;
    esac
    [ -f "$ROOT/$name" ] && [[ " ${files[*]} " != *" $name "* ]] && files+=("$name")
  done < <(changed_files)
  echo "integration against the stand-in of authentik $QUICK_RELEASE: ${files[*]}"
  pytest_in newest -q -n 2 --dist loadfile "${files[@]}" -k "${QUICK_RELEASE//./_} or not (2024_ or 2025_ or 2026_)"
}

# The single node (this machine), Kubernetes 1.37.2: its proof, the role's faults, the end-to-end tests that need
# the stand-in (kubelogin, the dry run on an empty authentik, who may log in, verify's diagnoses), then molecule's
# scenarios of apiserver_oidc (extensions/molecule; create/destroy reuse tests/node/node.py).
job_node() {
  local bin tree rc=0
  bin=$(venv newest)
  pytest_in newest -q --durations=15 -m "node and not ha" tests/node tests/e2e --deselect tests/e2e/test_e2e.py \
    --deselect tests/e2e/test_device_login.py || rc=1
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" \
    PYTHONPATH="$tree/tests/node" "$bin/molecule" test --all --exclude ha) || rc=1
  return $rc
}

# The HA cluster (tests/node/README.md): three nodes in namespaces behind HAProxy, over SSH. Up once (each stage
# timed) for every `ha` test and molecule's ha scenario, whose destroy takes it down.
job_ha() {
  local bin tree rc=0
  bin=$(venv newest)
  tree=$(collection_tree)
  if "$bin/python" "$ROOT/tests/node/node.py" up --nodes 3; then
    KUBEAUTH_NODE_KEEP=1 pytest_in_tree newest "$tree" -q --durations=10 -m ha tests/node || rc=1
    (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" PYTHONPATH="$tree/tests/node" \
      "$bin/molecule" test -s ha) || rc=1
  else
    rc=1
  fi
  "$bin/python" "$ROOT/tests/node/node.py" down --nodes 3 || rc=1
  return $rc
}

# Real authentik servers (job authentik-<version>), one job each: the integration tier, then the stand-in compared
# with the server request by request and the requests validated against the release's schema. 2025.10.4 through
# the oldest ansible-core, 2026.2.2 through the newest. Not the node-side modules, the injected faults or the
# three-cluster playbook: stage integration runs those.
real_job() {  # version, venv of the integration tier
  local rc=0 tree version=$1 venv=$2
  tree=$(collection_tree)
  real_tier "$version" "$venv" "$tree" integration -q --durations=10 tests/integration \
    --ignore=tests/integration/test_node_modules.py --ignore=tests/integration/test_throttling.py \
    --ignore=tests/integration/test_many_clusters.py || rc=1
  real_tier "$version" newest "$tree" "parity and request schema" -q tests/real || rc=1
  return $rc
}
# The test modules that name their release (VERSIONS: the role's runs, bad input, the claims check) run against
# 2025.10.4 only (tests/integration/conftest.py); the role meets real 2026.2.2 end to end, in e2e-oldest.
job_real_2025_10_4() { real_job 2025.10.4 oldest; }
job_real_2026_2_2() { real_job 2026.2.2 newest; }

real_tier() {  # version, venv, tree, label, pytest args...: one tier against the real server that is up, timed
  local version=$1 venv=$2 tree=$3 label=$4 started=$SECONDS rc=0
  shift 4
  KUBEAUTH_AUTHENTIK_REAL=$version pytest_in_tree "$venv" "$tree" --basetemp="$RUN_DIR/pytest-$version" "$@" || rc=$?
  echo "real authentik $version: $label took $((SECONDS - started))s (exit $rc, $(venv_core "$venv"))"
  return $rc
}

# The end to end against real authentik servers (site twice, verify, the user kubeconfig through the real
# kubelogin, rollback, the managed email mapping refused; the device code login through kubectl, its cache and
# refresh, a refused person): 2025.10.4 on the default Kubernetes release (e2e-newest); 2026.2.2 on the oldest
# release the collection supports (e2e-oldest: its v1beta1 AuthenticationConfiguration), after that release's
# node proof and the merge into an existing AuthenticationConfiguration there (no anonymous section before 1.31).
job_e2e_newest() {
  local rc=0
  KUBEAUTH_E2E_AUTHENTIK=real:2025.10.4 pytest_in newest -q --durations=10 -m node tests/e2e/test_e2e.py \
    tests/e2e/test_device_login.py || rc=1
  "$(venv newest)/python" "$ROOT/tests/node/node.py" down || rc=1
  return $rc
}

job_e2e_oldest() {
  local rc=0 oldest
  oldest=$(oldest_k8s)
  KUBEAUTH_K8S_VERSION=$oldest KUBEAUTH_E2E_AUTHENTIK=real:2026.2.2 pytest_in newest -q --durations=10 \
    -m "node and not ha" tests/node/test_node.py tests/node/test_authn_config_merge.py \
    tests/node/test_apiserver_oidc_reload.py tests/e2e/test_e2e.py tests/e2e/test_device_login.py || rc=1
  KUBEAUTH_K8S_VERSION=$oldest "$(venv newest)/python" "$ROOT/tests/node/node.py" down || rc=1
  return $rc
}

# ---------------------------------------------------------------------- helpers
pytest_in() {  # venv-name, pytest args...: pytest in this job's copy of the collection
  local name=$1
  shift
  pytest_in_tree "$name" "$(collection_tree)" "$@"
}

pytest_in_tree() {  # venv-name, collection tree, pytest args...: several of these may share one copy at once
  local bin tree=$2
  bin=$(venv "$1"); shift 2
  (cd "$tree" && PATH="$bin:$PATH" PYTHONPATH="$TREE_ROOT:$tree/tests:$tree/tests/node" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT" \
    "$bin/python" -m pytest -p no:cacheprovider "$@")
}

venv_core() {  # the ansible-core of a venv
  "$(venv "$1")/python" -c 'from ansible.release import __version__; print("ansible-core " + __version__)'
}

oldest_k8s() {  # the oldest Kubernetes release the test node has a Go module for (tests/node/go/vX.Y.Z/)
  (cd "$ROOT/tests/node/go" && ls -d v*/ | tr -d / | sort -V | head -1)
}

# ------------------------------------------------------------------------- main
if [ "${1:-}" = --job ]; then
  # One job of the plan, as tests/pipeline runs it: its own tree of the collection, the run's directory.
  RUN_DIR=${KUBEAUTH_RUN_DIR:?--job runs under tests/pipeline (bash tests/run.sh)}
  export TREE_ROOT=${KUBEAUTH_TREE_ROOT:?}
  fn="job_${2//[-.]/_}"
  declare -F "$fn" > /dev/null || { echo "tests/run.sh: no job $2" >&2; exit 2; }
  echo "job $2 ($(date +%H:%M:%S))"
  "$fn"
  exit
fi
export KUBEAUTH_ROOT=$ROOT KUBEAUTH_CACHE=$CACHE
PYTHONPATH="$ROOT/tests:$ROOT/tests/node" exec python3 -m pipeline "$@"
