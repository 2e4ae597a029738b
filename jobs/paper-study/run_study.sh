#!/usr/bin/env bash
# The SHAP vs Grad-CAM study of the seed paper, end to end, from one job file:
# synthetic data -> model -> explain (DeepSHAP) -> gradcam at the paper's
# layers -> perturb (SHAP and Grad-CAM guided top/bottom, random baseline,
# k = 1..10) -> rank -> correlate -> plots, and a report folder with a
# Markdown summary, CSV tables, SVG figures and a runtime table.
#
#   jobs/paper-study/run_study.sh [--job FILE] [--out DIR] [--dshap PATH] [key=value ...]
#
#   --job     job description (default jobs/paper-study/study.job; see it for the keys)
#   --out     output folder (default out/paper-study); the report is DIR/report/
#   --dshap   the dshap binary (default build/dshap, else dshap on PATH; or DSHAP=...)
#   key=value overrides a key of the job file (e.g. ntu_explain=8 datasets=ntu)
#
# DIR/<dataset>/ holds the working files (model.h5, data, attributions.h5,
# curves, ranks, correlations); DIR/report/ the results:
#   README.md            summary with every table and figure
#   tables/*.csv         runtime, correlation (Table 1), joint ranks, perturbation curves
#   figures/*.svg        skeleton heat maps, rank boxes, perturbation curves, scaling
# Needs dshap, mpirun for ranks > 1, h5dump (hdf5-tools) and awk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "run_study.sh: $*" >&2; exit 2; }

job=$here/study.job out=${STUDY_OUT:-out/paper-study} dshap=${DSHAP:-}
overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --job) job=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --dshap) dshap=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *=*) overrides+=("$1"); shift ;;
    *) echo "run_study.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -f "$job" ] || die "job file '$job' not found"
if [ -z "$dshap" ]; then
  if [ -x "$here/../../build/dshap" ]; then dshap=$here/../../build/dshap; else dshap=$(command -v dshap || true); fi
fi
[ -x "$dshap" ] || die "no dshap binary (use --dshap PATH or DSHAP=...)"
dshap=$(cd "$(dirname "$dshap")" && pwd)/$(basename "$dshap")
command -v h5dump >/dev/null || die "h5dump (hdf5-tools) is needed"

# ---- the job description: key = value lines, '#' comments ----
declare -A J
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  line=$(printf '%s' "$line" | sed -e 's/^[ \t]*#.*//' -e 's/[ \t]\+#.*//' -e 's/^[ \t]*//' -e 's/[ \t]*$//')
  [ -z "$line" ] && continue
  [[ $line =~ ^([a-z_][a-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || die "$job:$lineno: expected 'key = value', got '$line'"
  [ -z "${J[${BASH_REMATCH[1]}]+x}" ] || die "$job:$lineno: key '${BASH_REMATCH[1]}' given twice"
  J[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$job"
for o in "${overrides[@]}"; do
  k=${o%%=*}
  [[ $k =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad override '$o'"
  [ -n "${J[$k]+x}" ] || die "override '$k': the job file has no such key"
  J[$k]=${o#*=}
done
get() { [ -n "${J[$1]+x}" ] || die "$job: missing key '$1'"; printf '%s' "${J[$1]}"; }
opt() { printf '%s' "${J[$1]-$2}"; } # a key with a default (older job files lack it)
root=$(cd "$here/../.." && pwd)
path_of() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s' "$root/$1" ;; esac; } # job paths: from the repository root

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
report=$out/report
rm -rf "$report"
mkdir -p "$report/tables" "$report/figures"
log=$out/study.log
: >"$log"
step() { echo "== $*" | tee -a "$log" >&2; }
dsh() { # run dshap, output to the log; a failure shows its last lines
  if ! "$dshap" "$@" >>"$log" 2>&1; then
    echo "run_study.sh: dshap $1 failed:" >&2; tail -n 5 "$log" >&2; exit 1
  fi
}
explain() { # ranks args...
  local p=$1; shift
  if [ "$p" -gt 1 ]; then
    command -v mpirun >/dev/null || die "ranks = $p needs mpirun"
    if ! mpirun -np "$p" "$dshap" explain "$@" >>"$log" 2>&1; then
      echo "run_study.sh: dshap explain failed:" >&2; tail -n 5 "$log" >&2; exit 1
    fi
  else
    dsh explain "$@"
  fi
}

ranks=$(get ranks) nbg=$(get n_background) chunk=$(get chunk) classes=$(get classes)
kk=$(get k) repeats=$(get repeats) seed=$(get seed)
runtime_csv=$report/tables/runtime.csv
echo "dataset,samples,references,shap_s,shap_s_per_sample,gradcam_tcn_s,gradcam_tcn_s_per_sample,gradcam_all_s,gradcam_layers,shap_over_gradcam" >"$runtime_csv"
datasets=$(get datasets)
[ -n "$datasets" ] || die "datasets is empty"
t_all=$(now)
machine="$(nproc 2>/dev/null || echo '?') cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the start"

for ds in $datasets; do
  d=$out/$ds
  mkdir -p "$d"
  arch=$(get "${ds}_arch") frames=$(get "${ds}_frames") ncls=$(get "${ds}_classes")
  nexp=$(get "${ds}_explain") neval=$(get "${ds}_eval") npool=$(get "${ds}_pool") metric=$(get "${ds}_metric")
  th_shap=$(get "${ds}_thresh_shap") th_gc=$(get "${ds}_thresh_gradcam")
  tcn=$(get "${ds}_main_tcn") att=$(get "${ds}_main_att") blay=$(get "${ds}_branch_layers")
  [ "$nexp" -le "$neval" ] || die "${ds}_explain ($nexp) must not exceed ${ds}_eval ($neval): the explained samples are the first evaluated ones"

  step "$ds: model and data"
  model=$(get "${ds}_model") data=$(opt "${ds}_data") pool_data=$(opt "${ds}_pool_data") mode=$(opt "${ds}_mode" amplify)
  if [ -n "$model" ]; then # an exported checkpoint (tools/export_pytorch.py) or any model.h5
    model=$(path_of "$model")
    [ -f "$model" ] || die "${ds}_model '$model' not found"
    cp "$model" "$d/model.h5"
    arch=$model
  else
    dsh model init --arch "$arch" --seed "$seed" --frames "$frames" --num-class "$ncls" -o "$d/model.h5"
  fi
  layout=$("$dshap" model info "$d/model.h5" | sed -n 's/.*layout \([a-z0-9]*\).*/\1/p' | head -1)
  [ -n "$layout" ] || die "$ds: cannot read the model's layout"
  group=()
  [ "$metric" = auc-grouped ] && group=(--group-size "$(get "${ds}_group_size")")
  if [ -n "$data" ]; then # given data (tools/planted.py): every sample is explained and evaluated
    data=$(path_of "$data") pool_data=$(path_of "${pool_data:?${ds}_data needs ${ds}_pool_data}")
    [ -f "$data" ] || die "${ds}_data '$data' not found"
    [ -f "$pool_data" ] || die "${ds}_pool_data '$pool_data' not found"
    cp "$data" "$d/eval.h5"
    cp "$data" "$d/explain.h5"
    cp "$pool_data" "$d/pool.h5"
    nexp=$(h5dump -H -d /y "$d/eval.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
    neval=$nexp
    [ -n "$nexp" ] || die "$ds: cannot read the sample count of '$data'"
  else
    # sample i depends only on (seed, i): explain.h5 is the first rows of eval.h5
    dsh data synth --layout "$layout" --n "$neval" --classes "$ncls" --frames "$frames" --seed $((seed + 1)) "${group[@]}" -o "$d/eval.h5"
    dsh data synth --layout "$layout" --n "$nexp" --classes "$ncls" --frames "$frames" --seed $((seed + 1)) "${group[@]}" -o "$d/explain.h5"
    dsh data synth --layout "$layout" --n "$npool" --classes "$ncls" --frames "$frames" --seed $((seed + 2)) -o "$d/pool.h5"
  fi
  planted=0
  h5dump -H -d /planted "$d/eval.h5" >/dev/null 2>&1 && planted=1

  step "$ds: DeepSHAP ($nexp samples x $nbg references, chunks of $chunk, $ranks rank(s))"
  rm -f "$d/attributions.h5"
  t0=$(now)
  explain "$ranks" --model "$d/model.h5" --data "$d/explain.h5" --background "$d/pool.h5" --n-background "$nbg" \
    --chunk "$chunk" --classes "$classes" --store frame --no-progress -o "$d/attributions.h5"
  t_shap=$(since "$t0")

  step "$ds: Grad-CAM at $tcn (timed alone), then every study layer"
  t0=$(now)
  dsh gradcam --model "$d/model.h5" --data "$d/explain.h5" --classes "$classes" --layer "$tcn" -o "$d/attributions.h5"
  t_gc=$(since "$t0")
  layers=(--layer "$att")
  for b in 0 1 2 3; do
    for l in $blay; do layers+=(--layer "${l//\{b\}/$b}"); done
  done
  t0=$(now)
  dsh gradcam --model "$d/model.h5" --data "$d/explain.h5" --classes "$classes" "${layers[@]}" -o "$d/attributions.h5"
  t_gc_all=$(awk -v a="$t_gc" -v b="$(since "$t0")" 'BEGIN { printf "%.2f", a + b }')
  nl=$(( ${#layers[@]} / 2 + 1 ))
  awk -v ds="$ds" -v n="$nexp" -v r="$nbg" -v s="$t_shap" -v g="$t_gc" -v ga="$t_gc_all" -v nl="$nl" 'BEGIN {
    printf "%s,%d,%d,%.2f,%.4f,%.2f,%.4f,%.2f,%d,%.1f\n", ds, n, r, s, s / n, g, g / n, ga, nl, (g > 0 ? s / g : 0) }' >>"$runtime_csv"

  A=$d/attributions.h5
  bn=(J V B A)
  shap_src="SHAP=$A:/shap/values"
  tcn_src="GradCAM-TCN=$A:/gradcam/$tcn/joint"
  att_src="GradCAM-Att=$A:/gradcam/$att/joint"

  step "$ds: perturbation ($metric, k = $kk; SHAP thresh $th_shap, Grad-CAM thresh $th_gc)"
  common=(--model "$d/model.h5" --data "$d/eval.h5" --k "$kk" --mode "$mode" --metric "$metric" --seed "$seed" --quiet)
  dsh perturb "${common[@]}" --scores "$shap_src" --select top,bottom --thresh "$th_shap" --label SHAP -o "$d/curves_shap.h5" --csv "$d/curves_shap.csv"
  dsh perturb "${common[@]}" --scores "$tcn_src" --select top,bottom --thresh "$th_gc" --label Grad-CAM -o "$d/curves_gradcam.h5" --csv "$d/curves_gradcam.csv"
  # random joints do not depend on the scores: one baseline per threshold
  dsh perturb "${common[@]}" --scores "$shap_src" --select random --repeats "$repeats" --thresh "$th_shap" --label "random (thresh $th_shap)" -o "$d/curves_random.h5" --csv "$d/curves_random.csv"
  dsh perturb "${common[@]}" --scores "$tcn_src" --select random --repeats "$repeats" --thresh "$th_gc" --label "random (thresh $th_gc)" -o "$d/curves_random_gc.h5" --csv "$d/curves_random_gc.csv"
  { head -1 "$d/curves_shap.csv"; for f in shap gradcam random random_gc; do tail -n +2 "$d/curves_$f.csv"; done; } >"$report/tables/perturbation_$ds.csv"

  if [ "$planted" = 1 ]; then
    step "$ds: planted-joint recovery, PGI/PGU (freeze), RIS/ROS (jitter $(opt jitter_sigma 0.005), $(opt jitter_copies 2) copies)"
    rm -f "$d/attributions_shaprules.h5" "$d/attributions_jitter.h5"
    explain "$ranks" --model "$d/model.h5" --data "$d/explain.h5" --background "$d/pool.h5" --n-background "$nbg" \
      --chunk "$chunk" --classes "$classes" --rules shap --store joint --no-progress -o "$d/attributions_shaprules.h5"
    ev=(--scores "SHAP-exact=$A:/shap/values" --scores "SHAP-shap-rules=$d/attributions_shaprules.h5:/shap/values"
        --scores "GC-main-TCN=$A:/gradcam/$tcn/joint" --scores "GC-main-Att=$A:/gradcam/$att/joint")
    for l in $blay; do
      kind=$(case "$l" in *init_bn*) echo in ;; *att*) echo Att ;; *) echo TCN ;; esac)
      for b in 0 1 2 3; do ev+=(--scores "GC-${kind}-${bn[$b]}=$A:/gradcam/${l//\{b\}/$b}/joint"); done
    done
    # freeze curves (joints held at their time mean, per sample) of the first source, then of Grad-CAM;
    # the mean probability of the labelled class: the trained models are so confident that freezing a
    # few joints rarely flips a prediction, and accuracy then ties random with bottom
    kmax=$(printf '%s' "$kk" | tr ',.' '  ' | awk '{ print $NF }')
    cm=$(opt freeze_metric probability)
    fz=(--pg-perturb freeze --pg-k "$(opt pg_k 3)" --curve-k "$kmax" --curve-metric "$cm" --repeats "$(opt freeze_repeats 10)" --seed "$seed" --quiet)
    dsh evaluate --data "$d/eval.h5" --model "$d/model.h5" "${ev[@]}" "${fz[@]}" --label SHAP \
      --curves "$d/curves_freeze_shap.h5" --curves-csv "$d/curves_freeze_shap.csv" -o "$d/evaluation.h5" --csv "$report/tables/planted_$ds.csv"
    dsh evaluate --data "$d/eval.h5" --model "$d/model.h5" --scores "GC-main-TCN=$A:/gradcam/$tcn/joint" "${fz[@]}" --label Grad-CAM \
      --curves "$d/curves_freeze_gradcam.h5" --curves-csv "$d/curves_freeze_gradcam.csv" -o "$d/evaluation_gc.h5"
    { cat "$d/curves_freeze_shap.csv"; tail -n +2 "$d/curves_freeze_gradcam.csv"; } >"$report/tables/perturbation_freeze_$ds.csv"
    dsh plot perturb --curves "$d/curves_freeze_shap.h5" --curves "$d/curves_freeze_gradcam.h5" \
      --title "$ds: joints frozen at their time mean, per sample ($cm)" -o "$report/figures/perturbation_freeze_$ds.svg" --quiet
    # stability: SHAP and the main-stream Grad-CAM explained again on jittered copies
    dsh evaluate jitter --data "$d/explain.h5" --sigma "$(opt jitter_sigma 0.005)" --copies "$(opt jitter_copies 2)" --seed "$seed" -o "$d/jitter.h5"
    explain "$ranks" --model "$d/model.h5" --data "$d/jitter.h5" --background "$d/pool.h5" --n-background "$nbg" \
      --chunk "$chunk" --classes "$classes" --store joint --no-progress -o "$d/attributions_jitter.h5"
    dsh gradcam --model "$d/model.h5" --data "$d/jitter.h5" --classes "$classes" --layer "$tcn" --layer "$att" -o "$d/attributions_jitter.h5"
    J=$d/attributions_jitter.h5
    dsh evaluate --data "$d/eval.h5" --model "$d/model.h5" --scores "SHAP-exact=$A:/shap/values" --scores "GC-main-TCN=$A:/gradcam/$tcn/joint" \
      --scores "GC-main-Att=$A:/gradcam/$att/joint" --perturbed "$d/jitter.h5" --perturbed-scores "$J:/shap/values" \
      --perturbed-scores "$J:/gradcam/$tcn/joint" --perturbed-scores "$J:/gradcam/$att/joint" --pg-perturb freeze \
      -o "$d/stability.h5" --csv "$report/tables/stability_$ds.csv" --quiet
  fi

  step "$ds: joint ranks and rank correlation"
  dsh rank --scores "$shap_src" --scores "$tcn_src" --scores "$att_src" --sort-by SHAP -o "$d/ranks.h5" --csv "$report/tables/ranks_$ds.csv" --quiet
  corr=(--scores "$shap_src")
  for l in $blay; do
    kind=$(case "$l" in *init_bn*) echo in ;; *att*) echo Att ;; *) echo TCN ;; esac)
    sum=
    for b in 0 1 2 3; do
      lb=${l//\{b\}/$b}
      corr+=(--scores "GC-${kind}-${bn[$b]}=$A:/gradcam/$lb/joint")
      sum=${sum:+$sum+}$A:/gradcam/$lb/joint
    done
    corr+=(--scores "GC-${kind}-sum=$sum")
  done
  corr+=(--scores "GC-main-TCN=$A:/gradcam/$tcn/joint" --scores "GC-main-Att=$A:/gradcam/$att/joint")
  dsh correlate "${corr[@]}" -o "$d/correlation.h5" --csv "$report/tables/correlation_$ds.csv" --quiet

  step "$ds: figures"
  dsh plot skeleton --data "$d/explain.h5" --sample 0 --frames "$frames" --windows 4 --scores "$shap_src" \
    --scores "GradCAM-TCN=$A:/gradcam/$tcn/map" --title "$ds: SHAP and Grad-CAM per frame window (sample 0)" -o "$report/figures/skeleton_$ds.svg" --quiet
  dsh plot ranks --ranks "$d/ranks.h5" --title "$ds: joint ranks across samples (sorted by SHAP)" -o "$report/figures/ranks_$ds.svg" --quiet
  dsh plot perturb --curves "$d/curves_shap.h5" --curves "$d/curves_gradcam.h5" --curves "$d/curves_random.h5" \
    --curves "$d/curves_random_gc.h5" --title "$ds: edge perturbation ($metric)" -o "$report/figures/perturbation_$ds.svg" --quiet
done

# ---- scaling: the first data set's explain on each rank count ----
first=${datasets%% *}
scaling_csv=$report/tables/scaling.csv
echo "ranks,seconds" >"$scaling_csv"
sr=$(get scaling_ranks) sn=$(get scaling_explain)
step "scaling: explain of $sn samples on ranks $sr"
dsh data synth --layout "$("$dshap" model info "$out/$first/model.h5" | sed -n 's/.*layout \([a-z0-9]*\).*/\1/p' | head -1)" \
  --n "$sn" --classes "$(get "${first}_classes")" --frames "$(get "${first}_frames")" --seed $((seed + 1)) \
  --persons "$("$dshap" model info "$out/$first/model.h5" | sed -n 's/^input: (.*, \([0-9]*\)).*/\1/p' | head -1)" -o "$out/$first/scaling.h5"
for p in $sr; do
  rm -f "$out/$first/scaling_np$p.h5"
  t0=$(now)
  explain "$p" --model "$out/$first/model.h5" --data "$out/$first/scaling.h5" --background "$out/$first/pool.h5" \
    --n-background "$nbg" --chunk "$chunk" --classes "$classes" --no-progress -o "$out/$first/scaling_np$p.h5"
  echo "$p,$(since "$t0")" >>"$scaling_csv"
done
dsh plot scaling --csv "$scaling_csv" --title "DeepSHAP explain ($first, $sn samples x $nbg references): strong scaling" -o "$report/figures/scaling.svg" --quiet
total=$(since "$t_all")

# ---- the report ----
step "report"
csv_md() { # CSV -> Markdown table (numbers as written)
  awk -F, 'NR == 1 { printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n|"; for (i = 1; i <= NF; i++) printf "---|"; printf "\n"; next }
           { printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }' "$1"
}
corr_md() { # the columns of the correlation matrix against SHAP, main TCN and main Att
  awk -F, 'NR == 1 { for (i = 2; i <= NF; i++) { if ($i == "SHAP") s = i; if ($i == "GC-main-TCN") t = i; if ($i == "GC-main-Att") a = i }
                     print "| source | rho vs SHAP | rho vs GC-main-TCN | rho vs GC-main-Att |"; print "|---|---|---|---|"; next }
           { printf "| %s | %s | %s | %s |\n", $1, $s, $t, $a }' "$1"
}
ranks_md() { # the 10 joints with the best SHAP median rank
  awk -F, 'NR == 1 { print "| position | joint | SHAP median (IQR) | Grad-CAM TCN median (IQR) | Grad-CAM Att median (IQR) |"; print "|---|---|---|---|---|"; next }
           NR <= 11 { printf "| %s | %s | %s (%s-%s) | %s (%s-%s) | %s (%s-%s) |\n", $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' "$1"
}
planted_md() { # which explainer finds the planted joints, best AUC first
  echo "| source | AUC of the planted set (sd) | precision@k=set size (sd) | PGI (freeze) | PGU (freeze) |"
  echo "|---|---|---|---|---|"
  awk -F, 'NR > 1 { printf "%s|| %s | %.3f (%.3f) | %.3f (%.3f) | %.3f | %.3f |\n", $3, $1, $3, $4, $5, $6, $7, $9 }' "$1" | sort -t'|' -k1,1gr | sed 's/^[^|]*|//'
}
stability_md() {
  awk -F, 'NR == 1 { print "| source | median log10 RIS | median log10 ROS |"; print "|---|---|---|"; next }
           { printf "| %s | %.2f | %.2f |\n", $1, $11, $12 }' "$1"
}
planted_words() { # planted CSV, perturbation CSV, metric -> sentences
  awk -F, -v metric="$3" 'FNR == 1 { f++; next }
    f == 1 { auc[$1] = $3; if (best == "" || $3 > auc[best]) best = $1; if ($1 !~ /^SHAP/ && (gbest == "" || $3 > auc[gbest])) gbest = $1
             pgi[$1] = $7; pgu[$1] = $9 }
    f == 2 && $1 == "SHAP" && $2 == "top" { top[$3] = $4 } f == 2 && $1 == "SHAP" && $2 == "bottom" { bot[$3] = $4 }
    f == 2 && $1 == "SHAP" && $2 == "random" { rnd[$3] = $4 }
    END {
      printf "SHAP (exact rules) ranks the planted joints above the rest with a mean per-sample AUC of %.3f (%s rules: %.3f; 0.5 is chance). ", auc["SHAP-exact"], "shap", auc["SHAP-shap-rules"]
      printf "The best source is %s (%.3f); the best Grad-CAM layer is %s (%.3f). ", best, auc[best], gbest, auc[gbest]
      printf "Freezing the 3 joints SHAP ranks highest moves the predicted-class probability by %.3f on average (PGI), freezing its 3 lowest by %.3f (PGU). ", pgi["SHAP-exact"], pgu["SHAP-exact"]
      n = 0; ok = 0; okw = 0
      for (k in top) if (k in bot && k in rnd) { n++; if (top[k] < rnd[k] && rnd[k] < bot[k]) ok++; if (top[k] <= rnd[k] && rnd[k] <= bot[k]) okw++; if (top[k] < rnd[k]) tr++ }
      printf "Freezing each sample'"'"'s k joints (%s; lower = hurt more): SHAP'"'"'s top joints hurt more than random ones at %d of %d k; top < random < bottom holds strictly at %d of %d k (with ties allowed at %d).\n", metric, tr, n, ok, n, okw
    }' "$1" "$2"
}
pert_md() { # k by selection
  awk -F, 'NR > 1 && $2 != "baseline" { key = ($2 == "random" && $1 ~ /^random/) ? $1 : $1 " " $2; if (!(key in seen)) { seen[key] = 1; cols[++nc] = key }
             v[key, $3] = ($2 == "random") ? sprintf("%.3f +- %.3f", $4, $5) : sprintf("%.3f", $4); if ($3 > kmax) kmax = $3; ks[$3] = 1 }
           NR > 1 && $2 == "baseline" { base = $4 }
           END { printf "| k |"; for (c = 1; c <= nc; c++) printf " %s |", cols[c]; printf "\n|---|"; for (c = 1; c <= nc; c++) printf "---|"; printf "\n";
                 printf "| 0 (unperturbed) |"; for (c = 1; c <= nc; c++) printf " %.3f |", base; printf "\n";
                 for (k = 1; k <= kmax; k++) if (k in ks) { printf "| %d |", k; for (c = 1; c <= nc; c++) printf " %s |", v[cols[c], k]; printf "\n" } }' "$1"
}
{
  echo "# SHAP vs Grad-CAM study"
  echo
  echo "Job \`$(basename "$job")\`${overrides[*]:+ with ${overrides[*]}}; dshap $("$dshap" --version | awk '{print $2}'); $(date -u +%Y-%m-%d); total $total s on $machine (timings on a shared machine vary with its load)."
  echo
  for ds in $datasets; do
    if [ -n "$(opt "${ds}_data")" ]; then
      echo "Data $ds: \`$(opt "${ds}_data")\` with model \`$(get "${ds}_model")\`: trained on synthetic motion whose classes are carried by known joint sets (planted evidence, \`tools/planted.py\`), so the explainers can be scored against ground truth."
    else
      echo "Data $ds: built-in synthetic motion (\`dshap data synth\`) and $( [ -n "$(get "${ds}_model")" ] && echo "the model \`$(get "${ds}_model")\`" || echo "random weights of the published architecture (\`dshap model init\`): chance-level accuracy, so its numbers show the pipeline, not findings")."
    fi
    echo
  done
  echo "Every method evaluates the model in eval mode (BN running statistics, dropout off); the published Grad-CAM code did not."
  echo
  echo "| data set | architecture | T | explained | references (chunk) | perturbation samples | metric | thresholds SHAP / Grad-CAM |"
  echo "|---|---|---|---|---|---|---|---|"
  for ds in $datasets; do
    echo "| $ds | $(m=$(get "${ds}_model"); echo "${m:-$(get "${ds}_arch") (random weights)}") | $(get "${ds}_frames") | $(get "${ds}_explain") | $nbg ($chunk) | $(get "${ds}_eval") | $(get "${ds}_metric") | $(get "${ds}_thresh_shap") / $(get "${ds}_thresh_gradcam") |"
  done
  echo
  echo "## Table: runtime (Grad-CAM vs SHAP, as the paper's Table 2)"
  echo
  echo "Wall seconds including loading; SHAP on $ranks rank(s), Grad-CAM on one; \`gradcam_tcn\` is the main-stream TCN layer alone, \`gradcam_all\` every study layer. [runtime.csv](tables/runtime.csv)"
  echo
  csv_md "$runtime_csv"
  for ds in $datasets; do
    echo
    echo "## Table: correlation, $ds (Spearman rho between score sources, as the paper's Table 1)"
    echo
    echo "Per-sample [0, 1] min-max scaling, mean joint profile per source, Spearman's rho with average ranks for ties. GC-<layer>-<branch>: Grad-CAM at the input BN (in), the last temporal layer (TCN) or the attention (Att) of branch J/V/B/A; -sum: the four branches summed after scaling. Full matrix: [correlation_$ds.csv](tables/correlation_$ds.csv)"
    echo
    corr_md "$report/tables/correlation_$ds.csv"
    echo
    echo "## Table: joint ranks, $ds (median and IQR of per-sample ranks, 1 = most important)"
    echo
    echo "The 10 best joints by SHAP median rank. All joints: [ranks_$ds.csv](tables/ranks_$ds.csv)"
    echo
    ranks_md "$report/tables/ranks_$ds.csv"
    echo
    echo "## Table: perturbation, $ds ($(get "${ds}_metric") after amplifying E[0, j, j] of the k selected joints in every SGC layer)"
    echo
    echo "top: the k highest positive mean scores; bottom: the k lowest; random: mean +- sd over $repeats seeded draws. [perturbation_$ds.csv](tables/perturbation_$ds.csv)"
    echo
    echo "The edge perturbation is weak by construction: E[0] weighs only the self-loops (A[0] of the distance partitions is diagonal); training leaves E near its initial 1 (the planted models: E[0] within 0.71-1.08, range 0.17-0.31 per layer), so amplify adds about thresh x range = 0.1-0.15 to a joint's own term; and a joint whose self-loop is cut still reaches the next layer through the other partitions (its neighbours) and the residual of every SGC block, which carry the planted limb-end sets' motion between their adjacent joints. The freeze curves below perturb the input instead."
    echo
    pert_md "$report/tables/perturbation_$ds.csv"
    if [ -f "$report/tables/planted_$ds.csv" ]; then
      echo
      echo "## Table: which explainer finds the planted joints, $ds"
      echo
      echo "Per sample, the joint scores against the planted set of the sample's class (tools/planted.py): ROC AUC (1 = every planted joint above every other, 0.5 = chance) and precision at k = the set's size; mean (sd) over samples. PGI / PGU: the mean change of the predicted class's probability when the 3 highest / lowest scoring joints are held at their time mean (\`dshap evaluate --pg-perturb freeze\`). [planted_$ds.csv](tables/planted_$ds.csv)"
      echo
      planted_md "$report/tables/planted_$ds.csv"
      echo
      echo "Stability (RIS / ROS, Agarwal et al. 2022, against explanations of copies jittered by N(0, ($(opt jitter_sigma 0.005))^2) per coordinate, the sensor's error; lower is more stable): [stability_$ds.csv](tables/stability_$ds.csv)"
      echo
      stability_md "$report/tables/stability_$ds.csv"
      echo
      echo "## Table: perturbation by freezing joints, $ds (each sample's k selected joints held at their time mean)"
      echo
      echo "Here the input itself loses the joints' motion: top = the sample's k highest scores, bottom = its k lowest (signed: SHAP's most negative joints are evidence against the class, so freezing them may raise the probability), random: mean +- sd over $(opt freeze_repeats 10) seeded draws per sample. Metric: $(opt freeze_metric probability)$( [ "$(opt freeze_metric probability)" = probability ] && echo " (the mean softmax probability of the labelled class: the models are so confident that freezing a few joints rarely flips a prediction, and accuracy ties random with bottom)"). [perturbation_freeze_$ds.csv](tables/perturbation_freeze_$ds.csv)"
      echo
      pert_md "$report/tables/perturbation_freeze_$ds.csv"
      echo
      echo "![freeze perturbation $ds](figures/perturbation_freeze_$ds.svg)"
      echo
      echo "**Found ($ds):** $(planted_words "$report/tables/planted_$ds.csv" "$report/tables/perturbation_freeze_$ds.csv" "$(opt freeze_metric probability)")"
    fi
  done
  echo
  echo "## Table: scaling (DeepSHAP explain, $first)"
  echo
  csv_md "$scaling_csv"
  echo
  echo "## Figures"
  echo
  for ds in $datasets; do
    echo "### Figure: skeleton heat maps, $ds"
    echo
    echo "![skeleton $ds](figures/skeleton_$ds.svg)"
    echo
    echo "### Figure: joint-rank box plots, $ds"
    echo
    echo "![ranks $ds](figures/ranks_$ds.svg)"
    echo
    echo "### Figure: perturbation curves, $ds"
    echo
    echo "![perturbation $ds](figures/perturbation_$ds.svg)"
    echo
  done
  echo "### Figure: scaling"
  echo
  echo "![scaling](figures/scaling.svg)"
  echo
  echo "## Files"
  echo
  (cd "$report" && find tables figures -type f | sort | sed 's/^/- /')
  echo
  echo "Working files (models, data, attributions.h5 with /shap and /gradcam, curves, ranks) are in \`$out/<data set>/\`; the commands run are in \`study.log\`."
} >"$report/README.md"
echo "run_study.sh: report in $report/README.md ($total s)" >&2
