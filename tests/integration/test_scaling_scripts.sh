#!/usr/bin/env bash
# The scaling study scripts: plot_scaling.py draws a well-formed SVG (axes,
# ticks, labels, legend) from known CSV rows, and rsvg-convert renders it;
# run_scaling.sh runs a small job on 1 and 2 ranks (strong and weak) and
# writes one CSV row per rank count with per-phase maxima and bitwise-equal
# results. Skips (77) the run part when dshap explain has no --job yet.
set -euo pipefail
dshap=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# --- plot: known rows, two files
cat >"$t/strong.csv" <<'EOF'
mode,ranks,n_background,wall_s,load_s,background_forward_s,instance_forward_s,backward_s,reduce_s,write_s,speedup,efficiency,identical
strong,1,100,10.0,0.1,0.5,0.5,8.8,0.0,0.1,1.000,1.000,yes
strong,2,100,5.3,0.1,0.3,0.3,4.4,0.1,0.1,1.887,0.943,yes
strong,4,100,2.9,0.1,0.2,0.2,2.2,0.1,0.1,3.448,0.862,yes
EOF
cat >"$t/weak.csv" <<'EOF'
mode,ranks,n_background,wall_s,load_s,background_forward_s,instance_forward_s,backward_s,reduce_s,write_s,speedup,efficiency,identical
weak,1,100,10.0,0.1,0.5,0.5,8.8,0.0,0.1,1.000,1.000,-
weak,2,200,10.4,0.1,0.5,0.5,9.1,0.1,0.1,1.923,0.962,-
weak,4,400,10.9,0.1,0.5,0.5,9.5,0.1,0.1,3.670,0.917,-
EOF
if python3 "$root/jobs/scaling/plot_scaling.py" "$t/strong.csv" "$t/weak.csv" -o "$t/s.svg" 2>/dev/null &&
   python3 - "$t/s.svg" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
text = [t.text or "" for t in root.iter(ns + "text")]
need = ["Speedup", "Parallel efficiency", "MPI ranks", "efficiency", "ideal", "goal 0.9",
        "strong (strong.csv)", "weak (weak.csv)", "1", "2", "4"]
missing = [n for n in need if n not in text]
lines = len(list(root.iter(ns + "polyline")))
points = len(list(root.iter(ns + "circle")))
if missing or points != 12 or lines < 6:
    sys.exit(f"missing {missing}, {points} points, {lines} polylines")
EOF
then ok; else bad "plot_scaling.py SVG"; fi
if command -v rsvg-convert >/dev/null; then
  rsvg-convert "$t/s.svg" -o "$t/s.png" && [ "$(head -c 8 "$t/s.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] \
    && ok || bad "rsvg-convert cannot render the SVG"
fi
# Bad input: one clear line, non-zero exit.
echo "ranks,foo" >"$t/bad.csv"
if ! python3 "$root/jobs/scaling/plot_scaling.py" "$t/bad.csv" -o "$t/b.svg" 2>"$t/b.err" && grep -q "not a run_scaling.sh CSV" "$t/b.err"; then ok
else bad "bad CSV: $(cat "$t/b.err")"; fi

# --- run_scaling.sh on a small job
if ! "$dshap" explain --help | grep -q -- '--job'; then
  echo "plot: $pass passed, $fail failed"
  [ $fail = 0 ] || exit 1
  echo "SKIP: dshap explain has no --job option yet: run_scaling.sh not exercised"
  exit 77
fi
export DSHAP_SCALING_DIR=$t/in OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
DSHAP=$dshap "$root/jobs/scaling/make_inputs.sh" small 2 2>/dev/null
for mode in strong weak; do
  # A smaller problem than the file's (flags override the job): 6 references, chunks of 3.
  if DSHAP=$dshap "$root/jobs/scaling/run_scaling.sh" --job "$root/jobs/scaling/small.job" --ranks "1 2" --mode $mode \
       --n-background 6 --out "$t/$mode" -- --chunk 3 2>"$t/$mode.err"; then
    csv=$t/$mode/scaling_$mode.csv
    want_same=$([ $mode = strong ] && echo yes || echo -)
    want_nb2=$([ $mode = strong ] && echo 6 || echo 12)
    if awk -F, -v same="$want_same" -v nb2="$want_nb2" -v m=$mode '
         NR == 1 { ok = ($1 == "mode" && $4 == "wall_s" && $8 == "backward_s" && $11 == "speedup" && NF == 13); next }
         { rows++; if ($1 != m || $2 != rows || $13 != same || $4 <= 0 || $8 <= 0 || $11 <= 0 || $12 <= 0) ok = 0
           if (rows == 1 && ($11 != "1.000" || $12 != "1.000")) ok = 0
           if (rows == 2 && $3 != nb2) ok = 0 }
         END { exit !(ok && rows == 2) }' "$csv"; then ok
    else bad "$mode CSV: $(cat "$csv")"; fi
  else
    bad "run_scaling.sh --mode $mode: $(cat "$t/$mode.err")"
  fi
done
# A wrong option is refused with a clear line.
"$root/jobs/scaling/run_scaling.sh" --job "$root/jobs/scaling/small.job" --mode fast 2>"$t/opt.err" && bad "--mode fast accepted" \
  || { grep -q "mode expects strong or weak" "$t/opt.err" && ok || bad "--mode fast: $(cat "$t/opt.err")"; }
echo "scaling scripts: $pass passed, $fail failed"
[ $fail = 0 ]
