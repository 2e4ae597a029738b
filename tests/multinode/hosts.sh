#!/usr/bin/env bash
# Two "hosts" on this machine for multi-node tests: two network namespaces
# joined by one veth pair on a private /24 (10.77.X.1 and 10.77.X.2), each
# with its own hostname (UTS namespace) and its own /etc/hosts view (a bind
# mount inside a private mount namespace) naming only the two hosts. They
# share the filesystem, as cluster nodes share a parallel file system.
# Traffic can flow only between the two namespaces: nothing else is
# addressed, no route leaves them, the host's own network is untouched.
#
#   tests/multinode/hosts.sh start DIR      create both hosts; DIR/hosts.env names them
#   tests/multinode/hosts.sh exec DIR A|B CMD...   run CMD on host A or B (as that host)
#   tests/multinode/hosts.sh kill DIR A|B   SIGKILL every process on that host (node loss)
#   tests/multinode/hosts.sh freeze DIR A|B SIGSTOP every process on that host (a hung node)
#   tests/multinode/hosts.sh stop DIR       kill what is left on both, delete both namespaces
#
# Needs root and iproute2 (ip netns, veth), util-linux (unshare). The names
# carry a per-DIR tag so concurrent runs do not meet.
set -euo pipefail

die() { echo "hosts.sh: $*" >&2; exit 1; }
usage() { echo "usage: hosts.sh start|stop DIR | exec DIR A|B CMD... | kill|freeze DIR A|B" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
case "$2" in /*) dir=$2 ;; *) dir=$PWD/$2 ;; esac
shift 2
env_file=$dir/hosts.env

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
  command -v ip >/dev/null && command -v unshare >/dev/null || die "needs ip (iproute2) and unshare (util-linux)"
  [ -e "$env_file" ] && die "$dir already holds two hosts (stop them, or use a new folder)"
  mkdir -p "$dir"
  # A tag from this process id: names stay under IFNAMSIZ (15) and unique.
  local tag=$$ sub
  sub=$(( tag % 250 + 1 ))
  local ns_a=dsh-$tag-a ns_b=dsh-$tag-b if_a=dsh$tag.a if_b=dsh$tag.b
  local ip_a=10.77.$sub.1 ip_b=10.77.$sub.2 host_a=node$tag-a host_b=node$tag-b
  cat >"$env_file" <<EOF
NS_A=$ns_a
NS_B=$ns_b
IP_A=$ip_a
IP_B=$ip_b
HOST_A=$host_a
HOST_B=$host_b
NET=10.77.$sub.0/24
EOF
  printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$ip_a" "$host_a" "$ip_b" "$host_b" >"$dir/etc-hosts"
  ip netns add "$ns_a" || die "ip netns add failed (no network namespaces here?)"
  ip netns add "$ns_b" || { ip netns del "$ns_a"; die "ip netns add failed"; }
  # The veth pair is created inside A, so it never appears in the host's namespace.
  if ! { ip -n "$ns_a" link add "$if_a" type veth peer name "$if_b" netns "$ns_b" &&
         ip -n "$ns_a" addr add "$ip_a/24" dev "$if_a" && ip -n "$ns_b" addr add "$ip_b/24" dev "$if_b" &&
         ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
         ip -n "$ns_a" link set "$if_a" up && ip -n "$ns_b" link set "$if_b" up; }; then
    ip netns del "$ns_a" 2>/dev/null || true; ip netns del "$ns_b" 2>/dev/null || true
    rm -f "$env_file"
    die "veth link setup failed"
  fi
  local i
  for i in $(seq 1 50); do
    ip -n "$ns_a" -br link show "$if_a" | grep -q LOWER_UP && { echo "hosts.sh: $host_a ($ip_a) <-> $host_b ($ip_b)" >&2; return 0; }
    sleep 0.1
  done
  stop
  die "the veth pair $if_a/$if_b did not come up"
}

load() { [ -e "$env_file" ] || die "no hosts in $dir"; . "$env_file"; }

on() { # A|B CMD...: as that host (netns, hostname, /etc/hosts)
  load
  local ns host
  case "$1" in A) ns=$NS_A host=$HOST_A ;; B) ns=$NS_B host=$HOST_B ;; *) usage ;; esac
  shift
  [ $# -gt 0 ] || usage
  # nsenter, not `ip netns exec`: that remounts /sys without the cgroup tree slurmd wants.
  exec nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private \
    sh -c 'hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' sh "$host" "$dir/etc-hosts" "$@"
}

kill_host() { # NS: SIGKILL every process in that namespace, until none is left
  local ns=$1 i pids
  for i in $(seq 1 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  die "processes left in $ns after 5 s: $pids"
}

freeze_host() { # NS: SIGSTOP every process in that namespace (they stay, silent)
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -STOP $pids 2>/dev/null || true
}

stop() {
  load
  local ns
  for ns in "$NS_A" "$NS_B"; do
    ip netns list | grep -q "^$ns\b" || continue
    kill_host "$ns" || true
    ip netns del "$ns" || true
  done
  # Shared-memory segments of killed MPI processes stay in /dev/shm (shared
  # by the namespaces); their names carry our hosts' unique names.
  rm -f /dev/shm/vader_segment."$HOST_A".* /dev/shm/vader_segment."$HOST_B".*
  rm -f "$env_file"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  exec) on "$@" ;;
  kill) load; case "${1:-}" in A) kill_host "$NS_A" ;; B) kill_host "$NS_B" ;; *) usage ;; esac ;;
  freeze) load; case "${1:-}" in A) freeze_host "$NS_A" ;; B) freeze_host "$NS_B" ;; *) usage ;; esac ;;
  *) usage ;;
esac
