#!/usr/bin/env bash
# dshap on two hosts: two network namespaces joined by a veth pair on a
# private /24 (tests/multinode/hosts.sh), each with its own hostname; traffic
# only between them. Shows, against a one-rank run (h5diff, bit for bit):
#  1. mpirun over TCP (hostfile, btl tcp + oob restricted to the link):
#     2 hosts x 2 ranks give the one-rank bytes; placement reports 2 ranks per host;
#  2. the parallel-HDF5 output is written from both hosts (ROMIO, one
#     aggregator per host; strace sees pwrite64 to the file on each host);
#  3. a hung node (every process on B stopped): the ranks on A end within
#     DSHAP_NODE_TIMEOUT + a few s, with one line naming B;
#  4. a two-node Slurm cluster (tests/multinode/cluster2.sh): srun --mpi=pmix
#     -N 2 gives the one-rank bytes;
#  5. node loss: every process on B killed mid-run under slurm/gpu_requeue.sbatch:
#     the step ends within 10 s with one line naming B, the template requeues,
#     B's slurmd comes back, the requeued job resumes from the checkpoint and
#     writes the one-rank bytes.
# Everything (namespaces, daemons) is created here and torn down on exit.
# Skips (77) with the reason where root, network namespaces, strace, Open MPI
# or Slurm/munge are missing.
set -euo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
mn=$root/tests/multinode
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
for b in ip nsenter unshare strace mpirun h5diff; do
  command -v $b >/dev/null || skip "$b not found (Debian packages iproute2 util-linux strace openmpi-bin hdf5-tools)"
done
for b in slurmctld slurmd munged mungekey srun sbatch squeue scontrol sinfo; do
  command -v $b >/dev/null || skip "$b not found: install the Debian packages slurm-wlm and munge"
done

t=$(mktemp -d)
cleanup() {
  [ -e "$t/slurm/slurm.conf" ] && timeout 30 "$mn/cluster2.sh" stop "$t" 2>/dev/null || true
  [ -e "$t/hosts.env" ] && "$mn/hosts.sh" stop "$t" || true
  rm -rf "$t"
}
trap cleanup EXIT
chmod 755 "$t"
"$mn/hosts.sh" start "$t" 2>"$t/hosts.log" || skip "cannot create two network namespaces here: $(tail -n 1 "$t/hosts.log")"
. "$t/hosts.env"
on() { "$mn/hosts.sh" exec "$t" "$@"; }

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_begin=$(now)
part() { echo "[$(since "$t_begin") s] $*"; }

cd "$t"
$dshap model init --arch cp29 --seed 1 --frames 24 -o m.h5 >/dev/null
$dshap data synth --layout cp29 --n 4 --classes 2 --frames 24 --persons 1 --seed 2 -o d.h5 >/dev/null
$dshap data synth --layout cp29 --n 32 --classes 2 --frames 24 --persons 1 --seed 3 -o bg.h5 >/dev/null
# 32 references in chunks of 2, one instance per block: 64 work units, a few
# seconds on 4 ranks, so there is a "mid-run" to kill.
job() { # OUTPUT: the job description
  printf 'model = %s\ndata = %s\nbackground = %s\nn_background = 32\nchunk = 2\nblock = 1\nclasses = all\noutput = %s\n' \
    "$t/m.h5" "$t/d.h5" "$t/bg.h5" "$1"
}
job "$t/np1.h5" >np1.job
$dshap explain --job np1.job --no-progress 2>np1.err || { cat np1.err; exit 1; }

same_as_np1() { # name file
  local ds diff=0
  [ -s "$2" ] || { bad "$1: no output $2"; return; }
  for ds in /shap/values /shap/output /shap/residual /shap/expected_value /shap/classes; do
    h5diff np1.h5 "$2" "$ds" "$ds" >/dev/null 2>&1 || { bad "$1: $ds differs from np=1"; diff=1; }
  done
  [ $diff = 0 ] && ok
}
# Two placement lines per host, local ranks 0/2 and 1/2 on each.
placement_per_host() { # name stderr-file
  local a b
  a=$(grep -c "^placement: rank [0-9]/4 local [01]/2 host $HOST_A " "$2" || true)
  b=$(grep -c "^placement: rank [0-9]/4 local [01]/2 host $HOST_B " "$2" || true)
  [ "$a" = 2 ] && [ "$b" = 2 ] && ok || bad "$1: placement lines $a on $HOST_A, $b on $HOST_B (want 2 and 2): $(grep placement "$2")"
}

# ---- 1. mpirun over TCP, 2 hosts x 2 ranks
part "mpirun over TCP"
printf '%s slots=2\n%s slots=2\n' "$HOST_A" "$HOST_B" >hostfile
mpi=(timeout 120 mpirun --hostfile hostfile -np 4 --map-by slot --mca plm_rsh_agent "$mn/rsh.sh $t"
     --mca btl tcp,self --mca btl_tcp_if_include "$NET" --mca oob_tcp_if_include "$NET")
job "$t/mpi4.h5" >mpi4.job
if on A "${mpi[@]}" "$dshap" explain --job mpi4.job --no-progress 2>mpi4.err; then
  same_as_np1 "mpirun 2 hosts x 2 ranks" mpi4.h5
  placement_per_host "mpirun" mpi4.err
else bad "mpirun 2 hosts x 2 ranks failed: $(tail -n 5 mpi4.err)"; fi

# ---- 2. written from both hosts: each rank under strace, ROMIO's collective
# buffering (one aggregator per host by default). --seccomp-bpf: only the
# traced calls stop the process (MPI polls with many others).
part "written from both hosts"
job "$t/trace.h5" >trace.job
if on A "${mpi[@]}" --mca io romio321 sh -c 'exec strace -qq -f --seccomp-bpf -y -e trace=pwrite64,pwritev -o "st-$(hostname)-$$" "$0" "$@"' \
     "$dshap" explain --job trace.job --no-progress 2>trace.err; then
  same_as_np1 "mpirun + ROMIO under strace" trace.h5
  for h in "$HOST_A" "$HOST_B"; do
    cat st-"$h"-* 2>/dev/null | grep -q "^[0-9]* *pwrite[v64]*([0-9]*<$t/trace.h5.part>" && ok ||
      bad "no write to the output file from $h (strace: $(ls st-* 2>/dev/null | tr '\n' ' '))"
  done
else bad "traced mpirun failed: $(tail -n 5 trace.err)"; fi

# ---- 3. a hung node: B's processes stopped mid-run; the heartbeat times out
# and A's ranks end. (mpirun itself then waits for B's stopped daemon: it
# cannot tell a hung node from a slow one; it ends once B is killed.)
part "a hung node"
job "$t/hang.h5" >hang.job
on A env DSHAP_NODE_TIMEOUT=3 "${mpi[@]}" -x DSHAP_NODE_TIMEOUT "$dshap" explain --job hang.job 2>hang.err &
run=$!
for i in $(seq 1 300); do [ "$(ls hang.h5.ckpt 2>/dev/null | wc -l)" -ge 8 ] && break; sleep 0.1; done
pids_a=$(sed -n "s/^placement: rank [0-9]*\/4 local [0-9]*\/2 host $HOST_A pid \([0-9]*\) .*/\1/p" hang.err)
t0=$(now)
"$mn/hosts.sh" freeze "$t" B
for i in $(seq 1 150); do
  alive=
  for p in $pids_a; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
  [ -z "$alive" ] && break
  sleep 0.1
done
el=$(since "$t0")
"$mn/hosts.sh" kill "$t" B
rc=0
wait $run || rc=$?
n=$(grep -c "lost node" hang.err || true)
if [ "$(echo $pids_a | wc -w)" = 2 ] && [ -z "$alive" ] && [ "$rc" != 0 ] && [ "$n" = 1 ] &&
   grep -q "^dshap: error: lost node $HOST_B (ranks 2-3): no heartbeat for 3 s" hang.err &&
   awk -v e="$el" 'BEGIN { exit !(e < 10) }'; then ok
else bad "hung node: ranks on $HOST_A ($pids_a) left:${alive:- none} $el s after the freeze, rc $rc, $n lost-node lines: $(grep -v '^placement' hang.err | head -n 5)"; fi
# A fresh pair of hosts for the cluster: nothing of the frozen run survives.
"$mn/hosts.sh" kill "$t" A

# ---- 4. a two-node Slurm cluster: srun --mpi=pmix -N 2
part "two-node Slurm cluster"
"$mn/cluster2.sh" start "$t" 2>cluster.log || { cat cluster.log; exit 1; }
eval "$("$mn/cluster2.sh" env "$t")"
export OMPI_MCA_btl_tcp_if_include=$NET
job "$t/srun4.h5" >srun4.job
if on A timeout 120 srun --mpi=pmix -N 2 --ntasks-per-node=2 "$dshap" explain --job srun4.job --no-progress 2>srun4.err; then
  same_as_np1 "srun -N 2 --ntasks-per-node=2" srun4.h5
  placement_per_host "srun" srun4.err
else bad "srun -N 2 failed: $(tail -n 5 srun4.err)"; fi

# ---- 5. node loss under the requeue template, then requeue + --resume.
part "node loss and requeue"
state() { on A squeue -h -j "$1" -o '%T %r' 2>/dev/null || true; }
job "$t/loss.h5" >loss.job
if id=$(on A env DSHAP="$dshap" sbatch --parsable -D "$t" -N 2 --ntasks-per-node=2 --gpus-per-task=0 --cpus-per-task=1 \
          --time=30 -o "$t/loss-%j.out" "$root/slurm/gpu_requeue.sbatch" "$t/loss.job" 2>sbatch.err); then
  for i in $(seq 1 600); do [ "$(ls loss.h5.ckpt 2>/dev/null | wc -l)" -ge 12 ] && break; sleep 0.1; done
  saved=$(ls loss.h5.ckpt 2>/dev/null | wc -l)
  t0=$(now)
  "$mn/hosts.sh" kill "$t" B
  for i in $(seq 1 200); do case "$(state "$id")" in RUNNING*) sleep 0.1 ;; *) break ;; esac; done
  el=$(since "$t0")
  log=loss-$id.out
  n=$(grep -c "lost node" "$log" || true)
  if awk -v e="$el" 'BEGIN { exit !(e < 10) }' && [ "$n" = 1 ] &&
     grep -q "^dshap: error: lost node $HOST_B (ranks 2-3): its processes are gone" "$log" &&
     grep -q "a node was lost, requeueing job $id" "$log"; then ok
  else bad "node loss ($saved units saved): job state '$(state "$id")' $el s after the kill, $n lost-node lines: $(tail -n 8 "$log")"; fi
  # B reboots: its slurmd registers again (ReturnToService=2). The requeued
  # job waits for it, then (BeginTime: cred_expire) let it start in 2 s.
  "$mn/cluster2.sh" slurmd "$t" B 2>>cluster.log || bad "slurmd on $HOST_B did not come back: $(tail -n 2 cluster.log)"
  for i in $(seq 1 600); do
    case "$(state "$id")" in "PENDING BeginTime"*) on A scontrol update JobId="$id" StartTime=now+2; break ;; "") break ;; esac
    sleep 0.1
  done
  for i in $(seq 1 600); do [ -z "$(state "$id")" ] && break; sleep 0.2; done
  st=$(on A scontrol -o show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
  if [ "$st" = JobState=COMPLETED ] && grep -q "start 2:" "$log" &&
     grep -q "resumed [1-9][0-9]* work units from the checkpoint" "$log"; then
    same_as_np1 "node loss, requeue + --resume" loss.h5
  else bad "requeued job $id: $st: $(tail -n 8 "$log"); slurmd on $HOST_B: $(tail -n 6 slurm/log/slurmd-$HOST_B.log)"; fi
else bad "sbatch slurm/gpu_requeue.sbatch refused: $(cat sbatch.err)"; fi

part "done"
echo "multinode: $pass passed, $fail failed"
[ $fail = 0 ]
