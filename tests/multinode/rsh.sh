#!/usr/bin/env bash
# Open MPI's remote-shell agent for the two test hosts (plm_rsh_agent): called
# as `rsh.sh DIR HOST COMMAND...` in place of ssh, it runs the daemon command
# on that host's namespace (tests/multinode/hosts.sh exec), through sh as
# ssh would.
set -euo pipefail
dir=$1 host=$2
shift 2
. "$dir/hosts.env"
case "$host" in
  "$HOST_A"|"$IP_A") side=A ;;
  "$HOST_B"|"$IP_B") side=B ;;
  *) echo "rsh.sh: unknown host '$host' (this harness has $HOST_A and $HOST_B)" >&2; exit 1 ;;
esac
exec "$(dirname "$0")/hosts.sh" exec "$dir" "$side" sh -c "$*"
