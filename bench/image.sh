#!/usr/bin/env bash
# Environment image benchmark: builds the amlops image daemonless (environment/build-image.sh)
# and reports its uncompressed and compressed size next to the documented size of an Azure ML
# curated Python training image, and the build time, cold (base root filesystem downloaded with
# mmdebstrap) and warm (base cached, only the binaries layer and the OCI image redone). See
# bench/README.md, "Environment image".
#
#   bench/image.sh [--build-dir DIR] [--warm-only] [--work DIR]
#
# Not a test: run it by hand (as root, with scripts/setup.sh --tests' image tools). Prints a
# table and writes bench/results/image.json (git-ignored).
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-bench-image"
warm_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --warm-only) warm_only=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "image.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Azure ML's curated scikit-learn training image (sklearn-1.1-ubuntu20.04-py38-cpu): 2.89 GB,
# as stated by its maintainers in the review of Azure/azureml-assets pull request 369 (source in
# bench/README.md). The curated images are the baseline a user would otherwise run the steps in.
curated_name="AzureML sklearn-1.1-ubuntu20.04-py38-cpu (curated)"
curated_bytes=2890000000

rm -rf "$work"
mkdir -p "$work" "$bench/results"
run_build() {  # $1: cache dir; prints the build JSON
  "$root/environment/build-image.sh" --bin-dir "$build_dir/bin" --output "$work/oci" --cache-dir "$1"
}
cold_ms=null
if [[ $warm_only -eq 0 ]]; then
  echo "== cold build (fresh cache: mmdebstrap downloads the Debian packages)" >&2
  run_build "$work/cold-cache" > "$work/cold.json"
  cold_ms=$(jq '.result.build_ms' "$work/cold.json")
  cache="$work/cold-cache"
else
  cache="$build_dir/image-cache"
fi
echo "== warm build (base root filesystem cached)" >&2
run_build "$cache" > "$work/warm.json"
# With --warm-only and an empty cache the "warm" build was really cold: say so.
[[ $(jq '.result.base_cached' "$work/warm.json") == true ]] || { cold_ms=$(jq '.result.build_ms' "$work/warm.json"); }
warm_ms=$(jq '.result.build_ms' "$work/warm.json")
size=$(jq '.result.size_uncompressed_bytes' "$work/warm.json")
compressed=$(jq '.result.size_compressed_bytes' "$work/warm.json")

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
printf '\n%-52s %14s %14s\n' image uncompressed compressed
printf '%-52s %14s %14s\n' "amlops-cpp (Debian 12 runtime + aml-* binaries)" "$(mb "$size")" "$(mb "$compressed")"
printf '%-52s %14s %14s\n' "$curated_name" "$(mb "$curated_bytes")" "?"
awk -v a="$size" -v c="$curated_bytes" 'BEGIN { printf "ratio: the amlops image is %.1f%% of the curated image (%.0fx smaller)\n", 100*a/c, c/a }'
[[ "$cold_ms" != null ]] && printf 'build: cold %.1f s (mmdebstrap + umoci), ' "$(echo "$cold_ms" | awk '{print $1/1000}')"
printf 'warm %.1f s (base cached)\n' "$(echo "$warm_ms" | awk '{print $1/1000}')"
target_size=$((150 * 1000 * 1000))
jq -n --argjson size "$size" --argjson compressed "$compressed" --argjson curated "$curated_bytes" \
  --arg curated_name "$curated_name" --argjson cold "$cold_ms" --argjson warm "$warm_ms" \
  --argjson target "$target_size" --arg commit "$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson cpus "$(nproc)" \
  '{image: {size_uncompressed_bytes: $size, size_compressed_bytes: $compressed},
    baseline: {name: $curated_name, size_bytes: $curated, ratio: ($size / $curated)},
    build_ms: {cold: $cold, warm: $warm},
    targets: {size_le_150mb: (if $size <= $target then "pass" else "miss" end),
              build_le_3min: (if $cold == null then "n/a" elif $cold <= 180000 then "pass" else "miss" end)},
    commit: $commit, cpus: $cpus, load_average: $load}' | tee "$bench/results/image.json"
