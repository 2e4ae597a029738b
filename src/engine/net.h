/* The network as a flat list of primitive nodes (DESIGN.md), built once from
 * the architecture record and the state_dict. Nodes only read earlier nodes,
 * so the list order is a valid execution order. */
#ifndef DSHAP_NET_H
#define DSHAP_NET_H

#include <stdint.h>

#include "engine/model.h"

typedef enum {
    OP_INPUT,       /* branch slice of the model input: (N,4,2C,T,V,M) → (N·M, 2C, T, V) */
    OP_CONV,        /* Conv2d with kernel (k,1), stride (s,1), padding (p,0), groups g, optional bias */
    OP_AFFINE,      /* eval-mode BatchNorm folded: y = x·scale[c] + shift[c] */
    OP_GRAPH,       /* SGC aggregation (B, K·C, T, V) → (B, C, T, V): y = Σ_k x_k · G_k, G = A ⊙ E */
    OP_ACT,         /* elementwise activation */
    OP_ADD,         /* a + b, each broadcast over its size-1 axes */
    OP_MUL,         /* a ⊙ b, each broadcast over its size-1 axes (attention gates) */
    OP_MEAN,        /* mean over `axes`, kept as size-1 axes */
    OP_MAX,         /* max over `axes` (frame attention) */
    OP_CONCAT,      /* channel concatenation of n_in inputs */
    OP_SOFTMAX,     /* softmax along one axis */
    OP_GATHER,      /* y[.., v] = x[.., index[v]] along the joint axis (part → joint) */
    OP_PERSON_MEAN, /* (N·M, C, T, V) → (N, C, T, V) */
    OP_RESHAPE,     /* same memory, new (C, T, V) */
    OP_COUNT
} op_kind;

enum { AX_C = 1, AX_T = 2, AX_V = 4 };

#define NODE_MAX_IN 4

typedef struct {
    op_kind op;
    int n_in;
    int in[NODE_MAX_IN];
    int C, T, V;          /* output shape per row */
    int per_person;       /* rows are N·M (1) or N (0) */
    char name[160];       /* PyTorch module path whose output this is, or path:detail */
    int is_module;        /* output equals the named PyTorch module's output */
    char params[160];     /* state_dict prefix of its tensors (conv, BN, SGC) */
    /* conv */
    int k, stride, pad, groups;
    const float *w;       /* (Cout, Cin/groups, k) */
    const float *b;       /* (Cout) or NULL */
    /* affine */
    float *scale, *shift; /* (C), owned */
    /* graph */
    int K;
    float *G;             /* (K, Vin, V), owned */
    /* act */
    int act;              /* act_kind */
    /* mean / max / softmax */
    int axes;             /* AX_* bits; softmax uses one */
    /* gather */
    int *index;           /* (V), owned */
    /* input */
    int branch;
    /* nonlinear in the `shap` rule set: an nn.Module with a shap handler */
    int shap_module;
    double flops;         /* multiply-adds ×2 per output row, for reports */
} node;

typedef struct {
    dshap_arch arch;
    int n_nodes, cap_nodes;
    node *nodes;
    int out;              /* index of the logits node (N, K, 1, 1) */
} dshap_net;

/* Build from a loaded model (every state_dict tensor must be used). */
dshap_status net_build(dshap_net *net, dshap_model *m);
/* Create random weights for m->arch (model init) and build. */
dshap_status net_init_random(dshap_net *net, dshap_model *m, uint64_t seed);
/* The tensors m->arch needs, as a model of (random) tensors with their
 * shapes: what a loaded state_dict is checked against before it is read. */
dshap_status net_param_shapes(const dshap_arch *a, dshap_model *shapes);
void net_free(dshap_net *net);

/* Rows of a node's output for a batch of n samples. */
static inline int64_t node_rows(const dshap_net *net, const node *nd, int64_t n) {
    return nd->per_person ? n * net->arch.num_persons : n;
}
static inline int64_t node_size(const node *nd) { return (int64_t)nd->C * nd->T * nd->V; }

const char *op_name(op_kind op);
/* Forward FLOPs per sample (2 per multiply-add). */
double net_flops(const dshap_net *net);

#endif
