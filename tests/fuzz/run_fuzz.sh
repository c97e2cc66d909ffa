#!/bin/sh
# Builds one libFuzzer target with clang++ (libFuzzer + AddressSanitizer + UBSan) and runs it for
# a bounded time. Usage: run_fuzz.sh SOURCE_DIR WORK_DIR SECONDS [TARGET]
# TARGET: payload (default), csv, model_files or pipeline.
# Exit 77 (ctest: skipped) when clang++ or libFuzzer is unavailable.
set -eu
src=$1 work=$2 seconds=$3 target=${4:-payload}
cxx=${AMLOPS_FUZZ_CXX:-/usr/bin/clang++}
if [ ! -x "$cxx" ]; then
  echo "clang++ not found at $cxx: skipping the fuzz run"
  exit 77
fi
core="$src/libs/core/src/atomic_file.cpp $src/libs/core/src/json.cpp $src/libs/core/src/sha256.cpp $src/libs/core/src/key_value.cpp $src/tests/fuzz/boost_json_src.cpp"
# The one YAML error mapping both YAML readers use.
yaml="$src/libs/yaml/src/load.cpp"
includes="-I$src/libs/core/include"
libs=""
case "$target" in
  payload)
    sources="$src/libs/serve/src/payload.cpp $src/tests/fuzz/boost_json_src.cpp"
    includes="$includes -I$src/libs/serve/include -I$src/libs/features/include" corpus="$src/tests/fuzz/corpus" max_len=4096 ;;
  csv)
    sources="$src/libs/data/src/csv.cpp $src/libs/data/src/numbers.cpp $src/libs/data/src/file_reader.cpp"
    includes="$includes -I$src/libs/data/include" corpus="$src/tests/fuzz/corpus-csv" max_len=4096 ;;
  model_files)
    sources="$src/libs/model/src/model_integrity.cpp $src/libs/model/src/xgboost_json.cpp $yaml $core"
    includes="$includes -I$src/libs/model/include -I$src/libs/data/include -I$src/libs/yaml/include" libs="-lyaml-cpp -lcrypto"
    corpus="$src/tests/fuzz/corpus-model" max_len=4096 ;;
  pipeline)
    p="$src/libs/pipeline/src"
    sources="$p/loader.cpp $p/spec.cpp $p/expression.cpp $yaml $core"
    includes="$includes -I$src/libs/pipeline/include -I$src/libs/yaml/include" libs="-lyaml-cpp -lcrypto -lpthread"
    corpus="$src/tests/fuzz/corpus-pipeline" max_len=8192 ;;
  *) echo "unknown fuzz target '$target'" >&2; exit 2 ;;
esac
mkdir -p "$work/corpus-$target"
work=$(cd "$work" && pwd)
bin="$work/${target}_fuzz"
# Rebuild only when a source is newer than the binary.
if [ ! -x "$bin" ] || [ -n "$(find $sources "$src/libs" "$src/tests/fuzz" -name '*.?pp' -newer "$bin" 2>/dev/null | head -1)" ]; then
  # shellcheck disable=SC2086
  if ! "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      $includes "$src/tests/fuzz/${target}_fuzz.cpp" $sources $libs -o "$bin.tmp"; then
    echo "cannot build the fuzz target with $cxx" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
fi
cd "$work"
exec "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
  "corpus-$target" "$corpus"
