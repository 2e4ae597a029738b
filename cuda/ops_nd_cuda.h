/* CUDA twins of the general-graph kernels (cpu/ops_nd.h forward,
 * cpu/backward_nd.h linear backward, cpu/deeplift_nd.h rules): the CPU's
 * arguments, plus the node's parameter arrays on the device (the node
 * itself stays on the host: its shapes and scalars set up the launches),
 * then the stream. Tensors, pair_rows' row maps and the parameters are
 * device memory; everything is stream-ordered and asynchronous. acc as in
 * backward_cuda.h (0 overwrites all of m_x, 1 adds). Each returns a status
 * (launch and cuBLAS errors; out of host memory for the matmul geometry).
 *
 * Every element is computed by one thread in the CPU's order (elem_nd.h),
 * so results are deterministic and, but for the GEMMs (cuBLAS's summation
 * order), the CPU's bit for bit up to device libm in the transcendental
 * activations. matmul and conv run cuBLAS GEMMs batched over the rows;
 * conv's im2col columns and the matmul rules' midpoint operand live in the
 * stream's scratch (cuda/exec.h), at least nd_scratch_floats_cuda of it,
 * more rows per GEMM when there is more. */
#ifndef DSHAP_OPS_ND_CUDA_H
#define DSHAP_OPS_ND_CUDA_H

#include <stdint.h>

#include "cpu/deeplift_cpu.h"
#include "cuda/device.h"
#include "engine/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device copies of a node's arrays (NULL where it has none): kdata (the
 * constant operand), w, b (conv), scale, shift (channel affine), slope
 * (PRelu), gather_index. */
typedef struct {
    const float *kdata, *w, *b, *scale, *shift, *slope;
    const int64_t *gather_index;
} nd_params_dev;

typedef dshap_status (*nd_forward_cuda_fn)(float *y, const float *const *x, const nd_shape *sx, const node *nd,
                                           const nd_params_dev *p, int64_t B, cuda_stream s);
typedef dshap_status (*nd_backward_cuda_fn)(float *m_x, const float *m_y, int which, const nd_shape *sx,
                                            const node *nd, const nd_params_dev *p, int64_t B, int acc,
                                            cuda_stream s);
typedef dshap_status (*nd_deeplift_cuda_fn)(float *m_x, const float *m_y, int which, const float *const *x_i,
                                            const float *const *x_r, const float *y_i, const float *y_r,
                                            const nd_shape *sx, const node *nd, const nd_params_dev *p,
                                            pair_rows rows, rule_kind rule, int acc, cuda_stream s);

/* Scratch floats the node's kernels need for one row (0: none). */
int64_t nd_scratch_floats_cuda(const nd_shape *sx, const node *nd);

#define ND_FWD(name)                                                                                              \
    dshap_status name##_forward_nd_cuda(float *y, const float *const *x, const nd_shape *sx, const node *nd,      \
                                        const nd_params_dev *p, int64_t B, cuda_stream s)
#define ND_BWD(name)                                                                                              \
    dshap_status name##_backward_nd_cuda(float *m_x, const float *m_y, int which, const nd_shape *sx,             \
                                         const node *nd, const nd_params_dev *p, int64_t B, int acc, cuda_stream s)
#define ND_RULE(name)                                                                                             \
    dshap_status name##_deeplift_nd_cuda(float *m_x, const float *m_y, int which, const float *const *x_i,        \
                                         const float *const *x_r, const float *y_i, const float *y_r,             \
                                         const nd_shape *sx, const node *nd, const nd_params_dev *p,              \
                                         pair_rows rows, rule_kind rule, int acc, cuda_stream s)

ND_FWD(transpose);
ND_FWD(binary);
ND_FWD(matmul);
ND_FWD(convnd);
ND_FWD(reduce);
ND_FWD(pool);
ND_FWD(slice);
ND_FWD(pad);
ND_FWD(concat);
ND_FWD(gather);
ND_FWD(softmax);
ND_FWD(channel_affine);
ND_FWD(act); /* every act kind: the ShapGCN ones through act_forward_cuda */

ND_BWD(transpose);
ND_BWD(binary); /* nd_binary_linear ones */
ND_BWD(matmul); /* with a constant operand */
ND_BWD(convnd);
ND_BWD(reduce);
ND_BWD(pool); /* average */
ND_BWD(slice);
ND_BWD(pad);
ND_BWD(concat);
ND_BWD(gather);
ND_BWD(channel_affine);

ND_RULE(act);
ND_RULE(binary); /* mul / div that are not nd_binary_linear */
ND_RULE(matmul); /* two activations */
ND_RULE(pool);   /* max */
ND_RULE(softmax);

#ifdef __cplusplus
}
#endif
#endif
