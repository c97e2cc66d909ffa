#!/bin/sh
# Builds the payload-decoder fuzz target with clang++ (libFuzzer + AddressSanitizer) and runs it
# for a bounded time. Usage: run_fuzz.sh SOURCE_DIR WORK_DIR SECONDS
# Exit 77 (ctest: skipped) when clang++ or libFuzzer is unavailable.
set -eu
src=$1 work=$2 seconds=$3
cxx=${AMLOPS_FUZZ_CXX:-/usr/bin/clang++}
if [ ! -x "$cxx" ]; then
  echo "clang++ not found at $cxx: skipping the fuzz run"
  exit 77
fi
mkdir -p "$work/corpus"
bin="$work/payload_fuzz"
# Rebuild only when a source is newer than the binary.
if [ ! -x "$bin" ] || [ -n "$(find "$src/libs/serve/src/payload.cpp" "$src/libs/serve/include" "$src/tests/fuzz" -newer "$bin" 2>/dev/null | head -1)" ]; then
  if ! "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I"$src/libs/serve/include" -I"$src/libs/core/include" \
      "$src/tests/fuzz/payload_fuzz.cpp" "$src/libs/serve/src/payload.cpp" "$src/tests/fuzz/boost_json_src.cpp" \
      -o "$bin.tmp"; then
    echo "cannot build the fuzz target with $cxx" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
fi
cd "$work"
exec "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=4096 -print_final_stats=1 \
  corpus "$src/tests/fuzz/corpus"
