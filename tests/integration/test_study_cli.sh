#!/usr/bin/env bash
# The study commands through the command line on a tiny model: gradcam into a
# new file and added to dshap explain's file, perturb, rank, correlate, every
# plot kind rendered by a real SVG renderer (rsvg-convert) and the PNG
# inspected; bad arguments give one clear line, a non-zero exit and no output.
#   test_study_cli.sh DSHAP FIXTURES SHARED
set -uo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/dshap_study_cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
run() { "$dshap" "$@" >"$tmp/out.log" 2>"$tmp/err.log" || { bad "dshap $*: $(tail -n 3 "$tmp/err.log")"; return 1; }; ok; }
cd "$tmp" || exit 1

# the Grad-CAM fixture's model: ntu25, M = 2, 4 classes, T = 12, two main blocks
cp "$fixtures/study/gradcam_ntu.model.h5" m.h5 || { bad "no fixture model in $fixtures/study"; exit 1; }
L=main_stream.block-1_tcn_main.conv A=input_stream.0.block-0_att.activation
run data synth --layout ntu25 --n 8 --classes 4 --frames 24 -o d.h5
run gradcam --model m.h5 --data d.h5 --layer $L --layer $A -o gc.h5
check "h5ls -r gc.h5 | grep -q '$L/map *Dataset {8, 6, 25}'" "gradcam map shape (N, T', V)"
check "h5ls -r gc.h5 | grep -q '$A/joint *Dataset {8, 25}'" "gradcam joint shape (N, V)"
run explain --model m.h5 --data d.h5 --background d.h5 --n-background 4 --chunk 2 --classes true --no-progress -o a.h5
run gradcam --model m.h5 --data d.h5 --layer $L --variant shapgcn --negate --classes all -o a.h5
check "h5ls -r a.h5 | grep -q '/shap/values'" "explain's values kept when adding Grad-CAM"
check "h5ls -r a.h5 | grep -q '$L/map *Dataset {8, 4, 6, 25}'" "gradcam --classes all map (N, K', T', V)"
check "h5dump -a /gradcam/$L/variant a.h5 | grep -q shapgcn" "variant attribute"

run perturb --model m.h5 --data d.h5 --scores SHAP=a.h5:/shap/values --k 1..4 --repeats 2 --thresh 5 -o p1.h5 --csv p1.csv
check "[ \$(grep -c ',top,' p1.csv) = 4 ] && [ \$(grep -c ',random,' p1.csv) = 4 ]" "perturb CSV rows"
run perturb --model m.h5 --data d.h5 --scores GC=gc.h5:/gradcam/$L/joint --k 1..4 --repeats 2 --thresh 5 -o p2.h5 --quiet
run rank --scores SHAP=a.h5:/shap/values --scores GC=gc.h5:/gradcam/$L/joint --scores "sum=gc.h5:/gradcam/$L/joint+gc.h5:/gradcam/$A/joint" -o r.h5 --csv r.csv
check "[ \$(wc -l <r.csv) = 26 ]" "rank CSV: header + 25 joints"
run correlate --scores SHAP=a.h5:/shap/values --scores GC=gc.h5:/gradcam/$L/joint --scores Att=gc.h5:/gradcam/$A/joint -o c.h5 --csv c.csv
check "head -1 c.csv | grep -q '^source,SHAP,GC,Att$' && grep -q '^GC,.*,1.0000,' c.csv" "correlation table"

# every figure kind
run plot skeleton --data d.h5 --sample 1 --frames 12 --windows 3 --scores SHAP=a.h5:/shap/values --scores GC=gc.h5:/gradcam/$L/map -o sk.svg
run plot ranks --ranks r.h5 -o rk.svg
run plot perturb --curves p1.h5 --curves p2.h5 -o pc.svg
printf 'ranks,seconds\n1,12.0\n2,6.3\n4,3.5\n' >sc.csv
run plot scaling --csv sc.csv -o sc.svg
check "[ \$(grep -c 'class=\"joint\"' sk.svg) = 150 ]" "skeleton: 2 sources x 3 windows x 25 joints"
check "[ \$(grep -c 'class=\"box\"' rk.svg) = 75 ]" "ranks: 3 sources x 25 joints"
check "[ \$(grep -c 'class=\"point\"' pc.svg) = 24 ] && [ \$(grep -c 'class=\"band\"' pc.svg) = 2 ]" "perturb: 6 curves x 4 k, 2 bands"
check "[ \$(grep -c 'class=\"point\"' sc.svg) = 6 ]" "scaling: 3 rows x 2 panels"
if command -v rsvg-convert >/dev/null && command -v python3 >/dev/null; then
  for f in sk rk pc sc; do
    if ! rsvg-convert "$f.svg" -o "$f.png" 2>"$tmp/rsvg.log"; then bad "rsvg-convert $f.svg: $(head -1 "$tmp/rsvg.log")"; continue; fi
    read -r w h col <<<"$(python3 "$here/png_info.py" "$f.png")"
    sw=$(grep -o '<svg[^>]*' "$f.svg" | sed -n 's/.* width="\([0-9]*\)".*/\1/p')
    sh=$(grep -o '<svg[^>]*' "$f.svg" | sed -n 's/.* height="\([0-9]*\)".*/\1/p')
    check "[ '$w' = '$sw' ] && [ '$h' = '$sh' ]" "$f.png is ${w}x$h, the SVG says ${sw}x$sh"
    check "[ '${col:-0}' -gt 500 ]" "$f.png has only ${col:-0} coloured pixels"
  done
  # the heat map's largest joint is drawn in the colour map's dark end
  read -r _ _ _ n_red <<<"$(python3 "$here/png_info.py" sk.png --count '#800026,40')"
  check "[ '${n_red:-0}' -gt 20 ]" "skeleton PNG: no dark-red (most important) joint pixels"
else
  echo "note: rsvg-convert (librsvg2-bin) or python3 missing: SVGs not rendered" >&2
fi

# bad arguments: one line on stderr, non-zero exit, no output file
expect_error() { # pattern output args...
  local pat=$1 out=$2; shift 2
  rm -f "$out"
  "$dshap" "$@" >/dev/null 2>"$tmp/e.log"
  local rc=$?
  if [ $rc -ne 0 ] && [ "$(wc -l <"$tmp/e.log")" = 1 ] && grep -q -- "$pat" "$tmp/e.log" && [ ! -e "$out" ]; then ok
  else bad "dshap $* -> rc $rc, stderr: $(cat "$tmp/e.log")"; fi
}
expect_error "no layer 'main_stream.nope'" x.h5 gradcam --model m.h5 --data d.h5 --layer main_stream.nope -o x.h5
expect_error "Grad-CAM needs a (C, T', V) map" x.h5 gradcam --model m.h5 --data d.h5 --layer classifier.fc -o x.h5
expect_error "--variant expects" x.h5 gradcam --model m.h5 --data d.h5 --layer $L --variant fancy -o x.h5
expect_error "at least one --layer" x.h5 gradcam --model m.h5 --data d.h5 -o x.h5
expect_error "unknown or incomplete option" x.h5 gradcam --model m.h5 --data d.h5 --layer $L --bogus -o x.h5
expect_error "larger than the model's 25 joints" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/values --k 1..30 -o x.h5
expect_error "--mode expects" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/values --mode wild -o x.h5
expect_error "--select expects" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/values --select best -o x.h5
expect_error "--k expects" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/values --k 3..1 -o x.h5
expect_error "needs /group" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/values --metric auc-grouped -o x.h5
expect_error "no dataset '/shap/nothing'" x.h5 perturb --model m.h5 --data d.h5 --scores a.h5:/shap/nothing -o x.h5
expect_error "expected FILE:DATASET" x.h5 rank --scores a.h5 -o x.h5
expect_error "at least two --scores" x.h5 correlate --scores a.h5:/shap/values -o x.h5
expect_error "unknown figure kind" x.svg plot pie --csv sc.csv -o x.svg
expect_error "takes --curves" x.svg plot perturb --csv sc.csv -o x.svg
if python3 -c 'import h5py' 2>/dev/null; then
  python3 -c "
import h5py, numpy as np
with h5py.File('empty.h5', 'w') as f:
    f['s'] = np.zeros((0, 25), np.float32)"
  expect_error "empty score set" x.h5 perturb --model m.h5 --data d.h5 --scores empty.h5:/s -o x.h5
  expect_error "empty score set" x.h5 rank --scores empty.h5:/s -o x.h5
fi
echo "test_study_cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
