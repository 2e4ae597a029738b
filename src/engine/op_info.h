/* What the shared walkers (engine/walk.h) and the backward plan
 * (engine/dl_plan.c) need to know about each op kind, in one table: its
 * name, which inputs its backward writes, which activations its DeepLIFT
 * rule reads, and whether it only re-labels its input's memory. The
 * kernels themselves live in the backends' op tables. */
#ifndef DSHAP_OP_INFO_H
#define DSHAP_OP_INFO_H

#include "engine/net.h"

/* Which inputs' multipliers a node's backward writes. */
typedef enum {
    BWD_NONE,  /* a model input: φ is accumulated there instead */
    BWD_FIRST, /* in[0] only */
    BWD_ALL    /* every input, in order */
} bwd_targets;

/* When the backward's first target may take the node's own multiplier
 * buffer instead of a copy (dl_plan.h: alias). */
typedef enum {
    ALIAS_NONE,
    ALIAS_SAME_SHAPE, /* a residual add: first input of the node's shape, distinct inputs */
    ALIAS_SAME_FLOATS /* a reshape: same floats per sample */
} bwd_alias;

/* Activations the DeepLIFT rules read (deeplift_keep_mask, op_keeps). */
enum { KEEP_IN0 = 1, KEEP_IN1 = 2, KEEP_OUT = 4 };

typedef struct {
    const char *name;   /* as printed in messages and `dshap model` listings */
    bwd_targets writes;
    bwd_alias alias;
    int keeps;          /* KEEP_* bits where the node takes a nonlinear rule (op_keeps) */
    int fwd_alias;      /* the output is the input's memory: no forward kernel */
    int rescale;        /* its DeepLIFT rule is a rescale (elementwise, softmax), not a Shapley / max rule */
} op_info;

extern const op_info op_infos[OP_COUNT];

static inline const op_info *op_info_of(op_kind op) { return &op_infos[op]; }

/* The activations nd's backward reads: its kind's keeps, none where the
 * node is linear (OP_BINARY / OP_MATMUL that are nd_binary_linear, average
 * pooling). */
int op_keeps(const node *nd);

/* How many of nd's inputs (the first ones) its backward writes. */
static inline int op_bwd_count(const node *nd) {
    bwd_targets w = op_info_of(nd->op)->writes;
    return w == BWD_NONE ? 0 : w == BWD_FIRST ? 1 : nd->n_in;
}

#endif
