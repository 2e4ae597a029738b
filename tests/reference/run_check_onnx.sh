#!/usr/bin/env bash
# ctest test_onnx_refmodels: the committed ONNX reference fixtures
# (tests/fixtures/onnx_models) against the models of tests/reference/models
# (gen_onnx_models.py --check: float64 logits to 1e-6, exact values summing
# to f(x) - f(r) and recomputed to 1e-10, the ONNX files in onnxruntime to
# 1e-4 where it is installed, deeplift_general.py vs deeplift_exact.py on a
# ShapGCN fixture). Exit 77 (skip) where the reference venv is absent.
# usage: run_check_onnx.sh PYTHON
set -euo pipefail
py=$1
if [ ! -x "$py" ]; then
  echo "SKIP: no reference python at $py (scripts/setup.sh --reference makes /opt/dshap-ref)"
  exit 77
fi
if ! "$py" -c 'import torch, h5py, numpy' 2>/dev/null; then
  echo "SKIP: $py lacks torch, h5py or numpy (scripts/setup.sh --reference)"
  exit 77
fi
export OMP_NUM_THREADS=2
exec "$py" "$(dirname "$0")/gen_onnx_models.py" --check
