#!/usr/bin/env bash
# The project's one test command: installs what it needs, then runs the stages.
#
#   bash tests/run.sh            every stage
#   bash tests/run.sh unit sanity
#
# Stages: sanity lint package docs unit contract integration node real
# Virtual environments and build caches live outside the work tree, under
# $KUBEAUTH_CACHE (default /var/cache/kubeauth), and are reused between runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# The reference data (../shared beside the repository unless given): every tool and test below reads it from here.
export KUBEAUTH_SHARED=${KUBEAUTH_SHARED:-$ROOT/../shared}
ALL_STAGES=(sanity lint package docs unit contract integration node real)
FAILED=()
PASSED=()

stage_sanity() {
  local name bin tree py core
  tree=$(collection_tree)
  for name in newest oldest; do
    bin=$(venv "$name")
    offline_get_pip "$bin"
    py=$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    # The whole output, then its first line: `| head -1` closes the pipe early and ansible prints a BrokenPipe traceback.
    core=$("$bin/ansible" --version)
    echo "ansible-test sanity with ${core%%$'\n'*} on Python $py"
    (cd "$tree" && PATH="$bin:$PATH" "$bin/ansible-test" sanity --color no --python "$py" --requirements \
      --exclude tests/node/go/)
  done
}

stage_lint() {
  local bin tree
  bin=$(venv newest)
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" "$bin/ansible-lint" --profile production --offline)
  # Changelog fragments; CHANGELOG.rst is generated from changelogs/changelog.yaml, never edited by hand.
  (cd "$tree" && PATH="$bin:$PATH" antsibull-changelog lint && PATH="$bin:$PATH" antsibull-changelog generate)
  if ! cmp -s "$ROOT/CHANGELOG.rst" "$tree/CHANGELOG.rst"; then
    diff -u "$ROOT/CHANGELOG.rst" "$tree/CHANGELOG.rst" || true
    echo "CHANGELOG.rst differs from what antsibull-changelog generates: change changelogs/ (release notes come from"
    echo "fragments through antsibull-changelog release), then run antsibull-changelog generate"
    return 1
  fi
  # Plugin and role documentation as the docs site renders it, and every reference in docs/docsite/.
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" antsibull-docs lint-collection-docs \
    --plugin-docs --check-extra-docs-refs --validate-collection-refs all --disallow-unknown-collection-refs .)
  echo "antsibull-changelog lint, CHANGELOG.rst, antsibull-docs lint-collection-docs: ok"
}

# The built artifact, installed the way users install it, documents every plugin.
stage_package() {
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
stage_docs() {
  local site=$CACHE/docsite
  if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
    echo "installing Debian's chromium and chromium-driver"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver > /dev/null \
      || { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             chromium chromium-driver > /dev/null; }
  fi
  bash "$ROOT/scripts/build-docs.sh" "$site"
  KUBEAUTH_DOCSITE="$site/build/html" pytest_in newest -q tests/docs
}

pytest_in() {  # venv-name, pytest args...: pytest in a fresh copy of the collection
  local name=$1
  shift
  pytest_in_tree "$name" "$(collection_tree)" "$@"
}

pytest_in_tree() {  # venv-name, collection tree, pytest args...: several of these may share one copy at once
  local bin tree=$2
  bin=$(venv "$1"); shift 2
  (cd "$tree" && PATH="$bin:$PATH" PYTHONPATH="$CACHE/tree:$tree/tests:$tree/tests/node" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" \
    "$bin/python" -m pytest -p no:cacheprovider "$@")
}

stage_unit() {
  pytest_in newest -q tests/unit
  pytest_in oldest -q tests/unit
}

stage_contract() {
  pytest_in newest -q tests/contract
}

stage_integration() {
  # Two workers, a test module per worker (each starts its own stand-ins).
  if [ -n "${REAL_IN_RUN:-}" ]; then
    # Stage real runs this tier against real 2025.10.4 and 2026.2.2 servers (one of them through the older
    # ansible-core): here the stand-in gives the releases that cannot run for real on this machine, and for
    # every release what no real server can (injected faults, the three-cluster playbook, node-side modules).
    pytest_in newest -q -n 2 --dist loadscope tests/integration -k "not (2025_10_4 or 2026_2_2) or throttling or many_clusters"
  else
    # Every emulated release (2024.8.4, 2024.10.5, 2025.10.4, 2026.2.2), then the older ansible-core on one.
    pytest_in newest -q -n 2 --dist loadscope tests/integration
    pytest_in oldest -q -n 2 --dist loadscope tests/integration -k "2025_10_4 and not slow"
  fi
}

stage_node() {
  local bin tree rc=0
  bin=$(venv newest)
  # Builds (or reuses) the Kubernetes binaries, showing progress; a cold build takes ~10 minutes.
  "$bin/python" "$ROOT/tests/node/node.py" build
  # The real kubelogin for the end to end, built from ../shared/vendor once (~1.5 min cold) and cached; says its version.
  "$bin/python" "$ROOT/tests/e2e/kubelogin.py" build >/dev/null
  # The single node (this machine): its tests and the end to end, then molecule's scenarios on it. With stage real
  # in the run, test_e2e.py (site, verify, kubelogin) runs there against real servers instead of the stand-in.
  pytest_in newest -q -m "node and not ha" tests/node tests/e2e ${REAL_IN_RUN:+--deselect tests/e2e/test_e2e.py} || rc=1
  # molecule scenarios of apiserver_oidc (extensions/molecule): create/destroy reuse tests/node/node.py.
  tree=$(collection_tree)
  (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" \
    PYTHONPATH="$tree/tests/node" "$bin/molecule" test --all --exclude ha) || rc=1
  # The HA cluster (tests/node/README.md): three nodes in namespaces behind HAProxy, over SSH. Up once
  # (each stage timed) for every `ha` test and molecule's ha scenario, whose destroy takes it down.
  if "$bin/python" "$ROOT/tests/node/node.py" up --nodes 3; then
    KUBEAUTH_NODE_KEEP=1 pytest_in newest -q -m ha tests/node || rc=1
    (cd "$tree" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CACHE/tree" PYTHONPATH="$tree/tests/node" \
      "$bin/molecule" test -s ha) || rc=1
  else
    rc=1
  fi
  "$bin/python" "$ROOT/tests/node/node.py" down --nodes 3 || rc=1
  # The oldest release the collection supports, against the stand-in; with stage real in the run, against a real
  # authentik there instead (the same tests, one run fewer).
  if [ -z "${REAL_IN_RUN:-}" ]; then oldest_k8s_tier standin || rc=1; fi
  return $rc
}

# The oldest Kubernetes release the collection supports (its v1beta1 AuthenticationConfiguration on a real
# apiserver): the node proof and the end to end on the single node, which the default release's node hands over.
oldest_k8s_tier() {  # authentik for the end to end: standin or real:<version>
  local bin oldest rc=0
  bin=$(venv newest)
  oldest=$(oldest_k8s)
  say "oldest Kubernetes release: $oldest (authentik: $1)"
  "$bin/python" "$ROOT/tests/node/node.py" down || rc=1
  KUBEAUTH_K8S_VERSION=$oldest "$bin/python" "$ROOT/tests/node/node.py" build || rc=1
  KUBEAUTH_K8S_VERSION=$oldest KUBEAUTH_E2E_AUTHENTIK=$1 pytest_in newest -q -m "node and not ha" \
    tests/node/test_node.py tests/e2e/test_e2e.py || rc=1
  KUBEAUTH_K8S_VERSION=$oldest "$bin/python" "$ROOT/tests/node/node.py" down || rc=1
  return $rc
}

oldest_k8s() {  # the oldest Kubernetes release the test node has a Go module for (tests/node/go/vX.Y.Z/)
  (cd "$ROOT/tests/node/go" && ls -d v*/ | tr -d / | sort -V | head -1)
}

# Real authentik servers built from ../shared/authentik/src (tests/authentik): the integration tier, the
# stand-in parity and request-schema checks (tests/real), and the end to end, against each release.
stage_real() {
  local bin version rc=0 started venv up=() pids=()
  bin=$(venv newest)
  # Built and started one after the other (a cold build takes both cores), then up together.
  for version in ${KUBEAUTH_REAL_AUTHENTIK:-2025.10.4 2026.2.2}; do
    say "real authentik $version"
    started=$SECONDS
    if "$bin/python" "$ROOT/tests/authentik/server.py" --version "$version" up; then
      echo "authentik $version built and up in $((SECONDS - started))s"
      up+=("$version")
    else
      rc=1
    fi
  done
  # Every module's tests against each server at once, one worker per server (each server's own access log
  # counts its writes), the first server through the older ansible-core; not the node-side modules, the
  # injected faults or the three-cluster playbook, which have no authentik behaviour of their own to check.
  say "integration against ${up[*]:-no server}"
  # One copy of the collection and both venvs made before the tiers run side by side.
  REAL_TREE=$(collection_tree)
  venv oldest >/dev/null
  venv=oldest
  for version in "${up[@]}"; do
    real_tier "$version" $venv integration -q tests/integration --ignore=tests/integration/test_node_modules.py \
      --ignore=tests/integration/test_throttling.py --ignore=tests/integration/test_many_clusters.py \
      >"$CACHE/real-$version.log" 2>&1 &
    pids+=($!)
    venv=newest
  done
  for index in "${!up[@]}"; do
    wait "${pids[$index]}" || rc=1
    sed "s/^/[${up[$index]}] /" "$CACHE/real-${up[$index]}.log"
  done
  for version in "${up[@]}"; do
    real_tier "$version" newest "parity and request schema" -q tests/real || rc=1
  done
  # The end to end (site twice, verify, the user kubeconfig through the real kubelogin, the managed email mapping
  # refused): the first release on the newest Kubernetes, the last on the oldest, with its node proof.
  for index in "${!up[@]}"; do
    version=${up[$index]}
    say "end to end against authentik $version"
    started=$SECONDS
    if [ "$index" -eq 0 ]; then
      KUBEAUTH_E2E_AUTHENTIK="real:$version" pytest_in newest -q -m node tests/e2e/test_e2e.py || rc=1
    fi
    if [ "$index" -gt 0 ] || [ ${#up[@]} -eq 1 ]; then
      oldest_k8s_tier "real:$version" || rc=1
    fi
    echo "real authentik $version: end to end took $((SECONDS - started))s"
  done
  for version in "${up[@]}"; do
    "$bin/python" "$ROOT/tests/authentik/server.py" --version "$version" down || rc=1
  done
  return $rc
}

real_tier() {  # version, venv, label, pytest args...: one tier against the real server that is up, timed
  local version=$1 venv=$2 label=$3 started=$SECONDS rc=0
  shift 3
  KUBEAUTH_AUTHENTIK_REAL=$version pytest_in_tree "$venv" "$REAL_TREE" "$@" || rc=$?
  echo "real authentik $version: $label took $((SECONDS - started))s (exit $rc, $(venv_core "$venv"))"
  return $rc
}

venv_core() {  # the ansible-core of a venv, for the timings
  "$(venv "$1")/python" -c 'from ansible.release import __version__; print("ansible-core " + __version__)'
}

main() {
  local stages=("$@") rc
  [ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")
  # With stage real in the run, the integration stage leaves the releases that run for real to it.
  if [[ " ${stages[*]} " == *" real "* ]]; then REAL_IN_RUN=1; fi
  for stage in "${stages[@]}"; do
    say "stage $stage"
    # In a subshell with errexit on: inside an `if` condition bash ignores errexit, and a stage would carry on
    # past a failing command and pass on its last one.
    set +e; (set -e; "stage_$stage"); rc=$?; set -e
    if [ $rc -eq 0 ]; then PASSED+=("$stage"); else FAILED+=("$stage"); echo "stage $stage FAILED"; fi
  done
  say "summary"
  echo "passed: ${PASSED[*]:-none}"
  echo "failed: ${FAILED[*]:-none}"
  echo "${#PASSED[@]} passed, ${#FAILED[@]} failed"
  [ ${#FAILED[@]} -eq 0 ]
}

main "$@"
