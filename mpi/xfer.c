#include "mpi/xfer.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "cuda/nccl_link.h"
#ifdef DSHAP_HAVE_NCCL
#include "cuda/device.h"
#endif

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

/* What each rank brings to the choice: NCCL needs every rank on a GPU of
 * its own (told apart by host and PCI id, since schedulers renumber the
 * visible devices per task) and libnccl on every node. */
typedef struct {
    char host[256];
    char pci[64];
    int can;
} xfer_peer;

static void describe_self(const dist_ctx *d, int gpu, xfer_peer *me) {
    memset(me, 0, sizeof *me);
    snprintf(me->host, sizeof me->host, "%s", d->host);
    me->can = gpu >= 0 && xfer_have_nccl();
#ifdef DSHAP_HAVE_NCCL
    char name[128];
    size_t mem;
    me->can = me->can && nccl_link_available() &&
              cuda_device_describe(gpu, name, sizeof name, &mem, me->pci, sizeof me->pci) == 0;
#endif
}

dshap_status xfer_open(xfer *x, dist_ctx *d, xfer_kind want, int gpu) {
    memset(x, 0, sizeof *x);
    x->d = d;
    x->kind = XFER_MPI;
    TRY(xfer_check(want, gpu >= 0));
    if (want == XFER_MPI || d->size == 1) return DSHAP_OK;
    /* Collective: every rank decides from the same gathered facts. */
    xfer_peer me, *all = NULL;
    describe_self(d, gpu, &me);
    TRY(dshap_calloc((void **)&all, (size_t)d->size, sizeof *all, "transport choice"));
    if (MPI_Allgather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, d->comm) != MPI_SUCCESS) {
        dshap_free(all);
        FAIL(DSHAP_EMPI, "gathering the ranks' GPUs failed");
    }
    int bad = -1, dup = -1;
    for (int r = 0; r < d->size && bad < 0 && dup < 0; r++) {
        if (!all[r].can) bad = r;
        for (int q = 0; q < r && dup < 0; q++)
            if (!strcmp(all[q].host, all[r].host) && !strcmp(all[q].pci, all[r].pci)) dup = q, bad = r;
    }
    dshap_status st = DSHAP_OK;
    if (bad >= 0 && want == XFER_NCCL) {
        if (dup >= 0)
            st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__,
                            "--transport nccl: ranks %d and %d share the GPU %s on %s; NCCL needs one GPU per rank", dup,
                            bad, all[bad].pci, all[bad].host);
        else
            st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "--transport nccl: rank %d on %s cannot use NCCL", bad,
                            all[bad].host);
    }
    dshap_free(all);
    if (st || bad >= 0) return st; /* auto: MPI */
#ifdef DSHAP_HAVE_NCCL
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
