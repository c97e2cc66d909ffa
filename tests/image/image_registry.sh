#!/usr/bin/env bash
# Pushes the image (environment/build-image.sh --push, i.e. skopeo) to a local registry (Debian's
# docker-registry on 127.0.0.1, a temporary config and storage) and pulls it back with skopeo: the
# manifest digest and every blob (config and layers) must come back byte-identical.
source "$(dirname "$0")/common.sh"
require_image_tools skopeo docker-registry jq cmp mmdebstrap umoci readelf
[[ -f "$layout/index.json" ]] || skip "no image layout at $layout (the image_build test did not run or skipped)"

dir="$AMLOPS_IMAGE_DIR/registry-test"
rm -rf "$dir"
mkdir -p "$dir/storage"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

# A free loopback port: try a few random ones (the registry exits at once when the bind fails).
port=""
for _ in $(seq 1 10); do
  candidate=$((20000 + RANDOM % 30000))
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$candidate
YAML
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] && break
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
[[ -n "$port" ]] || { cat "$dir/registry.log" >&2; fail "the local registry did not start"; }
ref="127.0.0.1:$port/amlops-cpp:$image_tag"

# The push goes through build-image.sh --push, rebuilding from the same binaries into another
# layout (base layer cached): the rebuild must be the very same image, digest for digest.
"$AMLOPS_SOURCE_DIR/environment/build-image.sh" --bin-dir "$AMLOPS_BIN_DIR" --output "$dir/rebuilt" --tag "$image_tag" \
  --cache-dir "$AMLOPS_IMAGE_CACHE" --push "$ref" --insecure > "$dir/push.json"
jq -r '.result.pushed.digest' "$dir/push.json" > "$dir/pushed.digest"
[[ $(jq -r '.result.manifest_digest' "$dir/push.json") == $(jq -r '.manifests[0].digest' "$layout/index.json") ]] \
  || fail "rebuilding from the same binaries gave another image: $(jq -r '.result.manifest_digest' "$dir/push.json")"
skopeo copy --quiet --preserve-digests --src-tls-verify=false "docker://$ref" "oci:$dir/pulled:$image_tag" >&2

local_digest=$(jq -r '.manifests[0].digest' "$layout/index.json")
pulled_digest=$(jq -r '.manifests[0].digest' "$dir/pulled/index.json")
remote_digest=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | sha256sum | cut -d' ' -f1)
[[ "$(cat "$dir/pushed.digest")" == "$local_digest" ]] || fail "pushed digest $(cat "$dir/pushed.digest") != local $local_digest"
[[ "sha256:$remote_digest" == "$local_digest" ]] || fail "registry manifest sha256:$remote_digest != local $local_digest"
[[ "$pulled_digest" == "$local_digest" ]] || fail "pulled manifest $pulled_digest != local $local_digest"
manifest="blobs/sha256/${local_digest#sha256:}"
blobs=("$manifest")
while read -r d; do blobs+=("blobs/sha256/${d#sha256:}"); done < <(jq -r '.config.digest, .layers[].digest' "$layout/$manifest")
for b in "${blobs[@]}"; do
  cmp "$layout/$b" "$dir/pulled/$b" || fail "blob $b differs after the round trip"
done
log "push/pull through $ref: manifest $local_digest and ${#blobs[@]} blobs identical"
