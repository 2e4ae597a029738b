/* The batched DeepLIFT backward on the device: the shared walker
 * (engine/walk.h) with the CUDA op table, φ accumulated in double at the
 * input nodes. Every multiplier buffer has a planned place in one arena
 * (sizes per triple), and the plan says which contribution to a buffer
 * comes first (it writes with =, later ones add), so there is no clearing
 * pass and no allocation inside a work unit. */
#ifndef DSHAP_DEEPLIFT_RUN_CUDA_H
#define DSHAP_DEEPLIFT_RUN_CUDA_H

#include "cuda/forward_cuda.h"
#include "engine/deeplift.h"
#include "engine/dl_plan.h"
#include "engine/rows.h"

typedef struct {
    const cuda_net *cn;
    const dl_plan *plan;
    rule_set rules;
    const cuda_acts *inst;  /* forward of the n_i instances */
    const float *x_inst;    /* device (n_i, F), F = net_input_floats */
    int n_i;
    const cuda_acts *ref;
    const float *x_ref;     /* device (n_r, ...) */
    int n_r;
    int n_k;
    const int *classes;     /* device (n_i, n_k); NULL: class kk is kk */
    int seed_at;            /* as engine/deeplift.h's dl_job: 0 the logits, else the seeded node */
    int max_pairs;          /* triples per sub-batch */
    float *arena;           /* device, >= plan->per_pair · max_pairs floats */
    /* The row maps of every sub-batch (engine/rows.h), filled on the host
     * and uploaded once: batch_rows_ints(n_i·n_r·n_k, M) ints each. */
    int *rows, *rows_host;  /* device, host */
    const unsigned char *same; /* host (n_i, n_r, M): person rows left out; NULL: none (needed when capturing) */
    /* Tests: called before each node's backward with its finished multiplier
     * (device, n floats, rows of the sub-batch starting at triple p0). */
    dshap_status (*trace)(void *ctx, int node, int p0, const float *m, int64_t n);
    void *trace_ctx;
    /* Grad-CAM (as engine/deeplift.h's dl_job): with `captured` set, node
     * `capture`'s finished multiplier is copied there (device, triples ×
     * rows × size) and the pass stops; the plan must keep that node. */
    int capture;
    float *captured;
} cuda_dl_job;

/* phi: device (n_i, n_k, F) doubles, += Σ_r m ⊙ (x_i − r), asynchronously on s
 * (NULL when capturing). */
dshap_status deeplift_run_cuda(const cuda_dl_job *job, double *phi, cuda_stream s);

#endif
