#!/usr/bin/env bash
# jobs/scaling/model.py against hand-computed values: the calibration (ms per
# triple and per forward from a 1-rank row), the 2-core stretch of a 4-rank
# prediction, the tolerance verdict, the 512-GPU backward of the NTU X-View
# job, well-formed CSVs and plot, bad input; and the model still fits the
# committed measurement (jobs/scaling/measured).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
model=$root/jobs/scaling/model.py
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
close() { awk -v a="$1" -v b="$2" -v tol="${3:-1e-3}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= tol * (b < 0 ? -b : b) + 1e-9) }'; }

# N=8, R=24, K=3, B=2, C=3: 4 blocks x 8 chunks = 32 units, 8*24*3 = 576
# triples; forwards at 1 rank: 24 references + 32 units x 2 instances = 88.
# backward 5.76 s -> 10 ms per triple; forwards 0.88 s -> 10 ms per sample.
# 4 ranks on 2 cores: 8 units x 2 x 3 x 3 = 144 triples x 10 ms x 4/2 = 2.88 s.
cat >"$t/m.csv" <<'EOF'
mode,ranks,n_background,wall_s,load_s,background_forward_s,instance_forward_s,backward_s,reduce_s,write_s,speedup,efficiency,identical
strong,1,24,7.0,0.2,0.24,0.64,5.76,0.0,0.1,1,1,yes
strong,4,24,4.2,0.2,0.06,0.16,2.88,0.0,0.1,1.7,0.42,yes
EOF
if out=$(python3 "$model" check "$t/m.csv" --shape 8,24,3,2,3 --cores 2); then
  echo "$out" | grep -q "10.000 ms per triple, 10.000 ms per forward sample" && ok || bad "calibration: $out"
  # every rank holds 2 chunks: 6 refs + 16 instances = 22 forwards x 10 ms x 2 = 0.44 s;
  # compute 0.44 + 2.88 = 3.32 s
  comp=$(echo "$out" | awk '$1 == "strong" && $2 == 4 { split($6, c, "/"); print c[2] }')
  close "$comp" 3.32 && ok || bad "4-rank compute: model $comp, hand 3.32 ($out)"
else bad "model.py check failed: $out"; fi
# A row 50 % off fails the 35 % tolerance.
sed 's/^strong,4,24,4.2,/strong,4,24,9.0,/' "$t/m.csv" >"$t/off.csv"
if ! python3 "$model" check "$t/off.csv" --shape 8,24,3,2,3 --cores 2 >/dev/null; then ok; else bad "a 50% miss passed"; fi

# 512 GPUs, NTU X-View: 4733 blocks x 5 chunks = 23665 units, the busiest
# rank 47 units x 4 x 20 x 60 triples x 888 us = 200.333 s.
if out=$(python3 "$model" predict -o "$t/pred" 2>&1); then
  b=$(awk -F, '$2 == 512 { print $8 }' "$t/pred/model_strong.csv")
  close "$b" 200.3328 && ok || bad "512-GPU backward $b, hand 200.333"
  [ "$(wc -l <"$t/pred/model_strong.csv")" = 11 ] && [ "$(wc -l <"$t/pred/model_weak.csv")" = 11 ] && ok || bad "CSV rows"
  echo "$out" | grep -q "^first bottleneck: " && ok || bad "no bottleneck line: $out"
  python3 - "$t/pred/model_scaling.svg" <<'EOF' && ok || bad "plot"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
pts = len(list(root.iter(ns + "circle")))
sys.exit(0 if pts == 40 else f"{pts} points, want 40")
EOF
else bad "model.py predict failed: $out"; fi
# Bad input: one line, non-zero.
echo "ranks,foo" >"$t/bad.csv"
if ! python3 "$model" check "$t/bad.csv" --shape 8,24,3,2,3 2>"$t/err" && [ "$(wc -l <"$t/err")" = 1 ] &&
   grep -q "not a run_scaling.sh CSV" "$t/err"; then ok; else bad "bad CSV: $(cat "$t/err")"; fi
# The committed measurement on the 2-core VM (small.job, 1-8 ranks).
python3 "$model" check "$root/jobs/scaling/measured/small_strong_2core.csv" --shape 8,24,3,2,3 --cores 2 >"$t/fit" &&
  ok || bad "model misses the measured runs: $(cat "$t/fit")"

echo "scaling model: $pass passed, $fail failed"
[ $fail = 0 ]
