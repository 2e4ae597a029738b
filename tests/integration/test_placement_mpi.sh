#!/usr/bin/env bash
# Placement under mpirun: every --bind mode on 2 and 3 ranks, checked against
# hwloc's own view of this machine (hwloc-calc); launcher binding kept by
# auto; bad requests fail with one clear line and no hang. The MPI side is
# the unit test binary in its --mpi mode (it also checks that each rank's OS
# binding equals its report line; exit 2 otherwise).
set -euo pipefail
dshap=$1
bin=$(dirname "$dshap")/tests/test_placement
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# "0-2,5" -> "0,1,2,5" (hwloc list format to hwloc-calc's PU list)
expand() {
  local out= part
  IFS=, read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then out+=$(seq -s, "${part%-*}" "${part#*-}"),; else out+=$part,; fi
  done
  echo "${out%,}"
}
all=$(hwloc-calc -I pu --po all)
ncores=$(hwloc-calc -N core all)
nnuma=$(hwloc-calc -N numa all)

# run NAME NP MPIRUN-OPTS... -- ARGS: report lines of rank 0 in $t/NAME.err
run() {
  local name=$1 np=$2; shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
  set +e
  timeout 60 mpirun -np "$np" "${opts[@]}" "$bin" --mpi "$@" >"$t/$name.out" 2>"$t/$name.err"
  echo $? >"$t/$name.rc"
  set -e
}
rc() { cat "$t/$1.rc"; }
cpuset() { # NAME RANK -> expanded cpuset from rank RANK's line
  expand "$(awk -v r="$2/" '$1 == "placement:" && $3 ~ "^"r {for (i = 1; i < NF; i++) if ($i == "cpuset") print $(i + 1)}' "$t/$1.err")"
}
lines() { grep -c '^placement: rank ' "$t/$1.err" || true; }

# none without launcher binding: both ranks see every PU.
run none 2 --bind-to none -- none
if [ "$(rc none)" = 0 ] && [ "$(lines none)" = 2 ] && [ "$(cpuset none 0)" = "$all" ] && [ "$(cpuset none 1)" = "$all" ] &&
   grep -q "^placement: rank 0/2 local 0/2 host $(hostname) pid [0-9]* device cpu cpuset .* bind none$" "$t/none.err"; then ok
else bad "none: $(cat "$t/none.err")"; fi

# auto and core without launcher binding: disjoint shares covering the machine
# (with more ranks than cores they overlap, so check only when they fit).
for mode in auto core; do
  run $mode 2 --bind-to none -- $mode
  a=$(cpuset $mode 0) b=$(cpuset $mode 1)
  union=$(echo "$a,$b" | tr , '\n' | sort -n | uniq | paste -sd,)
  inter=$(comm -12 <(echo "$a" | tr , '\n' | sort) <(echo "$b" | tr , '\n' | sort) | wc -l)
  if [ "$(rc $mode)" = 0 ] && [ -n "$a" ] && [ -n "$b" ] && { [ "$ncores" -lt 2 ] || { [ "$union" = "$all" ] && [ "$inter" = 0 ]; }; }; then ok
  else bad "$mode: rank 0 $a, rank 1 $b, all $all: $(cat "$t/$mode.err")"; fi
done

# numa: node (local rank mod nodes), or a clear error where hwloc knows none.
run numa 2 --bind-to none -- numa
if [ "$(rc numa)" = 0 ]; then
  n0=$(hwloc-calc -I pu --po numa:0) n1=$(hwloc-calc -I pu --po numa:$((1 % nnuma)))
  if [ "$(cpuset numa 0)" = "$n0" ] && [ "$(cpuset numa 1)" = "$n1" ]; then ok
  else bad "numa: $(cat "$t/numa.err"), want $n0 / $n1"; fi
else
  grep -q "no NUMA information" "$t/numa.err" && ok || bad "numa: $(cat "$t/numa.err")"
fi

# mpirun binds 2 ranks to cores by default: auto keeps that binding.
run launcher 2 --bind-to core -- none
run keep 2 --bind-to core -- auto
if [ "$(rc keep)" = 0 ] && [ "$(cpuset keep 0)" = "$(cpuset launcher 0)" ] && [ "$(cpuset keep 1)" = "$(cpuset launcher 1)" ]; then ok
else bad "auto under --bind-to core: $(cat "$t/keep.err") vs launcher $(cat "$t/launcher.err")"; fi

# 3 ranks, core mode: on fewer than 3 cores they wrap around, with a warning.
run over 3 --bind-to none -- core
if [ "$(rc over)" = 0 ] && [ "$(lines over)" = 3 ] &&
   { [ "$ncores" -ge 3 ] || [ "$(grep -c "warning: oversubscribed, 3 local ranks share $ncores cores" "$t/over.err")" = 3 ]; }; then ok
else bad "3 ranks core: $(cat "$t/over.err")"; fi

# Bad requests: non-zero exit, one clear line, no hang (timeout gives 124).
run badmode 2 -- socket
[ "$(rc badmode)" != 0 ] && [ "$(rc badmode)" != 124 ] && grep -q "unknown --bind mode 'socket' (auto, none, core or numa)" "$t/badmode.err" \
  && ok || bad "bad mode: rc $(rc badmode): $(cat "$t/badmode.err")"
run nonuma 2 -x HWLOC_COMPONENTS=-linux -- numa
[ "$(rc nonuma)" != 0 ] && [ "$(rc nonuma)" != 124 ] && grep -q "rank 0: placement: --bind numa, but hwloc sees no NUMA information" "$t/nonuma.err" \
  && ok || bad "numa without NUMA information: rc $(rc nonuma): $(cat "$t/nonuma.err")"
if ! nvidia-smi -L >/dev/null 2>&1; then
  run nogpu 2 -- auto 0
  [ "$(rc nogpu)" != 0 ] && [ "$(rc nogpu)" != 124 ] && grep -q "placement: .*GPU 0" "$t/nogpu.err" \
    && ok || bad "GPU without a device: rc $(rc nogpu): $(cat "$t/nogpu.err")"
fi

echo "placement mpi: $pass passed, $fail failed"
[ $fail = 0 ]
