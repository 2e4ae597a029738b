/* The state of one lowering walk (lower.h), shared by its parts: the
 * per-op lowering (lower.c), the rewrites and fusions (rewrite.c) and the
 * walk itself (walk.c). */
#ifndef DSHAP_ONNX_LOWERING_H
#define DSHAP_ONNX_LOWERING_H

#include "onnx/lower.h"
#include "onnx/values.h"

typedef struct {
    values vs;
    dshap_net *net;
    dshap_model *m;
    const char *path;
    int64_t opset;
    dshap_status st;    /* first failure of lw_emit */
    og_graph out;       /* the graph as it will be stored */
} lowering;

/* A new net node computing `out_name` (full shape rank, d) from `in`. */
node *lw_emit(lowering *lw, const og_node *n, op_kind op, int n_in, val *const *in, const char *out_name, int rank,
              const int64_t *d);
/* Lower one node that is neither folded nor rewritten. */
dshap_status lower_node(lowering *lw, const og_node *n);
/* The supported op closest to an unsupported one, for the refusal. */
const char *nearest_op(const char *op);
/* Handle node i of g if it is rewritten (Gemm, Einsum) or starts a fused
 * pattern (GELU, SiLU, HardSwish; skip[] marks the nodes it absorbs):
 * *done = 1 then. */
dshap_status rewrite_node(lowering *lw, const og_graph *g, int i, char *skip, int *done);
/* Fold, rewrite or lower node n and record it in lw->out as stored. */
dshap_status walk_node(lowering *lw, const og_node *n);
/* A deep copy of n appended to g. */
dshap_status og_copy_node(og_graph *g, const og_node *n);

#endif
