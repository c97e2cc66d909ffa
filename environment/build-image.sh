#!/usr/bin/env bash
# Builds the amlops environment image (azureml:amlops-cpp) WITHOUT a Docker daemon, from binaries
# that are already built, into an OCI image layout; optionally pushes it with skopeo.
#   layer 1: a minimal Debian 12 root filesystem made by mmdebstrap (Essential packages plus
#            environment/runtime-packages.txt, no docs/man/locales), cached under --cache-dir by
#            the hash of everything that defines it, so a rebuild only redoes layer 2;
#   layer 2: the stripped aml-* binaries in /usr/local/bin;
#   config:  CMD aml-predict serve, port 5001 (the inference_config of amlops-cpp.yaml), PATH.
# environment/Dockerfile describes the same image for people who build with Docker.
#
# Usage: environment/build-image.sh [--bin-dir DIR] [--output DIR] [--tag TAG] [--cache-dir DIR]
#                                   [--mirror URI] [--push REF [--insecure]]
#   --bin-dir    the built aml-* binaries (default build/bin)
#   --output     the OCI layout to write (default build/image/oci); replaced only when complete
#   --tag        image tag inside the layout (default 1)
#   --cache-dir  where the base root filesystem tarball is cached (default build/image-cache)
#   --mirror     Debian mirror (default http://deb.debian.org/debian)
#   --push REF   then copy the image to docker://REF (e.g. myacr.azurecr.io/amlops-cpp:1) with
#                its digests preserved; --insecure allows plain HTTP (a loopback test registry)
# Needs root (mmdebstrap's root mode), mmdebstrap, umoci, jq, readelf; skopeo for --push.
# Prints one JSON result on stdout, logs on stderr. Exit 0 ok, 1 failure, 2 usage/missing tool.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_dir="$root/environment"
bin_dir="$root/build/bin"
output="$root/build/image/oci"
tag=1
cache_dir="$root/build/image-cache"
mirror="http://deb.debian.org/debian"
push_ref=""
insecure=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --cache-dir) cache_dir="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    --push) push_ref="$2"; shift 2 ;;
    --insecure) insecure=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
fail() { log "$1"; exit "${2:-1}"; }

needed_tools=(mmdebstrap umoci jq readelf tar sha256sum)
[[ -n "$push_ref" ]] && needed_tools+=(skopeo)
for t in "${needed_tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || fail "'$t' is not installed (scripts/setup.sh --tests installs the image tools)" 2
done
[[ $(id -u) -eq 0 ]] || fail "run as root: mmdebstrap builds the root filesystem in root mode" 2
shopt -s nullglob
binaries=("$bin_dir"/aml-*)
shopt -u nullglob
[[ ${#binaries[@]} -gt 0 ]] || fail "no aml-* binaries in $bin_dir (build first: scripts/setup.sh)" 2

start_ns=$(date +%s%N)
mkdir -p "$cache_dir" "$(dirname "$output")"
work="$(mktemp -d "$(dirname "$output")/.build-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Package names: the list file without comments and blank lines.
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]//g' "$env_dir/runtime-packages.txt")
suite=bookworm
# Timestamps inside the base layer: the commit that last changed its package list (stable
# across commits that do not touch it), so equal inputs give an equal layer where Debian allows.
base_epoch=$(git -C "$root" log -1 --format=%ct -- environment/runtime-packages.txt 2>/dev/null || true)
base_epoch=${base_epoch:-0}
mmdebstrap_args=(--variant=essential --mode=root --format=tar --aptopt='Acquire::Retries "3"'
                 "--include=$(IFS=,; echo "${packages[*]}")")
while IFS= read -r filter; do mmdebstrap_args+=("--dpkgopt=$filter"); done \
  < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$env_dir/dpkg-excludes.cfg")
# Bookworm's Essential set resolves init-system-helpers' "usrmerge | usr-is-merged" to usrmerge
# (a one-off /usr conversion tool) before --include is seen, and usrmerge pulls in perl: about
# 47 MB that nothing at run time uses. usr-is-merged (included) keeps the dependency satisfied.
mmdebstrap_args+=(--customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36 >&2')
# Everything that defines the base layer is in its cache key; a new Debian point release does
# not change it (delete the cache to pick up security updates).
key=$(printf '%s\n' "$suite" "$mirror" "$base_epoch" "${mmdebstrap_args[@]}" | sha256sum | cut -c1-16)
base_tar="$cache_dir/base-$suite-$key.tar"
base_cached=true
if [[ ! -f "$base_tar" ]]; then
  base_cached=false
  log "base root filesystem: mmdebstrap $suite (${#packages[@]} runtime packages), cache key $key"
  SOURCE_DATE_EPOCH=$base_epoch nice mmdebstrap "${mmdebstrap_args[@]}" "$suite" "$work/base.tar" "$mirror" \
    > "$work/mmdebstrap.log" 2>&1 || { tail -n 20 "$work/mmdebstrap.log" >&2; fail "mmdebstrap failed (log above)"; }
  mv "$work/base.tar" "$base_tar"
else
  log "base root filesystem: cached $base_tar"
fi

# Every shared library the binaries need must be in the root filesystem: a missing one would
# only show when Azure ML starts the container.
tar -tf "$base_tar" > "$work/base.list"
for b in "${binaries[@]}"; do
  readelf -d "$b" > "$work/dynamic" || fail "cannot read the dynamic section of $b"
  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' "$work/dynamic" >> "$work/needed"
done
# File names under the library directories, matched literally ("libstdc++.so.6" is no regex).
grep -E '^\./(usr/)?lib(64)?/' "$work/base.list" | sed 's#.*/##' | sort -u > "$work/base.libs"
missing=()
while read -r lib; do
  grep -qxF "$lib" "$work/base.libs" || missing+=("$lib")
done < <(sort -u "$work/needed")
[[ ${#missing[@]} -eq 0 ]] || fail "the runtime packages lack ${missing[*]}: add their packages to environment/runtime-packages.txt"

# Layer 2: the binaries, stripped (symbols are for debugging the build tree, not for the image),
# as a deterministic tarball: same binaries, same layer digest.
mkdir -p "$work/bin-layer/usr/local/bin"
for b in "${binaries[@]}"; do
  dest="$work/bin-layer/usr/local/bin/$(basename "$b")"
  if command -v strip >/dev/null 2>&1; then strip --strip-unneeded -o "$dest" "$b"; else cp "$b" "$dest"; fi
  chmod 0755 "$dest"
done
created_epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo "$base_epoch")
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
tar --sort=name --mtime="@$created_epoch" --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$work/bin-layer.tar" -C "$work/bin-layer" .

log "OCI layout: umoci"
layout="$work/oci"
created=$(date -u -d "@$created_epoch" +%Y-%m-%dT%H:%M:%SZ)
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
# History entries name what made each layer (tools that list layers expect one per layer).
umoci raw add-layer --image "$layout:$tag" --history.created "$created" --history.author amlops \
  --history.created_by "mmdebstrap --variant=essential $suite + environment/runtime-packages.txt" "$base_tar"
umoci raw add-layer --image "$layout:$tag" --history.created "$created" --history.author amlops \
  --history.created_by "aml-* binaries (stripped) -> /usr/local/bin" "$work/bin-layer.tar"
umoci config --no-history --image "$layout:$tag" \
  --created "$created" --author amlops --os linux --architecture amd64 \
  --config.cmd aml-predict --config.cmd serve \
  --config.env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env LANG=C.UTF-8 \
  --config.exposedports 5001/tcp \
  --config.workingdir / \
  --config.label org.opencontainers.image.title=amlops-cpp \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.created=$created"
umoci gc --layout "$layout"
rm -rf "$output.old"
[[ -e "$output" ]] && mv "$output" "$output.old"
mv "$layout" "$output"
rm -rf "$output.old"

# Sizes from the manifest: compressed = the layer blobs, uncompressed = the layer tarballs.
manifest_digest=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$output/index.json")
manifest="$output/blobs/sha256/${manifest_digest#sha256:}"
compressed=$(jq '[.layers[].size] | add' "$manifest")
uncompressed=$(( $(stat -c %s "$base_tar") + $(stat -c %s "$work/bin-layer.tar") ))
build_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
log "image $output:$tag $manifest_digest: $((uncompressed / 1000000)) MB uncompressed, $((compressed / 1000000)) MB compressed, ${build_ms} ms"

pushed=null
if [[ -n "$push_ref" ]]; then
  tls=()
  [[ $insecure -eq 1 ]] && tls=(--dest-tls-verify=false)
  log "push: docker://$push_ref"
  skopeo copy --quiet --preserve-digests "${tls[@]}" --digestfile "$work/pushed.digest" \
    "oci:$output:$tag" "docker://$push_ref" >&2
  pushed=$(jq -n --arg ref "$push_ref" --arg d "$(cat "$work/pushed.digest")" '{ref: $ref, digest: $d}')
fi

jq -n --arg layout "$output" --arg tag "$tag" --arg digest "$manifest_digest" \
  --argjson uncompressed "$uncompressed" --argjson compressed "$compressed" \
  --argjson layers "$(jq '[.layers[] | {digest, size}]' "$manifest")" \
  --argjson base_cached "$base_cached" --arg base "$base_tar" --argjson ms "$build_ms" \
  --argjson pushed "$pushed" --argjson packages "$(printf '%s\n' "${packages[@]}" | jq -R . | jq -s .)" \
  '{tool: "build-image", status: "ok", result: {layout: $layout, tag: $tag, manifest_digest: $digest,
    size_uncompressed_bytes: $uncompressed, size_compressed_bytes: $compressed, layers: $layers,
    runtime_packages: $packages, base_rootfs: $base, base_cached: $base_cached, build_ms: $ms, pushed: $pushed}}'
