/* Internals of the explainer: its handle, one explain call's state and the
 * work units (api_units.c on this process, api_mpi.c over MPI ranks). A work
 * unit is dshap explain's: (instance block b, background chunk ch), numbered
 * chunk-major u = ch·n_blocks + b; its partial sums are the same bytes
 * wherever it is computed, and a block's partials are added in chunk order
 * in double. */
#ifndef DSHAP_API_EXPLAIN_H
#define DSHAP_API_EXPLAIN_H

#include <mpi.h>

#include "api/api.h"
#include "engine/engine.h"

struct dshap_explainer_t {
    const dshap_model_t *m;
    dshap_options o;
    float *bg;    /* (R, sample) */
    int R;
    double *phi0; /* (K) */
    int distributed; /* comm holds the library's duplicate of the caller's communicator */
    MPI_Comm comm;
};

typedef struct {
    dshap_explainer_t *e;
    const float *x;                  /* (n, F) */
    const int32_t *classes;          /* (n, n_k); NULL: the predicted class, n_k = 1 */
    int64_t n, F, G, n_blocks, n_chunks;
    int n_k, K, block, chunk;
    granularity g;
    rule_set rules;
    engine *eng;
    int64_t cur_chunk;               /* the chunk whose references the engine holds; -1: none */
    float *logits_inst, *logits_ref; /* (block, K), (chunk, K) */
    int *cls;                        /* (block, n_k) */
    double *sum, *total;             /* (n, n_k, G), (n, n_k): Σ over chunks of the unit partials */
    float *logits;                   /* (n, K) f(x) */
    int32_t *explained;              /* (n, n_k) the classes explained */
} api_call;

/* One unit's partials in one contiguous buffer (one message between ranks). */
typedef struct {
    double *buf;
    int64_t len;
    double *phi, *tot, *logits, *cls; /* (nb, n_k, G), (nb, n_k), (nb, K), (nb, n_k) */
} api_unit;

dshap_status api_call_init(api_call *c, dshap_explainer_t *e, const float *x, int64_t n, int n_k,
                       const int32_t *classes);
void api_call_free(api_call *c);
/* Rows of block b: min(block, n − b·block). */
int api_call_block_rows(const api_call *c, int64_t b);
/* A buffer for units of up to `rows` instances; api_unit_layout points it at nb rows. */
dshap_status api_unit_alloc(api_unit *u, const api_call *c, int rows);
void api_unit_layout(api_unit *u, const api_call *c, int nb);
void api_unit_free(api_unit *u);
dshap_status api_unit_compute(api_call *c, int64_t b, int64_t ch, api_unit *u);
/* Adds a unit of block b into the sums (chunk 0 also gives f(x) and the classes). */
void api_unit_add(api_call *c, int64_t b, int64_t ch, const api_unit *u);
/* Every unit on this process, in chunk-major order; progress over all units. */
dshap_status api_call_run_local(api_call *c);
/* φ = (float)(Σ / R), f(x) and the residual of instances [i0, i1) into the
 * caller's buffers (output, residual may be NULL), as jobs/explain_combine.c. */
void api_call_finish(const api_call *c, int64_t i0, int64_t i1, float *values, float *output, float *residual);
/* The progress callback after `done` of `total` units; a cancel is an error. */
dshap_status api_call_progress(const api_call *c, int64_t done, int64_t total);

/* Over e->comm (api_mpi.c). Collective: st is this rank's status, sig the
 * call's counts every rank must share; returns the agreed status. */
dshap_status api_mpi_agree(dshap_explainer_t *e, dshap_status st, const int64_t *sig, int n_sig, const char *fn);
/* This rank's share of the units, the partials combined on the block owners
 * and every finished row broadcast, so every rank's buffers are filled. */
dshap_status api_mpi_run(api_call *c, float *values, float *output, float *residual);
int api_mpi_size(const dshap_explainer_t *e);
void api_mpi_release(dshap_explainer_t *e);

#endif
