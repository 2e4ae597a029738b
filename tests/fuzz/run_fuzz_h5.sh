#!/usr/bin/env bash
# Build the model.h5 and data/inputs.h5 reader fuzz targets (fuzz_model_h5.c,
# fuzz_inputs_h5.c; the engine library compiled again with clang, ASan and
# UBSan) and run each for a bounded time.
#   tests/fuzz/run_fuzz_h5.sh [SECONDS]   (default 60 each; env DSHAP_FUZZ_SECONDS)
# Exit 0: no crash; 1: crash or broken invariant (the reproducer is kept in
# the work folder and its path printed); 77: no clang/libFuzzer here (skip).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fuzz_env.sh"
work=$(mktemp -d /tmp/dshap_fuzz_h5.XXXXXX)
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
hdf5_inc=$(pkg-config --cflags hdf5-openmpi 2>/dev/null || echo "-I/usr/include/hdf5/openmpi $(mpicc --showme:compile)")
hdf5_lib=$(pkg-config --libs hdf5-openmpi 2>/dev/null || echo "-L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5 -lmpi")
version=$(sed -n 's/^project(dshap VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
cflags="-g -O1 $san -fsanitize=fuzzer-no-link -I$root/src -I$root/include -I$root -I/usr/include/x86_64-linux-gnu"
printf '#define DSHAP_VERSION "%s"\n' "${version:-0}" >"$work/version.h"
cflags="$cflags $hdf5_inc -include $work/version.h"
# the library's layers the readers use (CMakeLists.txt globs; no CUDA, no jobs/ or study/)
srcs=$(cd "$root" && ls src/core/*.c src/io/*.c src/engine/*.c src/onnx/*.c src/cpu/*.c src/data/*.c mpi/*.c)
mkdir -p "$work/obj"
compile() { $cc $cflags -c "$root/$1" -o "$work/obj/${1//\//_}.o" 2>>"$work/build.log"; }
export -f compile; export cc cflags root work
if ! printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} bash -c 'compile {}'; then
  echo "fuzz build failed:"; cat "$work/build.log"; exit 1
fi
libs="$hdf5_lib $(mpicc --showme:link) -lcjson -lhwloc -lopenblas -lm"
for target in model inputs; do
  if ! $cc $cflags -fsanitize=fuzzer "$here/fuzz_${target}_h5.c" "$work"/obj/*.o $libs -o "$work/fuzz_$target" \
      2>>"$work/build.log"; then
    fuzz_build_failed "$work/build.log" "$work"
  fi
done
status=0
for target in model inputs; do
  mkdir -p "$work/corpus_$target"
  head -c 64 /dev/zero > "$work/corpus_$target/valid" # all-zero bytes choose the valid file
  echo "fuzzing the $target.h5 reader for ${secs} s (work folder $work)"
  # leaks: libhdf5 and Open MPI keep allocations until exit, which are not ours
  ASAN_OPTIONS=detect_leaks=0 "$work/fuzz_$target" "$work/corpus_$target" -max_total_time="$secs" -max_len=4096 \
    -timeout=20 -rss_limit_mb=2048 -artifact_prefix="$work/$target-" -print_final_stats=1 >"$work/$target.log" 2>&1
  rc=$?
  grep -E "^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)" "$work/$target.log"
  grep -E "cov: [0-9]+" "$work/$target.log" | tail -1
  if [ $rc -ne 0 ]; then
    echo "FUZZ FAILURE in $target (exit $rc):"; grep -B5 -A30 -E "ERROR|runtime error|deadly signal|bad message" "$work/$target.log" | head -60
    ls "$work/$target"-* 2>/dev/null
    status=1
  fi
done
[ $status = 0 ] && { echo "no crash in either reader"; rm -rf "$work"; }
exit $status
