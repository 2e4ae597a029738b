#!/usr/bin/env bash
# dshap explain gives bitwise identical results for 1, 2, 3, 4, 5 and 8 MPI
# ranks (oversubscribed on small machines) and for 1 or 2 threads per rank;
# leaving out the person rows whose inputs are equal (absent second persons)
# gives the same bytes as computing them (--all-rows); all 60 classes through
# the classifier's 48 inputs (engine/basis.h) are the same bytes on 1 and 3
# ranks, and agree with a seed per class (--class-seeds) to 1e-5 of max |phi|.
set -euo pipefail
dshap=$1 fixtures=$2
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
$dshap model init --arch "$fixtures/archs/small_ntu.json" --seed 4 -o "$t/model.h5" >/dev/null
$dshap data synth --layout ntu25 --n 7 --classes 60 --frames 20 --seed 1 -o "$t/val.h5" >/dev/null
$dshap data synth --layout ntu25 --n 30 --classes 60 --frames 20 --seed 2 -o "$t/bg.h5" >/dev/null
args=(explain --model "$t/model.h5" --data "$t/val.h5" --background "$t/bg.h5" --n-background 11
      --chunk 3 --block 2 --classes 0,5,59 --store channel-joint --no-progress)
$dshap "${args[@]}" -o "$t/np1.h5" 2>/dev/null
fail=0
check() { # name file [reference]
  local ref=${3:-$t/np1.h5}
  for ds in /shap/values /shap/output /shap/residual /shap/expected_value /shap/classes /background/indices; do
    if ! h5diff "$ref" "$2" "$ds" "$ds" >/dev/null; then echo "FAIL: $1: $ds differs from $(basename "$ref")"; fail=1; fi
  done
}
for np in 2 3 4 5 8; do
  mpirun -np $np "$dshap" "${args[@]}" -o "$t/np$np.h5" 2>/dev/null
  check "np=$np" "$t/np$np.h5"
done
OMP_NUM_THREADS=2 mpirun -np 2 "$dshap" "${args[@]}" -o "$t/thr2.h5" 2>/dev/null
check "np=2 x 2 threads" "$t/thr2.h5"
mpirun -np 3 "$dshap" "${args[@]}" --transport mpi -o "$t/mpi3.h5" 2>/dev/null
check "np=3, --transport mpi" "$t/mpi3.h5"
# the same job as a job description; --chunk given on the command line wins
cat > "$t/job.job" <<JOB
model = $t/model.h5
data = $t/val.h5
background = $t/bg.h5
n_background = 11
chunk = 5
block = 2
classes = 0,5,59
store = channel-joint
output = $t/job.h5
JOB
mpirun -np 3 "$dshap" explain --job "$t/job.job" --chunk 3 --no-progress --bind none 2>/dev/null
check "--job file, np=3" "$t/job.h5"
# NTU-like data: a second person only in labels 49-59 (samples 49-54 of bg1)
$dshap data synth --layout ntu25 --n 5 --classes 60 --frames 20 --seed 1 --second-person interactions -o "$t/val1.h5" >/dev/null
$dshap data synth --layout ntu25 --n 55 --classes 60 --frames 20 --seed 2 --second-person interactions -o "$t/bg1.h5" >/dev/null
a1=(explain --model "$t/model.h5" --data "$t/val1.h5" --background "$t/bg1.h5" --n-background 20 --chunk 6 --block 2
    --classes 0,5,59 --store full --persons each --no-progress)
$dshap "${a1[@]}" --all-rows -o "$t/all_rows.h5" 2>"$t/all_rows.err"
mpirun -np 2 "$dshap" "${a1[@]}" -o "$t/skip.h5" 2>"$t/skip.err"
check "equal person rows left out, np=2" "$t/skip.h5" "$t/all_rows.h5"
if ! grep -Eq "phi exactly 0\): [1-9][0-9]* of 200 .*left out of the backward" "$t/skip.err"; then
  echo "FAIL: no report of left-out person rows:"; cat "$t/skip.err"; fail=1
fi
a2=(explain --model "$t/model.h5" --data "$t/val.h5" --background "$t/bg.h5" --n-background 5 --chunk 3 --block 3
    --classes all --store joint --no-progress)
$dshap "${a2[@]}" -o "$t/basis1.h5" 2>/dev/null
mpirun -np 3 "$dshap" "${a2[@]}" -o "$t/basis3.h5" 2>/dev/null
check "all classes through the class basis, np=3" "$t/basis3.h5" "$t/basis1.h5"
$dshap "${a2[@]}" --class-seeds -o "$t/seeds.h5" 2>/dev/null
values() { h5dump -d /shap/values -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr ', ' '\n\n' | grep -v '^$'; }
rel=$(paste <(values "$t/basis1.h5") <(values "$t/seeds.h5") |
  awk '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; a = $2 < 0 ? -$2 : $2; if (a > s) s = a; n++}
       END {if (n == 0 || s == 0) print "empty"; else printf "%.3g", m / s}')
# exactly 0 would mean both runs took the same path (the flag did nothing)
if [ "$rel" = empty ] || awk -v r="$rel" 'BEGIN{exit !(r > 1e-5 || r == 0)}'; then
  echo "FAIL: class basis vs a seed per class: $rel of max |phi| (want 0 < d <= 1e-5)"; fail=1
fi
[ $fail = 0 ] && echo "explain ranks: 10 passed, 0 failed (class basis vs seeds: $rel of max |phi|)" ||
  { echo "explain ranks: failures"; exit 1; }
