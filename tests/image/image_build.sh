#!/usr/bin/env bash
# Builds the environment image daemonless (environment/build-image.sh) from the built binaries,
# checks its size target and config, and unpacks it (umoci) for the other image tests.
source "$(dirname "$0")/common.sh"
require_image_tools mmdebstrap umoci jq readelf

rm -rf "$AMLOPS_IMAGE_DIR"
mkdir -p "$AMLOPS_IMAGE_DIR"
"$AMLOPS_SOURCE_DIR/environment/build-image.sh" --bin-dir "$AMLOPS_BIN_DIR" --output "$layout" --tag "$image_tag" \
  --cache-dir "$AMLOPS_IMAGE_CACHE" > "$AMLOPS_IMAGE_DIR/build.json"
jq . "$AMLOPS_IMAGE_DIR/build.json" >&2

size=$(jq '.result.size_uncompressed_bytes' "$AMLOPS_IMAGE_DIR/build.json")
limit=$((150 * 1000 * 1000))
(( size <= limit )) || fail "image is $size bytes uncompressed, over the 150 MB target"

manifest_digest=$(jq -r '.result.manifest_digest' "$AMLOPS_IMAGE_DIR/build.json")
manifest="$layout/blobs/sha256/${manifest_digest#sha256:}"
config="$layout/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)"
[[ $(jq -r '.config.Cmd | join(" ")' "$config") == "aml-predict serve" ]] || fail "image command: $(jq -c .config.Cmd "$config")"
jq -e '.config.ExposedPorts["5001/tcp"]' "$config" >/dev/null || fail "port 5001/tcp is not exposed"
[[ $(jq '.layers | length' "$manifest") -eq 2 ]] || fail "expected 2 layers (base, binaries)"
# The port the environment YAML declares for all three routes is the one the image exposes.
for route in liveness_route readiness_route scoring_route; do
  grep -A2 "^  $route:" "$AMLOPS_SOURCE_DIR/environment/amlops-cpp.yaml" | grep -q "port: 5001" \
    || fail "amlops-cpp.yaml: $route does not use port 5001"
done

umoci unpack --image "$layout:$image_tag" "$AMLOPS_IMAGE_DIR/bundle" >&2
require_namespaces
for b in "$AMLOPS_BIN_DIR"/aml-*; do
  [[ -x "$rootfs/usr/local/bin/$(basename "$b")" ]] || fail "$(basename "$b") is missing from the image"
done
# No documentation or translations slipped through the dpkg filters.
[[ -z "$(find "$rootfs/usr/share/man" "$rootfs/usr/share/locale" -type f 2>/dev/null | head -1)" ]] || fail "man pages or locales in the image"
# Every binary starts inside the image (all its libraries are there): --help, which every tool
# answers with exit 0 (--version is still a model version on some tools, see docs/CLI.md work).
for b in "$rootfs"/usr/local/bin/aml-*; do
  in_image "/usr/local/bin/$(basename "$b")" --help >/dev/null || fail "$(basename "$b") --help fails inside the image"
done
# A binary needing a library the image lacks is refused before anything is written: jq links
# libjq, which no runtime package provides. The existing layout stays as it was.
mkdir -p "$AMLOPS_IMAGE_DIR/foreign-bin"
cp "$(command -v jq)" "$AMLOPS_IMAGE_DIR/foreign-bin/aml-jq"
before=$(sha256sum "$layout/index.json")
status=0
"$AMLOPS_SOURCE_DIR/environment/build-image.sh" --bin-dir "$AMLOPS_IMAGE_DIR/foreign-bin" --output "$layout" \
  --tag "$image_tag" --cache-dir "$AMLOPS_IMAGE_CACHE" > /dev/null 2> "$AMLOPS_IMAGE_DIR/foreign.err" || status=$?
[[ $status -eq 1 ]] || fail "a binary with a missing library: exit $status, expected 1"
grep -q "lack libjq" "$AMLOPS_IMAGE_DIR/foreign.err" || fail "the error does not name libjq: $(cat "$AMLOPS_IMAGE_DIR/foreign.err")"
[[ "$(sha256sum "$layout/index.json")" == "$before" ]] || fail "the failed build changed the existing layout"
log "image ok: $size bytes uncompressed"
