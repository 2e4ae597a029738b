/* Backward kernels of the linear node kinds (twins of cpu/backward_cpu.c);
 * the convolution and graph backward are GEMMs, in conv_cuda.c. Where the
 * CPU adds contributions to one element in a fixed order, the element
 * bodies (elem.h) add them in the same order. acc: backward_cuda.h. */
#include "backward_cuda.h"

#include "kernels.cuh"

ELEM_KERNEL(affine_backward, (int64_t n, float *m_x, const float *m_y, const float *scale, int C, int TV, int acc),
            (o, m_x, m_y, scale, C, TV, acc))
ELEM_KERNEL(copy, (int64_t n, float *m_x, const float *m_y, int acc), (o, m_x, m_y, acc))
ELEM_KERNEL(broadcast_backward, (int64_t n, float *m_x, const float *m_y, shape3 sy, shape3 sx, int acc),
            (o, m_x, m_y, sy, sx, acc))
ELEM_KERNEL(mean_backward, (int64_t n, float *m_x, const float *m_y, shape3 sx, shape3 so, float inv, int acc),
            (o, m_x, m_y, sx, so, inv, acc))
ELEM_KERNEL(concat_backward, (int64_t n, float *m_x, const float *m_y, int Ctot, int c0, int C, int TV, int acc),
            (o, m_x, m_y, Ctot, c0, C, TV, acc))
ELEM_KERNEL(gather_backward, (int64_t n, float *m_x, const float *m_y, const int *index, int Vin, int Vout, int acc),
            (o, m_x, m_y, index, Vin, Vout, acc))
ELEM_KERNEL(person_mean_backward,
            (int64_t n, float *m_x, const float *m_y, const int *sample, int64_t S, float inv, int acc),
            (o, m_x, m_y, sample, S, inv, acc))

extern "C" dshap_status affine_backward_cuda(float *m_x, const float *m_y, const float *scale, int B, int C, int TV,
                                             int acc, cuda_stream s) {
    int64_t n = (int64_t)B * C * TV;
    LAUNCH(affine_backward, n, s, n, m_x, m_y, scale, C, TV, acc);
    return DSHAP_OK;
}

extern "C" dshap_status copy_backward_cuda(float *m_x, const float *m_y, int64_t n, int acc, cuda_stream s) {
    LAUNCH(copy, n, s, n, m_x, m_y, acc);
    return DSHAP_OK;
}

extern "C" dshap_status broadcast_backward_cuda(float *m_x, const float *m_y, int B, shape3 sy, shape3 sx, int acc,
                                                cuda_stream s) {
    if (el_size(sx) == el_size(sy)) return copy_backward_cuda(m_x, m_y, B * el_size(sy), acc, s);
    int64_t n = B * el_size(sx);
    LAUNCH(broadcast_backward, n, s, n, m_x, m_y, sy, sx, acc);
    return DSHAP_OK;
}

extern "C" dshap_status mean_backward_cuda(float *m_x, const float *m_y, int B, shape3 sx, int axes, int acc,
                                           cuda_stream s) {
    shape3 so = el_reduced(sx, axes);
    float inv = (float)((double)el_size(so) / (double)el_size(sx));
    int64_t n = B * el_size(sx);
    LAUNCH(mean_backward, n, s, n, m_x, m_y, sx, so, inv, acc);
    return DSHAP_OK;
}

extern "C" dshap_status concat_backward_cuda(float *m_x, const float *m_y, int B, int Ctot, int c0, int C, int TV,
                                             int acc, cuda_stream s) {
    int64_t n = (int64_t)B * C * TV;
    LAUNCH(concat_backward, n, s, n, m_x, m_y, Ctot, c0, C, TV, acc);
    return DSHAP_OK;
}

extern "C" dshap_status gather_backward_cuda(float *m_x, const float *m_y, const int *index, int B, int C, int T,
                                             int Vin, int Vout, int acc, cuda_stream s) {
    int64_t n = (int64_t)B * C * T * Vin;
    LAUNCH(gather_backward, n, s, n, m_x, m_y, index, Vin, Vout, acc);
    return DSHAP_OK;
}

extern "C" dshap_status person_mean_backward_cuda(float *m_x, const float *m_y, const int *sample, int B, int M,
                                                  int64_t S, int acc, cuda_stream s) {
    int64_t n = (int64_t)B * S;
    LAUNCH(person_mean_backward, n, s, n, m_x, m_y, sample, S, 1.0f / (float)M, acc);
    return DSHAP_OK;
}
