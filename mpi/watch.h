/* Node-loss watch for jobs spread over several hosts. Open MPI 4.1 has no
 * fault tolerance: when a node dies, the survivors block in their next
 * collective (or hang on a TCP connect) until the workload manager declares
 * the node dead, minutes on a production cluster. Instead, one rank per host
 * (local rank 0) keeps a TCP heartbeat with the next and the previous host
 * (a ring over the hosts, so 2 sockets per host at any size) from a thread
 * that makes no MPI calls. A peer whose socket closes (its processes died)
 * or that stays silent for DSHAP_NODE_TIMEOUT seconds (default 10; a frozen
 * or unplugged node) is lost: the watcher prints one line
 *   dshap: error: lost node NAME (ranks A-B): WHY; ending the job
 * and ends the job with MPI_Abort(WATCH_EXIT_NODE_LOST), so every launcher
 * tears the rest down and a batch script can tell a lost node (worth a
 * requeue and --resume) from a failed job.
 * A clean exit says goodbye first, so a finished host is never taken for a
 * lost one. One host (or one rank): nothing is started. Where the ring
 * cannot be set up (host names that do not resolve, blocked ports), each
 * failing host prints one warning and the job runs unwatched. */
#ifndef DSHAP_WATCH_H
#define DSHAP_WATCH_H

#include <mpi.h>

#include "core/error.h"

/* Exit status of a job ended by a lost node: EX_TEMPFAIL (sysexits.h). */
#define WATCH_EXIT_NODE_LOST 75

typedef struct dist_watch dist_watch;

/* Collective over comm. *out is NULL when all ranks share one host, on
 * ranks that are not their host's first, and when the watch is off. */
dshap_status watch_start(MPI_Comm comm, int rank, int size, int local_rank, const char *host, dist_watch **out);
/* Say goodbye to the neighbours, stop the thread, free. NULL is fine. */
void watch_stop(dist_watch *w);

#endif
