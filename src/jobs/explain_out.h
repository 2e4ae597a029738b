/* Combining unit partials on block owners, and the attributions.h5 writer. */
#ifndef DSHAP_EXPLAIN_OUT_H
#define DSHAP_EXPLAIN_OUT_H

#include "jobs/explain_unit.h"
#include "mpi/pwrite.h"

enum { PHASE_LOAD, PHASE_BG_FORWARD, PHASE_INST_FORWARD, PHASE_BACKWARD, PHASE_REDUCE, PHASE_WRITE, PHASE_COUNT };

typedef struct {
    row_set rs;           /* rows this rank owns (its blocks) */
    int64_t rows;
    int K, n_k;
    int64_t G;
    float *values;        /* (rows, n_k, G), or (rows, F, n_k) for full */
    float *output;        /* (rows, K) f(x) */
    float *residual;      /* (rows, n_k) */
    int32_t *classes;     /* (rows, n_k) */
    double *phi0;         /* (K) */
    double worst_residual;
} explain_result;

void explain_result_free(explain_result *r);

/* Units are numbered chunk-major (u = ch·n_blocks + b) and dealt to ranks in
 * contiguous shares (dist_owner), so each rank forwards few chunks of
 * references. Blocks are owned round-robin (b % ranks); each owner sums its
 * blocks' chunk partials in chunk order, whoever computed them. */
dshap_status explain_combine(dist_ctx *d, const explain_opts *o, const unit_ctx *uc, unit_result *mine, int64_t my_lo,
                             int64_t my_hi, int64_t n_units, explain_result *res);

dshap_status explain_write(dist_ctx *d, const explain_opts *o, const dshap_net *net, const inputs_src *data,
                           const unit_ctx *uc, const int64_t *bg_rows, int R, explain_result *res,
                           double timings[PHASE_COUNT], double t_write0);

#endif
