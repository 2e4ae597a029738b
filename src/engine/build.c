/* Node and parameter helpers of the network builder, and the whole-network
 * assembly (branches → concat → main stream → classifier). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "engine/build_ctx.h"
#include "engine/calibrate.h"
#include "onnx/store.h"

#define BN_EPS 1e-5

static node *new_node(builder *b, op_kind op, const char *name, int n_in, const int *in) {
    if (b->st) return NULL;
    for (int i = 0; i < n_in; i++)
        if (in[i] < 0) {
            b->st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "internal: node '%s' has an invalid input", name);
            return NULL;
        }
    dshap_net *net = b->net;
    if (net->n_nodes == net->cap_nodes) {
        int cap = net->cap_nodes ? 2 * net->cap_nodes : 128;
        node *n = realloc(net->nodes, sizeof *n * (size_t)cap);
        if (!n) {
            b->st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory building the network");
            return NULL;
        }
        net->nodes = n;
        net->cap_nodes = cap;
    }
    node *nd = &net->nodes[net->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->n_in = n_in;
    for (int i = 0; i < n_in; i++) nd->in[i] = in[i];
    snprintf(nd->name, sizeof nd->name, "%s", name);
    if (n_in) {
        const node *a = &net->nodes[in[0]];
        nd->C = a->C;
        nd->T = a->T;
        nd->V = a->V;
        nd->per_person = a->per_person;
    }
    return nd;
}

static int idx(builder *b, const node *nd) { return nd ? (int)(nd - b->net->nodes) : -1; }

void b_module(builder *b, int i, const char *path) {
    if (b->st || i < 0) return;
    node *nd = &b->net->nodes[i];
    snprintf(nd->name, sizeof nd->name, "%s", path);
    nd->is_module = 1;
}

/* Random values for model init, by the role a tensor plays (the suffix). */
static void init_tensor(builder *b, dshap_param *p, const char *name) {
    size_t len = strlen(name);
#define ENDS(s) (len >= strlen(s) && strcmp(name + len - strlen(s), s) == 0)
    rng_t *r = &b->rng;
    if (ENDS("running_var")) {
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(0.5 + rng_uniform(r));
    } else if (ENDS("running_mean")) {
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(0.1 * rng_normal(r));
    } else if (ENDS(".edge")) {
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(0.5 + rng_uniform(r));
    } else if (ENDS(".bias")) {
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(0.05 * rng_normal(r));
    } else if (p->rank == 1) { /* BN weight */
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(0.5 + rng_uniform(r));
    } else { /* conv weight: kaiming normal, fan_out = out channels × kernel size */
        double fan_out = (double)p->dims[0];
        for (int i = 2; i < p->rank; i++) fan_out *= (double)p->dims[i];
        double sd = sqrt(2.0 / (1.0 + 0.01 * 0.01)) / sqrt(fan_out);
        for (int64_t i = 0; i < p->count; i++) p->data[i] = (float)(sd * rng_normal(r));
    }
#undef ENDS
}

/* Bind (or, in create mode, create) a float tensor of the given shape and
 * return its data. The data stays put; the dshap_param entry itself may move
 * when a later model_add grows the table, so callers keep only the data. */
static float *b_param(builder *b, const char *name, int rank, const int64_t *dims) {
    if (b->st) return NULL;
    dshap_param *p = model_find(b->model, name);
    if (!p && b->create) {
        if ((b->st = model_add(b->model, name, rank, dims, 0, &p))) return NULL;
        init_tensor(b, p, name);
    }
    if (!p) {
        b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: state_dict lacks '%s' required by the architecture",
                           b->model->path ? b->model->path : "model", name);
        return NULL;
    }
    int ok = p->rank == rank && p->data;
    for (int i = 0; ok && i < rank; i++) ok = p->dims[i] == dims[i];
    if (!ok) {
        char got[96], want[96];
        /* the dtype too: an integer tensor of the right shape is still wrong */
        b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__,
                           "%s: tensor '%s' has shape %s (%s), the architecture needs %s (float)",
                           b->model->path ? b->model->path : "model", name,
                           fmt_shape(p->rank, p->dims, got, sizeof got),
                           p->dtype[0] ? p->dtype : p->data ? "float32" : "integer", fmt_shape(rank, dims, want, sizeof want));
        return NULL;
    }
    p->used = 1;
    return p->data;
}

int b_input(builder *b, int branch) {
    node *nd = new_node(b, OP_INPUT, "", 0, NULL);
    if (!nd) return -1;
    snprintf(nd->name, sizeof nd->name, "input:%d", branch);
    nd->branch = branch;
    nd->C = 2 * b->net->arch.in_channels;
    nd->T = b->net->arch.num_frames;
    nd->V = b->net->arch.layout->V;
    nd->per_person = 1;
    return idx(b, nd);
}

int b_conv(builder *b, const char *prefix, int in, int cout, int k, int stride, int groups, int bias) {
    if (b->st) return -1;
    int cin = b->net->nodes[in].C;
    char name[200];
    int64_t wd[4] = {cout, cin / groups, k, 1}, bd = cout;
    float *w = b_param(b, PATH(name, "%s.weight", prefix), 4, wd);
    float *bb = bias ? b_param(b, PATH(name, "%s.bias", prefix), 1, &bd) : NULL;
    node *nd = new_node(b, OP_CONV, prefix, 1, &in);
    if (!nd) return -1;
    nd->is_module = 1;
    snprintf(nd->params, sizeof nd->params, "%s", prefix);
    nd->k = k;
    nd->stride = stride;
    nd->pad = (k - 1) / 2;
    nd->groups = groups;
    nd->w = w;
    nd->b = bb;
    int tin = nd->T;
    nd->C = cout;
    nd->T = (tin + 2 * nd->pad - k) / stride + 1;
    nd->flops = 2.0 * cout * (cin / groups) * k * nd->T * nd->V;
    return idx(b, nd);
}

int b_bn(builder *b, const char *prefix, int in) {
    if (b->st) return -1;
    int64_t C = b->net->nodes[in].C;
    char name[200];
    float *g = b_param(b, PATH(name, "%s.weight", prefix), 1, &C);
    float *be = b_param(b, PATH(name, "%s.bias", prefix), 1, &C);
    float *mu = b_param(b, PATH(name, "%s.running_mean", prefix), 1, &C);
    float *var = b_param(b, PATH(name, "%s.running_var", prefix), 1, &C);
    node *nd = new_node(b, OP_AFFINE, prefix, 1, &in);
    if (!nd) return -1;
    nd->is_module = 1;
    snprintf(nd->params, sizeof nd->params, "%s", prefix);
    if ((b->st = dshap_alloc_floats(&nd->scale, (size_t)C, prefix))) return -1;
    if ((b->st = dshap_alloc_floats(&nd->shift, (size_t)C, prefix))) return -1;
    for (int c = 0; c < C; c++) {
        if (!(var[c] >= 0)) {
            b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s.running_var' has a negative entry",
                               b->model->path ? b->model->path : "model", prefix);
            return -1;
        }
        double s = (double)g[c] / sqrt((double)var[c] + BN_EPS);
        nd->scale[c] = (float)s;
        nd->shift[c] = (float)((double)be[c] - (double)mu[c] * s);
    }
    nd->flops = 2.0 * node_size(nd);
    return idx(b, nd);
}

int b_act(builder *b, const char *name, int in, int act, int shap_module) {
    node *nd = new_node(b, OP_ACT, name, 1, &in);
    if (!nd) return -1;
    nd->is_module = 1;
    nd->act = act;
    nd->shap_module = shap_module;
    return idx(b, nd);
}

static int b_binary(builder *b, op_kind op, const char *name, int x, int y) {
    int in[2] = {x, y};
    node *nd = new_node(b, op, name, 2, in);
    if (!nd) return -1;
    const node *a = &b->net->nodes[x], *c = &b->net->nodes[y];
    int ok = (a->C == c->C || a->C == 1 || c->C == 1) && (a->T == c->T || a->T == 1 || c->T == 1) &&
             (a->V == c->V || a->V == 1 || c->V == 1) && a->per_person == c->per_person;
    if (!ok) {
        b->st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "internal: %s cannot broadcast (%d,%d,%d) with (%d,%d,%d)",
                           name, a->C, a->T, a->V, c->C, c->T, c->V);
        return -1;
    }
    nd->C = a->C > c->C ? a->C : c->C;
    nd->T = a->T > c->T ? a->T : c->T;
    nd->V = a->V > c->V ? a->V : c->V;
    return idx(b, nd);
}
int b_add(builder *b, const char *name, int x, int y) { return b_binary(b, OP_ADD, name, x, y); }
int b_mul(builder *b, const char *name, int x, int y) { return b_binary(b, OP_MUL, name, x, y); }

int b_reduce(builder *b, op_kind op, const char *name, int in, int axes, int shap_module) {
    node *nd = new_node(b, op, name, 1, &in);
    if (!nd) return -1;
    nd->axes = axes;
    nd->shap_module = shap_module;
    if (axes & AX_C) nd->C = 1;
    if (axes & AX_T) nd->T = 1;
    if (axes & AX_V) nd->V = 1;
    return idx(b, nd);
}

int b_softmax(builder *b, const char *name, int in, int axis) {
    node *nd = new_node(b, OP_SOFTMAX, name, 1, &in);
    if (!nd) return -1;
    nd->is_module = 1;
    nd->axes = axis;
    nd->shap_module = 1; /* nn.Softmax in ShapGCN */
    return idx(b, nd);
}

int b_reshape(builder *b, const char *name, int in, int C, int T, int V) {
    node *nd = new_node(b, OP_RESHAPE, name, 1, &in);
    if (!nd) return -1;
    if ((int64_t)C * T * V != node_size(&b->net->nodes[in])) {
        b->st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "internal: reshape %s changes the size", name);
        return -1;
    }
    nd->C = C;
    nd->T = T;
    nd->V = V;
    return idx(b, nd);
}

int b_graph(builder *b, const char *prefix, int in, int K) {
    if (b->st) return -1;
    int V = b->net->arch.layout->V;
    char name[200];
    int64_t d[3] = {K, V, V};
    dshap_param *A = model_find(b->model, PATH(name, "%s.A", prefix));
    if (!A && b->create) {
        float full[GRAPH_PARTITIONS * LAYOUT_MAX_V * LAYOUT_MAX_V];
        layout_adjacency(b->net->arch.layout, full);
        if ((b->st = model_add(b->model, name, 3, d, 0, &A))) return -1;
        memcpy(A->data, full, sizeof(float) * (size_t)(K * V * V));
    }
    float *Ad = b_param(b, name, 3, d);
    float *E = b_param(b, PATH(name, "%s.edge", prefix), 3, d);
    node *nd = new_node(b, OP_GRAPH, prefix, 1, &in);
    if (!nd) return -1;
    nd->is_module = 1;
    snprintf(nd->params, sizeof nd->params, "%s", prefix);
    if (nd->C % K) {
        b->st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "internal: %s channels not divisible by K", prefix);
        return -1;
    }
    nd->K = K;
    nd->C /= K;
    if ((b->st = dshap_alloc_floats(&nd->G, (size_t)(K * V * V), prefix))) return -1;
    for (int i = 0; i < K * V * V; i++) nd->G[i] = Ad[i] * E[i];
    nd->flops = 2.0 * K * nd->C * nd->T * V * V;
    return idx(b, nd);
}

int b_concat(builder *b, const char *name, int n, const int *ins) {
    node *nd = new_node(b, OP_CONCAT, name, n, ins);
    if (!nd) return -1;
    int C = 0;
    for (int i = 0; i < n; i++) C += b->net->nodes[ins[i]].C;
    nd->C = C;
    return idx(b, nd);
}

int b_gather(builder *b, const char *name, int in, const char *index_param) {
    if (b->st) return -1;
    const dshap_layout *L = b->net->arch.layout;
    dshap_param *p = model_find(b->model, index_param);
    int64_t V = L->V;
    if (!p && b->create) {
        if ((b->st = model_add(b->model, index_param, 1, &V, 1, &p))) return -1;
        for (int v = 0; v < L->V; v++) p->idata[v] = L->part_of[v];
    }
    if (!p || !p->idata || p->rank != 1 || p->dims[0] != V) {
        b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s' must be an integer tensor of %d joints",
                           b->model->path ? b->model->path : "model", index_param, L->V);
        return -1;
    }
    p->used = 1;
    node *nd = new_node(b, OP_GATHER, name, 1, &in);
    if (!nd) return -1;
    int parts = nd->V;
    if ((b->st = dshap_calloc((void **)&nd->index, (size_t)V, sizeof(int), name))) return -1;
    for (int v = 0; v < V; v++) {
        if (p->idata[v] < 0 || p->idata[v] >= parts) {
            b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s' entry %d is not a body part index",
                               b->model->path ? b->model->path : "model", index_param, v);
            return -1;
        }
        nd->index[v] = (int)p->idata[v];
    }
    nd->V = (int)V;
    return idx(b, nd);
}

int b_person_mean(builder *b, const char *name, int in) {
    node *nd = new_node(b, OP_PERSON_MEAN, name, 1, &in);
    if (!nd) return -1;
    nd->per_person = 0;
    return idx(b, nd);
}

/* ---- whole network (ShapGCN Student, search space arch_2) ---- */

static int py_round_16(double x) { return (int)nearbyint(x / 16.0) * 16; } /* round half to even, as Python */

static int build_branch(builder *b, int br, int *last_channel) {
    const dshap_arch *a = &b->net->arch;
    char p[160], q[200];
    int x = b_input(b, br);
    x = b_bn(b, PATH(p, "input_stream.%d.init_bn", br), x);
    x = layer_sgc(b, PATH(p, "input_stream.%d.stem_scn", br), x, a->init_lay, a->graph_dist_in);
    x = layer_tcn(b, TCN_BASIC, PATH(p, "input_stream.%d.stem_tcn", br), x, a->temp_win_in, 1);
    int last = a->init_lay;
    for (int i = 0; i < a->blocks_in; i++) {
        int ch = py_round_16(last * a->scale_in);
        if (ch < 32) ch = 32;
        x = layer_sgc(b, PATH(p, "input_stream.%d.block-%d_scn", br, i), x, ch, a->graph_dist_in);
        for (int j = 0; j < a->depth_in; j++)
            x = layer_tcn(b, a->conv, PATH(q, "input_stream.%d.block-%d_tcn-%d", br, i, j), x, a->temp_win_in,
                          j == 0 ? a->stride_in : 1);
        x = layer_att(b, PATH(p, "input_stream.%d.block-%d_att", br, i), x);
        last = ch;
    }
    b_module(b, x, PATH(p, "input_stream.%d", br));
    *last_channel = last;
    return x;
}

static dshap_status build(dshap_net *net, dshap_model *m, int create, uint64_t seed) {
    memset(net, 0, sizeof *net);
    net->arch = m->arch;
    net->in_branches = ARCH_BRANCHES;
    net->in_C = 2 * m->arch.in_channels;
    builder bd = {net, m, create, {{0}}, DSHAP_OK};
    builder *b = &bd;
    rng_seed(&b->rng, seed);
    const dshap_arch *a = &net->arch;
    int branch[ARCH_BRANCHES], last = 0;
    for (int br = 0; br < ARCH_BRANCHES; br++) branch[br] = build_branch(b, br, &last);
    int x = b_concat(b, "input_stream:concat", ARCH_BRANCHES, branch);
    last *= ARCH_BRANCHES;
    char p[160];
    for (int i = 0; i < a->blocks_main; i++) {
        int ch = i == a->blocks_main - 1 ? 48 : py_round_16(last * a->scale_main);
        if (ch > 128) ch = 128;
        x = layer_sgc(b, PATH(p, "main_stream.block-%d_scn_main", i), x, ch, a->graph_dist_main);
        /* ShapGCN registers every depth_main layer under the same name: only
         * the last survives, a Basic layer (stride_main only if depth_main == 1). */
        int stride = a->depth_main == 1 ? a->stride_main : 1;
        x = layer_tcn(b, TCN_BASIC, PATH(p, "main_stream.block-%d_tcn_main", i), x, a->temp_win_main, stride);
        x = layer_att(b, PATH(p, "main_stream.block-%d_att_main", i), x);
        last = ch;
    }
    b_module(b, x, "main_stream");
    x = b_reduce(b, OP_MEAN, "classifier.gap:tv", x, AX_T | AX_V, 0);
    x = b_person_mean(b, "classifier.gap", x);
    b_module(b, x, "classifier.gap");
    /* classifier.fc is a Conv3d (K, C, 1, 1, 1): a 1×1 conv on (N, C, 1, 1). */
    if (!b->st) {
        char name[64];
        int64_t wd[5] = {a->num_class, last, 1, 1, 1}, bdim = a->num_class;
        float *w = b_param(b, PATH(name, "classifier.fc.weight"), 5, wd);
        float *bb = b_param(b, PATH(name, "classifier.fc.bias"), 1, &bdim);
        node *nd = new_node(b, OP_CONV, "classifier.fc", 1, &x);
        if (nd) {
            nd->is_module = 1;
            nd->k = nd->stride = nd->groups = 1;
            nd->w = w;
            nd->b = bb;
            nd->C = a->num_class;
            nd->flops = 2.0 * a->num_class * last;
            x = idx(b, nd);
        }
    }
    net->out = x;
    if (!b->st) {
        for (int i = 0; i < m->n_params; i++)
            if (!m->params[i].used) {
                b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__,
                                   "%s: state_dict tensor '%s' is not part of the architecture (unknown layer?)",
                                   m->path ? m->path : "model", m->params[i].name);
                break;
            }
    }
    if (b->st) net_free(net);
    return b->st;
}

dshap_status net_build(dshap_net *net, dshap_model *m) {
    if (m->graph) return onnx_net_build(net, m); /* an imported general graph */
    return build(net, m, 0, 0);
}

dshap_status net_init_random(dshap_net *net, dshap_model *m, uint64_t seed) {
    TRY(build(net, m, 1, seed));
    dshap_status st = net_calibrate_bn(net, m, seed);
    if (st) net_free(net);
    return st;
}

dshap_status net_param_shapes(const dshap_arch *a, dshap_model *shapes) {
    memset(shapes, 0, sizeof *shapes);
    shapes->arch = *a;
    dshap_net net;
    dshap_status st = build(&net, shapes, 1, 0); /* the model's own size again, briefly */
    if (st) model_free(shapes);
    else net_free(&net);
    return st;
}

void net_free(dshap_net *net) {
    for (int i = 0; i < net->n_nodes; i++) {
        dshap_free(net->nodes[i].scale);
        dshap_free(net->nodes[i].shift);
        dshap_free(net->nodes[i].G);
        dshap_free(net->nodes[i].index);
        dshap_free(net->nodes[i].gather_index);
    }
    free(net->nodes);
    memset(net, 0, sizeof *net);
}

double net_flops(const dshap_net *net) {
    double f = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        f += nd->flops * (nd->per_person ? net->arch.num_persons : 1);
    }
    return f;
}
