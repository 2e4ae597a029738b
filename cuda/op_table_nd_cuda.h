/* The CUDA op table's entries of the general-graph ops (op_table_cuda.c):
 * adapters from a node to the kernels of ops_nd_cuda.h, the node's
 * parameters from cuda_params.nd. */
#ifndef DSHAP_OP_TABLE_ND_CUDA_H
#define DSHAP_OP_TABLE_ND_CUDA_H

#include "engine/walk.h"

dshap_status transpose_nd_fwd(const fwd_call *c);
dshap_status binary_nd_fwd(const fwd_call *c);
dshap_status matmul_nd_fwd(const fwd_call *c);
dshap_status convnd_nd_fwd(const fwd_call *c);
dshap_status reduce_nd_fwd(const fwd_call *c);
dshap_status pool_nd_fwd(const fwd_call *c);
dshap_status slice_nd_fwd(const fwd_call *c);
dshap_status pad_nd_fwd(const fwd_call *c);
dshap_status concat_nd_fwd(const fwd_call *c);
dshap_status gather_nd_fwd(const fwd_call *c);
dshap_status softmax_nd_fwd(const fwd_call *c);
dshap_status channel_affine_nd_fwd(const fwd_call *c);
dshap_status act_nd_fwd(const fwd_call *c); /* the imported-graph kinds (act.h ACT_ND_FIRST on) */

dshap_status transpose_nd_bwd(const bwd_call *c);
dshap_status binary_nd_bwd(const bwd_call *c); /* linear ones: the transpose; else the rules */
dshap_status matmul_nd_bwd(const bwd_call *c);
dshap_status convnd_nd_bwd(const bwd_call *c);
dshap_status reduce_nd_bwd(const bwd_call *c);
dshap_status pool_nd_bwd(const bwd_call *c); /* average: the transpose; max: the rules */
dshap_status slice_nd_bwd(const bwd_call *c);
dshap_status pad_nd_bwd(const bwd_call *c);
dshap_status concat_nd_bwd(const bwd_call *c);
dshap_status gather_nd_bwd(const bwd_call *c);
dshap_status softmax_nd_bwd(const bwd_call *c);
dshap_status channel_affine_nd_bwd(const bwd_call *c);
dshap_status act_nd_bwd(const bwd_call *c);

/* What the general-graph entries cannot run yet (one line naming the node), checked at engine creation. */
dshap_status cuda_nd_check(const dshap_net *net);

#endif
