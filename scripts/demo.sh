#!/usr/bin/env bash
# The main job on built-in demo data, on this machine's CPUs with mpirun:
# a random-weight NTU X-View model (the published architecture), synthetic
# NTU-layout motion (a second person only in the interaction classes, as in
# NTU RGB+D), DeepSHAP attributions of 8 validation samples against a
# 20-sample background in chunks of 10, spread over 2 MPI ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/dshap ] || scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
out=${DEMO_DIR:-demo}
mkdir -p "$out"
d=build/dshap
$d model init --arch ntu-xview --seed 1 -o "$out/model.h5"
$d data synth --layout ntu25 --n 8 --classes 60 --frames 150 --seed 2 --second-person interactions -o "$out/val.h5"
$d data synth --layout ntu25 --n 60 --classes 60 --frames 150 --seed 3 --second-person interactions -o "$out/train.h5"
$d predict --model "$out/model.h5" --input "$out/val.h5" -o "$out/predictions.h5"
mpirun -np 2 $d explain --model "$out/model.h5" --data "$out/val.h5" --background "$out/train.h5" \
  --n-background 20 --chunk 10 --classes pred --store joint -o "$out/attributions.h5"
$d plot skeleton --data "$out/val.h5" --sample 0 --frames 150 --windows 4 --scores "SHAP=$out/attributions.h5:/shap/values" \
  --title "demo: SHAP joint importance, sample 0 (predicted class)" -o "$out/skeleton.svg" --quiet
# joint names from dshap rank's table (position, joint index, name, ...), sample 0's scores from the file
$d rank --scores "SHAP=$out/attributions.h5:/shap/values" -o "$out/ranks.h5" --csv "$out/ranks.csv" --quiet
top3=$(h5dump -d /shap/values -c "1,1,25" -y "$out/attributions.h5" | sed -n '/DATA {/,/}/p' | tr -c '0-9eE.+-' '\n' |
  grep -E '^[-+]?[0-9]' | awk '{ printf "%d %s\n", NR - 1, $1 }' | sort -k2,2gr | head -3 |
  awk -F' ' 'NR == FNR { if (FNR > 1) name[$2] = $3; next } { printf "%s%s (%.4g)", (n++ ? ", " : ""), name[$1], $2 }' FS=, "$out/ranks.csv" FS=' ' -)
echo
echo "skeleton heat map of the first sample: $out/skeleton.svg"
echo "its three most important joints (SHAP, predicted class): $top3"
