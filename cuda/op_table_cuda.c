#include "cuda/op_table_cuda.h"

#include "cpu/act.h"
#include "cuda/backward_cuda.h"
#include "cuda/deeplift_cuda.h"
#include "cuda/op_table_nd_cuda.h"
#include "cuda/ops_cuda.h"
#include "cuda/phi_cuda.h"

static const node *node_of(const dshap_net *net, int i) { return &net->nodes[i]; }
static const node *in_of(const dshap_net *net, int i, int j) { return &net->nodes[net->nodes[i].in[j]]; }
static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }
static const cuda_params *params(const void *be, int i) { return &((const cuda_ctx *)be)->cn->p[i]; }
static cuda_stream stream(const void *be) { return ((const cuda_ctx *)be)->s; }

/* ---- forward ---- */

static dshap_status input_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return input_forward_cuda(c->y, c->input, c->n, c->net->in_branches, nd->branch, nd->C, nd->T, nd->V,
                              c->net->arch.num_persons, stream(c->be));
}

static dshap_status conv_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i), *in = in_of(c->net, c->i, 0);
    const cuda_params *pr = params(c->be, c->i);
    return conv_forward_cuda(c->y, c->x[0], pr->w, pr->b, c->B, in->C, in->T, in->V, nd->C, nd->T, nd->k, nd->stride,
                             nd->pad, nd->groups, stream(c->be));
}

static dshap_status affine_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    const cuda_params *pr = params(c->be, c->i);
    return affine_forward_cuda(c->y, c->x[0], pr->scale, pr->shift, c->B, nd->C, nd->T * nd->V, stream(c->be));
}

static dshap_status graph_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return graph_forward_cuda(c->y, c->x[0], params(c->be, c->i)->G, c->B, nd->K, nd->C, nd->T, nd->V, stream(c->be));
}

static dshap_status act_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    if (nd->act >= ACT_ND_FIRST) return act_nd_fwd(c); /* an imported graph's kind, with its parameters */
    return act_forward_cuda(c->y, c->x[0], c->B * node_size(nd), nd->act, stream(c->be));
}

static dshap_status add_fwd(const fwd_call *c) {
    return add_forward_cuda(c->y, c->x[0], c->x[1], c->B, shp(node_of(c->net, c->i)), shp(in_of(c->net, c->i, 0)),
                            shp(in_of(c->net, c->i, 1)), stream(c->be));
}

static dshap_status mul_fwd(const fwd_call *c) {
    return mul_forward_cuda(c->y, c->x[0], c->x[1], c->B, shp(node_of(c->net, c->i)), shp(in_of(c->net, c->i, 0)),
                            shp(in_of(c->net, c->i, 1)), stream(c->be));
}

static dshap_status mean_fwd(const fwd_call *c) {
    return mean_forward_cuda(c->y, c->x[0], c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes,
                             stream(c->be));
}

static dshap_status max_fwd(const fwd_call *c) {
    return max_forward_cuda(c->y, c->x[0], c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes,
                            stream(c->be));
}

static dshap_status concat_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int C[NODE_MAX_IN];
    for (int j = 0; j < nd->n_in; j++) C[j] = in_of(c->net, c->i, j)->C;
    return concat_forward_cuda(c->y, c->x, C, nd->n_in, c->B, nd->T * nd->V, stream(c->be));
}

static dshap_status softmax_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return softmax_forward_cuda(c->y, c->x[0], c->B, shp(nd), nd->axes, stream(c->be));
}

static dshap_status gather_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return gather_forward_cuda(c->y, c->x[0], params(c->be, c->i)->index, c->B, nd->C, nd->T,
                               in_of(c->net, c->i, 0)->V, nd->V, stream(c->be));
}

static dshap_status person_mean_fwd(const fwd_call *c) {
    return person_mean_forward_cuda(c->y, c->x[0], c->n, c->net->arch.num_persons, node_size(node_of(c->net, c->i)),
                                    stream(c->be));
}

/* ---- backward ---- */

static dshap_status input_bwd(const bwd_call *c) {
    if (!c->phi) return DSHAP_OK;
    const node *nd = node_of(c->net, c->i);
    return accumulate_phi_cuda(c->phi, c->my, c->br->slot, c->x_inst, c->x_ref, c->p0, c->P, c->n_r, c->n_k,
                               net_input_floats(c->net), nd->branch, nd->C, nd->T, nd->V, c->net->arch.num_persons,
                               stream(c->be));
}

static dshap_status conv_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i), *in = in_of(c->net, c->i, 0);
    const cuda_params *pr = params(c->be, c->i);
    /* folded: my is the BN's multiplier, the weights carry its scale */
    return conv_backward_cuda(c->mx[0], c->my, c->folded ? pr->w_fold : pr->w, c->B, in->C, in->T, in->V, nd->C, nd->T,
                              nd->k, nd->stride, nd->pad, nd->groups, c->acc[0], stream(c->be));
}

static dshap_status affine_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return affine_backward_cuda(c->mx[0], c->my, params(c->be, c->i)->scale, c->B, nd->C, nd->T * nd->V, c->acc[0],
                                stream(c->be));
}

static dshap_status graph_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return graph_backward_cuda(c->mx[0], c->my, params(c->be, c->i)->G, c->B, nd->K, nd->C, nd->T, nd->V, c->acc[0],
                               stream(c->be));
}

static dshap_status add_bwd(const bwd_call *c) {
    shape3 sy = shp(node_of(c->net, c->i));
    if (!c->alias0) /* aliased: the first input already holds this buffer */
        TRY(broadcast_backward_cuda(c->mx[0], c->my, c->B, sy, shp(in_of(c->net, c->i, 0)), c->acc[0], stream(c->be)));
    return broadcast_backward_cuda(c->mx[1], c->my, c->B, sy, shp(in_of(c->net, c->i, 1)), c->acc[1], stream(c->be));
}

static dshap_status mean_bwd(const bwd_call *c) {
    return mean_backward_cuda(c->mx[0], c->my, c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes,
                              c->acc[0], stream(c->be));
}

static dshap_status concat_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int c0 = 0;
    for (int j = 0; j < nd->n_in; j++) {
        int C = in_of(c->net, c->i, j)->C;
        TRY(concat_backward_cuda(c->mx[j], c->my, c->B, nd->C, c0, C, nd->T * nd->V, c->acc[j], stream(c->be)));
        c0 += C;
    }
    return DSHAP_OK;
}

static dshap_status gather_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    return gather_backward_cuda(c->mx[0], c->my, params(c->be, c->i)->index, c->B, nd->C, nd->T,
                                in_of(c->net, c->i, 0)->V, nd->V, c->acc[0], stream(c->be));
}

static dshap_status person_mean_bwd(const bwd_call *c) {
    return person_mean_backward_cuda(c->mx[0], c->my, c->br->pair, c->br->B, c->net->arch.num_persons,
                                     node_size(node_of(c->net, c->i)), c->acc[0], stream(c->be));
}

static dshap_status reshape_bwd(const bwd_call *c) { /* aliased: the input already holds this buffer */
    if (c->alias0) return DSHAP_OK;
    return copy_backward_cuda(c->mx[0], c->my, (int64_t)c->B * node_size(node_of(c->net, c->i)), c->acc[0],
                              stream(c->be));
}

static dshap_status act_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    if (nd->act >= ACT_ND_FIRST) return act_nd_bwd(c);
    int a = nd->in[0];
    return act_deeplift_cuda(c->mx[0], c->my, c->yi[a], c->yr[a], c->rows, node_size(nd), nd->act, c->rule, c->acc[0],
                             stream(c->be));
}

static dshap_status softmax_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0];
    return softmax_deeplift_cuda(c->mx[0], c->my, c->yi[a], c->yr[a], c->yi[c->i], c->yr[c->i], c->rows, shp(nd),
                                 nd->axes, c->rule, c->acc[0], stream(c->be));
}

static dshap_status max_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0];
    return max_deeplift_cuda(c->mx[0], c->my, c->yi[a], c->yr[a], c->yi[c->i], c->yr[c->i], c->rows,
                             shp(in_of(c->net, c->i, 0)), nd->axes, c->rule, c->acc[0], stream(c->be));
}

static dshap_status mul_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0], b = nd->in[1];
    return mul_deeplift_cuda(c->mx[0], c->mx[1], c->my, c->yi[a], c->yr[a], c->yi[b], c->yr[b], c->rows, shp(nd),
                             shp(in_of(c->net, c->i, 0)), shp(in_of(c->net, c->i, 1)), c->rule, c->acc[0], c->acc[1],
                             stream(c->be));
}

/* The general-graph ops' entries: op_table_nd_cuda.c. */
const op_impl cuda_op_table[OP_COUNT] = {
    [OP_INPUT] = {input_fwd, input_bwd},
    [OP_CONV] = {conv_fwd, conv_bwd},
    [OP_AFFINE] = {affine_fwd, affine_bwd},
    [OP_GRAPH] = {graph_fwd, graph_bwd},
    [OP_ACT] = {act_fwd, act_bwd},
    [OP_ADD] = {add_fwd, add_bwd},
    [OP_MUL] = {mul_fwd, mul_bwd},
    [OP_MEAN] = {mean_fwd, mean_bwd},
    [OP_MAX] = {max_fwd, max_bwd},
    [OP_CONCAT] = {concat_fwd, concat_bwd},
    [OP_SOFTMAX] = {softmax_fwd, softmax_bwd},
    [OP_GATHER] = {gather_fwd, gather_bwd},
    [OP_PERSON_MEAN] = {person_mean_fwd, person_mean_bwd},
    [OP_RESHAPE] = {NULL, reshape_bwd}, /* the forward aliases its input */
    [OP_TRANSPOSE] = {transpose_nd_fwd, transpose_nd_bwd},
    [OP_BINARY] = {binary_nd_fwd, binary_nd_bwd},
    [OP_MATMUL] = {matmul_nd_fwd, matmul_nd_bwd},
    [OP_CONVND] = {convnd_nd_fwd, convnd_nd_bwd},
    [OP_REDUCE] = {reduce_nd_fwd, reduce_nd_bwd},
    [OP_POOL] = {pool_nd_fwd, pool_nd_bwd},
    [OP_SLICE] = {slice_nd_fwd, slice_nd_bwd},
    [OP_PAD] = {pad_nd_fwd, pad_nd_bwd},
    [OP_CONCAT_ND] = {concat_nd_fwd, concat_nd_bwd},
    [OP_GATHER_ND] = {gather_nd_fwd, gather_nd_bwd},
    [OP_SOFTMAX_ND] = {softmax_nd_fwd, softmax_nd_bwd},
    [OP_CHANNEL_AFFINE] = {channel_affine_nd_fwd, channel_affine_nd_bwd},
};

static dshap_status seed(const void *be, float *m, const int *classes, int p0, int P, int n_r, int n_k, int K) {
    return seed_cuda(m, classes, p0, P, n_r, n_k, K, stream(be));
}

static dshap_status copy(const void *be, void *dst, const void *src, size_t bytes) {
    return cuda_copy(dst, src, bytes, stream(be));
}

static dshap_status upload(const void *be, int *dst, const int *src, size_t bytes) {
    return cuda_upload(dst, src, bytes, stream(be));
}

const backend_impl cuda_backend = {"cuda", "run with --backend cpu", cuda_op_table, seed, copy, upload};
