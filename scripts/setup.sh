#!/usr/bin/env bash
# Installs the Debian 12 packages amlops builds with (when missing), then configures and builds.
# Usage: scripts/setup.sh [--sanitize] [--tests] [--build-dir DIR]
#   --tests  also install what only the test suite uses (clang + libFuzzer for the fuzz test)
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

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DAMLOPS_SANITIZE="$sanitize" >&2
fi
cmake --build "$build_dir" -j"$(nproc)" >&2
echo "$build_dir"
