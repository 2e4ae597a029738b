/* The elementwise helpers of the GEMM-based convolution (conv_cuda.c),
 * as C-callable launchers on a stream. Shapes as in elem.h. */
#ifndef DSHAP_CONV_KERNELS_H
#define DSHAP_CONV_KERNELS_H

#include <stdint.h>

#include "cuda/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* wt (k, Cout, Cin) ← w (Cout, Cin, k) */
dshap_status conv_relayout_launch(float *wt, const float *w, int Cout, int Cin, int k, cuda_stream s);
/* y (B, Cout, TVo) = bias[c] or 0 */
dshap_status conv_bias_fill_launch(float *y, const float *bias, int B, int Cout, int64_t TVo, cuda_stream s);
/* xs (nb, Cin, nt, V) = x (nb, Cin, Tin, V) at frames (t_lo + t')·stride + shift */
dshap_status conv_gather_launch(float *xs, const float *x, int nb, int Cin, int Tin, int V, int nt, int t_lo,
                                int stride, int shift, cuda_stream s);
/* m_x (nb, Cin, Tin, V) at frames (t_lo + t')·stride + shift += tmp (nb, Cin, nt, V) */
dshap_status conv_scatter_launch(float *m_x, const float *tmp, int nb, int Cin, int Tin, int V, int nt, int t_lo,
                                 int stride, int shift, cuda_stream s);
dshap_status depthwise_forward_launch(float *y, const float *x, const float *w, const float *bias, int B, int C,
                                      int Tin, int V, int Tout, int k, int stride, int pad, cuda_stream s);
dshap_status depthwise_backward_launch(float *m_x, const float *m_y, const float *w, int B, int C, int Tin, int V,
                                       int Tout, int k, int stride, int pad, int acc, cuda_stream s);

/* C (+)= op(A) · op(B) for each of `batch` column-major matrices (cuBLAS
 * semantics: op(A) m×k, op(B) k×n, C m×n, leading dimensions and batch
 * strides in elements; beta 0 or 1), on the stream's cuBLAS handle. */
dshap_status cuda_gemm(cuda_stream s, int trans_a, int trans_b, int m, int n, int k, const float *A, int lda,
                       int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C, int ldc,
                       int64_t stride_c, int batch);
/* The stream's scratch buffer (cuda/exec.h). */
dshap_status cuda_exec_scratch(cuda_stream s, float **scratch, int64_t *floats);

#ifdef __cplusplus
}
#endif
#endif
