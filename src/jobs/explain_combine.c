#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "jobs/explain_out.h"
#include "mpi/xfer.h"

void explain_result_free(explain_result *r) {
    dshap_free(r->rs.row0);
    dshap_free(r->rs.rows);
    dshap_free(r->values);
    dshap_free(r->output);
    dshap_free(r->residual);
    dshap_free(r->classes);
    dshap_free(r->phi0);
    memset(r, 0, sizeof *r);
}

static int block_rows(const unit_ctx *uc, int b) {
    int64_t i0 = (int64_t)b * uc->block;
    return (int)(uc->data->N - i0 < uc->block ? uc->data->N - i0 : uc->block);
}

/* Adds one chunk's partial into the block sum; logits and classes are the
 * same in every unit of a block. */
static void add_partial(unit_result *sum, const unit_result *part, int n, int n_k, int K, int64_t G, int first,
                        double *ref_total) {
    for (int64_t e = 0; e < (int64_t)n * n_k * G; e++) sum->phi[e] += part->phi[e];
    for (int64_t e = 0; e < (int64_t)n * n_k; e++) sum->total[e] += part->total[e];
    if (ref_total)
        for (int k = 0; k < K; k++) ref_total[k] += part->ref_sum[k];
    if (first) {
        memcpy(sum->logits, part->logits, sizeof(double) * (size_t)(n * K));
        memcpy(sum->classes, part->classes, sizeof(double) * (size_t)(n * n_k));
    }
}

dshap_status explain_combine(dist_ctx *d, const explain_opts *o, const unit_ctx *uc, unit_result *mine, int64_t my_lo,
                             int64_t my_hi, int64_t n_units, explain_result *res) {
    int K = uc->net->arch.num_class, n_k = uc->n_k, nb = uc->n_blocks;
    int64_t G = gran_size(&uc->gran), F = inputs_sample_size(uc->data);
    int full = uc->gran.kind == STORE_FULL;
    res->K = K;
    res->n_k = n_k;
    res->G = G;
    xfer x = {0};
    TRY(xfer_open(&x, d, o->transport, o->engine != NULL ? o->gpu : -1));
    /* Owned blocks, ascending. */
    int n_owned = 0;
    for (int b = d->rank; b < nb; b += d->size) {
        n_owned++;
        res->rows += block_rows(uc, b);
    }
    unit_result sum = {0}, tmp = {0};
    double *ref_total = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&res->rs.row0, (size_t)(n_owned + 1), sizeof(int64_t), "rows"));
    CHECK(dshap_calloc((void **)&res->rs.rows, (size_t)(n_owned + 1), sizeof(int64_t), "rows"));
    CHECK(dshap_calloc((void **)&res->values, (size_t)(res->rows * n_k * G + 1), sizeof(float), "attributions"));
    CHECK(dshap_calloc((void **)&res->output, (size_t)(res->rows * K + 1), sizeof(float), "outputs"));
    CHECK(dshap_calloc((void **)&res->residual, (size_t)(res->rows * n_k + 1), sizeof(float), "residuals"));
    CHECK(dshap_calloc((void **)&res->classes, (size_t)(res->rows * n_k + 1), sizeof(int32_t), "classes"));
    CHECK(dshap_calloc((void **)&res->phi0, (size_t)K, sizeof(double), "expected value"));
    CHECK(dshap_calloc((void **)&ref_total, (size_t)K, sizeof(double), "reference sums"));
    int64_t row = 0;
    int ob = 0;
    /* Every rank walks (block, chunk) in the same order (mpi/xfer.h). */
    for (int b = 0; b < nb; b++) {
        int n = block_rows(uc, b), owner = b % d->size;
        if (owner == d->rank) {
            CHECK(unit_result_alloc(&sum, n, n_k, K, G));
            CHECK(unit_result_alloc(&tmp, n, n_k, K, G));
        }
        for (int ch = 0; ch < uc->n_chunks; ch++) {
            int64_t u = (int64_t)ch * nb + b;
            int src = dist_owner(u, n_units, d->size);
            if (owner != d->rank) {
                if (src == d->rank) CHECK(xfer_send(&x, mine[u - my_lo].buf, mine[u - my_lo].len, owner));
                continue;
            }
            const unit_result *part = &tmp;
            if (src == d->rank) part = &mine[u - my_lo];
            else CHECK(xfer_recv(&x, tmp.buf, tmp.len, src));
            add_partial(&sum, part, n, n_k, K, G, ch == 0, b == 0 ? ref_total : NULL);
        }
        if (owner != d->rank) continue;
        res->rs.row0[ob] = (int64_t)b * uc->block;
        res->rs.rows[ob] = n;
        for (int i = 0; i < n; i++) {
            for (int kk = 0; kk < n_k; kk++) {
                const double *p = sum.phi + ((int64_t)i * n_k + kk) * G;
                for (int64_t g = 0; g < G; g++) {
                    float v = (float)(p[g] / uc->R);
                    if (full) res->values[((row + i) * F + g) * n_k + kk] = v;
                    else res->values[((row + i) * n_k + kk) * G + g] = v;
                }
                res->classes[(row + i) * n_k + kk] = (int32_t)sum.classes[(int64_t)i * n_k + kk];
            }
            for (int k = 0; k < K; k++) res->output[(row + i) * K + k] = (float)sum.logits[(int64_t)i * K + k];
        }
        /* residuals need φ0: keep the totals until it is known */
        for (int64_t e = 0; e < (int64_t)n * n_k; e++) res->residual[row * n_k + e] = (float)(sum.total[e] / uc->R);
        row += n;
        ob++;
        unit_result_free(&sum);
        unit_result_free(&tmp);
    }
    res->rs.n = n_owned;
    /* Rank 0 owns block 0, which saw every chunk: φ0 = Σ_chunks Σ_r f(r) / R. */
    for (int k = 0; k < K; k++) res->phi0[k] = ref_total[k] / uc->R;
    if (MPI_Bcast(res->phi0, K, MPI_DOUBLE, 0, d->comm) != MPI_SUCCESS) CHECK_FAIL(DSHAP_EMPI, "broadcast of φ0 failed");
    double worst = 0;
    for (int64_t i = 0; i < res->rows; i++)
        for (int kk = 0; kk < n_k; kk++) {
            int c = res->classes[i * n_k + kk];
            double delta = (double)res->output[i * K + c] - res->phi0[c];
            double r = (double)res->residual[i * n_k + kk] - delta;
            res->residual[i * n_k + kk] = (float)r;
            double rel = fabs(r) / fmax(1.0, fabs(delta));
            if (rel > worst) worst = rel;
        }
    MPI_Allreduce(&worst, &res->worst_residual, 1, MPI_DOUBLE, MPI_MAX, d->comm);
done:
    xfer_close(&x);
    dshap_free(ref_total);
    unit_result_free(&sum);
    unit_result_free(&tmp);
    return st;
}
