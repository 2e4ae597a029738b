#include "cuda/op_table_nd_cuda.h"

#include "cpu/backward_nd.h"
#include "cuda/op_table_cuda.h"
#include "cuda/ops_nd_cuda.h"
#include "engine/nd_lead.h"
#include "engine/op_info.h"

static cuda_stream stream(const void *be) { return ((const cuda_ctx *)be)->s; }
static const nd_params_dev *dparams(const void *be, int i) { return &((const cuda_ctx *)be)->cn->p[i].nd; }

/* the per-sample shapes of node i's inputs */
static void in_shapes(const dshap_net *net, int i, nd_shape *sx) {
    const node *nd = &net->nodes[i];
    for (int j = 0; j < nd->n_in; j++) sx[j] = net->nodes[nd->in[j]].shape;
}

/* Leading axes before the channel axis (engine/nd_lead.h) are more rows. */
static dshap_status fwd(const fwd_call *c, nd_forward_cuda_fn f) {
    nd_shape sx[NODE_MAX_IN];
    lead_view v;
    in_shapes(c->net, c->i, sx);
    const node *k = lead_fold(&c->net->nodes[c->i], sx, &v);
    return f(c->y, c->x, sx, k, dparams(c->be, c->i), (int64_t)c->B * v.L, stream(c->be));
}

/* the transpose into every input the backward writes */
static dshap_status linear(const bwd_call *c, nd_backward_cuda_fn f) {
    const node *nd = &c->net->nodes[c->i];
    nd_shape sx[NODE_MAX_IN];
    lead_view v;
    in_shapes(c->net, c->i, sx);
    const node *k = lead_fold(nd, sx, &v);
    for (int j = 0; j < op_bwd_count(nd); j++)
        TRY(f(c->mx[j], c->my, j, sx, k, dparams(c->be, c->i), (int64_t)c->B * v.L, c->acc[j], stream(c->be)));
    return DSHAP_OK;
}

/* A max pool with leading axes would need its pair row maps widened on the
 * device (the CPU table does it on the host): refused at engine creation. */
dshap_status cuda_nd_check(const dshap_net *net) {
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (nd->op == OP_POOL && nd->pool && nd->axis > 0)
            FAIL(DSHAP_EINVAL,
                 "the cuda backend cannot yet run a MaxPool with a leading axis before its channels (node '%s', "
                 "per-sample shape rank %d); run with --backend cpu",
                 nd->name, nd->shape.rank);
    }
    return DSHAP_OK;
}

/* the DeepLIFT rule into every input, from both sides' activations */
static dshap_status rule(const bwd_call *c, nd_deeplift_cuda_fn f) {
    const node *nd = &c->net->nodes[c->i];
    nd_shape sx[NODE_MAX_IN];
    const float *xi[NODE_MAX_IN], *xr[NODE_MAX_IN];
    in_shapes(c->net, c->i, sx);
    for (int j = 0; j < nd->n_in; j++) xi[j] = c->yi[nd->in[j]], xr[j] = c->yr[nd->in[j]];
    for (int j = 0; j < op_bwd_count(nd); j++)
        TRY(f(c->mx[j], c->my, j, xi, xr, c->yi[c->i], c->yr[c->i], sx, nd, dparams(c->be, c->i), c->rows, c->rule,
              c->acc[j], stream(c->be)));
    return DSHAP_OK;
}

#define FWD_ENTRY(name)                                                                                              \
    dshap_status name##_nd_fwd(const fwd_call *c) { return fwd(c, name##_forward_nd_cuda); }
#define LINEAR_ENTRY(name)                                                                                           \
    dshap_status name##_nd_bwd(const bwd_call *c) { return linear(c, name##_backward_nd_cuda); }

FWD_ENTRY(transpose)
FWD_ENTRY(binary)
FWD_ENTRY(matmul)
FWD_ENTRY(convnd)
FWD_ENTRY(reduce)
FWD_ENTRY(pool)
FWD_ENTRY(slice)
FWD_ENTRY(pad)
FWD_ENTRY(concat)
FWD_ENTRY(gather)
FWD_ENTRY(softmax)
FWD_ENTRY(channel_affine)
FWD_ENTRY(act)

LINEAR_ENTRY(transpose)
LINEAR_ENTRY(convnd)
LINEAR_ENTRY(reduce)
LINEAR_ENTRY(slice)
LINEAR_ENTRY(pad)
LINEAR_ENTRY(concat)
LINEAR_ENTRY(gather)
LINEAR_ENTRY(channel_affine)

dshap_status binary_nd_bwd(const bwd_call *c) {
    if (nd_binary_linear(&c->net->nodes[c->i])) return linear(c, binary_backward_nd_cuda);
    return rule(c, binary_deeplift_nd_cuda);
}

dshap_status matmul_nd_bwd(const bwd_call *c) {
    if (nd_binary_linear(&c->net->nodes[c->i])) return linear(c, matmul_backward_nd_cuda);
    return rule(c, matmul_deeplift_nd_cuda);
}

dshap_status pool_nd_bwd(const bwd_call *c) {
    if (c->net->nodes[c->i].pool) return rule(c, pool_deeplift_nd_cuda);
    return linear(c, pool_backward_nd_cuda);
}

dshap_status softmax_nd_bwd(const bwd_call *c) { return rule(c, softmax_deeplift_nd_cuda); }
dshap_status act_nd_bwd(const bwd_call *c) { return rule(c, act_deeplift_nd_cuda); }
