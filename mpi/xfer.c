#include "mpi/xfer.h"

#include <stdio.h>
#include <string.h>

#include "cuda/nccl_link.h"

/* MPI counts are ints: larger partials go in pieces. */
#define PIECE ((int64_t)1 << 28)

int xfer_parse(const char *s) {
    if (!strcmp(s, "auto")) return XFER_AUTO;
    if (!strcmp(s, "mpi")) return XFER_MPI;
    if (!strcmp(s, "nccl")) return XFER_NCCL;
    return -1;
}

int xfer_have_nccl(void) {
#ifdef DSHAP_HAVE_NCCL
    return 1;
#else
    return 0;
#endif
}

dshap_status xfer_check(xfer_kind want, int on_gpu) {
    if (want == XFER_NCCL && !xfer_have_nccl())
        FAIL(DSHAP_EINVAL, "--transport nccl: this dshap was built without NCCL");
    if (want == XFER_NCCL && !on_gpu) FAIL(DSHAP_EINVAL, "--transport nccl needs the CUDA backend (--backend cuda)");
#ifdef DSHAP_HAVE_NCCL
    if (want == XFER_NCCL && !nccl_link_available())
        FAIL(DSHAP_EINVAL, "--transport nccl: libnccl.so.2 cannot be loaded on this machine");
#endif
    return DSHAP_OK;
}

dshap_status xfer_open(xfer *x, dist_ctx *d, xfer_kind want, int on_gpu) {
    memset(x, 0, sizeof *x);
    x->d = d;
    x->kind = XFER_MPI;
    TRY(xfer_check(want, on_gpu));
    if (want == XFER_MPI || d->size == 1 || !on_gpu || !xfer_have_nccl()) return DSHAP_OK;
#ifdef DSHAP_HAVE_NCCL
    if (want == XFER_AUTO && !nccl_link_available()) return DSHAP_OK; /* MPI then */
    TRY(nccl_link_open(&x->nccl, d->comm, d->rank, d->size));
    x->kind = XFER_NCCL;
    if (d->rank == 0) fprintf(stderr, "dshap explain: partial results travel between the GPUs over NCCL\n");
#endif
    return DSHAP_OK;
}

dshap_status xfer_send(xfer *x, const double *buf, int64_t count, int peer) {
#ifdef DSHAP_HAVE_NCCL
    if (x->kind == XFER_NCCL) return nccl_link_send(x->nccl, buf, count, peer);
#endif
    for (int64_t o = 0; o < count; o += PIECE) {
        int n = (int)(count - o < PIECE ? count - o : PIECE);
        if (MPI_Send(buf + o, n, MPI_DOUBLE, peer, 0, x->d->comm) != MPI_SUCCESS)
            FAIL(DSHAP_EMPI, "sending a partial result to rank %d failed", peer);
    }
    return DSHAP_OK;
}

dshap_status xfer_recv(xfer *x, double *buf, int64_t count, int peer) {
#ifdef DSHAP_HAVE_NCCL
    if (x->kind == XFER_NCCL) return nccl_link_recv(x->nccl, buf, count, peer);
#endif
    for (int64_t o = 0; o < count; o += PIECE) {
        int n = (int)(count - o < PIECE ? count - o : PIECE);
        if (MPI_Recv(buf + o, n, MPI_DOUBLE, peer, 0, x->d->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            FAIL(DSHAP_EMPI, "receiving a partial result from rank %d failed", peer);
    }
    return DSHAP_OK;
}

void xfer_close(xfer *x) {
#ifdef DSHAP_HAVE_NCCL
    if (x->nccl) nccl_link_close(x->nccl);
#endif
    x->nccl = NULL;
}

const char *xfer_name(const xfer *x) { return x->kind == XFER_NCCL ? "nccl" : "mpi"; }
