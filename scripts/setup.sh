#!/usr/bin/env bash
# Install what dshap needs on Debian 12 (as root), then configure and build.
# Idempotent: packages already present are not downloaded again.
#   scripts/setup.sh              build dependencies + build (Release) in ./build
#   scripts/setup.sh --reference  also PyTorch, h5py, scipy and shap for the
#                                 reference scripts in tests/reference
#   scripts/setup.sh --slurm      also Slurm + munge for the scheduler tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_reference=0
want_slurm=0
for a in "$@"; do
  case "$a" in
    --reference) want_reference=1 ;;
    --slurm) want_slurm=1 ;;
    *) echo "setup.sh: unknown option '$a' (--reference, --slurm)" >&2; exit 2 ;;
  esac
done

pkgs=(build-essential cmake pkg-config openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
      libhwloc-dev hwloc libopenblas-dev libcjson-dev python3 python3-h5py clang librsvg2-bin
      slurm-wlm munge iproute2 strace  # the last two: the two-host tests (tests/multinode)
      python3-numpy python3-pytest python3-venv python3-setuptools python3-wheel python3-mpi4py)  # python/ and its tests
[ "$want_reference" = 1 ] && pkgs+=(python3-torch python3-h5py python3-scipy python3-numpy python3-venv)
[ "$want_slurm" = 1 ] && pkgs+=(slurm-wlm munge)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_reference" = 1 ] && [ ! -x /opt/dshap-ref/bin/python ]; then
  # shap from the package index, beside Debian's torch (system site packages);
  # onnx + onnxruntime for tests/reference/gen_onnx_models.py, captum for
  # jobs/bench/bench_onnx_python.py
  /usr/bin/python3 -m venv --system-site-packages /opt/dshap-ref
  # numpy < 2: Debian's torch 1.13 is built against numpy 1.x
  /opt/dshap-ref/bin/pip install -q "numpy<2" "shap==0.46.0" "onnx==1.16.2" "onnxruntime==1.17.3" "captum==0.7.0"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
# libdshap.so, dshap.h and the CLI into /usr/local, where the loader finds
# the library (the Python package loads libdshap.so.0 by name).
cmake --install build >/dev/null
ldconfig
echo "setup: built build/dshap, installed dshap and libdshap into /usr/local"
