#!/usr/bin/env bash
# Installs the Debian 12 packages amlops builds with (when missing), then configures and builds.
# Usage: scripts/setup.sh [--sanitize] [--tests] [--build-dir DIR]
#   --tests  also install what only the test suite uses (clang + libFuzzer for the fuzz test,
#            npm tools under .tools/node: Prism, Azurite)
# Idempotent: a machine that has everything only pays for an incremental build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
sanitize=OFF
with_test_tools=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) sanitize=ON; build_dir="$root/build-asan"; shift ;;
    --tests) with_test_tools=1; shift ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    *) echo "setup.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Build and test dependencies. xgboost (the CLI) is needed because libxgboost-dev's CMake targets
# file references bin/xgboost. python3-xgboost is deliberately absent: it pulls Boost 1.74 headers.
packages=(
  build-essential cmake ninja-build git pkg-config
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  libssl-dev openssl ca-certificates libxgboost-dev xgboost libyaml-cpp-dev libsqlite3-dev catch2 jq
)
if [[ $with_test_tools -eq 1 ]]; then
  packages+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm tools the tests use, pinned, in a project-local prefix (gitignored) so nothing global
# changes: $root/.tools/node/node_modules/.bin/<bin>. Every package is saved (exact version) in
# that prefix's package.json, so installing one never prunes another. Skips what is present.
npm_prefix="$root/.tools/node"
npm_tool() {  # npm_tool PACKAGE VERSION BIN
  local package="$1" version="$2" bin="$3" installed
  installed=$(node -p "require('$npm_prefix/node_modules/$package/package.json').version" 2>/dev/null || true)
  [[ "$installed" == "$version" && -x "$npm_prefix/node_modules/.bin/$bin" ]] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
  echo "setup: installing $package@$version into $npm_prefix" >&2
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --save-exact --no-audit --no-fund "$package@$version" >&2
}
if [[ $with_test_tools -eq 1 ]]; then
  # Prism validates the Azure REST requests against the published specs (tests/prism).
  # 5.14.2: newer releases (5.15+, 5.16) declare Node >= 24; Debian 12 ships Node 18.
  npm_tool @stoplight/prism-cli 5.14.2 prism
  # Azurite is the blob storage of the Azure backend tests (tests/emulator, CTest fixture
  # "azurite"). 3.35.0: the newest release whose engines field still admits Debian 12's Node 18.
  npm_tool azurite 3.35.0 azurite-blob
fi

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DAMLOPS_SANITIZE="$sanitize" >&2
fi
cmake --build "$build_dir" -j"$(nproc)" >&2
echo "$build_dir"
