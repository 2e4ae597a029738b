#!/usr/bin/env bash
# Build and run the whole test suite: the Release build, then the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer. GPU tests skip (and
# say so) on machines without a GPU.
#   scripts/test.sh           both builds
#   scripts/test.sh --fast    Release build only
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# ctest runs tests side by side: one thread each, and no spinning OpenMP waits
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

run_suite() { # build-dir extra-cmake-args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 900)
}

echo "== Release build"
run_suite build
if [ "${1:-}" != "--fast" ]; then
  echo "== ASan + UBSan build"
  # OpenMPI and OpenBLAS allocate for the process lifetime: leak checks would
  # only report them, so leaks are not checked; memory errors and UB are.
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DDSHAP_SANITIZE=ON -DDSHAP_CUDA=OFF
fi
