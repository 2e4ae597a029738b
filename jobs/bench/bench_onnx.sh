#!/usr/bin/env bash
# DeepSHAP on ST-GCN at NTU size (T = 300, V = 25, M = 2, 60 classes; the
# reference model of tests/reference/models/stgcn.py, seeded weights),
# explaining the predicted class (argmax logit of each instance), per
# (instance, reference) pair, side by side in one run:
#   shap     shap.DeepExplainer (float32)       jobs/bench/bench_onnx_python.py shap
#   captum   captum DeepLiftShap (float32)      jobs/bench/bench_onnx_python.py captum
#   dshap    dshap explain --classes pred --rules exact on the same model
#            exported to ONNX and imported (dshap model import-onnx), the same
#            inputs as data.h5 (bench_onnx_python.py data): once on the
#            Python side's pairs (the phi check against shap's phi), then on
#            DSHAP_INSTANCES x DSHAP_REFERENCES pairs with 1 rank x THREADS
#            threads (chunks of DSHAP_CHUNK references) and with RANKS ranks
#            x 1 thread (mpirun; chunks of DSHAP_CHUNK / RANKS, so that each
#            rank has a work unit)
# Each method in its own process (peak RSS = ru_maxrss of one process; under
# mpirun the largest rank). ST-GCN has only ReLU and linear ops, where
# dshap's exact rules and shap's agree, so phi must agree to float rounding.
# The table comes from jobs/bench/bench_onnx_table.py.
#   jobs/bench/bench_onnx.sh   env: PY (/opt/dshap-ref/bin/python), INSTANCES (1),
#       REFERENCES (2), CHUNK (2), FRAMES (300), THREADS (2), DSHAP_INSTANCES (2),
#       DSHAP_REFERENCES (8), DSHAP_CHUNK (8), RANKS (2), BENCH_DIR (a temporary folder);
#       OMP_WAIT_POLICY=passive saves the CPU seconds OpenMP threads spin at
#       barriers when the machine is shared (libgomp's default spins)
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${PY:-/opt/dshap-ref/bin/python} d=build/dshap
N=${INSTANCES:-1} R=${REFERENCES:-2} chunk=${CHUNK:-2} frames=${FRAMES:-300} threads=${THREADS:-2}
DN=${DSHAP_INSTANCES:-2} DR=${DSHAP_REFERENCES:-8} dchunk=${DSHAP_CHUNK:-8} ranks=${RANKS:-2}
[ -x "$py" ] || { echo "bench_onnx: no reference python at $py (scripts/setup.sh --reference)" >&2; exit 2; }
[ -x "$d" ] || { echo "bench_onnx: no $d (build first)" >&2; exit 2; }
if [ -n "${BENCH_DIR:-}" ]; then t=$BENCH_DIR; mkdir -p "$t"; else t=$(mktemp -d); trap 'rm -rf "$t"' EXIT; fi
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-unset} (all three)"
rows=$t/rows.txt; echo "threads $threads" >"$rows"

"$py" jobs/bench/bench_onnx_python.py export "$t/stgcn.onnx" --frames "$frames"
s0=$(date +%s.%N)
"$d" model import-onnx "$t/stgcn.onnx" --layout ntu25 -o "$t/model.h5" >/dev/null
echo "import-onnx: $(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s wall (once per model)"
pyargs=(--instances "$N" --references "$R" --chunk "$chunk" --frames "$frames" --threads "$threads")
mkdir -p "$t/same" "$t/big"
"$py" jobs/bench/bench_onnx_python.py data "$t/same" "${pyargs[@]}"
"$py" jobs/bench/bench_onnx_python.py data "$t/big" --instances "$DN" --references "$DR" --frames "$frames"

for m in shap captum; do
  line=$("$py" jobs/bench/bench_onnx_python.py "$m" "${pyargs[@]}" --save-phi "$t/phi_$m.npy")
  echo "$line"; echo "py $m $line" >>"$rows"
done

# one dshap explain: LABEL DIR RANKS THREADS N R CHUNK [PHI.npy]
dshap_run() {
  local label=$1 dir=$2 np=$3 th=$4 n=$5 r=$6 c=$7 phi=${8:-} launch=()
  [ "$np" -gt 1 ] && launch=(mpirun -np "$np" -x OMP_NUM_THREADS="$th" -x OPENBLAS_NUM_THREADS=1)
  mkdir -p "$t/$label"
  OMP_NUM_THREADS=$th /usr/bin/time -v -o "$t/$label/time.txt" "${launch[@]}" "$d" explain --model "$t/model.h5" \
    --data "$dir/x.h5" --background "$dir/bg.h5" --n-background "$r" --chunk "$c" --classes pred --rules exact \
    --store full --no-progress -o "$t/$label/a.h5" >/dev/null 2>"$t/$label/explain.log" ||
    { cat "$t/$label/explain.log" >&2; exit 1; }
  echo "dshap $label $np $th $n $r $t/$label $phi" >>"$rows"
}
dshap_run dshap-same "$t/same" 1 "$threads" "$N" "$R" "$chunk" "$t/phi_shap.npy"
dshap_run dshap "$t/big" 1 "$threads" "$DN" "$DR" "$dchunk"
dshap_run dshap-mpi "$t/big" "$ranks" 1 "$DN" "$DR" $(((dchunk + ranks - 1) / ranks))
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" jobs/bench/bench_onnx_table.py "$rows"
