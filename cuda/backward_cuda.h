/* CUDA twins of the linear backward kernels (cpu/backward_cpu.h): the same
 * arguments, then `acc`, then the stream.
 *
 * When a backward writes with = and when with +=: the CPU always
 * accumulates into zeroed buffers. Here acc = 1 accumulates (+=) exactly as
 * the CPU does, and acc = 0 overwrites (=) the WHOLE of m_x, elements that
 * receive nothing included (they become 0). The engine passes acc = 0 to
 * the first contribution a multiplier buffer receives in a backward pass and
 * acc = 1 to every later one (residual joins, attention gates), so buffers
 * need no clearing pass and no read-modify-write on the common path. */
#ifndef DSHAP_BACKWARD_CUDA_H
#define DSHAP_BACKWARD_CUDA_H

#include <stdint.h>

#include "cpu/ops_cpu.h"
#include "cuda/device.h"

#ifdef __cplusplus
extern "C" {
#endif

dshap_status conv_backward_cuda(float *m_x, const float *m_y, const float *w, int B, int Cin, int Tin, int V, int Cout,
                                int Tout, int k, int stride, int pad, int groups, int acc, cuda_stream s);
dshap_status affine_backward_cuda(float *m_x, const float *m_y, const float *scale, int B, int C, int TV, int acc,
                                  cuda_stream s);
dshap_status graph_backward_cuda(float *m_x, const float *m_y, const float *G, int B, int K, int C, int T, int V,
                                 int acc, cuda_stream s);
dshap_status broadcast_backward_cuda(float *m_x, const float *m_y, int B, shape3 sy, shape3 sx, int acc, cuda_stream s);
dshap_status mean_backward_cuda(float *m_x, const float *m_y, int B, shape3 sx, int axes, int acc, cuda_stream s);
dshap_status concat_backward_cuda(float *m_x, const float *m_y, int B, int Ctot, int c0, int C, int TV, int acc,
                                  cuda_stream s);
/* index: device array (Vout) */
dshap_status gather_backward_cuda(float *m_x, const float *m_y, const int *index, int B, int C, int T, int Vin, int Vout,
                                  int acc, cuda_stream s);
/* sample (device, B): the sample row of each person row */
dshap_status person_mean_backward_cuda(float *m_x, const float *m_y, const int *sample, int B, int M, int64_t S, int acc,
                                       cuda_stream s);
dshap_status copy_backward_cuda(float *m_x, const float *m_y, int64_t n, int acc, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
