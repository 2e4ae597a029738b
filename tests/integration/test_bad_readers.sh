#!/usr/bin/env bash
# Absurd or damaged declared sizes in model.h5, data.h5 and inputs.h5 are
# refused before anything is allocated or written: one line naming the file
# and the problem, a non-zero exit, no output. Also: an integer tensor is
# named with its dtype, a truncated file says so with its size, and on 3
# ranks a flag error is printed once (rank 0). Files are made with h5py.
set -uo pipefail
dshap=$1
py=/usr/bin/python3
$py -c 'import h5py' 2>/dev/null || { echo "SKIP: h5py missing"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
cd "$t"
$dshap model init --arch cp29 --seed 1 --frames 24 -o m.h5 >/dev/null
$dshap data synth --layout cp29 --n 4 --classes 2 --frames 24 --persons 1 --seed 2 -o d.h5 >/dev/null
$dshap features --data d.h5 --frames 24 -o in.h5 >/dev/null
$py - <<'PY'
import h5py, numpy as np
def clone(src, dst, edit):
    with h5py.File(src, "r") as a, h5py.File(dst, "w") as b:
        for k, v in a.attrs.items(): b.attrs[k] = v
        def walk(g, h):
            for k in g:
                if isinstance(g[k], h5py.Group): walk(g[k], h.create_group(k))
                elif not edit(g[k].name, h, k, g[k]): g.copy(k, h)
        walk(a, b)
def x_shape(shape, chunks=None):
    def e(path, h, k, ds):
        if path != "/x": return False
        h.create_dataset(k, shape=shape, dtype="f4", chunks=chunks); return True
    return e
clone("d.h5", "T31.h5", x_shape((4, 3, 2**31, 29, 1), (1, 3, 64, 29, 1)))  # 2^31 frames, nothing stored
clone("d.h5", "N33.h5", x_shape((2**33, 3, 24, 29, 1), (1, 3, 24, 29, 1)))  # 2^33 samples in a small file
clone("d.h5", "Ncont.h5", x_shape((2**20, 3, 24, 29, 1)))                  # contiguous, never written
clone("in.h5", "inN.h5", x_shape((2**33, 4, 6, 24, 29, 1), (1, 4, 6, 24, 29, 1)))
def tensor(name, make):
    def e(path, h, k, ds):
        if path != "/state_dict/" + name: return False
        make(h, k, ds); return True
    return e
bias = "classifier.fc.bias"
clone("m.h5", "m_big.h5", tensor(bias, lambda h, k, ds: h.create_dataset(k, shape=(2**36,), dtype="f4", chunks=(1024,))))
clone("m.h5", "m_int.h5", tensor(bias, lambda h, k, ds: h.create_dataset(k, data=ds[...].astype("i4"))))
clone("m.h5", "m_shape.h5", tensor(bias, lambda h, k, ds: h.create_dataset(k, data=np.zeros(2 + 256, "f4"))))
PY
head -c 70000 d.h5 > trunc.h5
printf 'not hdf5 at all\n' > text.h5
pass=0 fail=0
check() { # name expected-substring file-named command...
  local name=$1 want=$2 file=$3; shift 3
  rm -f out.h5 out.h5.part
  out=$("$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$out" | grep -c .)
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" = 1 ] && printf '%s' "$out" | grep -qF -- "$want" &&
     printf '%s' "$out" | grep -qF -- "$file" && [ ! -e out.h5 ] && [ ! -e out.h5.part ]; then
    pass=$((pass + 1)); echo "ok: $name: $out"
  else
    fail=$((fail + 1)); echo "FAIL: $name (rc $rc, $lines lines): $out"
  fi
}
stored="but the file stores 0 bytes"
check "data T = 2^31" "$stored" T31.h5 $dshap predict --model m.h5 --input T31.h5 -o out.h5
check "data N = 2^33 (predict)" "$stored" N33.h5 $dshap predict --model m.h5 --input N33.h5 -o out.h5
check "data N = 2^33 (features)" "$stored" N33.h5 timeout 60 $dshap features --data N33.h5 --frames 24 -o out.h5
check "data never written" "$stored" Ncont.h5 $dshap predict --model m.h5 --input Ncont.h5 -o out.h5
check "inputs N = 2^33" "$stored" inN.h5 $dshap predict --model m.h5 --input inN.h5 -o out.h5
check "model tensor (2^36,)" "$stored" m_big.h5 $dshap model info m_big.h5
check "model tensor int32" "(int32), the architecture needs (2,) (float)" m_int.h5 $dshap model info m_int.h5
check "model tensor shape" "has shape (258,) (float32), the architecture needs (2,)" m_shape.h5 $dshap model info m_shape.h5
check "truncated file" "truncated or damaged HDF5 file (70000 bytes)" trunc.h5 $dshap predict --model m.h5 --input trunc.h5 -o out.h5
check "not HDF5" "not an HDF5 file (16 bytes" text.h5 $dshap model info text.h5
check "explain on N = 2^33" "$stored" N33.h5 $dshap explain --model m.h5 --data N33.h5 --background d.h5 --no-progress -o out.h5
out=$(mpirun -np 3 $dshap explain --model m.h5 --data d.h5 --background d.h5 -o out.h5 --frobnicate 2>&1)
n=$(printf '%s\n' "$out" | grep -c "unknown or incomplete option '--frobnicate'")
if [ "$n" = 1 ]; then pass=$((pass + 1)); echo "ok: a flag error on 3 ranks is printed once"
else fail=$((fail + 1)); echo "FAIL: flag error on 3 ranks printed $n times: $out"; fi
echo "bad readers: $pass passed, $fail failed"
[ $fail = 0 ]
