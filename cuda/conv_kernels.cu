/* Launchers of the convolution helpers (conv_kernels.h). */
#include "conv_kernels.h"

#include "kernels.cuh"

ELEM_KERNEL(conv_relayout, (int64_t n, float *wt, const float *w, int Cout, int Cin, int k), (o, wt, w, Cout, Cin, k))
ELEM_KERNEL(bias_fill, (int64_t n, float *y, const float *bias, int Cout, int64_t TVo), (o, y, bias, Cout, TVo))
ELEM_KERNEL(conv_gather, (int64_t n, float *xs, const float *x, int Tin, int V, int nt, int t_lo, int stride, int shift),
            (o, xs, x, Tin, V, nt, t_lo, stride, shift))
ELEM_KERNEL(conv_scatter,
            (int64_t n, float *m_x, const float *tmp, int Tin, int V, int nt, int t_lo, int stride, int shift),
            (o, m_x, tmp, Tin, V, nt, t_lo, stride, shift))
ELEM_KERNEL(depthwise_forward,
            (int64_t n, float *y, const float *x, const float *w, const float *bias, int C, int Tin, int V, int Tout,
             int k, int stride, int pad),
            (o, y, x, w, bias, C, Tin, V, Tout, k, stride, pad))
ELEM_KERNEL(depthwise_backward,
            (int64_t n, float *m_x, const float *m_y, const float *w, int C, int Tin, int V, int Tout, int k, int stride,
             int pad, int acc),
            (o, m_x, m_y, w, C, Tin, V, Tout, k, stride, pad, acc))

extern "C" dshap_status conv_relayout_launch(float *wt, const float *w, int Cout, int Cin, int k, cuda_stream s) {
    int64_t n = (int64_t)Cout * Cin * k;
    LAUNCH(conv_relayout, n, s, n, wt, w, Cout, Cin, k);
    return DSHAP_OK;
}

extern "C" dshap_status conv_bias_fill_launch(float *y, const float *bias, int B, int Cout, int64_t TVo, cuda_stream s) {
    int64_t n = (int64_t)B * Cout * TVo;
    LAUNCH(bias_fill, n, s, n, y, bias, Cout, TVo);
    return DSHAP_OK;
}

extern "C" dshap_status conv_gather_launch(float *xs, const float *x, int nb, int Cin, int Tin, int V, int nt, int t_lo,
                                           int stride, int shift, cuda_stream s) {
    int64_t n = (int64_t)nb * Cin * nt * V;
    LAUNCH(conv_gather, n, s, n, xs, x, Tin, V, nt, t_lo, stride, shift);
    return DSHAP_OK;
}

extern "C" dshap_status conv_scatter_launch(float *m_x, const float *tmp, int nb, int Cin, int Tin, int V, int nt,
                                            int t_lo, int stride, int shift, cuda_stream s) {
    int64_t n = (int64_t)nb * Cin * nt * V;
    LAUNCH(conv_scatter, n, s, n, m_x, tmp, Tin, V, nt, t_lo, stride, shift);
    return DSHAP_OK;
}

extern "C" dshap_status depthwise_forward_launch(float *y, const float *x, const float *w, const float *bias, int B,
                                                 int C, int Tin, int V, int Tout, int k, int stride, int pad,
                                                 cuda_stream s) {
    int64_t n = (int64_t)B * C * Tout * V;
    LAUNCH(depthwise_forward, n, s, n, y, x, w, bias, C, Tin, V, Tout, k, stride, pad);
    return DSHAP_OK;
}

extern "C" dshap_status depthwise_backward_launch(float *m_x, const float *m_y, const float *w, int B, int C, int Tin,
                                                  int V, int Tout, int k, int stride, int pad, int acc, cuda_stream s) {
    int64_t n = (int64_t)B * C * Tin * V;
    LAUNCH(depthwise_backward, n, s, n, m_x, m_y, w, C, Tin, V, Tout, k, stride, pad, acc);
    return DSHAP_OK;
}
