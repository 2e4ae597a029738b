#include "cuda/net_cuda.h"

#include <string.h>

#include "core/mem.h"
#include "cpu/nd_index.h"
#include "cuda/exec.h"

#define N_PARAMS 10
#define ND_MIN_SCRATCH_FLOATS ((int64_t)16 << 20) /* 64 MiB */

/* Sizes in bytes of a node's tensors, in the order they are laid out:
 * w, b, scale, shift, G, index, w_fold, kdata, slope, gather_index. */
static void param_sizes(const dshap_net *net, int i, int64_t sz[N_PARAMS]) {
    const node *nd = &net->nodes[i];
    memset(sz, 0, sizeof(int64_t) * N_PARAMS);
    switch (nd->op) {
    case OP_CONV: {
        int cin = net->nodes[nd->in[0]].C;
        sz[0] = (int64_t)nd->C * (cin / nd->groups) * nd->k * 4;
        if (nd->b) sz[1] = (int64_t)nd->C * 4;
        if (conv_fold_target(net, i) >= 0) sz[6] = sz[0];
        break;
    }
    case OP_AFFINE: sz[2] = sz[3] = (int64_t)nd->C * 4; break;
    case OP_GRAPH: sz[4] = (int64_t)nd->K * net->nodes[nd->in[0]].V * nd->V * 4; break;
    case OP_GATHER: sz[5] = (int64_t)nd->V * 4; break;
    case OP_BINARY:
    case OP_MATMUL:
        if (nd->kdata) sz[7] = nd_numel(&nd->kshape) * 4;
        break;
    case OP_CONVND: {
        /* channels at nd->axis: a merged leading axis (engine/nd_lead.h) comes first */
        int a = nd->axis;
        int64_t cin = net->nodes[nd->in[0]].shape.d[a], taps = (int64_t)nd->kernel[0] * (nd->nsp == 2 ? nd->kernel[1] : 1);
        sz[0] = nd->shape.d[a] * (cin / nd->groups) * taps * 4;
        if (nd->b) sz[1] = nd->shape.d[a] * 4;
        break;
    }
    case OP_CHANNEL_AFFINE: sz[2] = sz[3] = net->nodes[nd->in[0]].shape.d[nd->axis] * 4; break;
    case OP_ACT:
        if (nd->slope) sz[8] = nd->slope_n * 4;
        break;
    case OP_GATHER_ND: sz[9] = nd->gather_n * 8; break;
    default: break;
    }
}

static int64_t align256(int64_t b) { return (b + 255) / 256 * 256; }

int64_t cuda_net_bytes(const dshap_net *net) {
    int64_t total = 0, sz[N_PARAMS];
    for (int i = 0; i < net->n_nodes; i++) {
        param_sizes(net, i, sz);
        for (int j = 0; j < N_PARAMS; j++) total += align256(sz[j]);
    }
    return total;
}


int64_t cuda_net_scratch_floats(const dshap_net *net) {
    int64_t mx = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        const node *in = &net->nodes[nd->in[0]];
        int64_t f = 0;
        if (nd->op == OP_CONV) {
            f = conv_scratch_floats(in->C, nd->V, nd->C, nd->T, nd->k, nd->stride, nd->groups);
        } else if (nd->op >= OP_TRANSPOSE && nd->n_in > 0) {
            nd_shape sx[NODE_MAX_IN];
            for (int j = 0; j < nd->n_in; j++) sx[j] = net->nodes[nd->in[j]].shape;
            f = nd_scratch_floats_cuda(sx, nd);
            if (f > 0 && f < ND_MIN_SCRATCH_FLOATS) f = ND_MIN_SCRATCH_FLOATS / f * f;
        }
        if (f > mx) mx = f;
    }
    return mx;
}

dshap_status cuda_net_upload(cuda_net *cn, const dshap_net *net, cuda_stream s) {
    memset(cn, 0, sizeof *cn);
    cn->net = net;
    cn->bytes = cuda_net_bytes(net);
    dshap_status st = DSHAP_OK;
    float *folded = NULL;
    CHECK(dshap_calloc((void **)&cn->p, (size_t)net->n_nodes, sizeof(cuda_params), "device parameter table"));
    CHECK(cuda_alloc(&cn->arena, (size_t)cn->bytes, "network parameters"));
    char *at = cn->arena;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        int64_t sz[N_PARAMS];
        param_sizes(net, i, sz);
        if (sz[6]) CHECK(conv_fold_weights(net, i, &folded));
        const void *src[N_PARAMS] = {nd->w,  nd->b,    nd->scale, nd->shift, nd->G, nd->index,
                                     folded, nd->kdata, nd->slope, nd->gather_index};
        void *dst[N_PARAMS] = {0};
        for (int j = 0; j < N_PARAMS; j++) {
            if (!sz[j]) continue;
            dst[j] = at;
            CHECK(cuda_upload(at, src[j], (size_t)sz[j], s));
            at += align256(sz[j]);
        }
        CHECK(cuda_stream_sync(s)); /* the host tensors (and the folded copy) may be freed after this */
        dshap_free(folded);
        folded = NULL;
        cn->p[i] = (cuda_params){dst[0], dst[1], dst[6], dst[2], dst[3], dst[4], dst[5],
                                 {dst[7], dst[0], dst[1], dst[2], dst[3], dst[8], dst[9]}};
    }
done:
    dshap_free(folded);
    if (st) cuda_net_free(cn);
    return st;
}

void cuda_net_free(cuda_net *cn) {
    cuda_release(cn->arena);
    dshap_free(cn->p);
    memset(cn, 0, sizeof *cn);
}
