#!/usr/bin/env bash
# dshap explain vs shap.DeepExplainer + PyTorch, side by side on this machine
# with the same threads: NTU X-View architecture at full size (T = 150,
# V = 25, M = 2), N = 8 instances, R = 20 and R = 100 references, the
# predicted class. shap cannot hold R = 20 full-size NTU samples' autograd
# state on a 24 GB machine, so it runs as passes of C references (as the
# study did) on a slice, and its cost is scaled to N x R (shap's cost is
# linear in both). Each C of --shap-chunks is measured (12 is about the
# largest that fits 24 GB); the ratio uses shap's fastest. Needs
# scripts/setup.sh --reference (the shap venv). --second-person interactions
# makes the synthetic data NTU-like (a second person only in the interaction
# classes), where dshap leaves the absent person's rows out and shap cannot.
#   jobs/bench/bench_explain.sh [--quick] [--threads T] [--shap-chunks "C1 C2"]
#                               [--second-person all|interactions]
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=0 threads=2 shap_chunks="5 12" second=all
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --threads) threads=$2; shift ;;
    --shap-chunks) shap_chunks=$2; shift ;;
    --second-person) second=$2; shift ;;
    *) echo "bench_explain: unknown option $1" >&2; exit 2 ;;
  esac; shift
done
[ -x build/dshap ] && [ -x build/sgemm_probe ] || scripts/setup.sh
py=/opt/dshap-ref/bin/python
[ -x $py ] || { echo "bench_explain: the shap venv is missing: run scripts/setup.sh --reference" >&2; exit 1; }
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
w=${BENCH_DIR:-$(mktemp -d)}; mkdir -p "$w"
d=build/dshap
N=8; Rs="20 100"; [ $quick = 1 ] && { N=2; Rs=20; shap_chunks=5; }
$d model init --arch ntu-xview --seed 1 -o "$w/model.h5" >/dev/null
$d data synth --layout ntu25 --n $N --classes 60 --frames 150 --seed 2 --second-person $second -o "$w/val_raw.h5" >/dev/null
$d data synth --layout ntu25 --n 120 --classes 60 --frames 150 --seed 3 --second-person $second -o "$w/bg_raw.h5" >/dev/null
$d features --data "$w/val_raw.h5" --frames 150 -o "$w/val.h5" >/dev/null
$d features --data "$w/bg_raw.h5" --frames 150 -o "$w/bg.h5" >/dev/null
gflop=$($d model info "$w/model.h5" | sed -n 's/^forward: \([0-9.]*\) GFLOP per sample.*/\1/p')
sgemm=$(build/sgemm_probe | sed -n 's/^machine sgemm rate (best, all threads): \([0-9.]*\).*/\1/p')
echo "model: NTU X-View, $gflop GFLOP per forward; machine sgemm rate $sgemm GFLOP/s ($threads threads); second person: $second"

printf '%-8s %-5s %-5s %12s %12s %10s %10s %9s\n' tool N R seconds "s/pair" "peak MiB" "GFLOP/s" "of sgemm"
declare -A dtime
for R in $Rs; do
  /usr/bin/time -f "%e %M" -o "$w/time.txt" $d explain --model "$w/model.h5" --data "$w/val.h5" \
    --background "$w/bg.h5" --n-background $R --chunk 20 --block 2 --classes pred --no-progress \
    -o "$w/att_$R.h5" 2>"$w/explain_$R.log"
  read -r sec kib < "$w/time.txt"
  dtime[$R]=$sec
  # work: every sample forward once, one backward (about one forward) per pair
  gf=$(awk -v n=$N -v r=$R -v g=$gflop -v s=$sec 'BEGIN{printf "%.1f", ((n + r) * g + n * r * g) / s}')
  printf '%-8s %-5s %-5s %12.1f %12.4f %10.0f %10s %8.0f%%\n' dshap $N $R $sec \
    "$(awk -v s=$sec -v n=$N -v r=$R 'BEGIN{print s / (n * r)}')" "$(awk -v k=$kib 'BEGIN{print k / 1024}')" \
    "$gf" "$(awk -v g=$gf -v m=$sgemm 'BEGIN{print 100 * g / m}')"
done
spp="" speak=""
for C in $shap_chunks; do
  sl=$($py jobs/bench/shap_runner.py "$w/model.h5" "$w/val.h5" "$w/bg.h5" --instances 1 \
        --references $((2 * C)) --chunk $C --threads $threads 2>/dev/null | tail -n 1)
  echo "$sl"
  p=$(echo "$sl" | sed -n 's/^shap: \([0-9.]*\) s\/pair.*/\1/p')
  if [ -z "$spp" ] || awk -v a=$p -v b=$spp 'BEGIN{exit !(a < b)}'; then
    spp=$p speak=$(echo "$sl" | sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p') best=$C
  fi
done
for R in $Rs; do
  est=$(awk -v p=$spp -v n=$N -v r=$R 'BEGIN{printf "%.1f", p * n * r}')
  printf '%-8s %-5s %-5s %12s %12.4f %10s %10s %9s\n' shap $N $R "$est*" $spp $speak - -
  echo "ratio at R=$R: shap / dshap = $(awk -v a=$est -v b=${dtime[$R]} 'BEGIN{printf "%.1f", a / b}')x"
done
echo "* shap time = its fastest measured seconds per (instance, reference) pair (passes of $best references) x N x R"
[ "$second" = all ] || echo "GFLOP/s counts a backward per pair for every person; dshap left out the absent persons' rows ($(sed -n 's/.*(\([0-9.]*%\)), left out.*/\1/p' "$w/explain_${R}.log") of them at R=$R)"
