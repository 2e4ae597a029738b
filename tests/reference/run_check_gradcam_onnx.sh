#!/usr/bin/env bash
# ctest test_onnx_gradcam: dshap gradcam on imported ONNX models against
# PyTorch autograd on the reference models (check_gradcam_onnx.py). Exit 77
# (skip) where the reference venv is absent.
# usage: run_check_gradcam_onnx.sh PYTHON DSHAP FIXTURES
set -euo pipefail
py=$1 dshap=$2 fixtures=$3
if [ ! -x "$py" ] || ! "$py" -c 'import torch, h5py, numpy' 2>/dev/null; then
  echo "SKIP: no reference python with torch, h5py and numpy at $py (scripts/setup.sh --reference makes /opt/dshap-ref)"
  exit 77
fi
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
exec "$py" "$(dirname "$0")/check_gradcam_onnx.py" "$dshap" "$fixtures/onnx_models"
