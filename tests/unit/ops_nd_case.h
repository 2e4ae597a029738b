/* The cases of tests/fixtures/ops_nd/ops_nd.h5 (tests/reference/gen_ops_nd.py)
 * as the CPU test (test_ops_nd) and the GPU / emulated test
 * (test_gpu_ops_nd) read them: the case names, the node's attributes and
 * the datasets. Static: included by those two programs only. */
#ifndef DSHAP_OPS_ND_CASE_H
#define DSHAP_OPS_ND_CASE_H

#include <stdlib.h>
#include <string.h>

#include "engine/net.h"
#include "io/h5io.h"
#include "testlib.h"

static const char *const nd_cases[] = {
    "transpose_3d", "binary_add_bcast", "binary_sub_bcast", "binary_sub_kfirst", "binary_mul_const",
    "binary_div_const", "matmul_const_right", "matmul_const_left_1d", "matmul_const_left_bcast", "convnd_2d",
    "convnd_1d", "reduce_sum", "reduce_mean", "reduce_mean_nokeep", "pool_avg_cip0", "pool_avg_cip1", "pool_avg_1d",
    "slice_steps", "pad_const", "concat_axis1", "gather_axis1", "channel_affine", "binary_mul_act", "binary_div_act",
    "binary_kdiv_act", "matmul_act_bcast", "pool_max_2d", "pool_max_2d_dil", "pool_max_1d", "softmax_axis1",
    "act_leaky_relu", "act_prelu", "act_elu", "act_hardsigmoid", "act_gelu", "act_gelu_tanh", "act_clip",
};
#define N_ND_CASES (sizeof nd_cases / sizeof *nd_cases)

static int64_t case_int(h5file *f, const char *g, const char *a, int64_t dflt) {
    long long v;
    if (!h5io_has_attr(f, g, a) || h5io_read_attr_int(f, g, a, &v) != DSHAP_OK) return dflt;
    return v;
}

static int case_ints(h5file *f, const char *g, const char *a, int64_t *out) {
    int n = 0;
    if (h5io_has_attr(f, g, a) && h5io_read_attr_i64s(f, g, a, 2 * NODE_MAX_RANK, out, &n) != DSHAP_OK) n = 0;
    return n;
}

static double case_real(h5file *f, const char *g, const char *a) {
    double v = 0;
    if (h5io_has_attr(f, g, a)) h5io_read_attr_f64(f, g, a, &v);
    return v;
}

/* Dataset g/d as float32, or NULL where the case has none; batched: its
 * first axis is the batch (*B), s gets the per-sample shape (may be NULL);
 * *n (may be NULL) the element count. */
static float *case_f32(h5file *f, const char *g, const char *d, int batched, int64_t *B, nd_shape *s, int64_t *n) {
    char path[256];
    snprintf(path, sizeof path, "/%s/%s", g, d);
    if (!h5io_exists(f, path)) return NULL;
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    float *out = NULL;
    EXPECT_OK(h5io_shape(f, path, &rank, dims));
    EXPECT_OK(h5io_read_f32(f, path, rank, dims, &out));
    if (n) {
        *n = 1;
        for (int i = 0; i < rank; i++) *n *= dims[i];
    }
    if (s) {
        s->rank = batched ? rank - 1 : rank;
        for (int i = 0; i < s->rank; i++) s->d[i] = dims[i + (batched ? 1 : 0)];
    }
    if (batched) *B = dims[0];
    return out;
}

/* The node's attributes of case g (op kind and tensors are the caller's);
 * gather_index is malloc'd (the caller frees it). */
static void case_node(h5file *f, const char *g, node *nd) {
    int64_t v[2 * NODE_MAX_RANK];
    nd->shape.rank = case_ints(f, g, "out", nd->shape.d);
    for (int i = 0; i < case_ints(f, g, "perm", v); i++) nd->perm[i] = (int)v[i];
    nd->n_axes = case_ints(f, g, "axes_nd", v);
    for (int i = 0; i < nd->n_axes; i++) nd->axes_nd[i] = (int)v[i];
    int n = case_ints(f, g, "kernel", v);
    for (int i = 0; i < n; i++) nd->kernel[i] = (int)v[i];
    n = case_ints(f, g, "strides", v);
    for (int i = 0; i < n; i++) nd->strides[i] = (int)v[i];
    n = case_ints(f, g, "dilations", v);
    for (int i = 0; i < n; i++) nd->dilations[i] = (int)v[i];
    case_ints(f, g, "pads", nd->pads);
    case_ints(f, g, "starts", nd->starts);
    case_ints(f, g, "ends", nd->ends);
    case_ints(f, g, "steps", nd->steps);
    nd->gather_n = case_ints(f, g, "index", v);
    nd->gather_index = nd->gather_n ? malloc(sizeof(int64_t) * (size_t)nd->gather_n) : NULL;
    if (nd->gather_n) memcpy(nd->gather_index, v, sizeof(int64_t) * (size_t)nd->gather_n);
    nd->nsp = (int)case_int(f, g, "nsp", 0);
    nd->groups = (int)case_int(f, g, "groups", 1);
    nd->axis = (int)case_int(f, g, "axis", 0);
    nd->binop = (int)case_int(f, g, "binop", 0);
    nd->k_first = (int)case_int(f, g, "k_first", 0);
    nd->reduce = (int)case_int(f, g, "reduce", 0);
    nd->pool = (int)case_int(f, g, "pool", 0);
    nd->count_include_pad = (int)case_int(f, g, "count_include_pad", 0);
    nd->act = (int)case_int(f, g, "act", 0);
    nd->alpha = (float)case_real(f, g, "alpha");
    nd->beta = (float)case_real(f, g, "beta");
    nd->pad_value = (float)case_real(f, g, "pad_value");
}

/* The case's constants k, w, b, scale, shift, slope into consts[6] and the
 * node (k's shape as kshape; three PRelu slopes); counts[6] may be NULL. */
static void case_consts(h5file *f, const char *g, node *nd, float **consts, int64_t *counts) {
    const char *cn[6] = {"k", "w", "b", "scale", "shift", "slope"};
    nd_shape ks;
    for (int i = 0; i < 6; i++)
        consts[i] = case_f32(f, g, cn[i], 0, NULL, i == 0 ? &ks : NULL, counts ? &counts[i] : NULL);
    nd->kdata = consts[0];
    if (nd->kdata) nd->kshape = ks;
    nd->w = consts[1], nd->b = consts[2], nd->scale = consts[3], nd->shift = consts[4];
    nd->slope = consts[5];
    nd->slope_n = nd->slope ? 3 : 0;
}

#endif
