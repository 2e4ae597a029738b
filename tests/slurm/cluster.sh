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

wait_gone() { # pid-file: SIGTERM, up to 10 s, then SIGKILL; only that pid
  local f=$1 pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts job steps as their users)"
  for b in munged mungekey slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "$b not found (Debian packages: slurm-wlm munge)"
  done
  [ -e "$conf" ] && die "$dir already holds a cluster (stop it, or use a new folder)"
  mkdir -p "$dir"/{munge,state,spool,tmp,log}
  # munged insists that its socket folder's parents are not writable by others.
  chmod 755 "$dir" "$dir/munge"
  local host port
  host=$(hostname -s)
  port=$(pick_ports)
  mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null || die "mungekey failed"
  chmod 600 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged did not start: $(tail -n 3 "$dir/log/munged.log" 2>/dev/null)"
  cat >"$conf" <<EOF
# Written by tests/slurm/cluster.sh: a private one-node test cluster.
ClusterName=dshaptest$port
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=${CPUS:-8} State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
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
  export SLURM_CONF=$conf
  # This cluster's jobs first, so no step outlives its slurmd.
  local ids i
  if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    ids=$(squeue -h -o %i 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      scancel $ids 2>/dev/null || true
      for i in $(seq 1 50); do [ -z "$(squeue -h -o %i 2>/dev/null || true)" ] && break; sleep 0.2; done
    fi
  fi
  wait_gone "$dir/slurmd.pid"
  wait_gone "$dir/slurmctld.pid"
  wait_gone "$dir/munge/munged.pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) [ -e "$conf" ] || die "no cluster in $dir"; printf 'export SLURM_CONF=%q\n' "$conf" ;;
  *) usage ;;
esac
