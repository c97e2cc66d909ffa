#!/usr/bin/env bash
# Prepares the Python baseline of the benchmark and prints the PYTHONPATH to run it with.
#
# pandas, PyYAML and GNU time install normally. Debian's python3-xgboost cannot: its dependency
# python3-scipy pulls python3-pythran -> libboost1.74-dev, which conflicts with the
# libboost1.81-dev amlops builds with. So python3-xgboost (and python3-scipy, which xgboost's
# core.py imports, when the system has no scipy) are downloaded with `apt-get download` and
# unpacked with `dpkg -x` into bench/.baseline/, never installed. The package's relative link
# xgboost/lib/libxgboost.so is pointed at the system library (libxgboost0), the same one the
# amlops tools link against, so both sides run the same xgboost 1.7.4.
#
# Usage: bench/setup-baseline.sh        (idempotent; prints the PYTHONPATH on stdout, logs on stderr)
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$bench/.baseline"
site="$prefix/root/usr/lib/python3/dist-packages"
python=/usr/bin/python3   # Debian's python: the one pandas is installed for (a pyenv python3 may be first on PATH)
xgb_version=1.7.4
syslib=/usr/lib/x86_64-linux-gnu/libxgboost.so.0

log() { echo "setup-baseline: $*" >&2; }
sudo_cmd() { if [[ $(id -u) -ne 0 ]]; then sudo "$@"; else "$@"; fi; }
updated=0
apt_update_once() { if [[ $updated -eq 0 ]]; then sudo_cmd apt-get update -qq >&2; updated=1; fi; }

# 1. What installs cleanly from Debian.
packages=(python3-pandas python3-yaml time libxgboost0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
[[ -e $syslib ]] || { log "missing $syslib (libxgboost0)"; exit 1; }

check() {
  PYTHONPATH="$site" "$python" - "$xgb_version" <<'PY' 2>/dev/null
import sys
import xgboost
sys.exit(0 if xgboost.__version__ == sys.argv[1] else 1)
PY
}

# 2. python3-xgboost (+ python3-scipy if needed), unpacked privately.
if ! check; then
  rm -rf "$prefix"
  mkdir -p "$prefix/debs" "$prefix/root"
  debs=(python3-xgboost)
  "$python" -c 'import scipy.sparse' 2>/dev/null || debs+=(python3-scipy)
  apt-cache show "${debs[@]}" >/dev/null 2>&1 || apt_update_once
  log "downloading ${debs[*]} into $prefix (not installed)"
  # The sandbox user _apt cannot write into a root-owned work tree; downloading as root is fine here.
  (cd "$prefix/debs" && apt-get download -q -o APT::Sandbox::User=root "${debs[@]}" >&2)
  for deb in "$prefix"/debs/*.deb; do dpkg -x "$deb" "$prefix/root"; done
  ln -sfn "$syslib" "$site/xgboost/lib/libxgboost.so"
  if ! check; then
    log "import xgboost (version $xgb_version) fails with PYTHONPATH=$site"
    PYTHONPATH="$site" "$python" -c 'import xgboost; print(xgboost.__version__)' >&2 || true
    exit 1
  fi
fi
log "python xgboost $xgb_version ready (PYTHONPATH=$site)"
echo "$site"
