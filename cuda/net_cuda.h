/* The network's parameters on the device: per node, device copies of the
 * tensors the node list holds on the host (conv weights and bias, folded BN,
 * the graph's G = A ⊙ E, gather indices; the general-graph ops' constant
 * operands, PRelu slopes, N-D conv weights, BatchNorm scale and shift,
 * gather indices), carved out of one allocation. */
#ifndef DSHAP_NET_CUDA_H
#define DSHAP_NET_CUDA_H

#include "cuda/device.h"
#include "cuda/ops_nd_cuda.h"
#include "engine/dl_plan.h"
#include "engine/net.h"

typedef struct {
    const float *w, *b;         /* conv (Cout, Cin/groups, k), (Cout) */
    const float *w_fold;        /* conv followed only by a BN: w scaled by the BN's scale per output channel */
    const float *scale, *shift; /* affine (C) */
    const float *G;             /* graph (K, V, V) */
    const int *index;           /* gather (V) */
    nd_params_dev nd;           /* the general-graph ops' arrays (kdata, slope, gather_index; w, b, scale, shift as above) */
} cuda_params;

typedef struct {
    const dshap_net *net;
    cuda_params *p; /* (n_nodes), host array of device pointers */
    void *arena;
    int64_t bytes;
} cuda_net;

/* Bytes the upload will take (for the memory check before allocating). */
int64_t cuda_net_bytes(const dshap_net *net);
dshap_status cuda_net_upload(cuda_net *cn, const dshap_net *net, cuda_stream s);
void cuda_net_free(cuda_net *cn);
/* Largest scratch need over the nodes: conv_scratch_floats() of the
 * convolutions, nd_scratch_floats_cuda() of the general-graph ops (at least
 * one row, more rows per GEMM up to 64 MiB). */
int64_t cuda_net_scratch_floats(const dshap_net *net);

#endif
