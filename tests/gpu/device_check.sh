#!/usr/bin/env bash
# One prepared check of the CUDA backend on a lent GPU machine (H100 class,
# CUDA toolkit and PyTorch installed, no network). From the repository root:
#
#   bash tests/gpu/device_check.sh          # logs and table under $OUT (or ./device_out)
#   DSHAP_DEVICE_BUNDLE=1 bash tests/gpu/device_check.sh   # use the carried .devbundle, no build
#
# Steps, each timed, each allowed to fail without stopping the rest:
#   1. environment (GPU, driver, toolkit, Python packages)
#   2. build with -DDSHAP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90; where the
#      machine lacks dshap's C dependencies (MPI, parallel HDF5, hwloc, cJSON,
#      OpenBLAS), the prebuilt bundle .devbundle/dshap-cuda.tar.xz
#      (tests/gpu/make_device_bundle.sh, carried along) is used instead
#   3. the gpu-labelled tests (test_gpu_ops, test_gpu_ops_nd, test_gpu_graph_nd,
#      test_gpu_engine, test_gpu_model)
#   4. cuBLAS SGEMM probe (FP32, TF32): the yardstick of "fraction of sgemm"
#   5. benchmark: NTU X-View at T = 150 (dshap model init, dshap data synth),
#      one work unit of 4 instances x 20 references x 60 classes in FP32 and
#      TF32, extrapolated to N = 316, R = 100, 60 classes; TF32 vs FP32
#      deviation; GPU vs CPU engine on a small slice
#   6. shap.DeepExplainer + PyTorch on the same GPU (1 x 20 x 60), if shap
#      imports (or installs from .devbundle/whl without network)
#   7. `dshap explain --backend cuda` smoke run, if the command has the flag;
#      then the same full-size job on NTU-like data (a second person only in
#      the interaction classes) with and without --all-rows: what leaving out
#      the absent persons' rows buys on the GPU
# The short table is printed last (and saved as $OUT/table.txt). Total
# under 8 minutes: every step's timeout shrinks to the time left.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-$ROOT/device_out}
mkdir -p "$OUT"
W=${DSHAP_DEVICE_WORK:-/tmp/dshap_device}
mkdir -p "$W"
LOG=$OUT/device_check.log
exec > >(tee -a "$LOG") 2>&1
T_START=$(date +%s)
DEADLINE=$((T_START + ${DSHAP_DEVICE_BUDGET_S:-465}))
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
export PYTHONUNBUFFERED=1
declare -A R # results for the table

now() { date +%s; }
left() { echo $((DEADLINE - $(now))); }
# run_step NAME MAX_S LOGFILE CMD...: timeout min(MAX_S, time left), output appended to LOGFILE
run_step() {
    local name=$1 max=$2 logf=$3
    shift 3
    local l
    l=$(left)
    local t=$((max < l ? max : l))
    if [ "$t" -lt 10 ]; then
        echo "### $name: skipped (no time left)" | tee -a "$logf"
        R[$name.rc]=skip
        R[$name.s]=0
        return 99
    fi
    echo "### $name (timeout ${t}s): $*" >>"$logf"
    local t0
    t0=$(date +%s.%N)
    timeout -k 5 "$t" "$@" >>"$logf" 2>&1
    local rc=$?
    local dt
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    R[$name.rc]=$rc
    R[$name.s]=$dt
    echo "### $name: rc=$rc in ${dt}s" | tee -a "$logf"
    return $rc
}

set -x

# ---- 1. environment ----
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv || true
    nvcc --version | tail -2 || true
    cmake --version | head -1 || true
    nproc
    free -g | head -2
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' || true
    python3 -c 'import shap; print("shap", shap.__version__)' || echo "shap: not importable"
} >"$OUT/env.log" 2>&1
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
R[gpu]=${GPU:-unknown}

# ---- 2. build (or the carried bundle) ----
BIN=""
BUILD="$W/build"
GEN=""
command -v ninja >/dev/null && GEN="-G Ninja"
if [ "${DSHAP_DEVICE_BUNDLE:-0}" = 1 ]; then
    echo "DSHAP_DEVICE_BUNDLE=1: no source build" >>"$OUT/build.log"
elif run_step configure 90 "$OUT/build.log" cmake -S . -B "$BUILD" $GEN -DDSHAP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON; then
    if run_step build 180 "$OUT/build.log" cmake --build "$BUILD" -j "$(nproc)" --target dshap test_gpu_ops test_gpu_ops_nd test_gpu_graph_nd \
        test_gpu_engine test_gpu_model bench_gpu cublas_probe; then
        BIN="$BUILD"
        R[build.how]="source, sm_90"
    fi
fi
if [ -z "$BIN" ] && [ -f "$ROOT/.devbundle/dshap-cuda.tar.xz" ]; then
    mkdir -p "$W/bundle"
    if run_step unpack 60 "$OUT/build.log" tar -C "$W/bundle" -xJf "$ROOT/.devbundle/dshap-cuda.tar.xz"; then
        BIN="$W/bundle/bin"
        R[build.s]=${R[unpack.s]}
        R[build.rc]=${R[unpack.rc]}
        R[build.how]="carried bundle ($(head -1 "$W/bundle/BUILT" 2>/dev/null))"
        PYLIB=$(python3 -c 'import nvidia, os; print(":".join(os.path.join(nvidia.__path__[0], d, "lib") for d in ("cublas", "cuda_runtime", "nccl")))' 2>/dev/null || true)
        export LD_LIBRARY_PATH="$W/bundle/lib:/usr/local/cuda/lib64:${PYLIB}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        { echo "using the bundle: $BIN"; ldd "$BIN/dshap" "$BIN/test_gpu_ops" | grep -E "not found|cublas|cudart"; } >>"$OUT/build.log" 2>&1
    fi
fi
if [ -z "$BIN" ]; then
    R[build.how]="FAILED (no dependencies for a source build and no .devbundle)"
    # at least the SGEMM yardstick: it needs nothing but CUDA
    mkdir -p "$W/probe"
    run_step probe_build 60 "$OUT/build.log" nvcc -O2 -arch=sm_90 -x c tests/gpu/cublas_probe.c -lcublas \
        -o "$W/probe/cublas_probe" && PROBE="$W/probe/cublas_probe"
fi
find_bin() { # tests live in tests/gpu of a build tree, flat in the bundle
    for d in "$BIN/tests/gpu" "$BIN"; do [ -x "$d/$1" ] && { echo "$d/$1"; return; }; done
}

# ---- 3. gpu tests ----
for t in test_gpu_ops test_gpu_ops_nd test_gpu_graph_nd test_gpu_engine test_gpu_model; do
    exe=$(find_bin $t)
    if [ -n "$BIN" ] && [ -n "$exe" ]; then
        run_step $t 150 "$OUT/tests.log" "$exe" "$ROOT/tests/fixtures"
        R[$t.sum]=$(grep -E "^$t: [0-9]+ passed" "$OUT/tests.log" | tail -1 | sed "s/^$t: //")
    else
        R[$t.rc]=skip
        R[$t.s]=0
    fi
done

# ---- 4. SGEMM probe ----
PROBE=${PROBE:-$(find_bin cublas_probe)}
[ -n "${PROBE:-}" ] && run_step sgemm 90 "$OUT/bench.log" "$PROBE"
sg() { grep "^SGEMM case=$1 " "$OUT/bench.log" | tail -1 | sed -E 's/.* tflops=([0-9.]+).*/\1/'; }
R[sg.fp32]=$(sg fp32-square)
R[sg.tf32]=$(sg tf32-square)
R[sg.fp32c]=$(sg fp32-conv1x1)
R[sg.tf32c]=$(sg tf32-conv1x1)

# ---- 5. benchmark ----
if [ -n "$BIN" ]; then
    DSHAP=$(find_bin dshap)
    run_step model_init 60 "$OUT/bench.log" "$DSHAP" model init --arch ntu-xview --seed 1 -o "$W/xview.h5"
    run_step model_info 60 "$OUT/bench.log" "$DSHAP" model info "$W/xview.h5"
    run_step data_synth 90 "$OUT/bench.log" "$DSHAP" data synth --layout ntu25 --n 24 --seed 3 -o "$W/synth.h5"
    run_step bench 240 "$OUT/bench.log" "$(find_bin bench_gpu)" --model "$W/xview.h5" --data "$W/synth.h5" \
        --inst 4 --refs 20 --classes 60 --reps 2 --N 316 --R 100 --modes fp32,tf32 --cpu-check 2
fi
field() { # field MODE KEY: from the RESULT line of a mode
    grep "^RESULT mode=$1 " "$OUT/bench.log" | tail -1 | tr ' ' '\n' | grep "^$2=" | head -1 | cut -d= -f2-
}

# ---- 6. shap.DeepExplainer ----
SHAP_WHL=$(ls "$ROOT"/.devbundle/whl/shap-*.whl 2>/dev/null | sort -V | tail -1)
SLICER_WHL=$(ls "$ROOT"/.devbundle/whl/slicer-*.whl 2>/dev/null | sort -V | tail -1)
if ! python3 -c 'import shap' >/dev/null 2>&1 && [ -n "$SHAP_WHL" ]; then
    # one shap wheel (the newest carried) and slicer, its one dependency the image lacks
    run_step shap_install 60 "$OUT/shap.log" python3 -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --target /tmp/dshap_site "$SHAP_WHL" ${SLICER_WHL:+"$SLICER_WHL"} &&
        export PYTHONPATH=/tmp/dshap_site${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -f "$W/xview.h5" ]; then
    run_step shap 150 "$OUT/shap.log" python3 tests/gpu/shap_bench.py "$W/xview.h5" --inst 1 --refs 20
fi
R[shap.line]=$(grep -E "^SHAP " "$OUT/shap.log" 2>/dev/null | tail -1)

# ---- 7. the command line ----
if [ -n "$BIN" ] && "$DSHAP" explain --help 2>&1 | grep -q -- "--backend"; then
    run_step model_small 30 "$OUT/bench.log" "$DSHAP" model init --arch ntu-xview --frames 30 --seed 2 -o "$W/small.h5"
    run_step cli 90 "$OUT/bench.log" "$DSHAP" explain --backend cuda --model "$W/small.h5" --data "$W/synth.h5" \
        --background "$W/synth.h5" --n-background 8 --chunk 4 --classes all --store joint -o "$W/attr.h5"
    if "$DSHAP" explain --help 2>&1 | grep -q -- "--all-rows"; then
        run_step ntu_like 60 "$OUT/bench.log" "$DSHAP" data synth --layout ntu25 --n 60 --frames 150 --seed 4 \
            --second-person interactions -o "$W/ntu_like.h5"
        for mode in all skip; do
            extra=""
            [ $mode = all ] && extra="--all-rows"
            run_step rows_$mode 90 "$OUT/rows_$mode.log" "$DSHAP" explain --backend cuda --model "$W/xview.h5" \
                --data "$W/ntu_like.h5" --background "$W/ntu_like.h5" --n-background 12 --chunk 12 --block 4 \
                --classes 0,1,2,3,4,5 --store joint --no-progress $extra -o "$W/rows_$mode.h5"
        done
        R[rows.left]=$(sed -n 's/.*(\([0-9.]*%\)), left out.*/\1/p' "$OUT/rows_skip.log" | tail -1)
    fi
else
    R[cli.rc]="n/a (no --backend flag in this dshap)"
fi

set +x
# ---- table ----
{
    T_END=$(now)
    printf '\n== dshap CUDA device check: %s ==\n' "${R[gpu]}"
    printf '%-18s %s\n' "build" "${R[build.how]:-?}  (${R[build.s]:-0} s, rc ${R[build.rc]:-?})"
    for t in test_gpu_ops test_gpu_ops_nd test_gpu_graph_nd test_gpu_engine test_gpu_model; do
        printf '%-18s rc %-4s %-28s %6s s\n' "$t" "${R[$t.rc]:-?}" "${R[$t.sum]:-}" "${R[$t.s]:-0}"
    done
    printf '%-18s FP32 %s TFLOP/s, TF32 %s TFLOP/s (8192^3); the 1x1-conv shape: FP32 %s, TF32 %s\n' "cuBLAS SGEMM" \
        "${R[sg.fp32]:-?}" "${R[sg.tf32]:-?}" "${R[sg.fp32c]:-?}" "${R[sg.tf32c]:-?}"
    for m in fp32 tf32; do
        ta=$(field $m t_attr)
        [ -z "$ta" ] && { printf '%-18s no result\n' "bench $m"; continue; }
        tf=$(field $m tflops)
        ref=${R[sg.$m]:-}
        frac=$(awk -v a="$tf" -v b="$ref" 'BEGIN{if (b > 0) printf "%.0f%%", 100*a/b; else print "?"}')
        printf '%-18s unit 4x20x60: attribute %s s, unit %s s (+fwd) -> full 316x100x60: %s min; %s TFLOP/s = %s of sgemm; %s us/triple; memory %s GiB allocated (device used %s; needs %s GiB + %s MiB/triple), %s triples/batch\n' \
            "bench ${m^^}" "$ta" "$(field $m unit_s)" "$(field $m full_min)" "$tf" "$frac" "$(field $m us_per_triple)" \
            "$(field $m peak_gib)" "$(field $m used_gib)" "$(field $m fixed_gib)" "$(field $m per_triple_mib)" \
            "$(field $m pairs_per_batch)"
    done
    dev=$(grep "^DEVIATION" "$OUT/bench.log" 2>/dev/null | tail -1 | cut -d' ' -f3-)
    printf '%-18s %s  (max |phi_TF32 - phi_FP32| / max |phi_FP32|; goal <= 1e-3)\n' "TF32 vs FP32" "${dev:-n/a}"
    cpu=$(grep "^CPUCHECK" "$OUT/bench.log" 2>/dev/null | tail -1 | cut -d' ' -f3-)
    printf '%-18s %s\n' "GPU vs CPU (FP32)" "${cpu:-n/a}"
    if [[ "${R[shap.line]:-}" == *us_per_triple=* ]]; then
        su=$(sed -E 's/.*us_per_triple=([0-9.]+).*/\1/' <<<"${R[shap.line]}")
        ss=$(sed -E 's/.* seconds=([0-9.]+).*/\1/' <<<"${R[shap.line]}")
        r32=$(awk -v a="$su" -v b="$(field fp32 us_per_triple)" 'BEGIN{if (b > 0) printf "%.0fx", a/b; else print "?"}')
        r16=$(awk -v a="$su" -v b="$(field tf32 us_per_triple)" 'BEGIN{if (b > 0) printf "%.0fx", a/b; else print "?"}')
        printf '%-18s 1x20x60 in %s s = %s us/triple; dshap is %s faster (FP32), %s (TF32)\n' "shap DeepExplainer" \
            "$ss" "$su" "$r32" "$r16"
    else
        printf '%-18s %s\n' "shap DeepExplainer" "not run: ${R[shap.line]:-shap not importable, no wheels carried}"
    fi
    printf '%-18s rc %s\n' "explain --backend" "${R[cli.rc]:-?}"
    if [ -n "${R[rows_skip.s]:-}" ] && [ "${R[rows_skip.rc]:-1}" = 0 ] && [ "${R[rows_all.rc]:-1}" = 0 ]; then
        printf '%-18s 60 NTU-like samples x 12 refs x 6 classes, %s of person rows left out: --all-rows %s s, default %s s (%s)\n' \
            "equal person rows" "${R[rows.left]:-?}" "${R[rows_all.s]}" "${R[rows_skip.s]}" \
            "$(awk -v a="${R[rows_all.s]}" -v b="${R[rows_skip.s]}" 'BEGIN{if (b > 0) printf "%.2fx", a / b}')"
    fi
    printf '%-18s %s s (logs: %s)\n' "total" "$((T_END - T_START))" "$OUT"
} | tee "$OUT/table.txt"
sleep 1
