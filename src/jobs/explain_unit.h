/* Work units of an explain job: (instance block, background chunk). A unit
 * is computed identically wherever it runs; its result is reduced to the
 * stored granularity before it travels. */
#ifndef DSHAP_EXPLAIN_UNIT_H
#define DSHAP_EXPLAIN_UNIT_H

#include "engine/engine.h"
#include "io/inputs.h"
#include "jobs/explain.h"

typedef struct {
    int n, n_k, K;
    int64_t G;
    /* one contiguous double buffer, so a result is one message */
    double *buf;
    double *phi;        /* (n, n_k, G)   Σ_r over the chunk, granularity-reduced */
    double *total;      /* (n, n_k)      Σ_r Σ_elements φ (for the residual) */
    double *ref_sum;    /* (K)           Σ_r f(r) over the chunk */
    double *logits;     /* (n, K)        f(x) */
    double *classes;    /* (n, n_k)      explained classes */
    int64_t len;
} unit_result;

dshap_status unit_result_alloc(unit_result *u, int n, int n_k, int K, int64_t G);
void unit_result_free(unit_result *u);

/* Shared state of one rank's computation. */
typedef struct {
    const explain_opts *o;
    const dshap_net *net;
    inputs_src *data, *bg;
    const int64_t *bg_rows;
    int R, n_k, block, chunk, n_blocks, n_chunks;
    granularity gran;
    const engine_ops *ops;
    engine *eng;
    float *x_inst, *x_ref;  /* host staging of one block / chunk */
    float *logits_inst, *logits_ref;
    int *classes;
    int cur_chunk;
    double t_bg_fwd, t_inst_fwd, t_backward;
    unsigned char *same;            /* (block, chunk, M) person_equal_mask of the last unit */
    int64_t rows_same, rows_total;  /* (instance, reference, person) rows with equal inputs / all */
} unit_ctx;

dshap_status unit_ctx_init(unit_ctx *c, const explain_opts *o, const dshap_net *net, inputs_src *data, inputs_src *bg,
                           const int64_t *bg_rows, int R, int n_k);
void unit_ctx_free(unit_ctx *c);
/* Compute unit (b, ch) into u (allocated by the caller). */
dshap_status unit_compute(unit_ctx *c, int b, int ch, unit_result *u);

#endif
