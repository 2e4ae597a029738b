#!/usr/bin/env bash
# Forward time per sample of both published architectures at full size
# (T = 150): NTU X-View (M = 2) and CP29 (M = 1), random weights, synthetic
# inputs, with the FLOP count from `dshap model info` and achieved GFLOP/s.
#   jobs/bench/bench_forward.sh [--n N] [--threads T]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=16 threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "bench_forward: unknown option $1" >&2; exit 2 ;;
  esac; shift
done
[ -x build/dshap ] || scripts/setup.sh
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
d=build/dshap
printf '%-10s %4s %10s %12s %10s %9s\n' model N "GFLOP/fwd" "s/sample" "GFLOP/s" threads
for spec in "ntu-xview ntu25" "cp29 cp29"; do
  set -- $spec
  $d model init --arch $1 --seed 1 -o "$w/m.h5" >/dev/null
  $d data synth --layout $2 --n $n --frames 150 --seed 2 -o "$w/x.h5" >/dev/null
  $d features --data "$w/x.h5" --frames 150 -o "$w/in.h5" >/dev/null
  gf=$($d model info "$w/m.h5" | sed -n 's/^forward: \([0-9.]*\) GFLOP per sample.*/\1/p')
  t0=$(date +%s.%N)
  $d predict --model "$w/m.h5" --input "$w/in.h5" -o "$w/p.h5" >/dev/null
  t1=$(date +%s.%N)
  awk -v m=$1 -v n=$n -v g=$gf -v a=$t0 -v b=$t1 -v th=$threads \
    'BEGIN{s=(b-a)/n; printf "%-10s %4d %10.3f %12.4f %10.1f %9d\n", m, n, g, s, g/s, th}'
done
