#!/usr/bin/env bash
# The planted-evidence branch of the paper study (jobs/paper-study/run_study.sh)
# at reduced size on the trained NTU fixture (tests/fixtures/planted/ntu,
# tools/planted.py): DeepSHAP (exact rules, 8 references), then dshap evaluate
# with the study's freeze curves (probability of the labelled class, random
# draws per sample), and the study's claims asserted on the numbers:
#   - SHAP ranks the planted joints above the rest: mean AUC > 0.8
#   - freezing SHAP's top k joints hurts more than k random ones, which hurt
#     more than its bottom k (strictly, at every k = 1..3)
#   - PGI (top 3 frozen) exceeds PGU (bottom 3 frozen)
#   test_planted_study.sh DSHAP FIXTURES SHARED
set -uo pipefail
dshap=$1
fx=$(cd "$2" && pwd)/planted/ntu
tmp=$(mktemp -d /tmp/dshap_planted_study.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -f "$fx/model.h5" ] || { echo "FAIL: no planted fixture in $fx"; exit 1; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
run() { "$dshap" "$@" >>"$tmp/log" 2>&1 || { echo "FAIL: dshap $1 failed:"; tail -n 5 "$tmp/log"; exit 1; }; }
run explain --model "$fx/model.h5" --data "$fx/eval.h5" --background "$fx/pool.h5" --n-background 8 --chunk 8 \
  --classes true --store joint --no-progress -o "$tmp/attributions.h5"
run evaluate --data "$fx/eval.h5" --model "$fx/model.h5" --scores "SHAP-exact=$tmp/attributions.h5:/shap/values" \
  --pg-perturb freeze --pg-k 3 --curve-k 3 --curve-metric probability --repeats 8 --seed 0 --label SHAP \
  --curves "$tmp/curves.h5" --curves-csv "$tmp/curves.csv" -o "$tmp/evaluation.h5" --csv "$tmp/planted.csv" --quiet
pass=0 fail=0
check() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
# planted.csv: source,n,auc,auc_sd,precision,precision_sd,pgi,pgi_sd,pgu,pgu_sd,...
auc=$(awk -F, '$1 == "SHAP-exact" { print $3 }' "$tmp/planted.csv")
check "awk -v a='$auc' 'BEGIN { exit !(a > 0.8) }'" "SHAP's AUC of the planted set is $auc, expected > 0.8"
pg=$(awk -F, '$1 == "SHAP-exact" { print $7, $9 }' "$tmp/planted.csv")
check "awk -v p='$pg' 'BEGIN { split(p, q, \" \"); exit !(q[1] > q[2]) }'" "PGI <= PGU (PGI PGU: $pg)"
# curves.csv: label,select,k,metric,...
for k in 1 2 3; do
  line=$(awk -F, -v k="$k" '$3 == k { v[$2] = $4 } END { print v["top"], v["random"], v["bottom"] }' "$tmp/curves.csv")
  check "awk -v l='$line' 'BEGIN { split(l, q, \" \"); exit !(q[1] < q[2] && q[2] < q[3]) }'" \
    "k = $k: expected top < random < bottom, got $line"
done
echo "test_planted_study: AUC $auc, PGI/PGU $pg; freeze curves (probability):"
awk -F, 'NR > 1 { printf "  %s k=%s %s\n", $2, $3, $4 }' "$tmp/curves.csv"
echo "test_planted_study: $pass passed, $fail failed"
[ "$fail" = 0 ]
