#!/usr/bin/env bash
# Cuts the release that galaxy.yml names: antsibull-changelog release moves changelogs/fragments/ into
# changelogs/changelog.yaml and writes CHANGELOG.rst, with the modules, plugins and roles whose version_added
# is this version listed as new. Never edit CHANGELOG.rst by hand (the lint stage compares it with the generated one).
#
#   bash scripts/release.sh [--date YYYY-MM-DD]
#
# Then review and commit, build with `ansible-galaxy collection build`, and raise the version in galaxy.yml.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
bin=$(venv newest)
# antsibull-changelog asks ansible-doc about the collection, which must sit in an ansible_collections tree.
link=$(mktemp -d)
trap 'rm -rf "$link"' EXIT
mkdir -p "$link/ansible_collections/kubeauth"
ln -s "$ROOT" "$link/ansible_collections/kubeauth/authentik"
cd "$link/ansible_collections/kubeauth/authentik"
PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$link" antsibull-changelog release "$@"
echo "release notes of $(sed -n 's/^version: //p' "$ROOT/galaxy.yml") written: review CHANGELOG.rst and changelogs/changelog.yaml"
