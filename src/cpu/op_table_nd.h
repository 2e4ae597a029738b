/* The CPU op table's entries for the general-graph ops (engine/net.h,
 * OP_TRANSPOSE to OP_CHANNEL_AFFINE, and OP_ACT of a general graph):
 * adapters from a node to the kernels of ops_nd.h, backward_nd.h and
 * deeplift_nd.h. Linear ops (and OP_BINARY / OP_MATMUL that are
 * nd_binary_linear, average pooling) take the transpose of the forward map
 * under every rule set; products and quotients of activations, max pooling,
 * softmax and the activations take deeplift_nd.h's rule for bwd_call.rule. */
#ifndef DSHAP_OP_TABLE_ND_H
#define DSHAP_OP_TABLE_ND_H

#include "engine/walk.h"

dshap_status transpose_fwd_nd(const fwd_call *c);
dshap_status binary_fwd_nd(const fwd_call *c);
dshap_status matmul_fwd_nd(const fwd_call *c);
dshap_status convnd_fwd_nd(const fwd_call *c);
dshap_status reduce_fwd_nd(const fwd_call *c);
dshap_status pool_fwd_nd(const fwd_call *c);
dshap_status slice_fwd_nd(const fwd_call *c);
dshap_status pad_fwd_nd(const fwd_call *c);
dshap_status concat_fwd_nd(const fwd_call *c);
dshap_status gather_fwd_nd(const fwd_call *c);
dshap_status softmax_fwd_nd(const fwd_call *c);
dshap_status channel_affine_fwd_nd(const fwd_call *c);
dshap_status act_fwd_nd(const fwd_call *c);

dshap_status transpose_bwd_nd(const bwd_call *c);
dshap_status binary_bwd_nd(const bwd_call *c);
dshap_status matmul_bwd_nd(const bwd_call *c);
dshap_status convnd_bwd_nd(const bwd_call *c);
dshap_status reduce_bwd_nd(const bwd_call *c);
dshap_status pool_bwd_nd(const bwd_call *c);
dshap_status slice_bwd_nd(const bwd_call *c);
dshap_status pad_bwd_nd(const bwd_call *c);
dshap_status concat_bwd_nd(const bwd_call *c);
dshap_status gather_bwd_nd(const bwd_call *c);
dshap_status softmax_bwd_nd(const bwd_call *c);
dshap_status channel_affine_bwd_nd(const bwd_call *c);
dshap_status act_bwd_nd(const bwd_call *c);

#endif
