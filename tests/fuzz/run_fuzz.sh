#!/usr/bin/env bash
# Build the .skeleton parser fuzz target with clang + libFuzzer (+ASan, UBSan)
# and run it for a bounded time, seeded with the committed corpora.
#   tests/fuzz/run_fuzz.sh [SECONDS]      (default 60; env DSHAP_FUZZ_SECONDS)
# Exit 0: no crash; 1: crash or broken invariant (the reproducer is kept in
# the work folder and its path printed); 77: no clang/libFuzzer here (skip).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fuzz_env.sh"
work=$(mktemp -d /tmp/dshap_fuzz.XXXXXX)
bin=$work/fuzz_skeleton
if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DSK_BUF=4096 \
    -I"$root/src" -I"$root/include" "$here/fuzz_skeleton.c" "$root/src/data/skeleton.c" \
    "$root/src/data/ntu_prep.c" "$root/src/core/error.c" -lm -o "$bin" 2>"$work/build.log"; then
  fuzz_build_failed "$work/build.log" "$work"
fi
mkdir -p "$work/corpus"
cp "$root"/tests/fixtures/skeleton_bad/*.skel.txt "$root"/tests/fixtures/skeleton_good/*.skel.txt "$work/corpus/"
echo "fuzzing the .skeleton parser for ${secs} s (seeds: $(ls "$work/corpus" | wc -l) files; work folder $work)"
"$bin" "$work/corpus" -max_total_time="$secs" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" -print_final_stats=1 >"$work/fuzz.log" 2>&1
rc=$?
grep -E "^(#[0-9]+ *DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)" "$work/fuzz.log"
grep -E "cov: [0-9]+" "$work/fuzz.log" | tail -1
if [ $rc -ne 0 ]; then
  echo "FUZZ FAILURE (exit $rc):"; grep -A30 -E "ERROR|runtime error|deadly signal" "$work/fuzz.log" | head -60
  ls "$work"/crash-* "$work"/timeout-* "$work"/leak-* 2>/dev/null
  exit 1
fi
echo "no crash; corpus grew to $(ls "$work/corpus" | wc -l) inputs"
rm -rf "$work"
