# Sourced by the Prism spec tests (tests/prism/prism.sh, tests/dns/prism_dns.sh): one Prism mock at
# a time on a loopback port, and the replay of the recorded requests against it.
#   replay_against_mock PRISM RECORDER REQUESTS.jsonl SPEC SPEC_FILE LOG_DIR   -> 0 all accepted
# The port is drawn below Linux's ephemeral range (32768-60999), where the kernel does not hand
# out ports to other tests' servers and clients; a port that is still taken by the time Prism binds
# it (EADDRINUSE) is retried with another one.

mock_pid=
stop_mock() {
  if [[ -n "$mock_pid" ]]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; mock_pid=; fi
}

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# Starts Prism for SPEC_FILE; sets mock_port. Exit 1 with Prism's log when it cannot start.
start_mock() {
  local prism="$1" spec="$2" file="$3" log="$4" attempt
  for attempt in 1 2 3 4 5; do
    mock_port=$(free_port)
    "$prism" mock -h 127.0.0.1 -p "$mock_port" "$file" >"$log" 2>&1 &
    mock_pid=$!
    for _ in $(seq 1 600); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$mock_port") 2>/dev/null; then return 0; fi
      if ! kill -0 "$mock_pid" 2>/dev/null; then break; fi
      sleep 0.2
    done
    stop_mock
    grep -q EADDRINUSE "$log" || break
  done
  echo "prism failed to start for $spec:"; cat "$log"; exit 1
}

replay_against_mock() {
  local prism="$1" recorder="$2" requests="$3" spec="$4" file="$5" logdir="$6" rc=0
  start_mock "$prism" "$spec" "$file" "$logdir/prism-$spec.log"
  echo "== $spec ($(basename "$file")) on port $mock_port"
  "$recorder" replay "$requests" "$spec" "http://127.0.0.1:$mock_port" || rc=1
  stop_mock
  return $rc
}
