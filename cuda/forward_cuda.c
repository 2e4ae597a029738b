#include "cuda/forward_cuda.h"

#include <string.h>

#include "core/mem.h"
#include "cuda/ops_cuda.h"
#include "engine/memplan.h"

static int64_t per_sample(const dshap_net *net, int i) {
    const node *nd = &net->nodes[i];
    return plan_round(node_rows(net, nd, 1) * node_size(nd));
}

void cuda_fwd_plan_free(cuda_fwd_plan *p) {
    dshap_free(p->keep);
    dshap_free(p->owner);
    dshap_free(p->kept_off);
    dshap_free(p->work_off);
    memset(p, 0, sizeof *p);
}

dshap_status cuda_fwd_plan_make(cuda_fwd_plan *p, const dshap_net *net, const unsigned char *keep) {
    memset(p, 0, sizeof *p);
    int nn = p->n_nodes = net->n_nodes;
    int64_t *start = NULL, *end = NULL, *size = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&p->keep, (size_t)nn, 1, "forward plan"));
    CHECK(dshap_calloc((void **)&p->owner, (size_t)nn, sizeof(int), "forward plan"));
    CHECK(dshap_calloc((void **)&p->kept_off, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&p->work_off, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&start, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&end, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&size, (size_t)nn, sizeof(int64_t), "forward plan"));
    for (int i = 0; i < nn; i++) {
        int o = i;
        while (net->nodes[o].op == OP_RESHAPE) o = net->nodes[o].in[0];
        p->owner[i] = o;
        end[i] = i;
    }
    for (int i = 0; i < nn; i++) /* a kept reshape keeps the storage it aliases */
        if (!keep || keep[i] || i == net->out) p->keep[p->owner[i]] = 1;
    for (int i = 0; i < nn; i++) /* last reader of each storage owner */
        for (int j = 0; j < net->nodes[i].n_in; j++) {
            int o = p->owner[net->nodes[i].in[j]];
            if (end[o] < i) end[o] = i;
        }
    for (int i = 0; i < nn; i++)
        if (p->owner[i] != i && end[p->owner[i]] < end[i]) end[p->owner[i]] = end[i];
    for (int i = 0; i < nn; i++) {
        p->kept_off[i] = p->work_off[i] = -1;
        start[i] = -1;
        if (p->owner[i] != i) continue;
        if (p->keep[i]) {
            p->kept_off[i] = p->kept_per_sample;
            p->kept_per_sample += per_sample(net, i);
        } else {
            start[i] = i;
            size[i] = per_sample(net, i);
        }
    }
    CHECK(plan_intervals(nn, start, end, size, p->work_off, &p->work_per_sample));
done:
    dshap_free(start);
    dshap_free(end);
    dshap_free(size);
    if (st) cuda_fwd_plan_free(p);
    return st;
}

dshap_status cuda_acts_alloc(cuda_acts *a, const dshap_net *net, const cuda_fwd_plan *p, int64_t n) {
    memset(a, 0, sizeof *a);
    a->n = n;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&a->y, (size_t)net->n_nodes, sizeof(float *), "activation table"));
    CHECK(cuda_alloc((void **)&a->arena, sizeof(float) * (size_t)(p->kept_per_sample * n), "activations"));
done:
    if (st) cuda_acts_free(a);
    return st;
}

void cuda_acts_free(cuda_acts *a) {
    cuda_release(a->arena);
    dshap_free(a->y);
    memset(a, 0, sizeof *a);
}

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

static dshap_status node_forward(const cuda_net *cn, cuda_acts *a, int i, const float *x, int64_t n, cuda_stream s) {
    const dshap_net *net = cn->net;
    const node *nd = &net->nodes[i];
    const cuda_params *pr = &cn->p[i];
    const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    float *y = a->y[i];
    const float *x0 = nd->n_in ? a->y[nd->in[0]] : NULL;
    const float *x1 = nd->n_in > 1 ? a->y[nd->in[1]] : NULL;
    int M = net->arch.num_persons;
    int B = (int)node_rows(net, nd, n);
    switch (nd->op) {
    case OP_INPUT: return input_forward_cuda(y, x, (int)n, nd->branch, nd->C, nd->T, nd->V, M, s);
    case OP_CONV:
        return conv_forward_cuda(y, x0, pr->w, pr->b, B, in->C, in->T, in->V, nd->C, nd->T, nd->k, nd->stride, nd->pad,
                                 nd->groups, s);
    case OP_AFFINE: return affine_forward_cuda(y, x0, pr->scale, pr->shift, B, nd->C, nd->T * nd->V, s);
    case OP_GRAPH: return graph_forward_cuda(y, x0, pr->G, B, nd->K, nd->C, nd->T, nd->V, s);
    case OP_ACT: return act_forward_cuda(y, x0, B * node_size(nd), nd->act, s);
    case OP_ADD: return add_forward_cuda(y, x0, x1, B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]]), s);
    case OP_MUL: return mul_forward_cuda(y, x0, x1, B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]]), s);
    case OP_MEAN: return mean_forward_cuda(y, x0, B, shp(in), nd->axes, s);
    case OP_MAX: return max_forward_cuda(y, x0, B, shp(in), nd->axes, s);
    case OP_CONCAT: {
        const float *parts[NODE_MAX_IN];
        int C[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) {
            parts[j] = a->y[nd->in[j]];
            C[j] = net->nodes[nd->in[j]].C;
        }
        return concat_forward_cuda(y, parts, C, nd->n_in, B, nd->T * nd->V, s);
    }
    case OP_SOFTMAX: return softmax_forward_cuda(y, x0, B, shp(nd), nd->axes, s);
    case OP_GATHER: return gather_forward_cuda(y, x0, pr->index, B, nd->C, nd->T, in->V, nd->V, s);
    case OP_PERSON_MEAN: return person_mean_forward_cuda(y, x0, (int)n, M, node_size(nd), s);
    case OP_RESHAPE: return DSHAP_OK; /* aliases its input */
    case OP_COUNT: break;
    }
    return DSHAP_OK;
}

dshap_status net_forward_cuda(const cuda_net *cn, const cuda_fwd_plan *p, cuda_acts *a, float *work, const float *x,
                              int64_t n, cuda_stream s) {
    const dshap_net *net = cn->net;
    if (n > a->n) FAIL(DSHAP_EINVAL, "internal: forward of %lld samples into room for %lld", (long long)n, (long long)a->n);
    a->n_used = n;
    for (int i = 0; i < net->n_nodes; i++) {
        int o = p->owner[i];
        if (o != i) a->y[i] = a->y[o];
        else if (p->keep[i]) a->y[i] = a->arena + p->kept_off[i] * n;
        else a->y[i] = work + p->work_off[i] * n;
    }
    for (int i = 0; i < net->n_nodes; i++) TRY(node_forward(cn, a, i, x, n, s));
    for (int i = 0; i < net->n_nodes; i++) /* what lived in the work arena is gone */
        if (!p->keep[p->owner[i]]) a->y[i] = NULL;
    return DSHAP_OK;
}
