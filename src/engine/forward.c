#include "engine/forward.h"

#include <string.h>

#include "core/mem.h"
#include "cpu/ops_cpu.h"

static int aliases_input(const node *nd) { return nd->op == OP_RESHAPE; }

static int owner_of(const dshap_net *net, int i) {
    while (aliases_input(&net->nodes[i])) i = net->nodes[i].in[0];
    return i;
}

static int kept(const dshap_net *net, const unsigned char *keep, int i) {
    return !keep || keep[i] || i == net->out;
}

int64_t acts_bytes_per_sample(const dshap_net *net, const unsigned char *keep) {
    int64_t f = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (!aliases_input(nd) && kept(net, keep, i)) f += node_rows(net, nd, 1) * node_size(nd);
    }
    return f * (int64_t)sizeof(float);
}

dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n, const unsigned char *keep) {
    cpu_backend_init(); /* idempotent; results must not depend on BLAS threads */
    memset(a, 0, sizeof *a);
    a->n = n;
    int nn = net->n_nodes;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&a->y, (size_t)nn, sizeof(float *), "activation table"));
    CHECK(dshap_calloc((void **)&a->keep, (size_t)nn, 1, "activation table"));
    CHECK(dshap_calloc((void **)&a->owner, (size_t)nn, sizeof(int), "activation table"));
    CHECK(dshap_calloc((void **)&a->last_use, (size_t)nn, sizeof(int), "activation table"));
    for (int i = 0; i < nn; i++) {
        a->owner[i] = owner_of(net, i);
        a->last_use[i] = i;
    }
    /* A kept reshape keeps the storage it aliases. */
    for (int i = 0; i < nn; i++)
        if (kept(net, keep, i)) a->keep[a->owner[i]] = 1;
    for (int i = 0; i < nn; i++)
        for (int j = 0; j < net->nodes[i].n_in; j++) {
            int o = a->owner[net->nodes[i].in[j]];
            if (a->last_use[o] < i) a->last_use[o] = i;
        }
    for (int i = 0; i < nn; i++) /* a reshape's readers keep its owner alive */
        if (a->owner[i] != i && a->last_use[a->owner[i]] < a->last_use[i]) a->last_use[a->owner[i]] = a->last_use[i];
    a->floats = acts_bytes_per_sample(net, a->keep) / (int64_t)sizeof(float) * n;
    CHECK(dshap_alloc_floats(&a->arena, (size_t)a->floats, "activations"));
    int64_t off = 0;
    for (int i = 0; i < nn; i++) {
        const node *nd = &net->nodes[i];
        if (a->owner[i] == i && a->keep[i]) {
            a->y[i] = a->arena + off;
            off += node_rows(net, nd, n) * node_size(nd);
        }
    }
    for (int i = 0; i < nn; i++)
        if (a->owner[i] != i) a->y[i] = a->y[a->owner[i]];
done:
    if (st) acts_free(a);
    return st;
}

void acts_free(net_acts *a) {
    dshap_free(a->arena);
    dshap_free(a->y);
    dshap_free(a->keep);
    dshap_free(a->owner);
    dshap_free(a->last_use);
    pool_free(&a->pool);
    memset(a, 0, sizeof *a);
}

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

static void node_forward(const dshap_net *net, net_acts *a, int i, const float *x, int64_t n) {
    const node *nd = &net->nodes[i];
    const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    float *y = a->y[i];
    const float *x0 = nd->n_in ? a->y[nd->in[0]] : NULL;
    const float *x1 = nd->n_in > 1 ? a->y[nd->in[1]] : NULL;
    int M = net->arch.num_persons;
    int B = (int)node_rows(net, nd, n);
    switch (nd->op) {
    case OP_INPUT: input_forward_cpu(y, x, (int)n, nd->branch, nd->C, nd->T, nd->V, M); break;
    case OP_CONV:
        conv_forward_cpu(y, x0, nd->w, nd->b, B, in->C, in->T, in->V, nd->C, nd->T, nd->k, nd->stride, nd->pad,
                         nd->groups);
        break;
    case OP_AFFINE: affine_forward_cpu(y, x0, nd->scale, nd->shift, B, nd->C, nd->T * nd->V); break;
    case OP_GRAPH: graph_forward_cpu(y, x0, nd->G, B, nd->K, nd->C, nd->T, nd->V); break;
    case OP_ACT: act_forward_cpu(y, x0, B * node_size(nd), nd->act); break;
    case OP_ADD: add_forward_cpu(y, x0, x1, B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]])); break;
    case OP_MUL: mul_forward_cpu(y, x0, x1, B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]])); break;
    case OP_MEAN: mean_forward_cpu(y, x0, B, shp(in), nd->axes); break;
    case OP_MAX: max_forward_cpu(y, x0, B, shp(in), nd->axes); break;
    case OP_CONCAT: {
        const float *parts[NODE_MAX_IN];
        int C[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) {
            parts[j] = a->y[nd->in[j]];
            C[j] = net->nodes[nd->in[j]].C;
        }
        concat_forward_cpu(y, parts, C, nd->n_in, B, nd->T * nd->V);
        break;
    }
    case OP_SOFTMAX: softmax_forward_cpu(y, x0, B, shp(nd), nd->axes); break;
    case OP_GATHER: gather_forward_cpu(y, x0, nd->index, B, nd->C, nd->T, in->V, nd->V); break;
    case OP_PERSON_MEAN: person_mean_forward_cpu(y, x0, (int)n, M, node_size(nd)); break;
    case OP_RESHAPE: break; /* aliases its input */
    case OP_COUNT: break;
    }
}

dshap_status net_forward_node_cpu(const dshap_net *net, net_acts *a, int i, const float *x, int64_t n) {
    if (!a->y[i]) FAIL(DSHAP_EINVAL, "internal: node %d has no storage (single-node forward needs keep-all)", i);
    node_forward(net, a, i, x, n);
    return DSHAP_OK;
}

dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x, int64_t n) {
    if (n > a->n) FAIL(DSHAP_EINVAL, "internal: forward of %lld samples into room for %lld", (long long)n, (long long)a->n);
    a->n_used = n;
    int nn = net->n_nodes;
    for (int i = 0; i < nn; i++) {
        const node *nd = &net->nodes[i];
        if (a->owner[i] != i) {
            a->y[i] = a->y[a->owner[i]];
        } else if (!a->keep[i]) {
            TRY(pool_get(&a->pool, node_rows(net, nd, n) * node_size(nd), 0, &a->y[i]));
        }
        node_forward(net, a, i, x, n);
        /* Release storage whose last reader has run. */
        for (int j = 0; j < nd->n_in; j++) {
            int o = a->owner[nd->in[j]];
            if (!a->keep[o] && a->last_use[o] == i && a->y[o]) {
                pool_put(&a->pool, a->y[o]);
                for (int k = 0; k <= i; k++)
                    if (a->owner[k] == o) a->y[k] = NULL;
            }
        }
    }
    return DSHAP_OK;
}
