#!/usr/bin/env bash
# Preemption: kill -9 one rank of a 2-rank explain job mid-run. The job goes
# down, leaves no output under its final name, keeps the finished work units;
# `--resume` on 3 ranks then yields the same bytes as an uninterrupted run,
# reusing exactly the kept units (counted), except two that were damaged on
# purpose (two payload bytes flipped, one unit cut short): those are named in
# a warning and recomputed, never used. Jobs that would give other bytes
# (other classes, --class-seeds) are refused before any work.
set -euo pipefail
dshap=$(readlink -f "$1") fixtures=$2
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
$dshap model init --arch "$fixtures/archs/small_ntu.json" --seed 4 -o "$t/model.h5" >/dev/null
$dshap data synth --layout ntu25 --n 12 --classes 60 --frames 20 --seed 1 -o "$t/val.h5" >/dev/null
$dshap data synth --layout ntu25 --n 30 --classes 60 --frames 20 --seed 2 -o "$t/bg.h5" >/dev/null
args=(explain --model "$t/model.h5" --data "$t/val.h5" --background "$t/bg.h5" --n-background 24
      --chunk 2 --block 1 --classes 0,7,33 --no-progress)
$dshap "${args[@]}" -o "$t/ref.h5" 2>/dev/null

mpirun -np 2 "$dshap" "${args[@]}" -o "$t/out.h5" >"$t/killed.log" 2>&1 &
job=$!
for _ in $(seq 600); do # wait for some finished units, then kill one rank
  n=$(ls "$t/out.h5.ckpt" 2>/dev/null | grep -c '^unit-.*\.bin$' || true)
  [ "$n" -ge 6 ] && break
  sleep 0.05
done
victim=$(pgrep -f "^$dshap explain .*$t/out.h5" | head -n 1)
[ -n "$victim" ] || { echo "FAIL: the job finished before it could be killed"; exit 1; }
kill -9 "$victim"
rc=0; wait $job || rc=$?
kept=$(ls "$t/out.h5.ckpt" | grep -c '^unit-.*\.bin$' || true)
fail=0
[ $rc -ne 0 ] || { echo "FAIL: mpirun exited 0 after a rank was killed"; fail=1; }
[ ! -e "$t/out.h5" ] || { echo "FAIL: output exists after the kill"; fail=1; }
echo "killed rank pid $victim; mpirun exit $rc; $kept of 144 units kept"
# the checkpoint of this job is refused by jobs that would give other bytes
for variant in classes class-seeds; do
  if [ $variant = classes ]; then other=("${args[@]/0,7,33/0,7,34}"); else other=("${args[@]}" --class-seeds); fi
  if "$dshap" "${other[@]}" --resume -o "$t/out.h5" 2>"$t/other.log"; then
    echo "FAIL: another job ($variant) resumed from this checkpoint"; fail=1
  elif ! grep -q "belongs to another job" "$t/other.log" || grep -q "work units" "$t/other.log"; then
    echo "FAIL: $variant: unexpected message: $(cat "$t/other.log")"; fail=1
  fi
done
# damage two kept units: flip two payload bytes of one, cut another short
units=($(ls "$t/out.h5.ckpt" | grep '^unit-.*\.bin$' | sort))
flip=${units[0]} cut=${units[1]}
/usr/bin/python3 - "$t/out.h5.ckpt/$flip" "$t/out.h5.ckpt/$cut" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:  # header is 48 bytes; flip bytes inside the payload
    for off in (48 + 13, 48 + 100):
        f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x5a]))
os.truncate(sys.argv[2], os.path.getsize(sys.argv[2]) - 8)
PY
mpirun -np 3 "$dshap" "${args[@]}" --resume -o "$t/out.h5" 2>"$t/resume.log" || { echo "FAIL: resume: $(tail -3 "$t/resume.log")"; fail=1; }
summary=$(grep "resumed" "$t/resume.log" || true)
echo "${summary:-no resume summary}"
want="resumed $((kept - 2)) work units from the checkpoint, computed $((144 - kept + 2)) (2 rejected and recomputed)"
[[ "$summary" == *"$want"* ]] || { echo "FAIL: expected '$want'"; fail=1; }
grep -q "$flip: checksum mismatch" "$t/resume.log" || { echo "FAIL: no warning for the flipped unit $flip"; fail=1; }
grep -q "$cut: truncated" "$t/resume.log" || { echo "FAIL: no warning for the cut unit $cut"; fail=1; }
[ "$(grep -c "explain: warning" "$t/resume.log")" = 2 ] || { echo "FAIL: expected 2 warnings: $(grep "explain: warning" "$t/resume.log")"; fail=1; }
for ds in /shap/values /shap/output /shap/residual /shap/expected_value /shap/classes; do
  h5diff "$t/ref.h5" "$t/out.h5" $ds $ds >/dev/null || { echo "FAIL: $ds differs after resume"; fail=1; }
done
[ ! -e "$t/out.h5.ckpt" ] || { echo "FAIL: checkpoint folder left after success"; fail=1; }
echo "explain resume: $((fail == 0 ? 1 : 0)) passed, $((fail == 0 ? 0 : 1)) failed"
[ $fail = 0 ]
