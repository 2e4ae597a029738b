/* The CUDA backend as the graph walkers (engine/walk.h) see it: per op
 * kind, adapters from a node to the kernels of ops_cuda.h, backward_cuda.h
 * and deeplift_cuda.h (twin of cpu/op_table_cpu.c). Both phases' context
 * (fwd_call.be, bwd_call.be) is a cuda_ctx. */
#ifndef DSHAP_OP_TABLE_CUDA_H
#define DSHAP_OP_TABLE_CUDA_H

#include "cuda/net_cuda.h"
#include "engine/walk.h"

typedef struct {
    const cuda_net *cn; /* the node parameters on the device */
    cuda_stream s;
} cuda_ctx;

extern const op_impl cuda_op_table[OP_COUNT];
extern const backend_impl cuda_backend;

#endif
