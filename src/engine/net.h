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
    OP_RESHAPE,     /* same memory, new (C, T, V) (general graphs: new nd shape) */
    /* General graphs (imported models, src/onnx): per-sample tensors of any
     * rank, node.shape; C = numel, T = V = 1, per_person = 0 (see below). */
    OP_TRANSPOSE,   /* y = x.permute(perm) */
    OP_BINARY,      /* y = a ∘ b, ∘ = binop, numpy broadcasting; b may be a constant (kdata) */
    OP_MATMUL,      /* y = a @ b (numpy matmul broadcasting over leading axes); either may be a constant */
    OP_CONVND,      /* ONNX Conv, 1-D or 2-D: kernel, strides, dilations, pads, groups; w, b */
    OP_REDUCE,      /* sum or mean (reduce) over the axes in axes_nd, kept as size-1 axes */
    OP_POOL,        /* ONNX AveragePool / MaxPool (pool = 0 avg, 1 max), 1-D or 2-D, count_include_pad */
    OP_SLICE,       /* y = x[starts:ends:steps] per axis (normalised, steps > 0) */
    OP_PAD,         /* constant padding (value pad_value), pads as ONNX (begins then ends) */
    OP_CONCAT_ND,   /* concatenation of n_in inputs along `axis` */
    OP_GATHER_ND,   /* y = take(x, index, axis): constant int indices (gather_n of them) */
    OP_SOFTMAX_ND,  /* softmax along `axis` */
    OP_CHANNEL_AFFINE, /* y = x·scale[c] + shift[c], c = index along axis 0 (BatchNormalization) */
    OP_COUNT
} op_kind;

/* Binary operations of OP_BINARY. */
typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binop_kind;

enum { AX_C = 1, AX_T = 2, AX_V = 4 };

#define NODE_MAX_IN 4
#define NODE_MAX_RANK 8

/* A per-sample tensor shape (the batch axis is not part of it). */
typedef struct {
    int rank;
    int64_t d[NODE_MAX_RANK];
} nd_shape;

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
    /* --- general graphs (rank > 0); legacy nodes have shape.rank 0 --- */
    nd_shape shape;       /* per-sample output shape; C = numel, T = V = 1 */
    int axis;             /* concat / gather / softmax axis (of the input) */
    int perm[NODE_MAX_RANK];           /* transpose */
    int64_t starts[NODE_MAX_RANK], ends[NODE_MAX_RANK], steps[NODE_MAX_RANK]; /* slice, per axis */
    int64_t pads[2 * NODE_MAX_RANK];   /* pad (begins, then ends), conv / pool (spatial axes) */
    int nsp;              /* conv / pool: spatial axes (1 or 2) */
    int kernel[2], strides[2], dilations[2];
    int pool;             /* 0 average, 1 max */
    int count_include_pad;
    float pad_value;
    int binop;            /* binop_kind */
    const float *kdata;   /* constant operand of a binary op or matmul (model tensor) */
    nd_shape kshape;      /* its shape */
    int k_first;          /* the constant is the left operand (k ∘ x, k @ x) */
    int reduce;           /* OP_REDUCE: 0 sum, 1 mean */
    int axes_nd[NODE_MAX_RANK], n_axes;
    int64_t *gather_index;/* OP_GATHER_ND: (gather_n), normalised to >= 0, owned */
    int64_t gather_n;
    float alpha, beta;    /* activation parameters (act.h: leaky slope, elu alpha, clip bounds, ...) */
    const float *slope;   /* PRelu: per-channel slopes (shape[0] of them) or one */
    int64_t slope_n;
} node;

typedef struct {
    dshap_arch arch;      /* layout, T, M, num_class (imported graphs: only these are meaningful) */
    int n_nodes, cap_nodes;
    node *nodes;
    int out;              /* index of the logits node (N, K, 1, 1) */
    /* The model input per sample: (in_branches, in_C, T, V, M). ShapGCN
     * builds: 4 branches (J, V, B, A) of 2C feature channels. Imported
     * graphs: as declared, e.g. 1 × C raw joint coordinates (data.h5 /x). */
    int in_branches, in_C;
    int general;          /* built from a general (imported) graph */
} dshap_net;

/* Floats of one sample of the model input. */
static inline int64_t net_input_floats(const dshap_net *net) {
    return (int64_t)net->in_branches * net->in_C * net->arch.num_frames * net->arch.layout->V * net->arch.num_persons;
}

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
