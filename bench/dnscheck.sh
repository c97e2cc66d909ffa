#!/usr/bin/env bash
# aml-dnscheck benchmark: N names (default 200) checked against a local dnsmasq, against the
# baseline an operator would script — a shell loop of `dig +short` over the same names.
#
#   bench/dnscheck.sh [--names N] [--repeat R] [--build-dir DIR] [--no-build] [--keep]
#
# Zone (generated): N/2 storage accounts st<i>.blob.core.windows.net, each a CNAME into
# privatelink.blob.core.windows.net with a private A record; the --expect file lists the public
# names, so the check covers both forms (N names). aml-dnscheck asks A and AAAA for each and
# follows the chain; the baseline asks A once per name. Both are timed as whole processes (median
# of R runs). Targets (issue 12): ours ≤ 1 s and ≥ 10× faster than the dig loop.
# Needs dnsmasq (dnsmasq-base) and dig (bind9-dnsutils): scripts/setup.sh --tests installs both.
# Writes bench/results/dnscheck.json. Not a test: run it by hand, once; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names=200
repeat=5
build_dir="$root/build"
build=1
keep=0
usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --names) names="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dnscheck.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$names" "$repeat"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "dnscheck.sh: --names and --repeat take positive integers" >&2; exit 2; }
done
(( names % 2 == 0 )) || { echo "dnscheck.sh: --names must be even (public + privatelink pairs)" >&2; exit 2; }
export LC_ALL=C
say() { echo "dnsbench: $*" >&2; }
dnsmasq=/usr/sbin/dnsmasq
[[ -x "$dnsmasq" ]] || dnsmasq="$(command -v dnsmasq || true)"
[[ -n "$dnsmasq" ]] || { say "dnsmasq is required (scripts/setup.sh --tests)"; exit 1; }
command -v dig >/dev/null || { say "dig is required (scripts/setup.sh --tests)"; exit 1; }
command -v jq >/dev/null || { say "jq is required"; exit 1; }
say "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

if [[ $build -eq 1 ]]; then
  [[ -f "$build_dir/build.ninja" || -f "$build_dir/Makefile" ]] || cmake -S "$root" -B "$build_dir" -G Ninja >&2
  cmake --build "$build_dir" -j"$(nproc)" --target aml-dnscheck >&2
fi
tool="$build_dir/bin/aml-dnscheck"
[[ -x "$tool" ]] || { say "$tool is missing"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/amlops-dnsbench.XXXXXX")"
dnsmasq_pid=
cleanup() {
  [[ -n "$dnsmasq_pid" ]] && kill "$dnsmasq_pid" 2>/dev/null && wait "$dnsmasq_pid" 2>/dev/null || true
  [[ $keep -eq 1 ]] && say "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

# A loopback port free for UDP and TCP, picked by the kernel.
port="$(python3 -c 'import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass')"
pairs=$((names / 2))
{
  printf 'no-resolv\nno-hosts\nbind-interfaces\nlisten-address=127.0.0.1\nport=%s\ncache-size=0\n' "$port"
  [[ $(id -u) -eq 0 ]] && echo "user=root"
  echo "local=/core.windows.net/"
  for ((i = 0; i < pairs; i++)); do
    echo "cname=st$i.blob.core.windows.net,st$i.privatelink.blob.core.windows.net"
    echo "host-record=st$i.privatelink.blob.core.windows.net,10.10.$((i / 250)).$((i % 250 + 4))"
  done
} > "$work/dnsmasq.conf"
{
  echo "address_spaces: [10.10.0.0/16]"
  echo "names:"
  for ((i = 0; i < pairs; i++)); do echo "  st$i.blob.core.windows.net: 10.10.$((i / 250)).$((i % 250 + 4))"; done
} > "$work/expect.yaml"
# The same names for the baseline: public and privatelink forms.
for ((i = 0; i < pairs; i++)); do
  echo "st$i.blob.core.windows.net"; echo "st$i.privatelink.blob.core.windows.net"
done > "$work/names.txt"

"$dnsmasq" --keep-in-foreground --conf-file="$work/dnsmasq.conf" --pid-file= --log-facility="$work/dnsmasq.log" &
dnsmasq_pid=$!
for _ in $(seq 100); do dig +short +tries=1 +time=1 -p "$port" @127.0.0.1 st0.blob.core.windows.net >/dev/null 2>&1 && break; sleep 0.05; done

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ours=() base=()
for ((r = 0; r < repeat; r++)); do
  t0=$(now)
  set +e
  "$tool" --expect "$work/expect.yaml" --server "127.0.0.1:$port" --format json --quiet > "$work/result.json"
  rc=$?
  set -e
  ours+=($(( $(now) - t0 )))
  [[ $rc -eq 0 ]] || { say "aml-dnscheck exited $rc"; jq -c '.result.verdicts // .error' "$work/result.json" >&2; exit 1; }
  t0=$(now)
  while read -r name; do dig +short -p "$port" @127.0.0.1 "$name" A; done < "$work/names.txt" > "$work/dig.txt"
  base+=($(( $(now) - t0 )))
done
checked="$(jq '.result.names' "$work/result.json")"
ok="$(jq '.result.ok' "$work/result.json")"
dig_answers="$(grep -c '^10\.' "$work/dig.txt" || true)"
ours_ms="$(printf '%s\n' "${ours[@]}" | median | awk '{printf "%.1f", $1 / 1e6}')"
base_ms="$(printf '%s\n' "${base[@]}" | median | awk '{printf "%.1f", $1 / 1e6}')"
ratio="$(awk -v a="$base_ms" -v b="$ours_ms" 'BEGIN {printf "%.1f", a / b}')"

printf '\n%-34s %10s %s\n' "aml-dnscheck vs dig +short loop" "wall ms" "(median of $repeat)"
printf '%-34s %10s %s\n' "aml-dnscheck ($checked names, A+AAAA)" "$ours_ms" "$ok ok"
printf '%-34s %10s %s\n' "dig +short loop ($names names, A)" "$base_ms" "$dig_answers addresses"
printf '%-34s %10s %s\n' "ratio (dig loop / ours)" "${ratio}x" "target >= 10x, ours <= 1000 ms"
mkdir -p "$root/bench/results"
jq -n --argjson names "$checked" --argjson ok "$ok" --argjson ours "$ours_ms" --argjson base "$base_ms" \
  --argjson ratio "$ratio" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{names: $names, ok: $ok, ours_ms: $ours, dig_loop_ms: $base, ratio: $ratio, load: $load}' \
  > "$root/bench/results/dnscheck.json"
pass=$(awk -v o="$ours_ms" -v r="$ratio" 'BEGIN {print (o <= 1000 && r >= 10) ? 1 : 0}')
[[ $pass -eq 1 ]] && say "targets met" || say "targets NOT met"
