#!/usr/bin/env bash
# The paper-study job (jobs/paper-study/run_study.sh) end to end on the two
# small committed models of tests/fixtures/study (ntu25 Shuffle/ja, cp29
# Sep/fa: the published block structure, narrow) and tiny synthetic data: the report must list every table and figure kind, and the
# files it links must exist (figures rendered by rsvg-convert where present).
#   test_paper_study.sh DSHAP FIXTURES SHARED
set -uo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/dshap_paper_study.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v h5dump >/dev/null || { echo "SKIP: h5dump (hdf5-tools) missing"; exit 77; }
ranks=2
command -v mpirun >/dev/null || ranks=1
fx=$(cd "$2" && pwd)/study
[ -f "$fx/gradcam_ntu.model.h5" ] || { echo "FAIL: no fixture models in $fx"; exit 1; }
if ! bash "$root/jobs/paper-study/run_study.sh" --dshap "$dshap" --out "$tmp/out" \
    ranks=$ranks n_background=6 chunk=3 k=1..3 repeats=2 scaling_ranks="1 $ranks" scaling_explain=2 \
    ntu_model="$fx/gradcam_ntu.model.h5" ntu_data= ntu_pool_data= ntu_metric=agreement ntu_mode=amplify \
    ntu_frames=12 ntu_classes=4 ntu_explain=3 ntu_eval=6 ntu_pool=8 \
    ntu_branch_layers="input_stream.{b}.init_bn input_stream.{b}.block-0_tcn-0.point_conv_expand.0 input_stream.{b}.block-0_att.activation" \
    cp_model="$fx/gradcam_cp29.model.h5" cp_data= cp_pool_data= cp_mode=amplify \
    cp_frames=12 cp_explain=3 cp_eval=8 cp_pool=8 cp_group_size=2 \
    cp_branch_layers="input_stream.{b}.init_bn input_stream.{b}.block-1_tcn-0.point_conv.0 input_stream.{b}.block-1_att.activation" \
    2>"$tmp/err.log"; then
  echo "FAIL: run_study.sh failed:"; tail -n 20 "$tmp/err.log"; exit 1
fi
r=$tmp/out/report
pass=0 fail=0
check() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
check "[ -s '$r/README.md' ]" "no report README.md"
for kind in "Table: runtime" "Table: correlation, ntu" "Table: correlation, cp" "Table: joint ranks, ntu" \
            "Table: joint ranks, cp" "Table: perturbation, ntu" "Table: perturbation, cp" "Table: scaling" \
            "Figure: skeleton heat maps, ntu" "Figure: skeleton heat maps, cp" "Figure: joint-rank box plots, ntu" \
            "Figure: perturbation curves, cp" "Figure: scaling"; do
  check "grep -q '^#.*$kind' '$r/README.md'" "report lacks '$kind'"
done
# every linked file exists and is non-empty
for f in $(grep -o '(\(tables\|figures\)/[^)]*)' "$r/README.md" | tr -d '()' | sort -u); do
  check "[ -s '$r/$f' ]" "linked file $f missing or empty"
done
check "[ \$(ls '$r'/figures/*.svg | wc -l) = 7 ]" "expected 7 figures (skeleton, ranks, perturbation x 2 data sets + scaling)"
check "[ \$(ls '$r'/tables/*.csv | wc -l) = 8 ]" "expected 8 tables (runtime, scaling, correlation/ranks/perturbation x 2)"
check "[ \$(wc -l <'$r/tables/runtime.csv') = 3 ]" "runtime table: header + 2 data sets"
check "awk -F, 'NR > 1 && (\$4 <= 0 || \$6 <= 0) { bad = 1 } END { exit bad }' '$r/tables/runtime.csv'" "runtime seconds not positive"
# Table 1: 1 SHAP + 3 kinds x (4 branches + sum) + main TCN + main Att = 18 sources
check "[ \$(wc -l <'$r/tables/correlation_ntu.csv') = 19 ]" "correlation table: 18 sources"
check "grep -q '^GC-Att-sum,' '$r/tables/correlation_cp.csv'" "correlation table lacks the branch sums"
check "[ \$(grep -c ',top,' '$r/tables/perturbation_ntu.csv') = 6 ]" "perturbation: SHAP and Grad-CAM top, k = 1..3"
check "[ \$(grep -c ',random,' '$r/tables/perturbation_cp.csv') = 6 ]" "perturbation: two random baselines, k = 1..3"
check "[ \$(grep -c 'class=\"joint\"' '$r/figures/skeleton_cp.svg') = 232 ]" "skeleton cp: 2 sources x 4 windows x 29 joints"
check "[ \$(grep -c 'class=\"point\"' '$r/figures/perturbation_ntu.svg') = 18 ]" "perturbation figure: 6 curves x 3 points"
check "h5dump -H '$tmp/out/ntu/attributions.h5' | grep -q 'GROUP \"shap\"'" "attributions.h5 without /shap"
check "[ \$(h5dump -H '$tmp/out/cp/attributions.h5' | grep -c 'DATASET \"joint\"') = 14 ]" "attributions.h5: 14 Grad-CAM layers"
if command -v rsvg-convert >/dev/null; then
  for s in "$r"/figures/*.svg; do check "rsvg-convert '$s' -o '${s%.svg}.png' && [ -s '${s%.svg}.png' ]" "rsvg-convert $s"; done
fi
echo "test_paper_study: $pass passed, $fail failed"
[ "$fail" = 0 ]
