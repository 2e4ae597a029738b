/* Launchers of the general-graph element bodies (nd_kernels.h): one
 * grid-stride kernel per body of elem_nd.h. */
#include "nd_kernels.h"

#include "kernels.cuh"

ELEM_KERNEL(permute, (int64_t n, float *dst, const float *src, el_view v, int64_t per_row, int acc),
            (o, dst, src, v, per_row, acc))
ELEM_KERNEL(binary_nd,
            (int64_t n, float *y, const float *a, const float *b, el_view va, el_view vb, int64_t ra, int64_t rb,
             int64_t ny, int op),
            (o, y, a, b, va, vb, ra, rb, ny, op))
ELEM_KERNEL(reduce_nd, (int64_t n, float *y, const float *x, el_bcast g, int64_t nx, int64_t ny, int64_t cnt, int mean),
            (o, y, x, g, nx, ny, cnt, mean))
ELEM_KERNEL(pool_forward, (int64_t n, float *y, const float *x, sp_geom g, int is_max, int cip),
            (o, y, x, g, is_max, cip))
ELEM_KERNEL(crop_forward, (int64_t n, float *y, const float *x, el_crop c, int64_t nx, int64_t ny, float fill),
            (o, y, x, c, nx, ny, fill))
ELEM_KERNEL(concat_nd, (int64_t n, float *y, const float *part, int64_t li, int64_t Linner, int64_t at),
            (o, y, part, li, Linner, at))
ELEM_KERNEL(gather_nd, (int64_t n, float *y, const float *x, const int64_t *index, int64_t L, int64_t G, int64_t inner),
            (o, y, x, index, L, G, inner))
ELEM_KERNEL(act_nd_forward,
            (int64_t n, float *y, const float *x, int64_t per_row, int64_t inner, int act, float alpha, float beta,
             const float *slope, int64_t slope_n),
            (o, y, x, per_row, inner, act, alpha, beta, slope, slope_n))
ELEM_KERNEL(im2col_nd, (int64_t n, float *col, const float *x, sp_geom g, int64_t cg, int64_t G, int64_t nx),
            (o, col, x, g, cg, G, nx))
ELEM_KERNEL(col2im_nd, (int64_t n, float *m_x, const float *col, sp_geom g, int64_t cg, int64_t G, int64_t nx, int acc),
            (o, m_x, col, g, cg, G, nx, acc))
ELEM_KERNEL(bias_add_nd, (int64_t n, float *y, const float *b, int64_t Co, int64_t N), (o, y, b, Co, N))
ELEM_KERNEL(matmul_factor,
            (int64_t n, float *f, const float *oi, const float *orr, pair_rows rows, int q0, int64_t no, int rule),
            (o, f, oi, orr, rows, q0, no, rule))
ELEM_KERNEL(crop_backward, (int64_t n, float *m_x, const float *m_y, el_crop c, int64_t nx, int64_t ny, int acc),
            (o, m_x, m_y, c, nx, ny, acc))
ELEM_KERNEL(binary_backward_nd,
            (int64_t n, float *m_x, const float *m_y, const float *kd, el_bcast g, int64_t nx, int64_t ny, int op,
             int k, int acc),
            (o, m_x, m_y, kd, g, nx, ny, op, k, acc))
ELEM_KERNEL(reduce_backward_nd,
            (int64_t n, float *m_x, const float *m_y, el_view v, int64_t nx, int64_t ny, float f, int acc),
            (o, m_x, m_y, v, nx, ny, f, acc))
ELEM_KERNEL(pool_backward, (int64_t n, float *m_x, const float *m_y, sp_geom g, int cip, int acc),
            (o, m_x, m_y, g, cip, acc))
ELEM_KERNEL(concat_backward_nd,
            (int64_t n, float *m_x, const float *m_y, int64_t li, int64_t Linner, int64_t at, int acc),
            (o, m_x, m_y, li, Linner, at, acc))
ELEM_KERNEL(gather_backward_nd,
            (int64_t n, float *m_x, const float *m_y, const int64_t *index, int64_t L, int64_t G, int64_t inner,
             int acc),
            (o, m_x, m_y, index, L, G, inner, acc))
ELEM_KERNEL(act_nd_deeplift,
            (int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows, int64_t S,
             int64_t inner, int act, float alpha, float beta, const float *slope, int64_t slope_n, int rule, int acc),
            (o, m_x, m_y, x_i, x_r, rows, S, inner, act, alpha, beta, slope, slope_n, rule, acc))
ELEM_KERNEL(binary_deeplift_nd,
            (int64_t n, float *m_x, const float *m_y, const float *own_i, const float *own_r, const float *oth_i,
             const float *oth_r, int64_t own_row, int64_t oth_row, pair_rows rows, el_bcast g, int64_t nx, int64_t ny,
             int op, int k, int rule, int acc),
            (o, m_x, m_y, own_i, own_r, oth_i, oth_r, own_row, oth_row, rows, g, nx, ny, op, k, rule, acc))
ELEM_KERNEL(pool_max_deeplift,
            (int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows, sp_geom g,
             int rule, int acc),
            (o, m_x, m_y, x_i, x_r, rows, g, rule, acc))

extern "C" dshap_status permute_launch(int64_t n, float *dst, const float *src, el_view v, int64_t per_row, int acc,
                                       cuda_stream s) {
    LAUNCH(permute, n, s, n, dst, src, v, per_row, acc);
    return DSHAP_OK;
}

extern "C" dshap_status binary_nd_launch(int64_t n, float *y, const float *a, const float *b, el_view va, el_view vb,
                                         int64_t ra, int64_t rb, int64_t ny, int op, cuda_stream s) {
    LAUNCH(binary_nd, n, s, n, y, a, b, va, vb, ra, rb, ny, op);
    return DSHAP_OK;
}

extern "C" dshap_status reduce_nd_launch(int64_t n, float *y, const float *x, el_bcast g, int64_t nx, int64_t ny,
                                         int64_t cnt, int mean, cuda_stream s) {
    LAUNCH(reduce_nd, n, s, n, y, x, g, nx, ny, cnt, mean);
    return DSHAP_OK;
}

extern "C" dshap_status pool_forward_launch(int64_t n, float *y, const float *x, sp_geom g, int is_max, int cip,
                                            cuda_stream s) {
    LAUNCH(pool_forward, n, s, n, y, x, g, is_max, cip);
    return DSHAP_OK;
}

extern "C" dshap_status crop_forward_launch(int64_t n, float *y, const float *x, el_crop c, int64_t nx, int64_t ny,
                                            float fill, cuda_stream s) {
    LAUNCH(crop_forward, n, s, n, y, x, c, nx, ny, fill);
    return DSHAP_OK;
}

extern "C" dshap_status concat_nd_launch(int64_t n, float *y, const float *part, int64_t li, int64_t Linner, int64_t at,
                                         cuda_stream s) {
    LAUNCH(concat_nd, n, s, n, y, part, li, Linner, at);
    return DSHAP_OK;
}

extern "C" dshap_status gather_nd_launch(int64_t n, float *y, const float *x, const int64_t *index, int64_t L,
                                         int64_t G, int64_t inner, cuda_stream s) {
    LAUNCH(gather_nd, n, s, n, y, x, index, L, G, inner);
    return DSHAP_OK;
}

extern "C" dshap_status act_nd_forward_launch(int64_t n, float *y, const float *x, int64_t per_row, int64_t inner,
                                              int act, float alpha, float beta, const float *slope, int64_t slope_n,
                                              cuda_stream s) {
    LAUNCH(act_nd_forward, n, s, n, y, x, per_row, inner, act, alpha, beta, slope, slope_n);
    return DSHAP_OK;
}

extern "C" dshap_status im2col_nd_launch(int64_t n, float *col, const float *x, sp_geom g, int64_t cg, int64_t G,
                                         int64_t nx, cuda_stream s) {
    LAUNCH(im2col_nd, n, s, n, col, x, g, cg, G, nx);
    return DSHAP_OK;
}

extern "C" dshap_status col2im_nd_launch(int64_t n, float *m_x, const float *col, sp_geom g, int64_t cg, int64_t G,
                                         int64_t nx, int acc, cuda_stream s) {
    LAUNCH(col2im_nd, n, s, n, m_x, col, g, cg, G, nx, acc);
    return DSHAP_OK;
}

extern "C" dshap_status bias_add_nd_launch(int64_t n, float *y, const float *b, int64_t Co, int64_t N, cuda_stream s) {
    LAUNCH(bias_add_nd, n, s, n, y, b, Co, N);
    return DSHAP_OK;
}

extern "C" dshap_status matmul_factor_launch(int64_t n, float *f, const float *oi, const float *orr, pair_rows rows,
                                             int q0, int64_t no, int rule, cuda_stream s) {
    LAUNCH(matmul_factor, n, s, n, f, oi, orr, rows, q0, no, rule);
    return DSHAP_OK;
}

extern "C" dshap_status crop_backward_launch(int64_t n, float *m_x, const float *m_y, el_crop c, int64_t nx, int64_t ny,
                                             int acc, cuda_stream s) {
    LAUNCH(crop_backward, n, s, n, m_x, m_y, c, nx, ny, acc);
    return DSHAP_OK;
}

extern "C" dshap_status binary_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const float *kd, el_bcast g,
                                                  int64_t nx, int64_t ny, int op, int k, int acc, cuda_stream s) {
    LAUNCH(binary_backward_nd, n, s, n, m_x, m_y, kd, g, nx, ny, op, k, acc);
    return DSHAP_OK;
}

extern "C" dshap_status reduce_backward_nd_launch(int64_t n, float *m_x, const float *m_y, el_view v, int64_t nx,
                                                  int64_t ny, float f, int acc, cuda_stream s) {
    LAUNCH(reduce_backward_nd, n, s, n, m_x, m_y, v, nx, ny, f, acc);
    return DSHAP_OK;
}

extern "C" dshap_status pool_backward_launch(int64_t n, float *m_x, const float *m_y, sp_geom g, int cip, int acc,
                                             cuda_stream s) {
    LAUNCH(pool_backward, n, s, n, m_x, m_y, g, cip, acc);
    return DSHAP_OK;
}

extern "C" dshap_status concat_backward_nd_launch(int64_t n, float *m_x, const float *m_y, int64_t li, int64_t Linner,
                                                  int64_t at, int acc, cuda_stream s) {
    LAUNCH(concat_backward_nd, n, s, n, m_x, m_y, li, Linner, at, acc);
    return DSHAP_OK;
}

extern "C" dshap_status gather_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const int64_t *index,
                                                  int64_t L, int64_t G, int64_t inner, int acc, cuda_stream s) {
    LAUNCH(gather_backward_nd, n, s, n, m_x, m_y, index, L, G, inner, acc);
    return DSHAP_OK;
}

extern "C" dshap_status act_nd_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i,
                                               const float *x_r, pair_rows rows, int64_t S, int64_t inner, int act,
                                               float alpha, float beta, const float *slope, int64_t slope_n, int rule,
                                               int acc, cuda_stream s) {
    LAUNCH(act_nd_deeplift, n, s, n, m_x, m_y, x_i, x_r, rows, S, inner, act, alpha, beta, slope, slope_n, rule, acc);
    return DSHAP_OK;
}

extern "C" dshap_status binary_deeplift_nd_launch(int64_t n, float *m_x, const float *m_y, const float *own_i,
                                                  const float *own_r, const float *oth_i, const float *oth_r,
                                                  int64_t own_row, int64_t oth_row, pair_rows rows, el_bcast g,
                                                  int64_t nx, int64_t ny, int op, int k, int rule, int acc,
                                                  cuda_stream s) {
    LAUNCH(binary_deeplift_nd, n, s, n, m_x, m_y, own_i, own_r, oth_i, oth_r, own_row, oth_row, rows, g, nx, ny, op, k,
           rule, acc);
    return DSHAP_OK;
}

extern "C" dshap_status pool_max_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i,
                                                 const float *x_r, pair_rows rows, sp_geom g, int rule, int acc,
                                                 cuda_stream s) {
    LAUNCH(pool_max_deeplift, n, s, n, m_x, m_y, x_i, x_r, rows, g, rule, acc);
    return DSHAP_OK;
}
