#!/usr/bin/env bash
# Outputs on a full disk and under SIGINT/SIGTERM: every command writing to a
# 64 KiB tmpfs filled to 56 KiB must exit 1 (no signal) with one stderr line
# saying the disk is full, leave no output and no temporary (*.part); a
# command killed by SIGTERM or SIGINT mid-write removes its temporary.
# Mounting needs root: where mount is refused the test is skipped (77).
#   test_full_disk.sh DSHAP FIXTURES SHARED
set -uo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d /tmp/dshap_full_disk.XXXXXX)
small=$tmp/small
mkdir -p "$small"
if ! mount -t tmpfs -o size=64k tmpfs "$small" 2>"$tmp/mount.log"; then
  echo "SKIP: cannot mount a small tmpfs here ($(head -1 "$tmp/mount.log")): the full-disk cases need root"
  rm -rf "$tmp"
  exit 77
fi
trap 'umount "$small" 2>/dev/null; rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$tmp" || exit 1
pass=0 fail=0
setup() { "$dshap" "$@" >/dev/null 2>setup.log || { echo "FAIL: setup: dshap $*: $(cat setup.log)"; exit 1; }; }
L=main_stream.block-1_tcn_main.conv
setup model init --arch cp29 --seed 1 --frames 8 -o m.h5
setup data synth --layout cp29 --n 4 --classes 2 --frames 8 --persons 1 --seed 2 -o d.h5
setup data synth --layout ntu25 --n 3 --classes 4 --frames 16 --seed 5 --format skeleton --out-dir skel
setup gradcam --model m.h5 --data d.h5 --layer $L -o gc.h5 --quiet
setup rank --scores gc.h5:/gradcam/$L/joint -o r.h5 --quiet
setup perturb --model m.h5 --data d.h5 --scores gc.h5:/gradcam/$L/joint --k 1..2 --repeats 2 -o cv.h5 --quiet
printf 'ranks,seconds\n1,4.0\n2,2.1\n' >sc.csv
python3 -c "
import struct
def npy(path, descr, shape, data):
    h = \"{'descr': '%s', 'fortran_order': False, 'shape': %s, }\" % (descr, shape)
    h += ' ' * (63 - (10 + len(h)) % 64) + '\n'
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + data)
n = 4 * 2 * 8 * 29
npy('X.npy', '<f4', '(4, 2, 8, 29, 1)', struct.pack('<%df' % n, *[(i % 7) * 0.1 for i in range(n)]))
npy('Y.npy', '<i8', '(4,)', struct.pack('<4q', 0, 1, 0, 1))
" || { echo "FAIL: setup: python3 could not write the .npy inputs"; exit 1; }

full() { # OUTPUT... -- dshap args: on a full disk
  local outs=() a
  while [ "$1" != "--" ]; do outs+=("$1"); shift; done
  shift
  rm -rf "${small:?}"/*
  dd if=/dev/zero of="$small/fill" bs=1k count=${FILL:-56} 2>/dev/null
  "$dshap" "$@" >out.log 2>err.log
  local rc=$? why=""
  [ $rc = 1 ] || why="exit $rc"
  [ -z "$why" ] && [ "$(wc -l <err.log)" != 1 ] && why="$(wc -l <err.log) stderr lines"
  [ -z "$why" ] && ! grep -q "the disk is full" err.log && why="does not say the disk is full"
  for a in "${outs[@]}"; do [ -z "$why" ] && [ -e "$a" ] && why="$a was created"; done
  [ -z "$why" ] && [ -n "$(find "$small" -name '*.part')" ] && why="left $(find "$small" -name '*.part' | head -1)"
  if [ -z "$why" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: full disk: dshap $*: $why: $(head -c 300 err.log)" >&2; fi
}
S=$small
full $S/m.h5 -- model init --arch cp29 --seed 1 --frames 8 -o $S/m.h5
full $S/d.h5 -- data synth --layout cp29 --n 4 --classes 2 --frames 8 --persons 1 --seed 2 -o $S/d.h5
full $S/n.h5 -- data import-npy X.npy Y.npy --layout cp29 -o $S/n.h5
full $S/v.h5 -- data import-ntu skel --benchmark xview --split eval --quiet -o $S/v.h5
full $S/i.h5 -- features --data d.h5 --frames 8 -o $S/i.h5
full $S/p.h5 -- predict --model m.h5 --input d.h5 -o $S/p.h5
full $S/g.h5 -- gradcam --model m.h5 --data d.h5 --layer $L -o $S/g.h5 --quiet
full $S/r.h5 $S/r.csv -- rank --scores gc.h5:/gradcam/$L/joint -o $S/r.h5 --csv $S/r.csv --quiet
full $S/c.h5 $S/c.csv -- correlate --scores A=gc.h5:/gradcam/$L/joint --scores B=gc.h5:/gradcam/$L/map -o $S/c.h5 --csv $S/c.csv --quiet
full $S/cv.h5 $S/cv.csv -- perturb --model m.h5 --data d.h5 --scores gc.h5:/gradcam/$L/joint --k 1..2 --repeats 2 -o $S/cv.h5 --csv $S/cv.csv --quiet
full $S/cv.h5 $S/pm.h5 -- perturb --model m.h5 --data d.h5 --scores gc.h5:/gradcam/$L/joint --k 1..2 --repeats 2 -o $S/cv.h5 --save-model $S/pm.h5 --quiet
full $S/sk.svg -- plot skeleton --data d.h5 --scores gc.h5:/gradcam/$L/map --windows 3 -o $S/sk.svg --quiet
full $S/rk.svg -- plot ranks --ranks r.h5 -o $S/rk.svg --quiet
full $S/e.h5 $S/e.h5.ckpt -- explain --model m.h5 --data d.h5 --background d.h5 --n-background 2 -o $S/e.h5
FILL=64 full $S/pc.svg -- plot perturb --curves cv.h5 -o $S/pc.svg --quiet
FILL=64 full $S/sc.svg -- plot scaling --csv sc.csv -o $S/sc.svg --quiet
# a CSV alone on the full disk (the HDF5 output elsewhere): neither appears
rm -rf "${small:?}"/*; dd if=/dev/zero of="$small/fill" bs=1k count=64 2>/dev/null
"$dshap" rank --scores gc.h5:/gradcam/$L/joint -o rr.h5 --csv $S/rr.csv --quiet >out.log 2>err.log
if [ $? = 1 ] && [ ! -e rr.h5 ] && [ ! -e $S/rr.csv ] && [ ! -e $S/rr.csv.part ] && grep -q "disk is full" err.log; then pass=$((pass + 1))
else fail=$((fail + 1)); echo "FAIL: rank --csv on a full disk: $(cat err.log); $(ls rr.h5 $S 2>&1 | tr '\n' ' ')" >&2; fi
umount "$small"

# signals: a long write interrupted leaves neither the output nor its temporary
for sig in TERM INT; do
  # (a background job of a script starts with SIGINT ignored: restore it)
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$dshap" data synth --layout ntu25 --n 4000 --frames 300 --seed 1 -o sig.h5 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do [ -e sig.h5.part ] && break; sleep 0.1; done
  sleep 0.3
  kill -$sig $pid
  wait $pid
  rc=$?
  if [ -e sig.h5.part ] || [ -e sig.h5 ]; then fail=$((fail + 1)); echo "FAIL: SIG$sig (exit $rc) left $(ls sig.h5*)" >&2
  elif [ $rc -le 128 ]; then fail=$((fail + 1)); echo "FAIL: SIG$sig: synth finished (exit $rc) before the signal; make it longer" >&2
  else pass=$((pass + 1)); fi
done
echo "full disk and signals: $pass passed, $fail failed"
[ "$fail" = 0 ]
