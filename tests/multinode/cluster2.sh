#!/usr/bin/env bash
# A real two-node Slurm cluster on the two test hosts of hosts.sh: munged and
# slurmctld on host A, one slurmd per host (slurmd -N NAME), every NodeAddr on
# the hosts' veth link, all files (config, key, sockets, state, per-node
# spool, logs, pid files) inside the hosts' folder. Clients run on a host
# (hosts.sh exec DIR A ...) with SLURM_CONF from `env`. Nodes are declared
# dead after SlurmdTimeout=5 s, so a lost node fails its jobs within seconds.
#
#   tests/multinode/cluster2.sh start DIR     (after hosts.sh start DIR) start the daemons, wait for 2 idle nodes
#   tests/multinode/cluster2.sh slurmd DIR A|B   (re)start one node's slurmd (a node back from a loss)
#   eval "$(tests/multinode/cluster2.sh env DIR)"
#   tests/multinode/cluster2.sh stop DIR      cancel its jobs, stop its daemons (hosts.sh stop kills the rest)
#
# Needs root and the Debian packages slurm-wlm and munge.
set -euo pipefail

die() { echo "cluster2.sh: $*" >&2; exit 1; }
usage() { echo "usage: cluster2.sh start|stop|env DIR | slurmd DIR A|B" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
case "$2" in /*) dir=$2 ;; *) dir=$PWD/$2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
conf=$dir/slurm/slurm.conf
s=$dir/slurm
[ -e "$dir/hosts.env" ] || die "no test hosts in $dir (tests/multinode/hosts.sh start $dir first)"
. "$dir/hosts.env"
on() { "$here/hosts.sh" exec "$dir" "$@"; }
. "$here/../slurm/common.sh"

# Both nodes' states, "A B" (sinfo from host A).
states() { on A env SLURM_CONF="$conf" sinfo -h -N -o '%N %t' 2>/dev/null | sort | awk '{printf "%s%s", s, $2; s=" "}'; }

start_slurmd() { # A|B
  local host
  case "$1" in A) host=$HOST_A ;; B) host=$HOST_B ;; *) usage ;; esac
  # Node-local folders start empty, as after a reboot: a node back from a
  # loss must not trip over the sockets its killed step daemons left.
  rm -rf "${s:?}/spool-$host" "${s:?}/tmp-$host"
  mkdir -p "$s/spool-$host" "$s/tmp-$host"
  on "$1" env SLURM_CONF="$conf" slurmd -N "$host" -f "$conf" ||
    die "slurmd on $host did not start: $(tail -n 3 "$s/log/slurmd-$host.log" 2>/dev/null)"
}

start() {
  slurm_check_prereqs
  [ -e "$conf" ] && die "$dir already holds a cluster"
  mkdir -p "$s"/{munge,state,log}
  chmod 755 "$dir" "$s" "$s/munge"
  # The link is private to this test, so the standard ports cannot clash.
  local port=6817
  slurm_start_munged "$s" on A
  {
    echo '# Written by tests/multinode/cluster2.sh: a private two-node test cluster.'
    slurm_conf_common dshap2n "$HOST_A($IP_A)" "$port" "$s" -%n
    cat <<EOF
SlurmdTimeout=5
MessageTimeout=5
KillWait=2
NodeName=$HOST_A NodeAddr=$IP_A CPUs=${CPUS:-4} State=UNKNOWN
NodeName=$HOST_B NodeAddr=$IP_B CPUs=${CPUS:-4} State=UNKNOWN
PartitionName=test Nodes=$HOST_A,$HOST_B Default=YES MaxTime=INFINITE State=UP
EOF
  } >"$conf"
  on A env SLURM_CONF="$conf" slurmctld -c -f "$conf" ||
    die "slurmctld did not start: $(tail -n 3 "$s/log/slurmctld.log" 2>/dev/null)"
  start_slurmd A
  start_slurmd B
  wait_idle || { stop; die "nodes not idle after 30 s (states '$(states)'); logs in $s/log"; }
  echo "cluster2.sh: $HOST_A and $HOST_B idle, SLURM_CONF=$conf" >&2
}

wait_idle() {
  local i
  for i in $(seq 1 150); do
    [ "$(states)" = "idle idle" ] && return 0
    sleep 0.2
  done
  return 1
}

stop() {
  [ -e "$conf" ] || die "no cluster in $dir"
  slurm_cancel_jobs "$s" on A env SLURM_CONF="$conf"
  slurm_wait_gone "$s/slurmd-$HOST_B.pid" 50
  slurm_wait_gone "$s/slurmd-$HOST_A.pid" 50
  slurm_wait_gone "$s/slurmctld.pid" 50
  slurm_wait_gone "$s/munge/munged.pid" 50
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  slurmd) start_slurmd "${3:-}"; wait_idle || die "nodes not idle after 30 s (states '$(states)')" ;;
  env) [ -e "$conf" ] || die "no cluster in $dir"; printf 'export SLURM_CONF=%q\n' "$conf" ;;
  *) usage ;;
esac
