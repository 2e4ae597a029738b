#!/usr/bin/env bash
# The ONNX reference models (tests/fixtures/onnx_models: ST-GCN, CTR-GCN,
# EfficientGCN-B0; tests/reference/README.md) end to end on the CPU:
# dshap model import-onnx, then
#  - dshap predict: logits = the float64 PyTorch model's to 1e-4 of max |logit|;
#  - dshap explain --rules exact --store full: phi = the float64 exact rules'
#    (mean over the references) to 1e-4 of max |phi|, and sum phi =
#    f(x) - E f(b) to 1e-4 of max |df| (float32 activations; measured
#    <= 1.4e-6 and 1.5e-7);
#  - --rules shap: = shap.DeepExplainer's phi to 1e-4 of max |phi| where
#    dshap's rules are shap's (ST-GCN, EfficientGCN: measured 2.2e-7, 5e-6;
#    the residual, 137 on EfficientGCN, is shap's own). CTR-GCN: stock shap
#    0.46's MaxPool2d handler unpools with max_unpool2d, which overwrites
#    where overlapping windows (3x1, stride 1) share an argmax; dshap sums
#    them (the max rule). Checked there: the fixture records shap's
#    mis-summation, and dshap's shap phi differs from it;
#  - bitwise identical attributions with 1, 2 and 3 MPI ranks.
# Needs python3 with h5py and numpy (Debian's packages; skips without).
set -euo pipefail
dshap=$1 fixtures=$2
here=$(cd "$(dirname "$0")" && pwd)
py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import h5py, numpy' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "skip: no python3 with h5py and numpy to read the fixtures"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
F=$fixtures/onnx_models
fail=0 n=0
check() { n=$((n + 1)); if ! "$py" "$here/onnx_check.py" "$@"; then fail=1; fi; }
for m in stgcn ctrgcn efficientgcn_b0; do
  echo "== $m"
  $dshap model import-onnx "$F/$m.onnx" --layout ntu25 -o "$t/$m.h5" >/dev/null
  $dshap predict --model "$t/$m.h5" --input "$F/$m.x.h5" -o "$t/$m.pred.h5" >/dev/null
  check logits "$t/$m.pred.h5" "$F/$m.ref.h5" 1e-4
  args=(explain --model "$t/$m.h5" --data "$F/$m.x.h5" --background "$F/$m.bg.h5" --n-background 2
        --classes all --store full --no-progress)
  for r in exact shap; do $dshap "${args[@]}" --rules $r -o "$t/$m.$r.h5" 2>/dev/null; done
  check exact "$t/$m.exact.h5" "$F/$m.ref.h5" 1e-4
  if [ $m = ctrgcn ]; then check shap-maxpool "$t/$m.shap.h5" "$F/$m.ref.h5" 1e-4
  else check shap "$t/$m.shap.h5" "$F/$m.ref.h5" 1e-4; fi
  for np in 2 3; do
    mpirun -np $np "$dshap" "${args[@]}" --rules exact -o "$t/$m.np$np.h5" 2>/dev/null
    n=$((n + 1))
    for ds in /shap/values /shap/output /shap/residual /shap/expected_value /shap/classes; do
      if ! h5diff "$t/$m.exact.h5" "$t/$m.np$np.h5" $ds $ds >/dev/null; then
        echo "FAIL: $m: np=$np: $ds differs from np=1"; fail=1
      fi
    done
  done
done
[ $fail = 0 ] && echo "onnx models: $n passed, 0 failed" || { echo "onnx models: failures"; exit 1; }
