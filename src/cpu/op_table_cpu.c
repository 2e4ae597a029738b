#include "cpu/op_table_cpu.h"

#include <string.h>

#include "cpu/backward_cpu.h"
#include "cpu/deeplift_cpu.h"
#include "cpu/op_table_nd.h"
#include "cpu/ops_cpu.h"

static const node *node_of(const dshap_net *net, int i) { return &net->nodes[i]; }
static const node *in_of(const dshap_net *net, int i, int j) { return &net->nodes[net->nodes[i].in[j]]; }
static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

/* ---- forward ---- */

static dshap_status input_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    input_forward_cpu(c->y, c->input, c->n, c->net->in_branches, nd->branch, nd->C, nd->T, nd->V,
                      c->net->arch.num_persons);
    return DSHAP_OK;
}

static dshap_status conv_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i), *in = in_of(c->net, c->i, 0);
    conv_forward_cpu(c->y, c->x[0], nd->w, nd->b, c->B, in->C, in->T, in->V, nd->C, nd->T, nd->k, nd->stride, nd->pad,
                     nd->groups);
    return DSHAP_OK;
}

static dshap_status affine_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    affine_forward_cpu(c->y, c->x[0], nd->scale, nd->shift, c->B, nd->C, nd->T * nd->V);
    return DSHAP_OK;
}

static dshap_status graph_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    graph_forward_cpu(c->y, c->x[0], nd->G, c->B, nd->K, nd->C, nd->T, nd->V);
    return DSHAP_OK;
}

/* OP_ACT of a general graph (shape.rank > 0) takes the N-D kernels, which
 * know the imported-graph activations and their parameters. */
static dshap_status act_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    if (nd->shape.rank) return act_fwd_nd(c);
    act_forward_cpu(c->y, c->x[0], c->B * node_size(nd), nd->act);
    return DSHAP_OK;
}

static dshap_status add_fwd(const fwd_call *c) {
    add_forward_cpu(c->y, c->x[0], c->x[1], c->B, shp(node_of(c->net, c->i)), shp(in_of(c->net, c->i, 0)),
                    shp(in_of(c->net, c->i, 1)));
    return DSHAP_OK;
}

static dshap_status mul_fwd(const fwd_call *c) {
    mul_forward_cpu(c->y, c->x[0], c->x[1], c->B, shp(node_of(c->net, c->i)), shp(in_of(c->net, c->i, 0)),
                    shp(in_of(c->net, c->i, 1)));
    return DSHAP_OK;
}

static dshap_status mean_fwd(const fwd_call *c) {
    mean_forward_cpu(c->y, c->x[0], c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes);
    return DSHAP_OK;
}

static dshap_status max_fwd(const fwd_call *c) {
    max_forward_cpu(c->y, c->x[0], c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes);
    return DSHAP_OK;
}

static dshap_status concat_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int C[NODE_MAX_IN];
    for (int j = 0; j < nd->n_in; j++) C[j] = in_of(c->net, c->i, j)->C;
    concat_forward_cpu(c->y, c->x, C, nd->n_in, c->B, nd->T * nd->V);
    return DSHAP_OK;
}

static dshap_status softmax_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    softmax_forward_cpu(c->y, c->x[0], c->B, shp(nd), nd->axes);
    return DSHAP_OK;
}

static dshap_status gather_fwd(const fwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    gather_forward_cpu(c->y, c->x[0], nd->index, c->B, nd->C, nd->T, in_of(c->net, c->i, 0)->V, nd->V);
    return DSHAP_OK;
}

static dshap_status person_mean_fwd(const fwd_call *c) {
    person_mean_forward_cpu(c->y, c->x[0], c->n, c->net->arch.num_persons, node_size(node_of(c->net, c->i)));
    return DSHAP_OK;
}

/* ---- backward ---- */

/* φ[i, k] += Σ_rows m ⊙ (x_i − x_r) at a model input node. A branch node's
 * element e (c, t, v) of person row mm is input element ((branch·C + c)·TV
 * + tv)·M + mm; the whole-sample node (branch −1, one row per sample) maps
 * element e to input element e. */
static dshap_status input_bwd(const bwd_call *c) {
    if (!c->phi) return DSHAP_OK;
    const node *nd = node_of(c->net, c->i);
    const batch_rows *rw = c->br;
    int M = c->net->arch.num_persons, whole = nd->branch < 0;
    int64_t TV = (int64_t)nd->T * nd->V, F = net_input_floats(c->net), S = node_size(nd);
    /* Parallel over elements; each element sums its live rows in (triple,
     * person) order (a left-out row would add exactly ±0). */
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < S; e++) {
        int64_t f0 = whole ? e : ((int64_t)nd->branch * nd->C + e / TV) * TV * M + e % TV * M;
        for (int j = 0; j < c->B; j++) {
            int p = c->p0 + (whole ? j : rw->pair[j]), mm = whole ? 0 : rw->xi_pp[j] % M;
            int kk = p % c->n_k, r = (p / c->n_k) % c->n_r, i = p / (c->n_k * c->n_r);
            int64_t f = f0 + mm;
            double *ph = c->phi + ((int64_t)i * c->n_k + kk) * F;
            ph[f] += (double)c->my[(int64_t)j * S + e] *
                     ((double)c->x_inst[(int64_t)i * F + f] - (double)c->x_ref[(int64_t)r * F + f]);
        }
    }
    return DSHAP_OK;
}

static dshap_status conv_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i), *in = in_of(c->net, c->i, 0);
    float *const *w_fold = c->be;
    /* folded: my is the BN's multiplier, the weights carry its scale */
    conv_backward_cpu(c->mx[0], c->my, c->folded ? w_fold[c->i] : nd->w, c->B, in->C, in->T, in->V, nd->C, nd->T, nd->k,
                      nd->stride, nd->pad, nd->groups, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status affine_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    affine_backward_cpu(c->mx[0], c->my, nd->scale, c->B, nd->C, nd->T * nd->V, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status graph_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    graph_backward_cpu(c->mx[0], c->my, nd->G, c->B, nd->K, nd->C, nd->T, nd->V, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status add_bwd(const bwd_call *c) {
    shape3 sy = shp(node_of(c->net, c->i));
    if (!c->alias0) broadcast_backward_cpu(c->mx[0], c->my, c->B, sy, shp(in_of(c->net, c->i, 0)), c->acc[0]);
    broadcast_backward_cpu(c->mx[1], c->my, c->B, sy, shp(in_of(c->net, c->i, 1)), c->acc[1]);
    return DSHAP_OK;
}

static dshap_status mean_bwd(const bwd_call *c) {
    mean_backward_cpu(c->mx[0], c->my, c->B, shp(in_of(c->net, c->i, 0)), node_of(c->net, c->i)->axes, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status concat_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int c0 = 0;
    for (int j = 0; j < nd->n_in; j++) {
        int C = in_of(c->net, c->i, j)->C;
        concat_backward_cpu(c->mx[j], c->my, c->B, nd->C, c0, C, nd->T * nd->V, c->acc[j]);
        c0 += C;
    }
    return DSHAP_OK;
}

static dshap_status gather_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    gather_backward_cpu(c->mx[0], c->my, nd->index, c->B, nd->C, nd->T, in_of(c->net, c->i, 0)->V, nd->V, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status person_mean_bwd(const bwd_call *c) {
    person_mean_backward_cpu(c->mx[0], c->my, c->br->pair, c->br->B, c->net->arch.num_persons,
                             node_size(node_of(c->net, c->i)), c->acc[0]);
    return DSHAP_OK;
}

static dshap_status reshape_bwd(const bwd_call *c) { /* aliased: the input already holds this buffer */
    if (!c->alias0) copy_backward_cpu(c->mx[0], c->my, (int64_t)c->B * node_size(node_of(c->net, c->i)), c->acc[0]);
    return DSHAP_OK;
}

static dshap_status act_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    if (nd->shape.rank) return act_bwd_nd(c);
    int a = nd->in[0];
    act_deeplift_cpu(c->mx[0], c->my, c->yi[a], c->yr[a], c->rows, node_size(nd), nd->act, c->rule, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status softmax_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0];
    softmax_deeplift_cpu(c->mx[0], c->my, c->yi[a], c->yr[a], c->yi[c->i], c->yr[c->i], c->rows, shp(nd), nd->axes,
                         c->rule, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status max_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0];
    max_deeplift_cpu(c->mx[0], c->my, c->yi[a], c->yr[a], c->yi[c->i], c->yr[c->i], c->rows,
                     shp(in_of(c->net, c->i, 0)), nd->axes, c->rule, c->acc[0]);
    return DSHAP_OK;
}

static dshap_status mul_bwd(const bwd_call *c) {
    const node *nd = node_of(c->net, c->i);
    int a = nd->in[0], b = nd->in[1];
    mul_deeplift_cpu(c->mx[0], c->mx[1], c->my, c->yi[a], c->yr[a], c->yi[b], c->yr[b], c->rows, shp(nd),
                     shp(in_of(c->net, c->i, 0)), shp(in_of(c->net, c->i, 1)), c->rule, c->acc[0], c->acc[1]);
    return DSHAP_OK;
}

const op_impl cpu_op_table[OP_COUNT] = {
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
    [OP_TRANSPOSE] = {transpose_fwd_nd, transpose_bwd_nd},
    [OP_BINARY] = {binary_fwd_nd, binary_bwd_nd},
    [OP_MATMUL] = {matmul_fwd_nd, matmul_bwd_nd},
    [OP_CONVND] = {convnd_fwd_nd, convnd_bwd_nd},
    [OP_REDUCE] = {reduce_fwd_nd, reduce_bwd_nd},
    [OP_POOL] = {pool_fwd_nd, pool_bwd_nd},
    [OP_SLICE] = {slice_fwd_nd, slice_bwd_nd},
    [OP_PAD] = {pad_fwd_nd, pad_bwd_nd},
    [OP_CONCAT_ND] = {concat_fwd_nd, concat_bwd_nd},
    [OP_GATHER_ND] = {gather_fwd_nd, gather_bwd_nd},
    [OP_SOFTMAX_ND] = {softmax_fwd_nd, softmax_bwd_nd},
    [OP_CHANNEL_AFFINE] = {channel_affine_fwd_nd, channel_affine_bwd_nd},
};

/* Seed: ∂(logit of the explained class, or channel of the seeded node) = 1. */
static dshap_status cpu_seed(const void *be, float *m, const int *classes, int p0, int P, int n_r, int n_k, int K) {
    (void)be;
    memset(m, 0, sizeof(float) * (size_t)P * K);
    for (int pp = 0; pp < P; pp++) {
        int p = p0 + pp;
        int kk = p % n_k, i = p / (n_k * n_r);
        m[(int64_t)pp * K + (classes ? classes[i * n_k + kk] : kk)] = 1.0f;
    }
    return DSHAP_OK;
}

static dshap_status cpu_copy(const void *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    memcpy(dst, src, bytes);
    return DSHAP_OK;
}

const backend_impl cpu_backend = {"cpu", NULL, cpu_op_table, cpu_seed, cpu_copy, NULL};
