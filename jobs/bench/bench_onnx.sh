#!/usr/bin/env bash
# DeepSHAP on ST-GCN at NTU size (T = 300, V = 25, M = 2, 60 classes; the
# reference model of tests/reference/models/stgcn.py, seeded weights),
# explaining the predicted class, per (instance, reference) pair:
#   shap     shap.DeepExplainer (float32)       jobs/bench/bench_onnx_python.py shap
#   captum   captum DeepLiftShap (float32)      jobs/bench/bench_onnx_python.py captum
#   dshap    dshap explain on the same model exported to ONNX (TODO below)
# Each method in its own process (peak RSS = ru_maxrss of that process).
#   jobs/bench/bench_onnx.sh   env: PY (/opt/dshap-ref/bin/python), INSTANCES (1),
#                              REFERENCES (2), CHUNK (2), FRAMES (300), THREADS (2)
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${PY:-/opt/dshap-ref/bin/python}
args=(--instances "${INSTANCES:-1}" --references "${REFERENCES:-2}" --chunk "${CHUNK:-2}"
      --frames "${FRAMES:-300}" --threads "${THREADS:-2}")
[ -x "$py" ] || { echo "bench_onnx: no reference python at $py (scripts/setup.sh --reference)" >&2; exit 2; }
export OMP_NUM_THREADS=${THREADS:-2}
echo "method  wall_s/pair cpu_s/pair pairs peak_MiB additivity   versions"
for m in shap captum; do
  "$py" jobs/bench/bench_onnx_python.py "$m" "${args[@]}"
done

# ---- TODO(dshap side): needs `dshap model import-onnx` (issue #13) -------
# When it exists: export the same model, import it, write the same inputs
# as data.h5 and time `dshap explain --classes pred` on them (engine phases
# from /timings, peak RSS from /usr/bin/time -v), printing a row like above.
d=build/dshap
if [ ! -x "$d" ] || ! "$d" model import-onnx --help >/dev/null 2>&1; then
  echo "bench_onnx: dshap side not run: '$d model import-onnx' is not available yet (TODO in $0)" >&2
  exit 3
fi
echo "bench_onnx: '$d model import-onnx' exists; the dshap row is still a TODO in $0" >&2
exit 3
