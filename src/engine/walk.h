/* The graph walkers every backend runs (walk_forward.c, walk_backward.c):
 * they own the order of the nodes, where each activation and multiplier
 * lives (the forward plan below, the backward plan of dl_plan.h), the
 * sub-batches of (instance, reference, class) triples, the seeds, Grad-CAM's
 * capture and the test trace. Per node they call the backend's op table,
 * whose entries adapt one node to that backend's kernels. Adding an op
 * means one forward kernel and one backward rule per backend, an entry in
 * each backend's table, and its row in engine/op_info.c. */
#ifndef DSHAP_WALK_H
#define DSHAP_WALK_H

#include <stddef.h>

#include "cpu/deeplift_cpu.h"
#include "engine/dl_plan.h"
#include "engine/rows.h"

typedef enum {
    RULES_EXACT, /* additive DeepLIFT/Shapley rules (default) */
    RULES_SHAP,  /* reproduce shap.DeepExplainer on the PyTorch model */
    RULES_GRAD   /* plain input gradient at the instance (Grad-CAM, checks) */
} rule_set;

/* One node's forward. */
typedef struct {
    const dshap_net *net;
    int i;                       /* the node */
    float *y;                    /* its output, B rows */
    const float *x[NODE_MAX_IN]; /* its inputs' outputs */
    const float *input;          /* the model input of the n samples */
    int n;                       /* samples */
    int B;                       /* rows of the output */
    const void *be;              /* the backend's context */
} fwd_call;

/* One node's backward: its multiplier into those of its inputs. */
typedef struct {
    const dshap_net *net;
    int i;
    const float *my;              /* the node's multiplier, B rows (a folded conv: its BN's) */
    float *mx[NODE_MAX_IN];       /* the inputs' multipliers its backward writes (op_info) */
    const unsigned char *acc;     /* per input: that contribution adds (1) or writes (0) */
    int alias0;                   /* in[0] holds this node's buffer already: nothing to write there */
    int folded;                   /* a convolution whose BN is folded into its weights */
    int B;                        /* live rows of the node in the sub-batch */
    pair_rows rows;               /* their activation rows on each side */
    const batch_rows *br;         /* the sub-batch's row maps (host or device, as the arena) */
    rule_kind rule;               /* deeplift_rule_for the node */
    float *const *yi, *const *yr; /* per node: activations of the instance and reference sides */
    /* the model input (OP_INPUT): φ (n_i, n_k, F) += Σ m ⊙ (x_i − x_r); phi NULL: none */
    double *phi;
    const float *x_inst, *x_ref;
    int p0, P, n_r, n_k;          /* the sub-batch's triples [p0, p0 + P) */
    const void *be;
} bwd_call;

typedef dshap_status (*fwd_fn)(const fwd_call *c);
typedef dshap_status (*bwd_fn)(const bwd_call *c);

/* A backend's adapter of one op kind; NULL members: not implemented there. */
typedef struct {
    fwd_fn forward;  /* NULL for an op whose output aliases its input (op_info fwd_alias) */
    bwd_fn backward;
} op_impl;

/* A backend as the walkers see it. */
typedef struct {
    const char *name;  /* "cpu", "cuda" */
    const char *hint;  /* what to do where an op has no kernel here ("run with --backend cpu"), or NULL */
    const op_impl *ops;/* [OP_COUNT] */
    /* m (P, K): the one-hot seed of each triple of [p0, p0 + P) */
    dshap_status (*seed)(const void *be, float *m, const int *classes, int p0, int P, int n_r, int n_k, int K);
    /* bytes from src to dst, both in the backend's memory */
    dshap_status (*copy)(const void *be, void *dst, const void *src, size_t bytes);
    /* host ints to the backend's memory; NULL: the backend runs on the host's */
    dshap_status (*upload)(const void *be, int *dst, const int *src, size_t bytes);
} backend_impl;

/* Fails with one line naming the backend, the node and its op where the
 * backend's table has no entry for an op of the net. */
dshap_status walk_check_ops(const dshap_net *net, const backend_impl *b);

/* --- forward --- */

/* Where each node's output lives: kept outputs in a side's own arena,
 * the others in a work arena planned from their lifetimes (floats per
 * sample; the arenas scale with the samples of a forward). */
typedef struct {
    int n_nodes;
    unsigned char *keep;   /* per node: output kept (owner storage) */
    int *owner;            /* node whose storage a node uses (aliasing ops: their input's) */
    int64_t *kept_off;     /* in the kept arena; -1 if not kept */
    int64_t kept_per_sample;
    int64_t *work_off;     /* in the work arena; -1 if kept */
    int64_t work_per_sample;
} fwd_plan;

/* keep: per node (NULL keeps every node; the logits are always kept). */
dshap_status fwd_plan_make(fwd_plan *p, const dshap_net *net, const unsigned char *keep);
void fwd_plan_free(fwd_plan *p);

typedef struct {
    const dshap_net *net;
    const backend_impl *b;
    const void *be;
    const fwd_plan *plan;
    float **y;    /* per node (n_nodes): set by the walk; NULL after it where not kept */
    float *kept;  /* >= plan->kept_per_sample · n floats */
    float *work;  /* >= plan->work_per_sample · n floats */
} fwd_walk;

/* Every node in order on n samples of x. */
dshap_status walk_forward(const fwd_walk *w, const float *x, int64_t n);
/* One node (every output kept: callers that interleave work between nodes). */
dshap_status walk_forward_node(const fwd_walk *w, int i, const float *x, int64_t n);

/* --- backward --- */

typedef struct {
    const dshap_net *net;
    const backend_impl *b;
    const void *be;
    const dl_plan *plan;
    rule_set rules;
    float *const *yi;       /* per node: the instance side's forward of n_i samples */
    const float *x_inst;    /* (n_i, F) */
    int n_i;
    float *const *yr;       /* the reference side's, n_r samples */
    const float *x_ref;
    int n_r;
    int n_k;                /* explained classes per instance */
    const int *classes;     /* (n_i, n_k) in the backend's memory; NULL: class kk is kk */
    int seed_at;            /* 0: seeds at the logits; else this per-sample node (engine/basis.h) */
    int max_pairs;          /* triples per sub-batch */
    float *arena;           /* >= plan->per_pair · max_pairs floats */
    /* batch_rows_ints(n_i·n_r·n_k, M) ints each: the row maps of every
     * sub-batch, filled on the host and uploaded once (the same buffer
     * where upload is NULL) */
    int *rows, *rows_host;
    const unsigned char *same; /* host (n_i, n_r, M) of person_equal_mask: rows left out; NULL: none */
    int capture;            /* node whose finished multiplier is copied out, then the pass stops (-1: none) */
    float *captured;        /* (triples, rows per sample, node size) when capturing */
    /* Tests: before each node's backward, its finished multiplier (n floats,
     * rows of the sub-batch from triple p0); not for a folded convolution,
     * whose buffer holds its BN's multiplier. */
    dshap_status (*trace)(void *ctx, int node, int p0, const float *m, int64_t n);
    void *trace_ctx;
} bwd_walk;

/* phi (n_i, n_k, F) in the backend's memory (NULL when capturing). */
dshap_status walk_backward(const bwd_walk *w, double *phi);

#endif
