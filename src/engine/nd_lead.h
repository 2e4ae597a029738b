/* Leading axes of general-graph nodes, shared by the backends' op tables. */
#ifndef DSHAP_ND_LEAD_H
#define DSHAP_ND_LEAD_H

#include "engine/net.h"

/* Conv, pooling and BatchNormalization of a graph that merged the batch
 * with a leading axis (x.view(N·M, C, T, V)) keep that axis in their
 * per-sample shape, channel axis at nd->axis = 1; the kernels take the
 * channel axis first, so each index of the leading axes is a row to them:
 * the node and its input's shape without those axes, L of them per sample. */
typedef struct {
    node nd;
    int64_t L;
} lead_view;

static inline const node *lead_fold(const node *nd, nd_shape *sx, lead_view *v) {
    int a = nd->op == OP_CONVND || nd->op == OP_POOL || nd->op == OP_CHANNEL_AFFINE ? nd->axis : 0;
    v->L = 1;
    if (!a) return nd;
    v->nd = *nd;
    for (int k = 0; k < a; k++) v->L *= nd->shape.d[k];
    v->nd.shape.rank -= a;
    sx[0].rank -= a;
    for (int k = 0; k < v->nd.shape.rank; k++) v->nd.shape.d[k] = nd->shape.d[k + a];
    for (int k = 0; k < sx[0].rank; k++) sx[0].d[k] = sx[0].d[k + a];
    v->nd.axis = 0;
    return &v->nd;
}

#endif
