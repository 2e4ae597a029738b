/* The batched DeepLIFT backward on the device (twin of engine/deeplift.c):
 * sub-batches of (instance, reference, class) triples, the same node
 * dispatch and rules, φ accumulated in double at the input nodes. Every
 * multiplier buffer has a planned place in one arena (sizes per triple),
 * and the plan says which contribution to a buffer comes first (it writes
 * with =, later ones add), so there is no clearing pass and no allocation
 * inside a work unit. */
#ifndef DSHAP_DEEPLIFT_RUN_CUDA_H
#define DSHAP_DEEPLIFT_RUN_CUDA_H

#include "cuda/forward_cuda.h"
#include "engine/deeplift.h"

/* Two savings over the CPU's order of work, both exact in real arithmetic:
 *  - fold: a convolution whose only reader is a BN runs its transpose with
 *    the BN's scale folded into its weights (net_cuda.h), on the BN's
 *    multiplier; the BN's own backward is skipped.
 *  - alias: the first input of a residual add (same shape, first written
 *    there) takes the add's multiplier buffer instead of a copy of it.
 * A node's multiplier then lives in the buffer of store[i]. */
typedef struct {
    int n_nodes;
    unsigned char *reach; /* node has a path to the logits */
    unsigned char *acc;   /* (n_nodes, NODE_MAX_IN): that input's contribution accumulates */
    unsigned char *alias; /* (n_nodes, NODE_MAX_IN): that input takes this node's buffer, no kernel */
    unsigned char *skip;  /* node's backward is folded into its input convolution's */
    unsigned char *folded;/* convolution that reads its BN's multiplier with folded weights */
    int *store;           /* node whose buffer holds the multiplier */
    int64_t *off;         /* multiplier offset, floats per triple (-1: none) */
    int64_t per_pair;     /* arena floats per triple */
} cuda_dl_plan;

dshap_status cuda_dl_plan_make(cuda_dl_plan *p, const dshap_net *net);
void cuda_dl_plan_free(cuda_dl_plan *p);
/* Device ints of row maps per triple. */
static inline int64_t cuda_dl_rows_per_pair(const dshap_net *net) { return 2 * (int64_t)net->arch.num_persons + 2; }

typedef struct {
    const cuda_net *cn;
    const cuda_dl_plan *plan;
    rule_set rules;
    const cuda_acts *inst;  /* forward of the n_i instances */
    const float *x_inst;    /* device (n_i, 4, 2C, T, V, M) */
    int n_i;
    const cuda_acts *ref;
    const float *x_ref;     /* device (n_r, ...) */
    int n_r;
    int n_k;
    const int *classes;     /* device (n_i, n_k) */
    int max_pairs;          /* triples per sub-batch */
    float *arena;           /* device, >= plan->per_pair · max_pairs floats */
    int *rows;              /* device, >= cuda_dl_rows_per_pair · max_pairs ints */
    /* Tests: called before each node's backward with its finished multiplier
     * (device, n floats, rows of the sub-batch starting at triple p0). */
    dshap_status (*trace)(void *ctx, int node, int p0, const float *m, int64_t n);
    void *trace_ctx;
} cuda_dl_job;

/* phi: device (n_i, n_k, F) doubles, += Σ_r m ⊙ (x_i − r), asynchronously on s. */
dshap_status deeplift_run_cuda(const cuda_dl_job *job, double *phi, cuda_stream s);

#endif
