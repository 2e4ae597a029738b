/* How chunk partials travel between ranks (DESIGN.md, Distribution): MPI on
 * the CPU backend, NCCL between GPUs, behind one interface. Transfers are
 * blocking point-to-point moves of doubles counted in elements, which every
 * rank issues in one global order (explain_combine walks (block, chunk) in
 * the same order everywhere): the earliest unfinished transfer always has
 * both ends waiting on it, so none can deadlock, and what arrives is summed
 * in chunk order whatever carried it. */
#ifndef DSHAP_XFER_H
#define DSHAP_XFER_H

#include <stdint.h>

#include "mpi/dist.h"

typedef enum { XFER_AUTO, XFER_MPI, XFER_NCCL } xfer_kind;

typedef struct nccl_link nccl_link;

typedef struct {
    xfer_kind kind; /* resolved: XFER_MPI or XFER_NCCL */
    dist_ctx *d;
    nccl_link *nccl;
} xfer;

/* Parse "auto", "mpi" or "nccl"; -1 for anything else. */
int xfer_parse(const char *s);
/* 1 when this dshap was built with NCCL. */
int xfer_have_nccl(void);
/* The one-line error for a transport that cannot run (before any work). */
dshap_status xfer_check(xfer_kind want, int on_gpu);
/* Collective (every rank calls it, all choose alike). gpu: this rank's
 * device, -1 on the CPU backend. AUTO takes NCCL when there is more than
 * one rank, every rank has a GPU of its own and libnccl loads everywhere;
 * MPI otherwise. NCCL asked for where that does not hold is an error. */
dshap_status xfer_open(xfer *x, dist_ctx *d, xfer_kind want, int gpu);
dshap_status xfer_send(xfer *x, const double *buf, int64_t count, int peer);
dshap_status xfer_recv(xfer *x, double *buf, int64_t count, int peer);
void xfer_close(xfer *x);
const char *xfer_name(const xfer *x);

#endif
