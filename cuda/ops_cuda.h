/* CUDA twins of the CPU forward kernels (cpu/ops_cpu.h): same names with
 * _cuda, the same arguments in the same order, one trailing stream (whose
 * context, cuda/exec.h, holds the cuBLAS handle and scratch). Pointers are
 * device pointers; everything is stream-ordered and asynchronous. Each
 * returns a status (launch and cuBLAS errors, with file and line). */
#ifndef DSHAP_OPS_CUDA_H
#define DSHAP_OPS_CUDA_H

#include <stdint.h>

#include "cpu/ops_cpu.h"
#include "cuda/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* as input_forward_cpu */
dshap_status input_forward_cuda(float *y, const float *x, int N, int n_branches, int branch, int C, int T, int V, int M,
                                cuda_stream s);
/* groups 1: k accumulated GEMMs on time-shifted views (stride 1), or on
 * gathered views in scratch (stride > 1); depthwise (groups == Cin == Cout):
 * a direct kernel. */
dshap_status conv_forward_cuda(float *y, const float *x, const float *w, const float *bias, int B, int Cin, int Tin,
                               int V, int Cout, int Tout, int k, int stride, int pad, int groups, cuda_stream s);
dshap_status affine_forward_cuda(float *y, const float *x, const float *scale, const float *shift, int B, int C, int TV,
                                 cuda_stream s);
/* K strided-batched GEMMs (batch = rows) */
dshap_status graph_forward_cuda(float *y, const float *x, const float *G, int B, int K, int C, int T, int V,
                                cuda_stream s);
dshap_status act_forward_cuda(float *y, const float *x, int64_t n, int act, cuda_stream s);
dshap_status add_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb,
                              cuda_stream s);
dshap_status mul_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb,
                              cuda_stream s);
/* double accumulation, one warp per output element (fixed tree) */
dshap_status mean_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s);
dshap_status max_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s);
/* parts: host array of n device pointers */
dshap_status concat_forward_cuda(float *y, const float *const *parts, const int *C, int n, int B, int TV,
                                 cuda_stream s);
dshap_status softmax_forward_cuda(float *y, const float *x, int B, shape3 s, int axis, cuda_stream st);
/* index: device array (Vout) */
dshap_status gather_forward_cuda(float *y, const float *x, const int *index, int B, int C, int T, int Vin, int Vout,
                                 cuda_stream s);
dshap_status person_mean_forward_cuda(float *y, const float *x, int N, int M, int64_t S, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
