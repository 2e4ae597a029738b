/* Backward kernels of the linear general-graph ops (the ordinary chain rule,
 * the transpose of the forward map, which every rule set uses for them):
 * transpose, OP_BINARY add/sub and mul/div by a constant, OP_MATMUL with a
 * constant, conv, reduce, average pool, slice, pad, concat, gather, channel
 * affine. One signature: m_x (B, sx[which]), the multiplier of input
 * `which`, from m_y (B, nd->shape); acc: += into m_x, else overwrite
 * (backward_cpu.h). Deterministic: every m_x row is written by one thread
 * in a fixed order. Return 0, or -1 when out of memory. */
#ifndef DSHAP_BACKWARD_ND_H
#define DSHAP_BACKWARD_ND_H

#include <stdint.h>

#include "cpu/ops_nd.h"
#include "engine/net.h"

typedef int (*nd_backward_fn)(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                              int acc);

int transpose_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
/* add, sub; mul by a constant; div with a constant divisor (nd_binary_linear) */
int binary_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
/* with a constant operand (nd->kdata) */
int matmul_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int convnd_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int reduce_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
/* average pool only (max: pool_deeplift_nd) */
int pool_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int slice_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int pad_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int concat_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int gather_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc);
int channel_affine_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                               int acc);

/* OP_BINARY / OP_MATMUL that are linear in their activations (the rest
 * take deeplift_nd.h's rules): add, sub, product with a constant, division
 * by a constant. */
int nd_binary_linear(const node *nd);

/* Shared with deeplift_nd.c: one sample row of the matmul backward,
 * m_a (n × kk per matrix, broadcast) += m_y · bᵀ and m_b += aᵀ · m_y, over
 * every output matrix of g in order (single-threaded sgemm calls). */
void matmul_grad_a(float *m_a, const float *m_y, const float *b, const matmul_geom *g);
void matmul_grad_b(float *m_b, const float *a, const float *m_y, const matmul_geom *g);

#endif
