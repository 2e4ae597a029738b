#!/usr/bin/env bash
# DeepSHAP on ST-GCN at NTU size (T = 300, V = 25, M = 2, 60 classes; the
# reference model of tests/reference/models/stgcn.py, seeded weights),
# explaining the predicted class, per (instance, reference) pair:
#   shap     shap.DeepExplainer (float32)       jobs/bench/bench_onnx_python.py shap
#   captum   captum DeepLiftShap (float32)      jobs/bench/bench_onnx_python.py captum
#   dshap    dshap explain --classes pred on the same model exported to ONNX
#            and imported (dshap model import-onnx), the same inputs as data.h5
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

# dshap: the same model through ONNX, the same inputs; wall and CPU seconds
# and peak RSS of the whole explain process (/usr/bin/time), the additivity
# residual from /shap/residual
d=build/dshap
[ -x "$d" ] || { echo "bench_onnx: no $d (build first)" >&2; exit 2; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
"$py" jobs/bench/bench_onnx_python.py export "$t/stgcn.onnx" --frames "${FRAMES:-300}" >/dev/null
"$py" jobs/bench/bench_onnx_python.py data "$t" "${args[@]}"
"$d" model import-onnx "$t/stgcn.onnx" --layout ntu25 -o "$t/model.h5" >/dev/null
R=${REFERENCES:-2} N=${INSTANCES:-1}
/usr/bin/time -v "$d" explain --model "$t/model.h5" --data "$t/x.h5" --background "$t/bg.h5" --n-background "$R" \
  --chunk "${CHUNK:-2}" --classes pred --store full --no-progress -o "$t/a.h5" >/dev/null 2>"$t/time.txt"
"$py" - "$t" "$N" "$R" "${FRAMES:-300}" "${CHUNK:-2}" "${THREADS:-2}" <<'PY'
import re, sys, h5py, numpy as np
t, n, r, frames, chunk, threads = sys.argv[1], *map(int, sys.argv[2:])
tv = open(t + '/time.txt').read()
clock = re.search(r'Elapsed \(wall clock\) time[^\n]*: ([0-9:.]+)', tv).group(1).split(':')
wall = sum(float(p) * 60 ** k for k, p in enumerate(reversed(clock)))
cpu = float(re.search(r'User time \(seconds\): *([0-9.]+)', tv).group(1)) + float(re.search(r'System time \(seconds\): *([0-9.]+)', tv).group(1))
peak = float(re.search(r'Maximum resident set size \(kbytes\): *([0-9]+)', tv).group(1)) / 1024
res = np.abs(h5py.File(t + '/a.h5', 'r')['/shap/residual'][()]).max()
pairs = n * r
print(f'dshap   {wall / pairs:9.2f} {cpu / pairs:9.2f} {pairs:6d} {peak:9.0f} {res:10.2e}   '
      f'dshap explain --rules exact (whole process), T {frames}, chunk {chunk}, threads {threads}')
PY
