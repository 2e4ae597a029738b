/* The MPI side of a job: communicator, rank grid helpers, error agreement and
 * aborts. Every rank runs the same job; with one rank (or a plain `dshap`
 * launch, an MPI singleton) everything still works. */
#ifndef DSHAP_DIST_H
#define DSHAP_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "core/error.h"

typedef struct {
    MPI_Comm comm;
    int rank, size;
    int local_rank, local_size; /* among the ranks on this node */
    char host[256];
    struct dist_watch *watch; /* node-loss heartbeat (mpi/watch.h); NULL on one host */
} dist_ctx;

dshap_status dist_init(dist_ctx *d, int *argc, char ***argv);
void dist_finalize(dist_ctx *d);

/* Collective: DSHAP_OK on every rank only if st is DSHAP_OK on every rank.
 * The failing rank with the lowest number broadcasts its message so rank 0
 * can print one line ("rank r: ..."). */
dshap_status dist_agree(dist_ctx *d, dshap_status st);
/* A rank failed where the others cannot be asked (mid-computation). With
 * several ranks: print "dshap: error: rank r (host): message" and bring the
 * whole job down (MPI_Abort: no rank hangs in a collective). Alone: return
 * st so the caller cleans up and reports it normally. */
dshap_status dist_fail(dist_ctx *d, dshap_status st);

/* Contiguous share [*lo, *hi) of n items for `rank` of `size`. */
void dist_share(int64_t n, int rank, int size, int64_t *lo, int64_t *hi);
/* The rank whose dist_share of n items holds item i. */
int dist_owner(int64_t i, int64_t n, int size);

double dist_time(void);

#endif
