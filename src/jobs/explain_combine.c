#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "jobs/explain_out.h"

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

dshap_status explain_combine(dist_ctx *d, const explain_opts *o, const unit_ctx *uc, unit_result *mine, int64_t my_lo,
                             int64_t my_hi, int64_t n_units, unit_rank_fn unit_rank, explain_result *res) {
    int K = uc->net->arch.num_class, n_k = uc->n_k, nb = uc->n_blocks;
    int64_t G = gran_size(&uc->gran), F = inputs_sample_size(uc->data);
    int full = uc->gran.kind == STORE_FULL;
    res->K = K;
    res->n_k = n_k;
    res->G = G;
    /* Send every partial whose block another rank owns. */
    MPI_Request *req = NULL;
    int n_req = 0;
    TRY(dshap_calloc((void **)&req, (size_t)(my_hi - my_lo + 1), sizeof *req, "requests"));
    for (int64_t u = my_lo; u < my_hi; u++) {
        int b = (int)(u % nb), owner = b % d->size;
        if (owner == d->rank) continue;
        unit_result *ur = &mine[u - my_lo];
        if (MPI_Isend(ur->buf, (int)ur->len, MPI_DOUBLE, owner, (int)(u % 32767), d->comm, &req[n_req++]) != MPI_SUCCESS)
            FAIL(DSHAP_EMPI, "sending a partial result failed");
    }
    /* Owned blocks, ascending. */
    int n_owned = 0;
    for (int b = d->rank; b < nb; b += d->size) {
        n_owned++;
        res->rows += block_rows(uc, b);
    }
    TRY(dshap_calloc((void **)&res->rs.row0, (size_t)(n_owned + 1), sizeof(int64_t), "rows"));
    TRY(dshap_calloc((void **)&res->rs.rows, (size_t)(n_owned + 1), sizeof(int64_t), "rows"));
    TRY(dshap_calloc((void **)&res->values, (size_t)(res->rows * n_k * G + 1), sizeof(float), "attributions"));
    TRY(dshap_calloc((void **)&res->output, (size_t)(res->rows * K + 1), sizeof(float), "outputs"));
    TRY(dshap_calloc((void **)&res->residual, (size_t)(res->rows * n_k + 1), sizeof(float), "residuals"));
    TRY(dshap_calloc((void **)&res->classes, (size_t)(res->rows * n_k + 1), sizeof(int32_t), "classes"));
    TRY(dshap_calloc((void **)&res->phi0, (size_t)K, sizeof(double), "expected value"));
    unit_result sum = {0}, tmp = {0};
    double *ref_total = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&ref_total, (size_t)K, sizeof(double), "reference sums"));
    int64_t row = 0;
    int ob = 0;
    for (int b = d->rank; b < nb; b += d->size, ob++) {
        int n = block_rows(uc, b);
        CHECK(unit_result_alloc(&sum, n, n_k, K, G));
        CHECK(unit_result_alloc(&tmp, n, n_k, K, G));
        for (int ch = 0; ch < uc->n_chunks; ch++) {
            int64_t u = (int64_t)ch * nb + b;
            int src = unit_rank(u, n_units, d->size);
            const unit_result *part = &tmp;
            if (src == d->rank) {
                part = &mine[u - my_lo];
            } else if (MPI_Recv(tmp.buf, (int)tmp.len, MPI_DOUBLE, src, (int)(u % 32767), d->comm, MPI_STATUS_IGNORE) !=
                       MPI_SUCCESS) {
                CHECK_FAIL(DSHAP_EMPI, "receiving the partial of unit %lld from rank %d failed", (long long)u, src);
            }
            /* φ and totals summed in chunk order; logits/classes identical in every unit of a block */
            for (int64_t e = 0; e < (int64_t)n * n_k * G; e++) sum.phi[e] += part->phi[e];
            for (int64_t e = 0; e < (int64_t)n * n_k; e++) sum.total[e] += part->total[e];
            if (b == 0)
                for (int k = 0; k < K; k++) ref_total[k] += part->ref_sum[k];
            if (ch == 0) {
                memcpy(sum.logits, part->logits, sizeof(double) * (size_t)(n * K));
                memcpy(sum.classes, part->classes, sizeof(double) * (size_t)(n * n_k));
            }
        }
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
    (void)o;
done:
    if (n_req) MPI_Waitall(n_req, req, MPI_STATUSES_IGNORE);
    dshap_free(req);
    dshap_free(ref_total);
    unit_result_free(&sum);
    unit_result_free(&tmp);
    return st;
}
