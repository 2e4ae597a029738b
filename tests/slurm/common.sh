# Sourced by tests/slurm/cluster.sh (one node) and tests/multinode/cluster2.sh
# (two nodes): the parts of a private test cluster that do not depend on how
# many nodes it has. The caller defines die() (its own name in the message).
# Folder layout, F the cluster's folder: F/munge (key, socket, seed, pid),
# F/state, F/log, F/slurmctld.pid, and per node F/spool$X, F/tmp$X,
# F/slurmd$X.pid, F/log/slurmd$X.log (X "" for one node, "-%n" for several).

slurm_check_prereqs() {
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts job steps as their users)"
  local b
  for b in munged mungekey slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "$b not found (Debian packages: slurm-wlm munge)"
  done
}

# A new munge key in F/munge and munged on it, started through RUN... (empty:
# here; "on A": inside host A's namespace).
slurm_start_munged() { # F [RUN...]
  local f=$1
  shift
  mungekey --create --keyfile="$f/munge/munge.key" 2>/dev/null || die "mungekey failed"
  chmod 600 "$f/munge/munge.key"
  "$@" munged --force --socket="$f/munge/munge.socket.2" --key-file="$f/munge/munge.key" \
    --pid-file="$f/munge/munged.pid" --log-file="$f/log/munged.log" --seed-file="$f/munge/munged.seed" \
    || die "munged did not start: $(tail -n 3 "$f/log/munged.log" 2>/dev/null)"
}

# The slurm.conf lines both clusters share, on stdout; the caller adds its
# timeouts and node / partition lines. Root daemons (slurmd starts steps as
# their users), munge on F's socket, no accounting, CPUs as the node lines
# claim them (config_overrides), pmix the default MPI, jobs scheduled at once.
slurm_conf_common() { # NAME CTLDHOST(ADDR) PORT F X
  local name=$1 ctld=$2 port=$3 f=$4 x=$5
  cat <<CONF
ClusterName=$name
SlurmctldHost=$ctld
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$f/munge/munge.socket.2
StateSaveLocation=$f/state
SlurmdSpoolDir=$f/spool$x
TmpFS=$f/tmp$x
SlurmctldPidFile=$f/slurmctld.pid
SlurmdPidFile=$f/slurmd$x.pid
SlurmctldLogFile=$f/log/slurmctld.log
SlurmdLogFile=$f/log/slurmd$x.log
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
CONF
}

# pid-file: SIGTERM, up to TENTHS tenths of a second, then SIGKILL; only that
# pid, and only when the file names one.
slurm_wait_gone() { # PIDFILE TENTHS
  local f=$1 pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
  for i in $(seq 1 "$2"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

# While F's slurmctld lives: cancel the cluster's jobs (clients through
# RUN..., e.g. "env SLURM_CONF=..."), waiting up to 10 s for the queue to
# empty, so no step outlives its slurmd.
slurm_cancel_jobs() { # F RUN...
  local f=$1 ids i
  shift
  [ -s "$f/slurmctld.pid" ] && kill -0 "$(cat "$f/slurmctld.pid")" 2>/dev/null || return 0
  ids=$("$@" squeue -h -o %i 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  "$@" scancel $ids 2>/dev/null || true
  for i in $(seq 1 50); do [ -z "$("$@" squeue -h -o %i 2>/dev/null || true)" ] && break; sleep 0.2; done
}
