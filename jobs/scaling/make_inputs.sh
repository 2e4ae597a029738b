#!/usr/bin/env bash
# Synthetic inputs for the scaling jobs in this folder, written where the job
# files look for them: $DSHAP_SCALING_DIR (default out/scaling).
#   jobs/scaling/make_inputs.sh small|ntu_xview_n32 [MAX_RANKS]
# The background holds R1 * MAX_RANKS rows (default 8) so that weak scaling
# (R = R1 * p) can draw its references up to MAX_RANKS ranks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
which=${1:-}
maxp=${2:-8}
[[ $maxp =~ ^[1-9][0-9]*$ ]] || { echo "make_inputs.sh: MAX_RANKS must be a positive integer" >&2; exit 2; }
dshap=${DSHAP:-$here/../../build/dshap}
[ -x "$dshap" ] || { echo "make_inputs.sh: no dshap binary at $dshap (set DSHAP=...)" >&2; exit 2; }
dir=${DSHAP_SCALING_DIR:-out/scaling}
mkdir -p "$dir"
case "$which" in
  small)
    "$dshap" model init --arch "$here/../../tests/fixtures/archs/small_ntu.json" --seed 4 -o "$dir/small_model.h5"
    "$dshap" data synth --layout ntu25 --n 8 --classes 60 --frames 20 --seed 1 -o "$dir/small_val.h5"
    "$dshap" data synth --layout ntu25 --n $((24 * maxp)) --classes 60 --frames 20 --seed 2 -o "$dir/small_bg.h5" ;;
  ntu_xview_n32)
    "$dshap" model init --arch ntu-xview --seed 1 -o "$dir/ntu_xview_model.h5"
    "$dshap" data synth --layout ntu25 --n 32 --classes 60 --frames 150 --seed 2 -o "$dir/ntu_xview_val32.h5"
    "$dshap" data synth --layout ntu25 --n $((100 * maxp)) --classes 60 --frames 150 --seed 3 -o "$dir/ntu_xview_bg.h5" ;;
  *) echo "usage: make_inputs.sh small|ntu_xview_n32 [MAX_RANKS]" >&2; exit 2 ;;
esac >/dev/null
echo "make_inputs: $which inputs in $dir" >&2
