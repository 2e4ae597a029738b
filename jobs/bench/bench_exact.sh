#!/usr/bin/env bash
# The backward's two exact savings (README, "The fast algorithm"), each timed
# against the same dshap explain job without it, side by side on this
# machine; NTU X-View architecture at full size (T = 150), one rank:
#  rows:  person rows whose instance and reference inputs are equal (an
#         absent second person in both) left out, vs --all-rows; on synthetic
#         NTU-like data (a second person only in the eleven interaction
#         classes, data synth --second-person interactions), N instances
#         against R references, the predicted class, and on the real NTU RGB+D
#         files of ../shared/data/ntu where present (X-View eval split, each
#         sample against all of them). The outputs must be the same bytes.
#  basis: all 60 classes through the classifier's 48 inputs, vs
#         --class-seeds (a seed per class), 2 instances x 4 references, every
#         person row computed so that only the basis differs; the outputs agree
#         to float rounding (max |difference| / max |phi| is printed).
# Prints a table: seconds of the whole command without and with the saving,
# the ratio, and the comparison of the outputs.
#   jobs/bench/bench_exact.sh [--threads T] [--n N] [--refs R]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=2 N=60 R=20
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift ;;
    --n) N=$2; shift ;;
    --refs) R=$2; shift ;;
    *) echo "bench_exact: unknown option $1" >&2; exit 2 ;;
  esac; shift
done
[ -x build/dshap ] || scripts/setup.sh
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
w=${BENCH_DIR:-$(mktemp -d)}; mkdir -p "$w"
d=build/dshap
$d model init --arch ntu-xview --seed 1 -o "$w/model.h5" >/dev/null
$d data synth --layout ntu25 --n "$N" --classes 60 --frames 150 --seed 2 --second-person interactions \
  -o "$w/val.h5" >/dev/null
$d data synth --layout ntu25 --n 120 --classes 60 --frames 150 --seed 3 --second-person interactions \
  -o "$w/bg.h5" >/dev/null
n_of() { h5ls "$1/x" | sed -E 's/.*\{([0-9]+).*/\1/'; }
values() { h5dump -d /shap/values -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr ', ' '\n\n' | grep -v '^$'; }
same_bytes() {
  for ds in /shap/values /shap/output /shap/residual /shap/classes /shap/expected_value; do
    h5diff "$1" "$2" $ds $ds >/dev/null || { echo NO; return; }
  done
  echo "same bytes"
}
max_rel() { # max |a - b| / max |b| of /shap/values
  paste <(values "$1") <(values "$2") |
    awk '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; a = $2 < 0 ? -$2 : $2; if (a > s) s = a}
         END {printf "differ by %.1e of max", (s > 0 ? m / s : 0)}'
}
# timed NAME OUT ARGS...: runs dshap explain, prints the seconds
timed() {
  local out=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  $d explain "$@" --no-progress -o "$out" 2>"$out.log"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}'
}
row() { # saving data N R classes plain_s fast_s comparison
  printf '%-6s %-22s %4s %4s %-7s %9s %9s %7.2fx  %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" \
    "$(awk -v a="$6" -v b="$7" 'BEGIN{print a / b}')" "$8"
}
echo "NTU X-View at T = 150, $threads threads, one rank, this machine ($(nproc) cores)"
printf '%-6s %-22s %4s %4s %-7s %9s %9s %8s  %s\n' saving data N R classes "plain s" "saving s" ratio outputs

sets=("synthetic NTU-like|$w/val.h5|$w/bg.h5|$R")
ntu=../shared/data/ntu
if [ -d "$ntu" ] && ls "$ntu"/*.skeleton >/dev/null 2>&1; then
  $d data import-ntu "$ntu" --benchmark xview --split eval -o "$w/ntu.h5" --quiet >/dev/null
  sets+=("real NTU X-View eval|$w/ntu.h5|$w/ntu.h5|$(n_of "$w/ntu.h5")")
fi
for s in "${sets[@]}"; do
  IFS='|' read -r name data bg refs <<<"$s"
  args=(--model "$w/model.h5" --data "$data" --background "$bg" --n-background "$refs" --chunk 20 --block 4
        --classes pred --store joint)
  ta=$(timed "$w/all.h5" "${args[@]}" --all-rows)
  ts=$(timed "$w/skip.h5" "${args[@]}")
  left=$(sed -n 's/.*(\([0-9.]*%\)), left out.*/\1/p' "$w/skip.h5.log")
  row rows "$name" "$(n_of "$data")" "$refs" pred "$ta" "$ts" "$(same_bytes "$w/all.h5" "$w/skip.h5"), $left of rows left out"
done

$d data synth --layout ntu25 --n 2 --classes 60 --frames 150 --seed 5 -o "$w/val2.h5" >/dev/null
args=(--model "$w/model.h5" --data "$w/val2.h5" --background "$w/bg.h5" --n-background 4 --chunk 4 --block 2
      --classes all --store joint --all-rows)
tc=$(timed "$w/seeds.h5" "${args[@]}" --class-seeds)
tb=$(timed "$w/basis.h5" "${args[@]}")
row basis "synthetic, 2 persons" 2 4 "all 60" "$tc" "$tb" "$(max_rel "$w/basis.h5" "$w/seeds.h5") |phi|"
echo "(seconds of the whole command: load, forwards, backward, write)"
