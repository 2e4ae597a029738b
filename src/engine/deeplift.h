/* The fast DeepSHAP algorithm (DESIGN.md): instances and references are run
 * forward once each (their activations cached), then only the backward runs
 * per (instance, reference, class) triple, batched. */
#ifndef DSHAP_DEEPLIFT_H
#define DSHAP_DEEPLIFT_H

#include "cpu/deeplift_cpu.h"
#include "engine/dl_plan.h"
#include "engine/forward.h"

/* The rule a nonlinear node uses under a rule set (RULES.md); the backward
 * walker asks here for every backend. */
rule_kind deeplift_rule_for(const node *nd, rule_set rules);

/* Per node: 1 if the rules read its output (cache it on both sides). */
void deeplift_keep_mask(const dshap_net *net, unsigned char *keep);

/* The CPU side of a backward plan: the plan and its folded weights. */
typedef struct {
    dl_plan plan;
    float **w_fold; /* (n_nodes): diag(BN scale)·w for folded convolutions, else NULL */
} cpu_backward;

/* keep: as dl_plan_make's. */
dshap_status cpu_backward_make(cpu_backward *b, const dshap_net *net, int keep);
void cpu_backward_free(cpu_backward *b);

typedef struct {
    const dshap_net *net;
    rule_set rules;
    const net_acts *inst;   /* forward of the n_i instances */
    const float *x_inst;    /* (n_i, F), F = net_input_floats */
    int n_i;
    const net_acts *ref;    /* forward of the n_r references */
    const float *x_ref;     /* (n_r, ...) */
    int n_r;
    int n_k;                /* explained classes per instance */
    const int *classes;     /* (n_i, n_k); NULL: class kk is kk */
    /* 0: the seeds are the logits; else this per-sample node (engine/basis.h),
     * the classes then index its channels */
    int seed_at;
    int max_pairs;          /* triples per backward sub-batch */
    /* (n_i, n_r, M) of person_equal_mask (engine/rows.h): those person rows
     * are left out (their φ is exactly 0); NULL: every row. */
    const unsigned char *same;
    int capture;            /* node whose multiplier to copy out and stop there (-1: none; needs same NULL) */
    float *captured;        /* (n_i·n_r·n_k, rows per sample, node size) when capturing */
    const cpu_backward *bw; /* plan made with keep = capture; NULL: made per call */
    float *arena;           /* >= bw->plan.per_pair · max_pairs floats; NULL: allocated per call */
    /* Tests: called before each node's backward with its finished multiplier
     * (n floats, rows of the sub-batch starting at triple p0); not for a
     * folded convolution, whose buffer holds its BN's multiplier. */
    dshap_status (*trace)(void *ctx, int node, int p0, const float *m, int64_t n);
    void *trace_ctx;
} dl_job;

/* phi (n_i, n_k, F) += Σ_r m(x_i, r) ⊙ (x_i − r), F = net_input_floats in
 * the input layout (engine/walk.h runs it with the CPU's op table). Rows are accumulated in reference order, so the result does not
 * depend on threads or sub-batching. */
dshap_status deeplift_run_cpu(const dl_job *job, double *phi);

/* ∂ logit_c / ∂(output of node `at`) for n instances (plain gradient in
 * eval mode), classes (n, n_k): grad (n, n_k, rows per sample, node size).
 * `a` holds the forward of x with the keep mask of deeplift_keep_mask plus
 * node `at` kept. The multipliers live in `arena` (arena_floats floats, an
 * engine's) where one triple fits, else in a buffer of the call's own. */
dshap_status gradient_at_node_cpu(const dshap_net *net, const net_acts *a, const float *x, int n, int at, int n_k,
                                  const int *classes, float *grad, float *arena, int64_t arena_floats);

#endif
