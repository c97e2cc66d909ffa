# Sourced by the bench scripts (run.sh, classify.sh): the one timing function. Needs $work (with
# a logs/ folder), $timings (a TSV file) and say().
#
# measure STEP IMPL CMD...: wall time (ns clock), peak RSS and CPU seconds (user + sys, GNU
# time), exit code; never aborts. CPU time is the load-independent part: on a shared machine the
# wall times are inflated by waiting for a core. Each step starts after a `sync`, untimed, so the
# kernel is not still writing back the previous step's output (e.g. aml-datagen's 165 MB right
# before the first transform) on the same cores while this one is timed.
measure() {
  local step="$1" impl="$2"; shift 2
  local log="$work/logs/$step.$impl" rc=0 t0 t1 usage
  say "$step ($impl)"
  sync
  t0=$(date +%s%N)
  /usr/bin/time -f '%M %U %S' -o "$log.rss" "$@" >"$log.out" 2>"$log.err" || rc=$?
  t1=$(date +%s%N)
  usage="$(tail -n 1 "$log.rss")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$impl" "$(( (t1 - t0) / 1000 ))" "${usage%% *}" "$rc" \
    "$(awk '{ if (NF == 3) printf "%.2f", $2 + $3 }' <<<"$usage")" >> "$timings"
  if [[ $rc -ne 0 ]]; then say "$step ($impl) exited $rc; see $log.err"; tail -n 5 "$log.err" >&2 || true; fi
  return 0
}
