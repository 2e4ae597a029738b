#!/usr/bin/env bash
# Strong- or weak-scaling study of one dshap explain job: the same job
# description on 1..N ranks (mpirun, or srun inside an allocation), one CSV
# row per rank count, and a line per rank count on stderr with the speedup,
# the efficiency and the reduce + write share of the wall time. Plot the CSV
# with jobs/scaling/plot_scaling.py.
#
#   jobs/scaling/run_scaling.sh --job jobs/scaling/small.job --ranks "1 2 4" [--mode strong|weak]
#       [--launcher mpirun|srun] [--repeat K] [--n-background R1] [--out DIR] [--dshap PATH]
#       [-- extra explain flags, e.g. --chunk 10]
#
# strong: the job as written on every rank count.
# weak:   the background grows with the ranks, R = R1 * p / p1 (R1 = --n-background,
#         else the job's n_background, else 100; the background file must hold
#         enough rows), so the work per rank stays constant.
#
# CSV columns (DIR/scaling_MODE.csv):
#   mode, ranks, n_background  the run
#   wall_s         seconds from launch to exit (launcher start-up included), the
#                  fastest of --repeat runs
#   load_s ... write_s   per-phase maxima over ranks of that run's /timings
#                  (rows = ranks; load, background forward, instance forward,
#                  backward, reduce, write)
#   speedup        strong: p1 * T1 / Tp (ideal p); weak: p * T1 / Tp (scaled speedup)
#   efficiency     speedup / p (strong), T1 / Tp (weak); 1 is ideal
#   identical      strong: yes when /shap/* equal the first rank count's bit for bit
#                  (h5diff); weak: - (different problems)
# where p1, T1 are the first rank count given and its wall time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

job= r1= ranks="1 2" mode=strong launcher=mpirun repeat=1 out=${DSHAP_SCALING_DIR:-out/scaling} dshap=${DSHAP:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --job) job=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --n-background) r1=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --dshap) dshap=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "run_scaling.sh: unknown option '$1'" >&2; usage ;;
  esac
done
extra=("$@")
[ -n "$job" ] || { echo "run_scaling.sh: --job FILE is required" >&2; exit 2; }
[ -f "$job" ] || { echo "run_scaling.sh: job file '$job' not found" >&2; exit 2; }
case "$mode" in strong|weak) ;; *) echo "run_scaling.sh: --mode expects strong or weak (got '$mode')" >&2; exit 2 ;; esac
case "$launcher" in mpirun|srun) ;; *) echo "run_scaling.sh: --launcher expects mpirun or srun (got '$launcher')" >&2; exit 2 ;; esac
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "run_scaling.sh: --repeat expects a positive integer" >&2; exit 2; }
for p in $ranks; do [[ $p =~ ^[1-9][0-9]*$ ]] || { echo "run_scaling.sh: bad rank count '$p' in --ranks" >&2; exit 2; }; done
if [ -z "$dshap" ]; then
  if [ -x "$here/../../build/dshap" ]; then dshap=$here/../../build/dshap; else dshap=$(command -v dshap || true); fi
fi
[ -x "$dshap" ] || { echo "run_scaling.sh: no dshap binary (use --dshap PATH or DSHAP=...)" >&2; exit 2; }
command -v h5dump >/dev/null || { echo "run_scaling.sh: h5dump (hdf5-tools) is needed to read /timings" >&2; exit 2; }

if [ "$launcher" = mpirun ]; then
  # As root on a workstation; harmless elsewhere.
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
  export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
fi
calc() { awk "BEGIN { printf \"%.9g\", $1 }"; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
mkdir -p "$out"
csv=$out/scaling_$mode.csv

# R1: --n-background, else the job file's n_background (a plain number there), else dshap's default.
[ -n "$r1" ] || r1=$(awk '/^[ \t]*n[_-]background[ \t]*=/ { sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]+#.*/, ""); print; exit }' "$job")
r1=${r1:-100}
[[ $r1 =~ ^[1-9][0-9]*$ ]] || { echo "run_scaling.sh: need a plain number of references (--n-background or the job's n_background; got '$r1')" >&2; exit 2; }

# Column maxima of /timings (rows = ranks, 6 phases) as "a,b,c,d,e,f".
phase_max() {
  h5dump -d /timings -y -w 0 "$1" | awk '
    /^ *DATA \{/ && !done { on = 1; next }
    on && /^ *\}/ { on = 0; done = 1 }
    on { gsub(/,/, " "); for (i = 1; i <= NF; i++) { v[n % 6] = (n < 6 || $i > v[n % 6]) ? $i : v[n % 6]; n++ } }
    END { if (n == 0 || n % 6) exit 1; printf "%s,%s,%s,%s,%s,%s\n", v[0], v[1], v[2], v[3], v[4], v[5] }'
}

launch() { # ranks output-file n_background-flag...
  local p=$1 o=$2; shift 2
  if [ "$launcher" = mpirun ]; then
    mpirun -np "$p" "$dshap" explain --job "$job" --no-progress -o "$o" "$@" "${extra[@]}"
  else
    srun --mpi=pmix -n "$p" "$dshap" explain --job "$job" --no-progress -o "$o" "$@" "${extra[@]}"
  fi
}

echo "mode,ranks,n_background,wall_s,load_s,background_forward_s,instance_forward_s,backward_s,reduce_s,write_s,speedup,efficiency,identical" >"$csv"
p1= t1= first=
for p in $ranks; do
  [ -n "$p1" ] || p1=$p
  nb=$r1
  [ "$mode" = weak ] && nb=$((r1 * p / p1))
  nb_flag=(--n-background "$nb")
  o=$out/${mode}_np$p.h5 best= best_o=
  for k in $(seq 1 "$repeat"); do
    ok=$out/${mode}_np${p}_try$k.h5
    t0=$(date +%s.%N)
    if ! launch "$p" "$ok" "${nb_flag[@]}" 2>"$out/${mode}_np${p}_try$k.log"; then
      echo "run_scaling.sh: the run on $p ranks failed; see $out/${mode}_np${p}_try$k.log:" >&2
      tail -n 5 "$out/${mode}_np${p}_try$k.log" >&2
      exit 1
    fi
    t=$(calc "$(date +%s.%N) - $t0")
    if [ -z "$best" ] || [ "$(calc "$t < $best")" = 1 ]; then
      best=$t
      [ -n "$best_o" ] && rm -f "$best_o"
      best_o=$ok
    else
      rm -f "$ok"
    fi
  done
  mv "$best_o" "$o"
  phases=$(phase_max "$o") || { echo "run_scaling.sh: cannot read /timings from $o" >&2; exit 1; }
  [ -n "$t1" ] || { t1=$best; first=$o; }
  if [ "$mode" = strong ]; then
    speedup=$(calc "$p1 * $t1 / $best")
    eff=$(calc "$speedup / $p")
    same=yes
    for ds in /shap/values /shap/output /shap/residual /shap/expected_value /shap/classes; do
      h5diff "$first" "$o" "$ds" "$ds" >/dev/null 2>&1 || same=no
    done
  else
    speedup=$(calc "$p * $t1 / $best")
    eff=$(calc "$t1 / $best")
    same=-
  fi
  printf '%s,%d,%d,%.3f,%s,%.3f,%.3f,%s\n' "$mode" "$p" "$nb" "$best" "$phases" "$speedup" "$eff" "$same" >>"$csv"
  overhead=$(echo "$phases" | awk -F, -v w="$best" '{ printf "%.2f", 100 * ($5 + $6) / w }')
  printf 'run_scaling: %s %d ranks: %.2f s, speedup %.2f, efficiency %.0f%%, reduce + write %s%% of the wall time%s\n' \
    "$mode" "$p" "$best" "$speedup" "$(calc "100 * $eff")" "$overhead" \
    "$([ "$same" = no ] && echo ', RESULTS DIFFER from the first rank count')" >&2
done
echo "run_scaling: wrote $csv" >&2
