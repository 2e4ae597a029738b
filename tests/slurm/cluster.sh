#!/usr/bin/env bash
# A real one-node Slurm cluster for tests (../shared/INFRA.md): munged,
# slurmctld and slurmd started by hand, every file (config, key, sockets,
# state, spool, logs, pid files) inside one private folder, on a private port
# pair, found by clients through SLURM_CONF. Nothing outside the folder is
# touched and only the processes in its pid files are ever stopped.
#
#   tests/slurm/cluster.sh start DIR   create DIR, start the daemons, wait until the node is idle
#   eval "$(tests/slurm/cluster.sh env DIR)"   point sinfo/srun/sbatch/squeue at it
#   tests/slurm/cluster.sh stop DIR    cancel its jobs, stop its daemons (DIR and logs stay)
#
# Needs root (slurmd launches jobs as their users) and the Debian packages
# slurm-wlm and munge. The node claims CPUS (default 8; more than the cores is
# fine, SlurmdParameters=config_overrides) so 4-rank jobs fit on 2 cores.
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { echo "usage: cluster.sh start|stop|env DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
case "$2" in /*) dir=$2 ;; *) dir=$PWD/$2 ;; esac
conf=$dir/slurm.conf
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

# A free TCP port pair (ctld, ctld + 1 for slurmd) in 20000-59999.
free_port() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_ports() {
  local p tries
  for tries in $(seq 1 50); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if free_port "$p" && free_port $((p + 1)); then echo "$p"; return; fi
  done
  die "no free port pair found"
}

start() {
  slurm_check_prereqs
  [ -e "$conf" ] && die "$dir already holds a cluster (stop it, or use a new folder)"
  mkdir -p "$dir"/{munge,state,spool,tmp,log}
  # munged insists that its socket folder's parents are not writable by others.
  chmod 755 "$dir" "$dir/munge"
  local host port
  host=$(hostname -s)
  port=$(pick_ports)
  slurm_start_munged "$dir"
  {
    echo '# Written by tests/slurm/cluster.sh: a private one-node test cluster.'
    slurm_conf_common "dshaptest$port" "$host(127.0.0.1)" "$port" "$dir" ""
    cat <<EOF
NodeName=$host NodeAddr=127.0.0.1 CPUs=${CPUS:-8} State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  } >"$conf"
  export SLURM_CONF=$conf
  slurmctld -c -f "$conf" || die "slurmctld did not start: $(tail -n 3 "$dir/log/slurmctld.log" 2>/dev/null)"
  slurmd -f "$conf" || die "slurmd did not start: $(tail -n 3 "$dir/log/slurmd.log" 2>/dev/null)"
  local i state=
  for i in $(seq 1 150); do
    state=$(sinfo -h -N -o %t 2>/dev/null || true)
    [ "$state" = idle ] && { echo "cluster.sh: $host idle on ports $port/$((port + 1)), SLURM_CONF=$conf" >&2; return 0; }
    sleep 0.2
  done
  stop
  die "node not idle after 30 s (state '$state'); logs in $dir/log"
}

stop() {
  [ -e "$conf" ] || die "no cluster in $dir"
  slurm_cancel_jobs "$dir" env SLURM_CONF="$conf"
  slurm_wait_gone "$dir/slurmd.pid" 100
  slurm_wait_gone "$dir/slurmctld.pid" 100
  slurm_wait_gone "$dir/munge/munged.pid" 100
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) [ -e "$conf" ] || die "no cluster in $dir"; printf 'export SLURM_CONF=%q\n' "$conf" ;;
  *) usage ;;
esac
