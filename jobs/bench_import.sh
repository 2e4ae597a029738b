#!/usr/bin/env bash
# Import throughput of `dshap data import-ntu` on synthetic NTU-style files.
#   jobs/bench_import.sh [DSHAP] [N_FILES] [FRAMES]      (defaults: build/dshap 2000 100)
# Writes N_FILES .skeleton files per body count (1 and 2 bodies per frame) with
# `dshap data synth --format skeleton`, then times import-ntu over all of them
# (X-View train + eval = every file), with the published preprocessing and
# with --raw (parse and write only). Files/s = files read per wall second;
# MB/s = .skeleton bytes read per wall second (page cache warm: the files were
# just written). Output data.h5 files are written next to the inputs.
set -euo pipefail
dshap=${1:-build/dshap}
n=${2:-2000}
frames=${3:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/dshap_bench_import.XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
printf '%-10s %-6s %7s %9s %8s %9s %8s\n' bodies mode files MB seconds files/s MB/s
for persons in 1 2; do
  dir=$work/skel$persons
  "$dshap" data synth --layout ntu25 --n "$n" --classes 60 --frames "$frames" --persons "$persons" \
    --seed 1 --format skeleton --out-dir "$dir" >/dev/null
  mb=$(du -sb "$dir" | awk '{print $1 / 1e6}')
  for mode in full raw; do
    extra=()
    [ "$mode" = raw ] && extra=(--raw)
    t0=$(now)
    for split in train eval; do
      "$dshap" data import-ntu "$dir" --benchmark xview --split "$split" --quiet "${extra[@]}" \
        -o "$work/out_${persons}_${mode}_$split.h5" >/dev/null
    done
    t1=$(now)
    awk -v b="$persons" -v m="$mode" -v f="$n" -v mb="$mb" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
      'BEGIN { printf "%-10s %-6s %7d %9.1f %8.2f %9.0f %8.1f\n", b, m, f, mb, s, f / s, mb / s }'
    rm -f "$work"/out_*.h5
  done
done
echo "(dshap $("$dshap" --version | awk '{print $2}'), $(nproc) threads of $(nproc --all) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
