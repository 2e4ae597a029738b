/* The tensors of a graph being folded and lowered: full shapes with the
 * batch axis fixed to 1 (axis 0 of every activation), the constant behind a
 * name, or the net node that computes it. */
#ifndef DSHAP_ONNX_VALUES_H
#define DSHAP_ONNX_VALUES_H

#include "engine/net.h"
#include "onnx/graph.h"

#define VAL_MAX_RANK (NODE_MAX_RANK + 1)

typedef struct {
    char *name;
    int rank;
    int64_t d[VAL_MAX_RANK];
    dshap_param *k;   /* constant, or NULL (m->params[ki]; values_rebind after model_add) */
    int ki;
    int net;          /* the net node computing it (activations), or -1 */
} val;

typedef struct {
    const char *path;   /* for messages */
    dshap_model *m;
    dshap_net *net;
    int n, cap;
    val **v;  /* each entry allocated alone: pointers stay valid as the table grows */
} values;

val *values_find(values *vs, const char *name);
/* A new entry (under a copy of name). */
val *values_add(values *vs, const char *name);
void values_free(values *vs);
/* Name constant i of vs->m; values_rebind after model_add moves the table. */
void values_set_const(values *vs, val *v, int i);
void values_rebind(values *vs);
int64_t shape_numel(int rank, const int64_t *d);
/* numpy broadcasting of two shapes; -1 if they do not broadcast. */
int shape_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int64_t *out);
/* Normalise an axis of a rank-r tensor; -1 if out of range. */
static inline int axis_norm(int64_t a, int r) { return a < -r || a >= r ? -1 : (int)(a < 0 ? a + r : a); }

/* Fold node n if all its inputs are constants (or a Shape of a known
 * tensor): 1 folded (its outputs are new constants), 0 not foldable. */
dshap_status fold_node(values *vs, const og_node *n, int *folded);
/* The output shape of a layout-only op (Reshape, Flatten, Squeeze,
 * Unsqueeze; others keep it): for constants and activations alike. */
dshap_status layout_shape(values *vs, const og_node *n, val *const *in, int r, const int64_t *d, int *ro, int64_t *s);
/* The int values of a constant (shape, axes, starts, ...): count, or -1. */
int ints_of(const val *v, int64_t *out, int cap);

#endif
