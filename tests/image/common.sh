# Shared by the environment image tests (sourced). Each test needs root (mmdebstrap root mode,
# chroot) and the image tools; without them it skips with exit 77 and says why.
# Environment (set by CMake): AMLOPS_SOURCE_DIR, AMLOPS_BIN_DIR, AMLOPS_IMAGE_DIR (shared by the
# tests: the OCI layout and its unpacked bundle), AMLOPS_IMAGE_CACHE (base rootfs cache).
set -euo pipefail

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "-- $*" >&2; }

require_image_tools() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (mmdebstrap root mode, chroot)"
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (scripts/setup.sh --tests installs it)"
  done
}

layout="$AMLOPS_IMAGE_DIR/oci"
rootfs="$AMLOPS_IMAGE_DIR/bundle/rootfs"
image_tag=1

# The unpacked image made by the image_build test (CTest fixture); skips when it is absent
# because that test skipped.
require_rootfs() {
  [[ -x "$rootfs/usr/local/bin/aml-predict" ]] || skip "no unpacked image at $rootfs (the image_build test did not run or skipped)"
}

image_env=(/usr/bin/env -i PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)

# Runs a command inside the image's root filesystem the way a container runtime would: its own
# /proc (aml-pipeline finds its sibling tools through /proc/self/exe), the image's PATH and nothing
# else from this environment (a CI runner's variables must not leak in). unshare gives the command
# a private mount and PID namespace, so the /proc mount disappears with it, even on a crash.
in_image() {
  unshare --pid --fork --mount-proc="$rootfs/proc" chroot "$rootfs" "${image_env[@]}" "$@"
}

# Skips when this machine cannot give the chroot its own /proc (an unprivileged container).
require_namespaces() {
  unshare --pid --fork --mount-proc="$rootfs/proc" chroot "$rootfs" /bin/true 2>/dev/null \
    || skip "cannot create mount/PID namespaces (unshare) to give the chroot a /proc"
}
