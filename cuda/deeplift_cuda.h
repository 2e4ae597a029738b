/* CUDA twins of the DeepLIFT rules (cpu/deeplift_cpu.h): the same arguments
 * (pair_rows holds DEVICE row maps here), then acc (backward_cuda.h: 0
 * overwrites all of m_x, 1 accumulates), then the stream. Each rule is one
 * fused pass: the rule's slope and the chain product in one kernel. */
#ifndef DSHAP_DEEPLIFT_CUDA_H
#define DSHAP_DEEPLIFT_CUDA_H

#include <stdint.h>

#include "cpu/deeplift_cpu.h"
#include "cuda/device.h"

#ifdef __cplusplus
extern "C" {
#endif

dshap_status act_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows,
                               int64_t S, int act, rule_kind rule, int acc, cuda_stream s);
dshap_status softmax_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                                   const float *y_r, pair_rows rows, shape3 sh, int axis, rule_kind rule, int acc,
                                   cuda_stream s);
dshap_status max_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                               const float *y_r, pair_rows rows, shape3 sx, int axes, rule_kind rule, int acc,
                               cuda_stream s);
/* two flags: m_a and m_b are separate buffers (or the same one, then the
 * caller passes acc_b = 1) */
dshap_status mul_deeplift_cuda(float *m_a, float *m_b, const float *m_z, const float *a_i, const float *a_r,
                               const float *b_i, const float *b_r, pair_rows rows, shape3 sz, shape3 sa, shape3 sb,
                               rule_kind rule, int acc_a, int acc_b, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
