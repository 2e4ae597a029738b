#!/usr/bin/env bash
# Bad explain inputs: one clear error line naming the problem, a non-zero
# exit, and no output file (not even a partial one).
set -uo pipefail
dshap=$1 fixtures=$2
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
$dshap model init --arch "$fixtures/archs/small_cp29.json" --seed 4 -o "$t/model.h5" >/dev/null
$dshap data synth --layout cp29 --n 3 --frames 20 --seed 1 -o "$t/val.h5" >/dev/null
$dshap data synth --layout cp29 --n 8 --frames 20 --seed 2 -o "$t/bg.h5" >/dev/null
$dshap data synth --layout ntu25 --n 8 --frames 20 --seed 2 -o "$t/bg_ntu.h5" >/dev/null
$dshap data synth --layout cp29 --n 8 --frames 10 --seed 2 -o "$t/bg_short.h5" >/dev/null
$dshap features --data "$t/bg.h5" --frames 12 -o "$t/bg_t12.h5" >/dev/null
# NaN in one sample of the data (h5 round trip through the CLI-written file)
cp "$t/val.h5" "$t/val_nan.h5"
printf 'nan\n' > "$t/idx_bad.txt"; printf '0\n99\n' > "$t/idx_range.txt"
pass=0 fail=0
expect_error() { # name expected-substring args...
  local name=$1 want=$2; shift 2
  rm -f "$t/out.h5"
  out=$("$dshap" explain --model "$t/model.h5" --no-progress "$@" -o "$t/out.h5" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$out" | grep -c .)
  if [ $rc -ne 0 ] && [ "$lines" = 1 ] && printf '%s' "$out" | grep -qF -- "$want" && [ ! -e "$t/out.h5" ] && [ ! -e "$t/out.h5.part" ] && [ ! -e "$t/out.h5.ckpt" ]; then
    pass=$((pass + 1)); echo "ok: $name: $out"
  else
    fail=$((fail + 1)); echo "FAIL: $name (rc $rc, $lines lines): $out"
  fi
}
d=(--data "$t/val.h5")
expect_error "background layout" "layout 'ntu25' differs" "${d[@]}" --background "$t/bg_ntu.h5"
expect_error "background too short" "fewer than the model's T" "${d[@]}" --background "$t/bg_short.h5"
expect_error "background other T" "has shape" "${d[@]}" --background "$t/bg_t12.h5"
expect_error "too many references" "bg.h5 has only 8 samples" "${d[@]}" --background "$t/bg.h5" --n-background 9
expect_error "class out of range" "class 7 is out of range" "${d[@]}" --background "$t/bg.h5" --classes 7
expect_error "bad classes flag" "--classes expects" "${d[@]}" --background "$t/bg.h5" --classes 1,x
expect_error "bad rules flag" "--rules expects" "${d[@]}" --background "$t/bg.h5" --rules fancy
expect_error "bad store flag" "--store expects" "${d[@]}" --background "$t/bg.h5" --store pixels
expect_error "bad transport flag" "--transport expects" "${d[@]}" --background "$t/bg.h5" --transport carrier-pigeon
# NCCL carries partials between GPUs only: on the CPU backend (or a build
# without NCCL) it is refused before any work
expect_error "nccl on the cpu" "--transport nccl" "${d[@]}" --background "$t/bg.h5" --backend cpu --transport nccl
expect_error "bad chunk" "--chunk expects" "${d[@]}" --background "$t/bg.h5" --chunk 0
expect_error "missing data" "cannot open" --data "$t/nope.h5" --background "$t/bg.h5"
expect_error "bad index file" "not a row index" "${d[@]}" --background "$t/bg.h5" --background-indices "$t/idx_bad.txt"
expect_error "index out of range" "not a row index" "${d[@]}" --background "$t/bg.h5" --background-indices "$t/idx_range.txt"
expect_error "data is a model" "expected a dshap-inputs or dshap-data file" --data "$t/model.h5" --background "$t/bg.h5"
expect_error "unknown flag" "unknown or incomplete option" "${d[@]}" --background "$t/bg.h5" --frobnicate
# a failed additivity check is a result, not an interruption: no checkpoint stays
# (the run gets as far as its log lines, so the error is its last line)
rm -rf "$t/out.h5" "$t/out.h5.ckpt"
out=$("$dshap" explain --model "$t/model.h5" --no-progress "${d[@]}" --background "$t/bg.h5" --n-background 4 \
      --check-additivity 1e-12 -o "$t/out.h5" 2>&1 >/dev/null); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | tail -1 | grep -q "additivity check failed.*no output written" &&
   [ ! -e "$t/out.h5" ] && [ ! -e "$t/out.h5.part" ] && [ ! -e "$t/out.h5.ckpt" ]; then
  pass=$((pass + 1)); echo "ok: additivity check: $(printf '%s' "$out" | tail -1)"
else
  fail=$((fail + 1)); echo "FAIL: additivity check (rc $rc): $out; left: $(ls "$t" | grep out.h5)"
fi
# the output location is checked before any work (nothing computed, no .ckpt/)
expect_output_error() { # name expected-substring output
  local name=$1 want=$2 o=$3
  out=$("$dshap" explain --model "$t/model.h5" --no-progress "${d[@]}" --background "$t/bg.h5" -o "$o" 2>&1 >/dev/null)
  rc=$?; lines=$(printf '%s\n' "$out" | grep -c .)
  if [ $rc -ne 0 ] && [ "$lines" = 1 ] && printf '%s' "$out" | grep -qF -- "$want" && [ ! -e "$o.part" ] &&
     [ ! -e "$o.ckpt" ] && ! printf '%s' "$out" | grep -q "work units"; then
    pass=$((pass + 1)); echo "ok: $name: ${out:0:160}"
  else
    fail=$((fail + 1)); echo "FAIL: $name (rc $rc, $lines lines): ${out:0:300}"
  fi
}
mkdir "$t/adir.h5"
expect_output_error "output is a directory" "is a directory" "$t/adir.h5"
expect_output_error "output folder missing" "does not exist" "$t/nodir/out.h5"
long=$t; while [ ${#long} -lt 4100 ]; do long=$long/$(printf 'd%.0s' $(seq 100)); done
expect_output_error "output path over PATH_MAX" "too long" "$long/out.h5"
expect_output_error "file name over NAME_MAX" "must stay within 255" "$t/$(printf 'n%.0s' $(seq 252))"
# a long path within the limits works, on 3 ranks (Open MPI's lockedfile
# component once aborted inside MPI_File_open beyond ~240 characters)
deep=$t; while [ ${#deep} -lt 600 ]; do deep=$deep/$(printf 'e%.0s' $(seq 100)); done
mkdir -p "$deep"
if mpirun -np 3 "$dshap" explain --model "$t/model.h5" --no-progress "${d[@]}" --background "$t/bg.h5" \
     --n-background 4 -o "$deep/out.h5" >/dev/null 2>"$t/deep.log" && h5ls "$deep/out.h5/shap/values" >/dev/null &&
   [ ! -e "$deep/out.h5.ckpt" ]; then
  pass=$((pass + 1)); echo "ok: a ${#deep}-character output folder on 3 ranks"
else
  fail=$((fail + 1)); echo "FAIL: long output path on 3 ranks: $(tail -3 "$t/deep.log")"
fi
if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  /usr/bin/python3 - "$t/val_nan.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    x = f["x"][...]; x[1, 0, 5, 3, 0] = float("nan"); f["x"][...] = x
PY
  expect_error "NaN in data" "sample 1 contains NaN" --data "$t/val_nan.h5" --background "$t/bg.h5" --n-background 4
  /usr/bin/python3 - "$t/bg.h5" "$t/bg_empty.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "w") as b:
    for k, v in a.attrs.items(): b.attrs[k] = v
    b["x"] = a["x"][:0]; b["y"] = a["y"][:0]
PY
  expect_error "empty background" "holds no samples" "${d[@]}" --background "$t/bg_empty.h5"
else
  echo "note: h5py missing, NaN case covered by the C tests only"
fi
echo "explain errors: $pass passed, $fail failed"
[ $fail = 0 ]
