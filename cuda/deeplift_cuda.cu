/* DeepLIFT multiplier rules (twins of cpu/deeplift_cpu.c, RULES.md);
 * element bodies in elem.h. */
#include "deeplift_cuda.h"

#include "kernels.cuh"

ELEM_KERNEL(act_deeplift,
            (int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows, int64_t S,
             int act, int rule, int acc),
            (o, m_x, m_y, x_i, x_r, rows, S, act, rule, acc))
ELEM_KERNEL(softmax_deeplift,
            (int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
             const float *y_r, pair_rows rows, int64_t per_row, int L, int64_t St, int rule, int acc),
            (o, m_x, m_y, x_i, x_r, y_i, y_r, rows, per_row, L, St, rule, acc))
ELEM_KERNEL(mul_deeplift,
            (int64_t n, float *m_f, const float *m_z, const float *g_i, const float *g_r, pair_rows rows, shape3 sz,
             shape3 sf, shape3 sg, int rule, int acc),
            (o, m_f, m_z, g_i, g_r, rows, sz, sf, sg, rule, acc))

extern "C" dshap_status act_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                          pair_rows rows, int64_t S, int act, rule_kind rule, int acc, cuda_stream s) {
    int64_t n = rows.B * S;
    LAUNCH(act_deeplift, n, s, n, m_x, m_y, x_i, x_r, rows, S, act, (int)rule, acc);
    return DSHAP_OK;
}

extern "C" dshap_status softmax_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                              const float *y_i, const float *y_r, pair_rows rows, shape3 sh, int axis,
                                              rule_kind rule, int acc, cuda_stream s) {
    int L;
    int64_t St, per_row = el_size(sh);
    el_line(sh, axis, &L, &St);
    int64_t n = rows.B * (per_row / L);
    LAUNCH(softmax_deeplift, n, s, n, m_x, m_y, x_i, x_r, y_i, y_r, rows, per_row, L, St, (int)rule, acc);
    return DSHAP_OK;
}

/* Larger value wins; on a tie the earlier element (PyTorch's first maximum). */
__device__ __forceinline__ void argmax_merge(float &v, int64_t &i, float ov, int64_t oi) {
    if (oi >= 0 && (i < 0 || ov > v || (ov == v && oi < i))) {
        v = ov;
        i = oi;
    }
}

/* One warp per (row, window): both argmaxes by a shuffle tree, then lane 0
 * applies the rule (el_max_deeplift is the serial form). Windows of one row
 * are disjoint, so the writes of different warps never meet. */
__global__ void max_deeplift_k(int64_t warps_total, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                               const float *y_i, const float *y_r, pair_rows rows, shape3 sx, int axes, int rule) {
    int64_t no = el_size(el_reduced(sx, axes)), nx = el_size(sx), nr = nx / no;
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5, warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t w = warp; w < warps_total; w += warps) {
        int64_t q = w / no, o = w % no;
        const float *xi = x_i + (int64_t)rows.xi[q] * nx, *xr = x_r + (int64_t)rows.xr[q] * nx;
        float vi = 0, vr = 0;
        int64_t ai = -1, ar = -1;
        for (int64_t k = lane; k < nr; k += 32) {
            int64_t e = el_window(sx, axes, o, k);
            argmax_merge(vi, ai, xi[e], e);
            argmax_merge(vr, ar, xr[e], e);
        }
        for (int d = 16; d > 0; d >>= 1) {
            float ovi = __shfl_down_sync(0xffffffffu, vi, d), ovr = __shfl_down_sync(0xffffffffu, vr, d);
            int64_t oai = __shfl_down_sync(0xffffffffu, ai, d), oar = __shfl_down_sync(0xffffffffu, ar, d);
            argmax_merge(vi, ai, ovi, oai);
            argmax_merge(vr, ar, ovr, oar);
        }
        if (lane == 0) el_max_apply(m_x, m_y, x_i, x_r, y_i, y_r, rows, sx, axes, rule, q, o, ai, ar);
    }
}

extern "C" dshap_status max_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                          const float *y_i, const float *y_r, pair_rows rows, shape3 sx, int axes,
                                          rule_kind rule, int acc, cuda_stream s) {
    /* the rule writes only at the argmax positions: overwriting means clearing first */
    if (!acc) CUDA_TRY(cudaMemsetAsync(m_x, 0, sizeof(float) * (size_t)(rows.B * el_size(sx)), s));
    int64_t warps = rows.B * el_size(el_reduced(sx, axes));
    if (warps <= 0) return DSHAP_OK;
    max_deeplift_k<<<blocks_for(warps * 32), THREADS, 0, s>>>(warps, m_x, m_y, x_i, x_r, y_i, y_r, rows, sx, axes,
                                                             (int)rule);
    LAUNCH_TRY();
    return DSHAP_OK;
}

extern "C" dshap_status mul_deeplift_cuda(float *m_a, float *m_b, const float *m_z, const float *a_i, const float *a_r,
                                          const float *b_i, const float *b_r, pair_rows rows, shape3 sz, shape3 sa,
                                          shape3 sb, rule_kind rule, int acc_a, int acc_b, cuda_stream s) {
    int64_t na = rows.B * el_size(sa), nb = rows.B * el_size(sb);
    LAUNCH(mul_deeplift, na, s, na, m_a, m_z, b_i, b_r, rows, sz, sa, sb, (int)rule, acc_a);
    LAUNCH(mul_deeplift, nb, s, nb, m_b, m_z, a_i, a_r, rows, sz, sb, sa, (int)rule, acc_b);
    return DSHAP_OK;
}
