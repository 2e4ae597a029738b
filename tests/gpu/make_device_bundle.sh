#!/usr/bin/env bash
# Prebuilt binaries for a GPU machine that lacks dshap's C dependencies
# (MPI, parallel HDF5, hwloc, cJSON, OpenBLAS): builds the CUDA backend for
# sm_90 here and copies the programs device_check.sh runs, with every shared
# library they need except the C library and CUDA's own (the GPU machine's
# toolkit provides libcudart / libcublas), into .devbundle/dshap-cuda.tar.xz
# (about 15 MB: a carried tree may hold 64 MiB in all; .devbundle is ignored
# by git via .git/info/exclude). Fetches nothing; wheels for the shap
# comparison (shap, slicer) can be put into .devbundle/whl/.
#
#   tests/gpu/make_device_bundle.sh        # then carry ".devbundle" to the GPU run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=${BUILD_DIR:-$ROOT/build-devbundle}
D=$B/stage
cmake -S . -B "$B" -DDSHAP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build "$B" -j "$(nproc)" --target dshap test_gpu_ops test_gpu_ops_nd test_gpu_graph_nd test_gpu_engine test_gpu_model bench_gpu cublas_probe
rm -rf "$D"
mkdir -p "$D/bin" "$D/lib" "$ROOT/.devbundle/whl"
cp "$B/dshap" "$D/bin/"
for t in test_gpu_ops test_gpu_ops_nd test_gpu_graph_nd test_gpu_engine test_gpu_model bench_gpu cublas_probe; do cp "$B/tests/gpu/$t" "$D/bin/"; done
# Libraries: everything ldd resolves, except glibc's and the CUDA toolkit's.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libgcc_s|libstdc\+\+|libcuda\.|libcudart|libcublas|libnccl)'
for f in "$D"/bin/*; do ldd "$f"; done | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
    while read -r name path; do
        if ! grep -Eq "$skip" <<<"$name"; then cp -L "$path" "$D/lib/$name"; fi
    done
{
    echo "$(git rev-parse --short HEAD) $(date -u +%F) on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}')"
    git status --short -- cuda src tests CMakeLists.txt | head -20
} >"$D/BUILT"
tar -C "$D" -cJf "$ROOT/.devbundle/dshap-cuda.tar.xz" bin lib BUILT
cp "$D/BUILT" "$ROOT/.devbundle/BUILT"
du -sh "$D/bin" "$D/lib" "$ROOT/.devbundle/dshap-cuda.tar.xz" "$ROOT/.devbundle/whl"
echo "bundle ready: carry \".devbundle\" (device_check.sh unpacks it where a source build is impossible)"
