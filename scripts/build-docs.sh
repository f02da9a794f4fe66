#!/usr/bin/env bash
# Builds the documentation site the way Ansible's collection docs are built (antsibull-docs, then Sphinx):
# a page per module, filter and role from their own documentation, and the guides of docs/docsite/.
#
#   bash scripts/build-docs.sh [DEST]      the HTML lands in DEST/build/html (default $KUBEAUTH_CACHE/docsite)
#
# Fails on any Sphinx warning: a broken reference, a bad option name in a guide, a plugin doc that does not parse.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
dest=${1:-$CACHE/docsite}
bin=$(venv newest)
collection_tree > /dev/null
export PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$TREE_ROOT"

rm -rf "$dest" && mkdir -p "$dest"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$dest" \
  --project kubeauth.authentik --copyright 'kubeauth.authentik contributors' --title 'kubeauth.authentik' \
  kubeauth.authentik > /dev/null
cat "$ROOT/scripts/docs-conf.py" >> "$dest/conf.py"
# build.sh (written by sphinx-init): antsibull-docs collection into rst/, then sphinx-build -W --keep-going.
(cd "$dest" && bash build.sh)
echo "docs site: $dest/build/html/index.html"
