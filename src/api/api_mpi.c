/* Public API: an explainer's MPI communicator, and an explain call's work
 * units over its ranks. The units are dealt in contiguous shares of the
 * chunk-major numbering (as dshap explain deals them); block b belongs to
 * rank b mod size, which receives the block's partials in chunk order and
 * adds them as one process would (api_units.c), then broadcasts the block's
 * finished rows. Every rank walks (block, chunk) in the same order, so the
 * earliest unfinished transfer always has both ends waiting on it. */
#include <limits.h>
#include <string.h>

#include "api/api_explain.h"
#include "core/error.h"
#include "core/mem.h"
#include "mpi/dist.h"

static dist_ctx ctx_of(const dshap_explainer_t *e) {
    dist_ctx d = {.comm = e->comm};
    MPI_Comm_rank(e->comm, &d.rank);
    MPI_Comm_size(e->comm, &d.size);
    return d;
}

int api_mpi_size(const dshap_explainer_t *e) {
    int size = 1;
    if (e->distributed) MPI_Comm_size(e->comm, &size);
    return size;
}

void api_mpi_release(dshap_explainer_t *e) {
    int fin = 0;
    if (!e->distributed) return;
    MPI_Finalized(&fin);
    if (!fin) MPI_Comm_free(&e->comm);
    e->distributed = 0;
}

dshap_status dshap_explainer_set_mpi_comm(dshap_explainer_t *e, const void *comm) {
    const char *fn = "dshap_explainer_set_mpi_comm";
    TRY(api_check_ptr(e, fn, "explainer"));
    api_mpi_release(e);
    if (!comm) return DSHAP_OK;
    int inited = 0, fin = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&fin);
    if (!inited || fin) FAIL(DSHAP_EINVAL, "%s: MPI is not initialised (MPI_Init comes before a communicator)", fn);
    MPI_Comm c = *(const MPI_Comm *)comm;
    if (c == MPI_COMM_NULL) FAIL(DSHAP_EINVAL, "%s: the communicator is MPI_COMM_NULL", fn);
    if (MPI_Comm_dup(c, &e->comm) != MPI_SUCCESS) FAIL(DSHAP_EMPI, "%s: MPI_Comm_dup failed", fn);
    MPI_Comm_set_errhandler(e->comm, MPI_ERRORS_RETURN);
    e->distributed = 1;
    return DSHAP_OK;
}

dshap_status api_mpi_agree(dshap_explainer_t *e, dshap_status st, const int64_t *sig, int n_sig, const char *fn) {
    dist_ctx d = ctx_of(e);
    TRY(dist_agree(&d, st));
    if (!n_sig) return DSHAP_OK;
    int64_t lo[16], hi[16];
    if (MPI_Allreduce(sig, lo, n_sig, MPI_INT64_T, MPI_MIN, e->comm) != MPI_SUCCESS ||
        MPI_Allreduce(sig, hi, n_sig, MPI_INT64_T, MPI_MAX, e->comm) != MPI_SUCCESS)
        FAIL(DSHAP_EMPI, "%s: comparing the ranks' arguments failed", fn);
    if (memcmp(lo, hi, sizeof(int64_t) * (size_t)n_sig))
        FAIL(DSHAP_EINVAL, "%s: the ranks called with different arguments (instances, classes, buffers or options); "
                           "a distributed call needs the same on every rank", fn);
    return DSHAP_OK;
}


static dshap_status compute_share(api_call *c, api_unit *mine, int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
        int64_t ch = u / c->n_blocks, b = u % c->n_blocks;
        TRY(api_unit_alloc(&mine[u - lo], c, api_call_block_rows(c, b)));
        TRY(api_unit_compute(c, b, ch, &mine[u - lo]));
        TRY(api_call_progress(c, u - lo + 1, hi - lo));
    }
    return DSHAP_OK;
}

/* Each block's partials to its owner, added in chunk order, its rows finished there. */
static dshap_status combine(api_call *c, const dist_ctx *d, api_unit *mine, int64_t lo, int64_t n_units,
                            float *values, float *output, float *residual) {
    api_unit tmp = {0};
    TRY(api_unit_alloc(&tmp, c, c->block));
    dshap_status st = DSHAP_OK;
    for (int64_t b = 0; b < c->n_blocks; b++) {
        int owner = (int)(b % d->size);
        for (int64_t ch = 0; ch < c->n_chunks; ch++) {
            int64_t u = ch * c->n_blocks + b;
            int src = dist_owner(u, n_units, d->size);
            if (owner != d->rank) {
                if (src == d->rank && MPI_Send(mine[u - lo].buf, (int)mine[u - lo].len, MPI_DOUBLE, owner, 0,
                                               d->comm) != MPI_SUCCESS)
                    CHECK_FAIL(DSHAP_EMPI, "dshap_explain: sending a work unit to rank %d failed", owner);
                continue;
            }
            const api_unit *part = &tmp;
            if (src == d->rank) {
                part = &mine[u - lo];
            } else {
                api_unit_layout(&tmp, c, api_call_block_rows(c, b));
                if (MPI_Recv(tmp.buf, (int)tmp.len, MPI_DOUBLE, src, 0, d->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                    CHECK_FAIL(DSHAP_EMPI, "dshap_explain: receiving a work unit from rank %d failed", src);
            }
            api_unit_add(c, b, ch, part);
        }
        if (owner == d->rank)
            api_call_finish(c, b * c->block, b * c->block + api_call_block_rows(c, b), values, output, residual);
    }
done:
    api_unit_free(&tmp);
    return st;
}

/* Every block's finished rows from its owner to every rank. */
static dshap_status broadcast_rows(api_call *c, const dist_ctx *d, float *values, float *output, float *residual) {
    int ok = 1;
    for (int64_t b = 0; b < c->n_blocks && ok; b++) {
        int owner = (int)(b % d->size);
        int64_t i0 = b * c->block, nb = api_call_block_rows(c, b), nk = nb * c->n_k;
        ok = MPI_Bcast(values + i0 * c->n_k * c->G, (int)(nk * c->G), MPI_FLOAT, owner, d->comm) == MPI_SUCCESS &&
             MPI_Bcast(c->explained + i0 * c->n_k, (int)nk, MPI_INT32_T, owner, d->comm) == MPI_SUCCESS &&
             (!output || MPI_Bcast(output + i0 * c->K, (int)(nb * c->K), MPI_FLOAT, owner, d->comm) == MPI_SUCCESS) &&
             (!residual || MPI_Bcast(residual + i0 * c->n_k, (int)nk, MPI_FLOAT, owner, d->comm) == MPI_SUCCESS);
    }
    if (!ok) FAIL(DSHAP_EMPI, "dshap_explain: broadcasting the attributions failed");
    return DSHAP_OK;
}

dshap_status api_mpi_run(api_call *c, float *values, float *output, float *residual) {
    dist_ctx d = ctx_of(c->e);
    int64_t n_units = c->n_blocks * c->n_chunks, lo, hi;
    dist_share(n_units, d.rank, d.size, &lo, &hi);
    api_unit *mine = NULL;
    dshap_status st = DSHAP_OK;
    /* one unit is one message, a block's values one broadcast: counts are int */
    int64_t unit_len = (int64_t)c->block * c->n_k * (c->G + 2) + (int64_t)c->block * c->K;
    if (unit_len > INT_MAX)
        CHECK_FAIL(DSHAP_EINVAL, "dshap_explain: a work unit holds %lld values, more than one MPI message carries; "
                   "use a smaller block", (long long)unit_len);
    CHECK(dshap_calloc((void **)&mine, (size_t)(hi - lo + 1), sizeof *mine, "work units"));
    CHECK(compute_share(c, mine, lo, hi));
done:
    if ((st = dist_agree(&d, st)) == DSHAP_OK) st = dist_agree(&d, combine(c, &d, mine, lo, n_units, values, output,
                                                                            residual));
    if (!st) st = dist_agree(&d, broadcast_rows(c, &d, values, output, residual));
    if (mine)
        for (int64_t u = lo; u < hi; u++) api_unit_free(&mine[u - lo]);
    dshap_free(mine);
    return st;
}
