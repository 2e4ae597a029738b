#include "cpu/op_table_nd.h"

#include <stdlib.h>

#include "cpu/backward_nd.h"
#include "cpu/deeplift_nd.h"
#include "cpu/ops_nd.h"
#include "engine/nd_lead.h"
#include "engine/op_info.h"

/* The per-sample shapes of a node's inputs. */
static void in_shapes(const dshap_net *net, const node *nd, nd_shape *sx) {
    for (int j = 0; j < nd->n_in; j++) sx[j] = net->nodes[nd->in[j]].shape;
}

static dshap_status oom(const node *nd) {
    FAIL(DSHAP_ENOMEM, "out of memory in %s (node '%s')", op_name(nd->op), nd->name);
}

static dshap_status fwd(const fwd_call *c, nd_forward_fn f) {
    const node *nd = &c->net->nodes[c->i];
    nd_shape sx[NODE_MAX_IN];
    lead_view v;
    in_shapes(c->net, nd, sx);
    const node *k = lead_fold(nd, sx, &v);
    return f(c->y, c->x, sx, k, c->B * v.L) ? oom(nd) : DSHAP_OK;
}

/* The transpose of a linear map into every input the node's backward writes. */
static dshap_status bwd_linear(const bwd_call *c, nd_backward_fn f) {
    const node *nd = &c->net->nodes[c->i];
    nd_shape sx[NODE_MAX_IN];
    lead_view v;
    in_shapes(c->net, nd, sx);
    const node *k = lead_fold(nd, sx, &v);
    for (int j = 0; j < op_bwd_count(nd); j++)
        if (f(c->mx[j], c->my, j, sx, k, c->B * v.L, c->acc[j])) return oom(nd);
    return DSHAP_OK;
}

/* A DeepLIFT rule reading both sides' activations of the inputs (and the
 * node's own outputs, for softmax and max pooling); with leading axes
 * folded (lead_fold), row q·L + l of the batch reads rows xi[q]·L + l. */
static dshap_status bwd_rule(const bwd_call *c, nd_deeplift_fn f) {
    const node *nd = &c->net->nodes[c->i];
    nd_shape sx[NODE_MAX_IN];
    const float *xi[NODE_MAX_IN], *xr[NODE_MAX_IN];
    lead_view v;
    in_shapes(c->net, nd, sx);
    const node *k = lead_fold(nd, sx, &v);
    for (int j = 0; j < nd->n_in; j++) xi[j] = c->yi[nd->in[j]], xr[j] = c->yr[nd->in[j]];
    pair_rows rows = c->rows;
    int *maps = NULL;
    if (v.L > 1) {
        int64_t n = (int64_t)rows.B * v.L;
        if (!(maps = malloc(sizeof(int) * 2 * (size_t)n))) return oom(nd);
        for (int64_t q = 0; q < n; q++) {
            maps[q] = (int)(c->rows.xi[q / v.L] * v.L + q % v.L);
            maps[n + q] = (int)(c->rows.xr[q / v.L] * v.L + q % v.L);
        }
        rows = (pair_rows){(int)n, maps, maps + n};
    }
    int fail = 0;
    for (int j = 0; j < op_bwd_count(nd) && !fail; j++)
        fail = f(c->mx[j], c->my, j, xi, xr, c->yi[c->i], c->yr[c->i], sx, k, rows, c->rule, c->acc[j]);
    free(maps);
    return fail ? oom(nd) : DSHAP_OK;
}

dshap_status transpose_fwd_nd(const fwd_call *c) { return fwd(c, transpose_forward_nd); }
dshap_status binary_fwd_nd(const fwd_call *c) { return fwd(c, binary_forward_nd); }
dshap_status matmul_fwd_nd(const fwd_call *c) { return fwd(c, matmul_forward_nd); }
dshap_status convnd_fwd_nd(const fwd_call *c) { return fwd(c, convnd_forward_nd); }
dshap_status reduce_fwd_nd(const fwd_call *c) { return fwd(c, reduce_forward_nd); }
dshap_status pool_fwd_nd(const fwd_call *c) { return fwd(c, pool_forward_nd); }
dshap_status slice_fwd_nd(const fwd_call *c) { return fwd(c, slice_forward_nd); }
dshap_status pad_fwd_nd(const fwd_call *c) { return fwd(c, pad_forward_nd); }
dshap_status concat_fwd_nd(const fwd_call *c) { return fwd(c, concat_forward_nd); }
dshap_status gather_fwd_nd(const fwd_call *c) { return fwd(c, gather_forward_nd); }
dshap_status softmax_fwd_nd(const fwd_call *c) { return fwd(c, softmax_forward_nd); }
dshap_status channel_affine_fwd_nd(const fwd_call *c) { return fwd(c, channel_affine_forward_nd); }
dshap_status act_fwd_nd(const fwd_call *c) { return fwd(c, act_forward_nd); }

dshap_status transpose_bwd_nd(const bwd_call *c) { return bwd_linear(c, transpose_backward_nd); }
dshap_status convnd_bwd_nd(const bwd_call *c) { return bwd_linear(c, convnd_backward_nd); }
dshap_status reduce_bwd_nd(const bwd_call *c) { return bwd_linear(c, reduce_backward_nd); }
dshap_status slice_bwd_nd(const bwd_call *c) { return bwd_linear(c, slice_backward_nd); }
dshap_status pad_bwd_nd(const bwd_call *c) { return bwd_linear(c, pad_backward_nd); }
dshap_status concat_bwd_nd(const bwd_call *c) { return bwd_linear(c, concat_backward_nd); }
dshap_status gather_bwd_nd(const bwd_call *c) { return bwd_linear(c, gather_backward_nd); }
dshap_status channel_affine_bwd_nd(const bwd_call *c) { return bwd_linear(c, channel_affine_backward_nd); }
dshap_status softmax_bwd_nd(const bwd_call *c) { return bwd_rule(c, softmax_deeplift_nd); }
dshap_status act_bwd_nd(const bwd_call *c) { return bwd_rule(c, act_deeplift_nd); }

dshap_status binary_bwd_nd(const bwd_call *c) {
    const node *nd = &c->net->nodes[c->i];
    return nd_binary_linear(nd) ? bwd_linear(c, binary_backward_nd) : bwd_rule(c, binary_deeplift_nd);
}

dshap_status matmul_bwd_nd(const bwd_call *c) {
    const node *nd = &c->net->nodes[c->i];
    return nd_binary_linear(nd) ? bwd_linear(c, matmul_backward_nd) : bwd_rule(c, matmul_deeplift_nd);
}

dshap_status pool_bwd_nd(const bwd_call *c) {
    return c->net->nodes[c->i].pool ? bwd_rule(c, pool_deeplift_nd) : bwd_linear(c, pool_backward_nd);
}
