#include "engine/forward.h"

#include <string.h>

#include "core/mem.h"
#include "cpu/ops_cpu.h"

static int aliases_input(const node *nd) { return nd->op == OP_RESHAPE; }

int64_t acts_bytes_per_sample(const dshap_net *net) {
    int64_t f = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (!aliases_input(nd)) f += node_rows(net, nd, 1) * node_size(nd);
    }
    return f * (int64_t)sizeof(float);
}

dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n) {
    memset(a, 0, sizeof *a);
    a->n = n;
    a->floats = acts_bytes_per_sample(net) / (int64_t)sizeof(float) * n;
    TRY(dshap_calloc((void **)&a->y, (size_t)net->n_nodes, sizeof(float *), "activation table"));
    dshap_status st = dshap_alloc_floats(&a->arena, (size_t)a->floats, "activations");
    if (st) {
        dshap_free(a->y);
        return st;
    }
    int64_t off = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (aliases_input(nd)) {
            a->y[i] = a->y[nd->in[0]];
        } else {
            a->y[i] = a->arena + off;
            off += node_rows(net, nd, n) * node_size(nd);
        }
    }
    return DSHAP_OK;
}

void acts_free(net_acts *a) {
    dshap_free(a->arena);
    dshap_free(a->y);
    memset(a, 0, sizeof *a);
}

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x) {
    int64_t n = a->n;
    int M = net->arch.num_persons;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
        float *y = a->y[i];
        const float *x0 = nd->n_in ? a->y[nd->in[0]] : NULL;
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
        case OP_ADD: add_forward_cpu(y, x0, a->y[nd->in[1]], B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]])); break;
        case OP_MUL: mul_forward_cpu(y, x0, a->y[nd->in[1]], B, shp(nd), shp(in), shp(&net->nodes[nd->in[1]])); break;
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
        default: FAIL(DSHAP_EINVAL, "internal: node '%s' has unknown kind %d", nd->name, nd->op);
        }
    }
    return DSHAP_OK;
}
