/* NCCL between the ranks' GPUs (mpi/xfer.h's device transport): one
 * communicator over the job's ranks, made from an id rank 0 broadcasts over
 * MPI, on the GPU placement made current. Host partials are staged through
 * a device buffer and moved with ncclSend/ncclRecv of ncclDouble elements
 * on the link's own stream, so the transfer never waits on the compute
 * stream. Compiled where nccl.h was found (DSHAP_HAVE_NCCL); the library
 * itself is loaded at run time. */
#ifndef DSHAP_NCCL_LINK_H
#define DSHAP_NCCL_LINK_H

#include <mpi.h>
#include <stdint.h>

#include "core/error.h"

typedef struct nccl_link nccl_link;

#ifdef DSHAP_HAVE_NCCL
/* 1 when libnccl could be loaded (dlopen, once). */
int nccl_link_available(void);
dshap_status nccl_link_open(nccl_link **out, MPI_Comm comm, int rank, int size);
dshap_status nccl_link_send(nccl_link *l, const double *host, int64_t count, int peer);
dshap_status nccl_link_recv(nccl_link *l, double *host, int64_t count, int peer);
void nccl_link_close(nccl_link *l);
#endif

#endif
