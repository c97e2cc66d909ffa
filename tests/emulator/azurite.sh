#!/usr/bin/env bash
# CTest fixture for Azurite's blob service (see CMakeLists.txt):
#   azurite.sh start STATE_DIR AZURITE_BLOB   starts it on 127.0.0.1 with an ephemeral port, in
#                                             memory, and writes STATE_DIR/endpoint
#                                             (http://127.0.0.1:<port>/devstoreaccount1)
#   azurite.sh stop STATE_DIR                 stops it
# When azurite-blob or node is missing, `start` writes STATE_DIR/unavailable with the reason and
# succeeds: the tests that need Azurite then skip (exit 77) naming that reason. A present
# Azurite that fails to start is an error.
set -euo pipefail

action="${1:?usage: azurite.sh start|stop STATE_DIR [AZURITE_BLOB]}"
state="${2:?state dir required}"

stop() {
  if [[ -f "$state/pid" ]]; then
    pid="$(cat "$state/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pid"
  fi
}

case "$action" in
  start)
    bin="${3:?azurite-blob path required}"
    stop
    rm -rf "$state"
    mkdir -p "$state"
    if [[ ! -x "$bin" ]]; then
      echo "azurite-blob not found at $bin (install it with scripts/setup.sh --tests)" > "$state/unavailable"
      echo "azurite fixture: $(cat "$state/unavailable"); Azurite tests will be skipped"
      exit 0
    fi
    if ! command -v node >/dev/null 2>&1; then
      echo "node is not installed (scripts/setup.sh --tests installs it)" > "$state/unavailable"
      echo "azurite fixture: $(cat "$state/unavailable"); Azurite tests will be skipped"
      exit 0
    fi
    # setsid + redirections: the server outlives this script and keeps no pipe of ctest open.
    setsid "$bin" --blobHost 127.0.0.1 --blobPort 0 --inMemoryPersistence --skipApiVersionCheck --loose \
      --disableTelemetry --disableProductStyleUrl --silent </dev/null >"$state/azurite.log" 2>&1 &
    echo $! > "$state/pid"
    for _ in $(seq 300); do
      url="$(grep -o 'listens on http://127\.0\.0\.1:[0-9]*' "$state/azurite.log" 2>/dev/null | head -n1 | sed 's/^listens on //')" || true
      if [[ -n "$url" ]]; then
        echo "$url/devstoreaccount1" > "$state/endpoint.tmp" && mv "$state/endpoint.tmp" "$state/endpoint"
        echo "azurite fixture: blob endpoint $(cat "$state/endpoint") (node $(node --version))"
        exit 0
      fi
      if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
      sleep 0.1
    done
    echo "azurite fixture: Azurite did not start; its output:" >&2
    cat "$state/azurite.log" >&2 || true
    stop
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: azurite.sh start|stop STATE_DIR [AZURITE_BLOB]" >&2
    exit 2
    ;;
esac
