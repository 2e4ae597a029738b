#include "onnx/lower.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "cpu/act.h"
#include "onnx/lowering.h"

#define BAD(...) FAIL(DSHAP_EFORMAT, __VA_ARGS__)
#define NODE_BAD(n, ...) BAD("%s: node '%s' (%s): " __VA_ARGS__)

/* Whether a tensor's axis 0 is the batch alone (dropped in the per-sample
 * shape) or the batch merged with a leading axis (x.view(N*M, ...): kept). */
static int batch_dropped(const val *v) { return v->rank > 0 && v->d[0] == 1; }

static nd_shape per_sample(const val *v) {
    nd_shape s = {0};
    int off = batch_dropped(v);
    s.rank = v->rank - off;
    for (int i = off; i < v->rank; i++) s.d[i - off] = v->d[i];
    return s;
}

static dshap_status need_act(lowering *lw, const og_node *n, int i, val **out) {
    val *v = values_find(&lw->vs, n->in[i]);
    if (!v) BAD("%s: node '%s' (%s) reads '%s', which no earlier node defines", lw->path, n->name, n->op, n->in[i]);
    if (v->k) BAD("%s: node '%s' (%s): input %d ('%s') must be computed from the model input, not a constant", lw->path,
                  n->name, n->op, i, n->in[i]);
    *out = v;
    return DSHAP_OK;
}

static dshap_status need_const(lowering *lw, const og_node *n, int i, int is_float, val **out) {
    val *v = i < n->n_in && *n->in[i] ? values_find(&lw->vs, n->in[i]) : NULL;
    if (!v || !v->k || (is_float && !v->k->data))
        BAD("%s: node '%s' (%s): input %d must be a constant%s tensor", lw->path, n->name, n->op, i,
            is_float ? " float" : "");
    v->k->used = 1;
    *out = v;
    return DSHAP_OK;
}

/* A per-sample axis of activation v from an ONNX axis; the batch axis is refused. */
static dshap_status ps_axis(lowering *lw, const og_node *n, const val *v, int64_t a, int *out) {
    int x = axis_norm(a, v->rank);
    if (x < 0) BAD("%s: node '%s' (%s): axis %lld out of range for rank %d", lw->path, n->name, n->op, (long long)a,
                   v->rank);
    if (x == 0) BAD("%s: node '%s' (%s) operates on the batch axis", lw->path, n->name, n->op);
    *out = x - batch_dropped(v);
    return DSHAP_OK;
}

/* Whether shap 0.46's DeepExplainer has a handler for the nn.Module this
 * ONNX op came from (rule set shap: node.shap_module). ONNX does not record
 * whether an op was an nn.Module or a functional call; every op below
 * counts as its module (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.Sigmoid, nn.Tanh,
 * nn.Softmax, nn.MaxPool1d/2d). Fused SiLU / HardSwish / GELU, Clip (ReLU6,
 * Hardtanh, clamp), PRelu and HardSigmoid have none in stock 0.46. */
static int shap_handled(const char *op) {
    static const char *const handled[] = {"Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softmax", "MaxPool"};
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++)
        if (!strcmp(op, handled[i])) return 1;
    return 0;
}

node *lw_emit(lowering *lw, const og_node *n, op_kind op, int n_in, val *const *in, const char *out_name, int rank,
              const int64_t *d) {
    dshap_net *net = lw->net;
    if (lw->st) return NULL;
    if (net->n_nodes == net->cap_nodes) {
        int cap = net->cap_nodes ? 2 * net->cap_nodes : 64;
        node *p = realloc(net->nodes, sizeof *p * (size_t)cap);
        if (!p) {
            lw->st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory building the node list");
            return NULL;
        }
        net->nodes = p;
        net->cap_nodes = cap;
    }
    val *v = values_add(&lw->vs, out_name);
    if (!v || rank > VAL_MAX_RANK) {
        lw->st = v ? dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: node '%s' (%s): rank %d is too large", lw->path,
                                n->name, n->op, rank)
                   : dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory");
        return NULL;
    }
    v->rank = rank;
    memcpy(v->d, d, sizeof(int64_t) * (size_t)rank);
    v->net = net->n_nodes;
    node *nd = &net->nodes[net->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->n_in = n_in;
    for (int i = 0; i < n_in; i++) nd->in[i] = in[i]->net;
    snprintf(nd->name, sizeof nd->name, "%s", n->name);
    nd->shape = per_sample(v);
    nd->C = (int)shape_numel(nd->shape.rank, nd->shape.d);
    nd->T = nd->V = 1;
    nd->is_module = 1;
    nd->shap_module = shap_handled(n->op);
    return nd;
}

static dshap_status lower_act(lowering *lw, const og_node *n, int act, float alpha, float beta) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    node *nd = lw_emit(lw, n, OP_ACT, 1, &x, n->out[0], x->rank, x->d);
    if (nd) nd->act = act, nd->alpha = alpha, nd->beta = beta;
    return lw->st;
}

static dshap_status lower_clip(lowering *lw, const og_node *n) {
    float lo = -FLT_MAX, hi = FLT_MAX;
    val *v = NULL;
    if (n->n_in > 1 && *n->in[1]) {
        TRY(need_const(lw, n, 1, 1, &v));
        lo = v->k->data[0];
    }
    if (n->n_in > 2 && *n->in[2]) {
        TRY(need_const(lw, n, 2, 1, &v));
        hi = v->k->data[0];
    }
    lo = og_attr_float(n, "min", lo);
    hi = og_attr_float(n, "max", hi);
    if (lo == 0 && hi == 6) return lower_act(lw, n, ACT_RELU6, 0, 0);
    if (lo == 0 && hi == FLT_MAX) return lower_act(lw, n, ACT_RELU, 0, 0);
    return lower_act(lw, n, ACT_CLIP, lo, hi);
}

static dshap_status lower_prelu(lowering *lw, const og_node *n) {
    val *s = NULL;
    TRY(need_const(lw, n, 1, 1, &s));
    TRY(lower_act(lw, n, ACT_PRELU, s->k->data[0], 0));
    node *nd = &lw->net->nodes[lw->net->n_nodes - 1];
    nd->slope = s->k->data;
    nd->slope_n = s->k->count;
    return DSHAP_OK;
}

/* A constant operand's per-sample shape beside activation x (full rank rx):
 * numpy aligns it right; an axis that would meet x's batch axis must be 1. */
static dshap_status const_shape(lowering *lw, const og_node *n, const val *x, const val *k, nd_shape *ks) {
    if (k->rank > x->rank)
        BAD("%s: node '%s' (%s): the constant has rank %d, more than the activation's %d (it would broadcast over the "
            "batch)", lw->path, n->name, n->op, k->rank, x->rank);
    int off = k->rank == x->rank && batch_dropped(x);
    if (k->rank == x->rank && k->d[0] != 1)
        BAD("%s: node '%s' (%s): the constant varies along the batch axis", lw->path, n->name, n->op);
    ks->rank = k->rank - off;
    for (int i = off; i < k->rank; i++) ks->d[i - off] = k->d[i];
    return DSHAP_OK;
}

static dshap_status lower_binary(lowering *lw, const og_node *n, int binop) {
    val *a = values_find(&lw->vs, n->in[0]), *b = values_find(&lw->vs, n->in[1]);
    if (!a || !b) BAD("%s: node '%s' (%s) reads an undefined tensor", lw->path, n->name, n->op);
    int64_t s[VAL_MAX_RANK];
    int r = shape_broadcast(a->rank, a->d, b->rank, b->d, s);
    if (r < 0) BAD("%s: node '%s' (%s): operand shapes do not broadcast", lw->path, n->name, n->op);
    if (!a->k && !b->k) {
        if (a->rank != b->rank || a->d[0] != b->d[0])
            BAD("%s: node '%s' (%s): the operands differ in their batch axis", lw->path, n->name, n->op);
        val *in[2] = {a, b};
        node *nd = lw_emit(lw, n, OP_BINARY, 2, in, n->out[0], r, s);
        if (nd) nd->binop = binop;
        return lw->st;
    }
    int k_first = !!a->k;
    val *x = k_first ? b : a, *k = k_first ? a : b;
    if (!k->k->data) BAD("%s: node '%s' (%s): an integer constant in a float operation", lw->path, n->name, n->op);
    nd_shape ks;
    TRY(const_shape(lw, n, x, k, &ks));
    if (r != x->rank || s[0] != x->d[0])
        BAD("%s: node '%s' (%s): the constant would change the batch axis", lw->path, n->name, n->op);
    k->k->used = 1;
    node *nd = lw_emit(lw, n, OP_BINARY, 1, &x, n->out[0], r, s);
    if (nd) nd->binop = binop, nd->kdata = k->k->data, nd->kshape = ks, nd->k_first = k_first;
    return lw->st;
}

static dshap_status lower_matmul(lowering *lw, const og_node *n) {
    val *a = values_find(&lw->vs, n->in[0]), *b = values_find(&lw->vs, n->in[1]);
    if (!a || !b || (a->k && b->k)) BAD("%s: node '%s' (%s): bad operands", lw->path, n->name, n->op);
    if (a->rank < 1 || b->rank < 1) BAD("%s: node '%s' (%s): a scalar operand", lw->path, n->name, n->op);
    int64_t ka = a->d[a->rank - 1], kb = b->d[b->rank >= 2 ? b->rank - 2 : 0];
    if (ka != kb) BAD("%s: node '%s' (%s): inner sizes %lld and %lld differ", lw->path, n->name, n->op, (long long)ka,
                      (long long)kb);
    int64_t s[VAL_MAX_RANK], lead[VAL_MAX_RANK];
    int ra = a->rank >= 2 ? a->rank - 2 : 0, rb = b->rank >= 2 ? b->rank - 2 : 0;
    int r = shape_broadcast(ra, a->d, rb, b->d, lead);
    if (r < 0) BAD("%s: node '%s' (%s): batch axes do not broadcast", lw->path, n->name, n->op);
    memcpy(s, lead, sizeof(int64_t) * (size_t)r);
    if (a->rank >= 2) s[r++] = a->d[a->rank - 2];
    if (b->rank >= 2) s[r++] = b->d[b->rank - 1];
    if (!a->k && !b->k) {
        val *in[2] = {a, b};
        node *nd = lw_emit(lw, n, OP_MATMUL, 2, in, n->out[0], r, s);
        if (nd) nd->flops = 2.0 * nd->C * (double)ka;
        return lw->st;
    }
    int k_first = !!a->k;
    val *x = k_first ? b : a, *k = k_first ? a : b;
    if (!k->k->data) BAD("%s: node '%s' (%s): an integer constant in a float operation", lw->path, n->name, n->op);
    nd_shape ks;
    /* the batch axis must stay out of the product: a leading axis of x that
     * the constant does not broadcast over, or x's row axis in x @ k */
    int ok = k_first ? x->rank >= 3 && k->rank < x->rank : (x->rank == 2 ? k->rank <= 2 : k->rank < x->rank);
    if (!ok)
        BAD("%s: node '%s' (%s): a constant of rank %d with an activation of rank %d would mix the batch into the "
            "product", lw->path, n->name, n->op, k->rank, x->rank);
    ks.rank = k->rank;
    memcpy(ks.d, k->d, sizeof(int64_t) * (size_t)k->rank);
    k->k->used = 1;
    node *nd = lw_emit(lw, n, OP_MATMUL, 1, &x, n->out[0], r, s);
    if (nd) nd->kdata = k->k->data, nd->kshape = ks, nd->k_first = k_first, nd->flops = 2.0 * nd->C * (double)ka;
    return lw->st;
}

static int ints_attr(const og_node *n, const char *name, int64_t *out, int cap, int dflt_n, int64_t dflt) {
    const og_attr *a = og_attr_find(n, name);
    if (a && a->type == OA_INTS && a->n <= cap) {
        for (int64_t i = 0; i < a->n; i++) out[i] = a->ints[i];
        return (int)a->n;
    }
    for (int i = 0; i < dflt_n; i++) out[i] = dflt;
    return a ? -1 : dflt_n;
}

/* Conv, AveragePool, MaxPool: the spatial attributes and the output shape. */
static dshap_status spatial(lowering *lw, const og_node *n, const val *x, const int64_t *kernel, node *tmp, int64_t cout,
                            int64_t *s) {
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 2) BAD("%s: node '%s' (%s): %d spatial axes (1 or 2 are supported)", lw->path, n->name, n->op,
                                nsp);
    const og_attr *ap = og_attr_find(n, "auto_pad");
    if (ap && ap->type == OA_STRING && strcmp(ap->s, "NOTSET"))
        BAD("%s: node '%s' (%s): auto_pad %s is not supported (explicit pads are)", lw->path, n->name, n->op, ap->s);
    if (og_attr_int(n, "ceil_mode", 0)) BAD("%s: node '%s' (%s): ceil_mode is not supported", lw->path, n->name, n->op);
    int64_t st[2], dl[2], pd[4];
    if (ints_attr(n, "strides", st, 2, nsp, 1) != nsp || ints_attr(n, "dilations", dl, 2, nsp, 1) != nsp ||
        ints_attr(n, "pads", pd, 4, 2 * nsp, 0) != 2 * nsp)
        BAD("%s: node '%s' (%s): strides, dilations or pads of the wrong length", lw->path, n->name, n->op);
    tmp->nsp = nsp;
    s[0] = x->d[0];
    s[1] = cout;
    for (int i = 0; i < nsp; i++) {
        if (st[i] < 1 || dl[i] < 1 || pd[i] < 0 || pd[nsp + i] < 0 || kernel[i] < 1)
            BAD("%s: node '%s' (%s): bad kernel, stride, dilation or pad", lw->path, n->name, n->op);
        int64_t span = dl[i] * (kernel[i] - 1) + 1, in = x->d[2 + i] + pd[i] + pd[nsp + i];
        if (in < span) BAD("%s: node '%s' (%s): the kernel is larger than the padded input", lw->path, n->name, n->op);
        s[2 + i] = (in - span) / st[i] + 1;
        tmp->kernel[i] = (int)kernel[i], tmp->strides[i] = (int)st[i], tmp->dilations[i] = (int)dl[i];
        tmp->pads[i] = pd[i], tmp->pads[nsp + i] = pd[nsp + i];
    }
    return DSHAP_OK;
}

static void copy_spatial(node *nd, const node *t) {
    nd->nsp = t->nsp;
    memcpy(nd->kernel, t->kernel, sizeof t->kernel);
    memcpy(nd->strides, t->strides, sizeof t->strides);
    memcpy(nd->dilations, t->dilations, sizeof t->dilations);
    memcpy(nd->pads, t->pads, sizeof t->pads);
}

static dshap_status lower_conv(lowering *lw, const og_node *n) {
    val *x = NULL, *w = NULL, *b = NULL;
    TRY(need_act(lw, n, 0, &x));
    TRY(need_const(lw, n, 1, 1, &w));
    if (n->n_in > 2 && *n->in[2]) TRY(need_const(lw, n, 2, 1, &b));
    int64_t g = og_attr_int(n, "group", 1);
    if (w->rank != x->rank || g < 1 || x->d[1] != w->d[1] * g || w->d[0] % g || (b && (b->rank != 1 || b->d[0] != w->d[0])))
        BAD("%s: node '%s' (%s): weight, group or bias do not fit the input", lw->path, n->name, n->op);
    node t = {0};
    int64_t s[VAL_MAX_RANK];
    TRY(spatial(lw, n, x, w->d + 2, &t, w->d[0], s));
    node *nd = lw_emit(lw, n, OP_CONVND, 1, &x, n->out[0], x->rank, s);
    if (!nd) return lw->st;
    copy_spatial(nd, &t);
    nd->groups = (int)g;
    nd->w = w->k->data;
    nd->b = b ? b->k->data : NULL;
    nd->axis = 1 - batch_dropped(x); /* the channel axis of the per-sample shape */
    nd->flops = 2.0 * (double)shape_numel(x->rank, s) * (double)(w->k->count / w->d[0]);
    return DSHAP_OK;
}

static dshap_status lower_pool(lowering *lw, const og_node *n, int max) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    int64_t k[2];
    int nk = ints_attr(n, "kernel_shape", k, 2, 0, 0);
    if (nk != x->rank - 2) BAD("%s: node '%s' (%s): kernel_shape does not fit the input", lw->path, n->name, n->op);
    if (max && og_attr_int(n, "storage_order", 0)) BAD("%s: node '%s' (%s): storage_order", lw->path, n->name, n->op);
    if (max && n->n_out > 1 && *n->out[1]) BAD("%s: node '%s' (%s): the Indices output is not supported", lw->path,
                                               n->name, n->op);
    node t = {0};
    int64_t s[VAL_MAX_RANK];
    TRY(spatial(lw, n, x, k, &t, x->d[1], s));
    node *nd = lw_emit(lw, n, OP_POOL, 1, &x, n->out[0], x->rank, s);
    if (!nd) return lw->st;
    copy_spatial(nd, &t);
    nd->axis = 1 - batch_dropped(x); /* the channel axis of the per-sample shape */
    nd->pool = max;
    nd->count_include_pad = (int)og_attr_int(n, "count_include_pad", 0);
    return DSHAP_OK;
}

static dshap_status lower_bn(lowering *lw, const og_node *n) {
    val *x = NULL, *p[4] = {0};
    TRY(need_act(lw, n, 0, &x));
    for (int i = 0; i < 4; i++) TRY(need_const(lw, n, i + 1, 1, &p[i]));
    if (x->rank < 2) BAD("%s: node '%s' (%s): input of rank %d", lw->path, n->name, n->op, x->rank);
    int64_t c = x->d[1];
    for (int i = 0; i < 4; i++)
        if (p[i]->k->count != c) BAD("%s: node '%s' (%s): %lld channels, a parameter has %lld", lw->path, n->name, n->op,
                                     (long long)c, (long long)p[i]->k->count);
    if (og_attr_int(n, "training_mode", 0)) BAD("%s: node '%s' (%s): training mode", lw->path, n->name, n->op);
    double eps = og_attr_float(n, "epsilon", 1e-5f);
    node *nd = lw_emit(lw, n, OP_CHANNEL_AFFINE, 1, &x, n->out[0], x->rank, x->d);
    if (!nd) return lw->st;
    nd->axis = 1 - batch_dropped(x);
    TRY(dshap_alloc_floats(&nd->scale, (size_t)c, n->name));
    TRY(dshap_alloc_floats(&nd->shift, (size_t)c, n->name));
    for (int64_t i = 0; i < c; i++) {
        double sc = (double)p[0]->k->data[i] / sqrt((double)p[3]->k->data[i] + eps);
        nd->scale[i] = (float)sc;
        nd->shift[i] = (float)((double)p[1]->k->data[i] - (double)p[2]->k->data[i] * sc);
    }
    return DSHAP_OK;
}

static dshap_status lower_reduce(lowering *lw, const og_node *n, int mean, int global) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    int64_t ax[VAL_MAX_RANK];
    int na;
    if (global) {
        na = x->rank - 2;
        for (int i = 0; i < na; i++) ax[i] = i + 2;
    } else {
        na = ints_attr(n, "axes", ax, VAL_MAX_RANK, 0, 0);
        if (!og_attr_find(n, "axes") && n->n_in > 1 && *n->in[1]) {
            val *a = NULL;
            TRY(need_const(lw, n, 1, 0, &a));
            na = ints_of(a, ax, VAL_MAX_RANK);
        }
        if (na < 0) BAD("%s: node '%s' (%s): bad axes", lw->path, n->name, n->op);
        if (na == 0) {
            if (og_attr_int(n, "noop_with_empty_axes", 0)) BAD("%s: node '%s' (%s): an empty reduction", lw->path, n->name,
                                                              n->op);
            BAD("%s: node '%s' (%s): reduces over every axis, the batch's too", lw->path, n->name, n->op);
        }
    }
    int64_t s[VAL_MAX_RANK];
    memcpy(s, x->d, sizeof s);
    node t = {0};
    for (int i = 0; i < na; i++) {
        int a = 0;
        TRY(ps_axis(lw, n, x, ax[i], &a));
        t.axes_nd[i] = a;
        s[a + batch_dropped(x)] = 1;
    }
    int keep = global || og_attr_int(n, "keepdims", 1);
    char mid[200];
    snprintf(mid, sizeof mid, "%s:keepdims", n->out[0]);
    const char *out = keep ? n->out[0] : mid;
    node *nd = lw_emit(lw, n, OP_REDUCE, 1, &x, out, x->rank, s);
    if (!nd) return lw->st;
    memcpy(nd->axes_nd, t.axes_nd, sizeof t.axes_nd);
    nd->n_axes = na;
    nd->reduce = mean;
    if (keep) return DSHAP_OK;
    val *y = values_find(&lw->vs, out);
    int64_t q[VAL_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        int drop = 0;
        for (int j = 0; j < na; j++) drop |= axis_norm(ax[j], x->rank) == i;
        if (!drop) q[r++] = x->d[i];
    }
    lw_emit(lw, n, OP_RESHAPE, 1, &y, n->out[0], r, q);
    return lw->st;
}

/* Whether b's axis 0 is a's leading axes merged (the batch stays the
 * outermost factor: x.view(N*M, ...) of (N, M, ...)). */
static int leading_merge(int ra, const int64_t *a, int rb, const int64_t *b) {
    int64_t p = 1;
    for (int i = 0; i < ra && rb > 0; i++) {
        p *= a[i];
        if (p == b[0]) return 1;
    }
    return 0;
}

static dshap_status lower_reshape(lowering *lw, const og_node *n) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    val *in[VAL_MAX_RANK] = {x};
    for (int i = 1; i < n->n_in && i < VAL_MAX_RANK; i++) in[i] = *n->in[i] ? values_find(&lw->vs, n->in[i]) : NULL;
    for (int i = 1; i < n->n_in && i < VAL_MAX_RANK; i++)
        if (in[i] && in[i]->k) in[i]->k->used = 1;
    int r;
    int64_t s[VAL_MAX_RANK];
    TRY(layout_shape(&lw->vs, n, in, x->rank, x->d, &r, s));
    if (!leading_merge(x->rank, x->d, r, s) && !leading_merge(r, s, x->rank, x->d))
        BAD("%s: node '%s' (%s): the new shape moves the batch axis", lw->path, n->name, n->op);
    lw_emit(lw, n, OP_RESHAPE, 1, &x, n->out[0], r, s);
    return lw->st;
}

static dshap_status lower_transpose(lowering *lw, const og_node *n) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    int64_t p[VAL_MAX_RANK], s[VAL_MAX_RANK];
    int r = x->rank, off = batch_dropped(x);
    if (ints_attr(n, "perm", p, VAL_MAX_RANK, 0, 0) != r) {
        for (int i = 0; i < r; i++) p[i] = r - 1 - i;
    }
    for (int i = 0; i < r; i++) {
        if (axis_norm(p[i], r) < 0) BAD("%s: node '%s' (%s): bad perm", lw->path, n->name, n->op);
        p[i] = axis_norm(p[i], r);
        s[i] = x->d[p[i]];
    }
    if (p[0] != 0) BAD("%s: node '%s' (%s): the permutation moves the batch axis", lw->path, n->name, n->op);
    node *nd = lw_emit(lw, n, OP_TRANSPOSE, 1, &x, n->out[0], r, s);
    if (nd)
        for (int i = off; i < r; i++) nd->perm[i - off] = (int)p[i] - off;
    return lw->st;
}

static dshap_status lower_concat(lowering *lw, const og_node *n) {
    val *acc = NULL;
    TRY(need_act(lw, n, 0, &acc));
    int a = 0;
    TRY(ps_axis(lw, n, acc, og_attr_int(n, "axis", 0), &a));
    int ax = a + batch_dropped(acc);
    for (int i = 1; i < n->n_in;) {
        val *in[NODE_MAX_IN] = {acc};
        int k = 1;
        int64_t s[VAL_MAX_RANK];
        memcpy(s, acc->d, sizeof s);
        for (; k < NODE_MAX_IN && i < n->n_in; k++, i++) {
            TRY(need_act(lw, n, i, &in[k]));
            for (int j = 0; j < acc->rank; j++)
                if (in[k]->rank != acc->rank || (j != ax && in[k]->d[j] != acc->d[j]))
                    BAD("%s: node '%s' (%s): input shapes do not fit", lw->path, n->name, n->op);
            s[ax] += in[k]->d[ax];
        }
        char part[200];
        snprintf(part, sizeof part, "%s:concat%d", n->out[0], i);
        const char *out = i == n->n_in ? n->out[0] : part;
        node *nd = lw_emit(lw, n, OP_CONCAT_ND, k, in, out, acc->rank, s);
        if (!nd) return lw->st;
        nd->axis = a;
        acc = values_find(&lw->vs, out);
    }
    if (n->n_in == 1) lw_emit(lw, n, OP_RESHAPE, 1, &acc, n->out[0], acc->rank, acc->d);
    return lw->st;
}

/* One slice along axis `ax` (full) of x, [b, e) step st, into out. */
static node *slice1(lowering *lw, const og_node *n, val *x, int ax, int64_t b, int64_t e, int64_t st, const char *out) {
    int64_t s[VAL_MAX_RANK];
    memcpy(s, x->d, sizeof s);
    s[ax] = e > b ? (e - b + st - 1) / st : 0;
    node *nd = lw_emit(lw, n, OP_SLICE, 1, &x, out, x->rank, s);
    if (!nd) return NULL;
    int off = batch_dropped(x);
    for (int i = off; i < x->rank; i++) {
        nd->starts[i - off] = i == ax ? b : 0;
        nd->ends[i - off] = i == ax ? e : x->d[i];
        nd->steps[i - off] = i == ax ? st : 1;
    }
    return nd;
}

static dshap_status lower_slice(lowering *lw, const og_node *n) {
    val *x = NULL, *c[4] = {0};
    TRY(need_act(lw, n, 0, &x));
    int64_t v[4][VAL_MAX_RANK];
    int cnt[4];
    for (int i = 0; i < 4; i++) {
        cnt[i] = -2;
        if (n->n_in > i + 1 && *n->in[i + 1]) {
            TRY(need_const(lw, n, i + 1, 0, &c[i]));
            cnt[i] = ints_of(c[i], v[i], VAL_MAX_RANK);
        }
    }
    int ns = cnt[0];
    if (ns < 0 || cnt[1] != ns || (cnt[2] != -2 && cnt[2] != ns) || (cnt[3] != -2 && cnt[3] != ns))
        BAD("%s: node '%s' (%s): starts, ends, axes and steps must be constant lists of one length", lw->path, n->name,
            n->op);
    int64_t b[VAL_MAX_RANK], e[VAL_MAX_RANK], st[VAL_MAX_RANK], s[VAL_MAX_RANK];
    for (int i = 0; i < x->rank; i++) b[i] = 0, e[i] = x->d[i], st[i] = 1;
    for (int i = 0; i < ns; i++) {
        int ax = 0;
        TRY(ps_axis(lw, n, x, cnt[2] >= 0 ? v[2][i] : i, &ax));
        ax += batch_dropped(x);
        int64_t step = cnt[3] >= 0 ? v[3][i] : 1, d = x->d[ax];
        if (step < 1) BAD("%s: node '%s' (%s): step %lld (only positive steps are supported)", lw->path, n->name, n->op,
                          (long long)step);
        int64_t bb = v[0][i] < 0 ? v[0][i] + d : v[0][i], ee = v[1][i] < 0 ? v[1][i] + d : v[1][i];
        b[ax] = bb < 0 ? 0 : (bb > d ? d : bb), e[ax] = ee < 0 ? 0 : (ee > d ? d : ee), st[ax] = step;
    }
    for (int i = 0; i < x->rank; i++) s[i] = e[i] > b[i] ? (e[i] - b[i] + st[i] - 1) / st[i] : 0;
    node *nd = lw_emit(lw, n, OP_SLICE, 1, &x, n->out[0], x->rank, s);
    if (!nd) return lw->st;
    int off = batch_dropped(x);
    for (int i = off; i < x->rank; i++) nd->starts[i - off] = b[i], nd->ends[i - off] = e[i], nd->steps[i - off] = st[i];
    return DSHAP_OK;
}

static dshap_status lower_split(lowering *lw, const og_node *n) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    int a = 0;
    TRY(ps_axis(lw, n, x, og_attr_int(n, "axis", 0), &a));
    int ax = a + batch_dropped(x);
    int64_t sz[64];
    int ns = n->n_out <= 64 ? ints_attr(n, "split", sz, 64, 0, 0) : -1;
    if (ns == 0 && n->n_in > 1 && *n->in[1]) {
        val *c = NULL;
        TRY(need_const(lw, n, 1, 0, &c));
        ns = ints_of(c, sz, 64);
    }
    if (ns == 0)
        for (ns = 0; ns < n->n_out; ns++) sz[ns] = (x->d[ax] + n->n_out - 1) / n->n_out;
    if (ns != n->n_out) BAD("%s: node '%s' (%s): split sizes do not match the outputs", lw->path, n->name, n->op);
    int64_t at = 0;
    for (int i = 0; i < ns; i++) {
        int64_t e = at + sz[i] > x->d[ax] ? x->d[ax] : at + sz[i];
        if (!slice1(lw, n, x, ax, at, e, 1, n->out[i])) return lw->st;
        at = e;
    }
    return DSHAP_OK;
}

static dshap_status lower_gather(lowering *lw, const og_node *n) {
    val *x = NULL, *ix = NULL;
    TRY(need_act(lw, n, 0, &x));
    TRY(need_const(lw, n, 1, 0, &ix));
    int a = 0;
    TRY(ps_axis(lw, n, x, og_attr_int(n, "axis", 0), &a));
    int ax = a + batch_dropped(x);
    if (ix->rank > 1) BAD("%s: node '%s' (%s): indices of rank %d (0 or 1 supported)", lw->path, n->name, n->op, ix->rank);
    int64_t s[VAL_MAX_RANK], cnt = ix->k->count;
    memcpy(s, x->d, sizeof s);
    s[ax] = cnt;
    char mid[200];
    snprintf(mid, sizeof mid, "%s:gather", n->out[0]);
    const char *out = ix->rank == 1 ? n->out[0] : mid;
    node *nd = lw_emit(lw, n, OP_GATHER_ND, 1, &x, out, x->rank, s);
    if (!nd) return lw->st;
    nd->axis = a;
    nd->gather_n = cnt;
    TRY(dshap_calloc((void **)&nd->gather_index, (size_t)cnt + 1, sizeof(int64_t), n->name));
    for (int64_t i = 0; i < cnt; i++) {
        int64_t k = ix->k->idata[i] < 0 ? ix->k->idata[i] + x->d[ax] : ix->k->idata[i];
        if (k < 0 || k >= x->d[ax]) BAD("%s: node '%s' (%s): index %lld out of range", lw->path, n->name, n->op,
                                        (long long)ix->k->idata[i]);
        nd->gather_index[i] = k;
    }
    if (ix->rank == 1) return DSHAP_OK;
    val *y = values_find(&lw->vs, out);
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (i != ax) s[r++] = x->d[i];
    lw_emit(lw, n, OP_RESHAPE, 1, &y, n->out[0], r, s);
    return lw->st;
}

static dshap_status lower_softmax(lowering *lw, const og_node *n) {
    val *x = NULL;
    TRY(need_act(lw, n, 0, &x));
    int64_t axis = og_attr_int(n, "axis", lw->opset >= 13 ? -1 : 1);
    if (lw->opset < 13 && axis_norm(axis, x->rank) != x->rank - 1)
        BAD("%s: node '%s' (%s): opset %lld softmax over several axes is not supported", lw->path, n->name, n->op,
            (long long)lw->opset);
    int a = 0;
    TRY(ps_axis(lw, n, x, axis, &a));
    node *nd = lw_emit(lw, n, OP_SOFTMAX_ND, 1, &x, n->out[0], x->rank, x->d);
    if (nd) nd->axis = a;
    return lw->st;
}

static dshap_status lower_pad(lowering *lw, const og_node *n) {
    val *x = NULL, *p = NULL, *c = NULL;
    TRY(need_act(lw, n, 0, &x));
    const og_attr *mode = og_attr_find(n, "mode");
    if (mode && mode->type == OA_STRING && strcmp(mode->s, "constant"))
        BAD("%s: node '%s' (%s): mode '%s' (constant is supported)", lw->path, n->name, n->op, mode->s);
    TRY(need_const(lw, n, 1, 0, &p));
    if (n->n_in > 2 && *n->in[2]) TRY(need_const(lw, n, 2, 1, &c));
    if (n->n_in > 3 && *n->in[3]) BAD("%s: node '%s' (%s): the axes input is not supported", lw->path, n->name, n->op);
    int64_t pd[2 * VAL_MAX_RANK], s[VAL_MAX_RANK];
    int r = x->rank, off = batch_dropped(x);
    if (ints_of(p, pd, 2 * VAL_MAX_RANK) != 2 * r) BAD("%s: node '%s' (%s): pads of the wrong length", lw->path, n->name,
                                                       n->op);
    if (pd[0] || pd[r]) BAD("%s: node '%s' (%s) pads the batch axis", lw->path, n->name, n->op);
    for (int i = 0; i < r; i++) {
        if (pd[i] < 0 || pd[r + i] < 0) BAD("%s: node '%s' (%s): negative pads", lw->path, n->name, n->op);
        s[i] = x->d[i] + pd[i] + pd[r + i];
    }
    node *nd = lw_emit(lw, n, OP_PAD, 1, &x, n->out[0], r, s);
    if (!nd) return lw->st;
    for (int i = off; i < r; i++) nd->pads[i - off] = pd[i], nd->pads[r - off + i - off] = pd[r + i];
    nd->pad_value = c ? c->k->data[0] : 0;
    return DSHAP_OK;
}

dshap_status lower_node(lowering *lw, const og_node *n) {
    const char *op = n->op;
    if (!strcmp(op, "Relu")) return lower_act(lw, n, ACT_RELU, 0, 0);
    if (!strcmp(op, "Sigmoid")) return lower_act(lw, n, ACT_SIGMOID, 0, 0);
    if (!strcmp(op, "Tanh")) return lower_act(lw, n, ACT_TANH, 0, 0);
    if (!strcmp(op, "HardSwish")) return lower_act(lw, n, ACT_HARDSWISH, 0, 0);
    if (!strcmp(op, "Silu")) return lower_act(lw, n, ACT_SILU, 0, 0);
    if (!strcmp(op, "Gelu")) return lower_act(lw, n, ACT_GELU, 0, 0);
    if (!strcmp(op, "LeakyRelu")) return lower_act(lw, n, ACT_LEAKY_RELU, og_attr_float(n, "alpha", 0.01f), 0);
    if (!strcmp(op, "Elu")) return lower_act(lw, n, ACT_ELU, og_attr_float(n, "alpha", 1), 0);
    if (!strcmp(op, "HardSigmoid"))
        return lower_act(lw, n, ACT_HARDSIGMOID, og_attr_float(n, "alpha", 0.2f), og_attr_float(n, "beta", 0.5f));
    if (!strcmp(op, "PRelu")) return lower_prelu(lw, n);
    if (!strcmp(op, "Clip")) return lower_clip(lw, n);
    if (!strcmp(op, "Add")) return lower_binary(lw, n, BIN_ADD);
    if (!strcmp(op, "Sub")) return lower_binary(lw, n, BIN_SUB);
    if (!strcmp(op, "Mul")) return lower_binary(lw, n, BIN_MUL);
    if (!strcmp(op, "Div")) return lower_binary(lw, n, BIN_DIV);
    if (!strcmp(op, "MatMul")) return lower_matmul(lw, n);
    if (!strcmp(op, "Conv")) return lower_conv(lw, n);
    if (!strcmp(op, "BatchNormalization")) return lower_bn(lw, n);
    if (!strcmp(op, "AveragePool")) return lower_pool(lw, n, 0);
    if (!strcmp(op, "MaxPool")) return lower_pool(lw, n, 1);
    if (!strcmp(op, "GlobalAveragePool")) return lower_reduce(lw, n, 1, 1);
    if (!strcmp(op, "ReduceMean")) return lower_reduce(lw, n, 1, 0);
    if (!strcmp(op, "ReduceSum")) return lower_reduce(lw, n, 0, 0);
    if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze") ||
        !strcmp(op, "Identity") || !strcmp(op, "Dropout"))
        return lower_reshape(lw, n);
    if (!strcmp(op, "Transpose")) return lower_transpose(lw, n);
    if (!strcmp(op, "Concat")) return lower_concat(lw, n);
    if (!strcmp(op, "Split")) return lower_split(lw, n);
    if (!strcmp(op, "Slice")) return lower_slice(lw, n);
    if (!strcmp(op, "Gather")) return lower_gather(lw, n);
    if (!strcmp(op, "Softmax")) return lower_softmax(lw, n);
    if (!strcmp(op, "Pad")) return lower_pad(lw, n);
    BAD("%s: node '%s' (%s) is not supported; nearest: %s", lw->path, n->name, op, nearest_op(op));
}
