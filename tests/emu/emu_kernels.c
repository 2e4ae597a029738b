/* Host emulation of the CUDA kernels: each launcher of ops_cuda.cu,
 * backward_cuda.cu, deeplift_cuda.cu, phi_cuda.cu, conv_kernels.cu and
 * nd_kernels.cu, with the same element counts, looping over the same element
 * bodies (cuda/elem.h, cuda/elem_nd.h). The warp / block reductions run
 * their serial forms. */
#include <string.h>

#include "cuda/backward_cuda.h"
#include "cuda/conv_kernels.h"
#include "cuda/deeplift_cuda.h"
#include "cuda/elem.h"
#include "cuda/nd_kernels.h"
#include "cuda/ops_cuda.h"
#include "cuda/phi_cuda.h"

#define LOOP(n, call)                                 \
    do {                                              \
        for (int64_t o = 0; o < (int64_t)(n); o++) call; \
    } while (0)

/* ---- ops_cuda.h (convolution and graph: cuda/conv_cuda.c itself) ---- */

dshap_status input_forward_cuda(float *y, const float *x, int N, int n_branches, int branch, int C, int T, int V, int M,
                                cuda_stream s) {
    LOOP((int64_t)N * (branch < 0 ? 1 : M) * C * T * V, el_input_forward(o, y, x, n_branches, branch, C, T, V, M));
    return DSHAP_OK;
}

dshap_status affine_forward_cuda(float *y, const float *x, const float *scale, const float *shift, int B, int C, int TV,
                                 cuda_stream s) {
    LOOP((int64_t)B * C * TV, el_affine_forward(o, y, x, scale, shift, C, TV));
    return DSHAP_OK;
}

dshap_status act_forward_cuda(float *y, const float *x, int64_t n, int act, cuda_stream s) {
    LOOP(n, el_act_forward(o, y, x, act));
    return DSHAP_OK;
}

dshap_status add_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb,
                              cuda_stream s) {
    LOOP(B * el_size(sy), el_binary(o, y, a, b, sy, sa, sb, 0));
    return DSHAP_OK;
}

dshap_status mul_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb,
                              cuda_stream s) {
    LOOP(B * el_size(sy), el_binary(o, y, a, b, sy, sa, sb, 1));
    return DSHAP_OK;
}

dshap_status mean_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s) {
    LOOP(B * el_size(el_reduced(sx, axes)), el_reduce(o, y, x, sx, axes, 0));
    return DSHAP_OK;
}

dshap_status max_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s) {
    LOOP(B * el_size(el_reduced(sx, axes)), el_reduce(o, y, x, sx, axes, 1));
    return DSHAP_OK;
}

dshap_status concat_forward_cuda(float *y, const float *const *parts, const int *C, int n, int B, int TV,
                                 cuda_stream s) {
    int Ctot = 0, c0 = 0;
    for (int i = 0; i < n; i++) Ctot += C[i];
    for (int i = 0; i < n; i++) {
        LOOP((int64_t)B * C[i] * TV, el_concat_part(o, y, parts[i], Ctot, c0, C[i], TV));
        c0 += C[i];
    }
    return DSHAP_OK;
}

dshap_status softmax_forward_cuda(float *y, const float *x, int B, shape3 sh, int axis, cuda_stream st) {
    int L;
    int64_t S, per_row = el_size(sh);
    el_line(sh, axis, &L, &S);
    LOOP(B * (per_row / L), el_softmax_forward(o, y, x, per_row, L, S));
    return DSHAP_OK;
}

dshap_status gather_forward_cuda(float *y, const float *x, const int *index, int B, int C, int T, int Vin, int Vout,
                                 cuda_stream s) {
    LOOP((int64_t)B * C * T * Vout, el_gather_forward(o, y, x, index, Vin, Vout));
    return DSHAP_OK;
}

dshap_status person_mean_forward_cuda(float *y, const float *x, int N, int M, int64_t S, cuda_stream s) {
    LOOP((int64_t)N * S, el_person_mean_forward(o, y, x, M, S));
    return DSHAP_OK;
}

/* ---- backward_cuda.h ---- */

dshap_status affine_backward_cuda(float *m_x, const float *m_y, const float *scale, int B, int C, int TV, int acc,
                                  cuda_stream s) {
    LOOP((int64_t)B * C * TV, el_affine_backward(o, m_x, m_y, scale, C, TV, acc));
    return DSHAP_OK;
}

dshap_status copy_backward_cuda(float *m_x, const float *m_y, int64_t n, int acc, cuda_stream s) {
    LOOP(n, el_copy(o, m_x, m_y, acc));
    return DSHAP_OK;
}

dshap_status broadcast_backward_cuda(float *m_x, const float *m_y, int B, shape3 sy, shape3 sx, int acc,
                                     cuda_stream s) {
    if (el_size(sx) == el_size(sy)) return copy_backward_cuda(m_x, m_y, B * el_size(sy), acc, s);
    LOOP(B * el_size(sx), el_broadcast_backward(o, m_x, m_y, sy, sx, acc));
    return DSHAP_OK;
}

dshap_status mean_backward_cuda(float *m_x, const float *m_y, int B, shape3 sx, int axes, int acc, cuda_stream s) {
    shape3 so = el_reduced(sx, axes);
    float inv = (float)((double)el_size(so) / (double)el_size(sx));
    LOOP(B * el_size(sx), el_mean_backward(o, m_x, m_y, sx, so, inv, acc));
    return DSHAP_OK;
}

dshap_status concat_backward_cuda(float *m_x, const float *m_y, int B, int Ctot, int c0, int C, int TV, int acc,
                                  cuda_stream s) {
    LOOP((int64_t)B * C * TV, el_concat_backward(o, m_x, m_y, Ctot, c0, C, TV, acc));
    return DSHAP_OK;
}

dshap_status gather_backward_cuda(float *m_x, const float *m_y, const int *index, int B, int C, int T, int Vin, int Vout,
                                  int acc, cuda_stream s) {
    LOOP((int64_t)B * C * T * Vin, el_gather_backward(o, m_x, m_y, index, Vin, Vout, acc));
    return DSHAP_OK;
}

dshap_status person_mean_backward_cuda(float *m_x, const float *m_y, const int *sample, int B, int M, int64_t S, int acc,
                                       cuda_stream s) {
    LOOP((int64_t)B * S, el_person_mean_backward(o, m_x, m_y, sample, S, 1.0f / (float)M, acc));
    return DSHAP_OK;
}

/* ---- deeplift_cuda.h ---- */

dshap_status act_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows,
                               int64_t S, int act, rule_kind rule, int acc, cuda_stream s) {
    LOOP(rows.B * S, el_act_deeplift(o, m_x, m_y, x_i, x_r, rows, S, act, (int)rule, acc));
    return DSHAP_OK;
}

dshap_status softmax_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                                   const float *y_r, pair_rows rows, shape3 sh, int axis, rule_kind rule, int acc,
                                   cuda_stream s) {
    int L;
    int64_t St, per_row = el_size(sh);
    el_line(sh, axis, &L, &St);
    LOOP(rows.B * (per_row / L), el_softmax_deeplift(o, m_x, m_y, x_i, x_r, y_i, y_r, rows, per_row, L, St, (int)rule,
                                                     acc));
    return DSHAP_OK;
}

dshap_status max_deeplift_cuda(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                               const float *y_r, pair_rows rows, shape3 sx, int axes, rule_kind rule, int acc,
                               cuda_stream s) {
    if (!acc) memset(m_x, 0, sizeof(float) * (size_t)(rows.B * el_size(sx)));
    LOOP(rows.B * el_size(el_reduced(sx, axes)), el_max_deeplift(o, m_x, m_y, x_i, x_r, y_i, y_r, rows, sx, axes,
                                                                  (int)rule));
    return DSHAP_OK;
}

dshap_status mul_deeplift_cuda(float *m_a, float *m_b, const float *m_z, const float *a_i, const float *a_r,
                               const float *b_i, const float *b_r, pair_rows rows, shape3 sz, shape3 sa, shape3 sb,
                               rule_kind rule, int acc_a, int acc_b, cuda_stream s) {
    LOOP(rows.B * el_size(sa), el_mul_deeplift(o, m_a, m_z, b_i, b_r, rows, sz, sa, sb, (int)rule, acc_a));
    LOOP(rows.B * el_size(sb), el_mul_deeplift(o, m_b, m_z, a_i, a_r, rows, sz, sb, sa, (int)rule, acc_b));
    return DSHAP_OK;
}

/* ---- phi_cuda.h ---- */

dshap_status seed_cuda(float *m_out, const int *classes, int p0, int P, int n_r, int n_k, int K, cuda_stream s) {
    LOOP((int64_t)P * K, el_seed(o, m_out, classes, p0, n_r, n_k, K));
    return DSHAP_OK;
}

dshap_status accumulate_phi_cuda(double *phi, const float *m, const int *slot, const float *x_inst, const float *x_ref,
                                 int p0, int P, int n_r, int n_k, int64_t F, int branch, int C, int T, int V, int M,
                                 cuda_stream s) {
    int i_lo = p0 / (n_r * n_k), i_hi = (p0 + P - 1) / (n_r * n_k);
    LOOP((int64_t)(i_hi - i_lo + 1) * n_k * C * T * V * (branch < 0 ? 1 : M),
         el_accumulate_phi(o, phi, m, slot, x_inst, x_ref, p0, P, n_r, n_k, i_lo, F, branch, C, T, V, M));
    return DSHAP_OK;
}

dshap_status gran_reduce_cuda(double *out, const double *phi, int64_t nk, const granularity *g, cuda_stream s) {
    int64_t G = gran_size(g);
    if (g->kind == STORE_FULL) {
        memcpy(out, phi, sizeof(double) * (size_t)(nk * G));
        return DSHAP_OK;
    }
    LOOP(nk * G, el_gran_reduce(o, out, phi, *g, G));
    return DSHAP_OK;
}

dshap_status phi_totals_cuda(double *totals, const double *phi, int64_t nk, int64_t F, cuda_stream s) {
    for (int64_t ik = 0; ik < nk; ik++) {
        double t = 0;
        for (int64_t f = 0; f < F; f++) t += phi[ik * F + f];
        totals[ik] = t;
    }
    return DSHAP_OK;
}

/* ---- conv_kernels.h ---- */

dshap_status conv_relayout_launch(float *wt, const float *w, int Cout, int Cin, int k, cuda_stream s) {
    LOOP((int64_t)Cout * Cin * k, el_conv_relayout(o, wt, w, Cout, Cin, k));
    return DSHAP_OK;
}

dshap_status conv_bias_fill_launch(float *y, const float *bias, int B, int Cout, int64_t TVo, cuda_stream s) {
    LOOP((int64_t)B * Cout * TVo, el_bias_fill(o, y, bias, Cout, TVo));
    return DSHAP_OK;
}

dshap_status conv_gather_launch(float *xs, const float *x, int nb, int Cin, int Tin, int V, int nt, int t_lo,
                                int stride, int shift, cuda_stream s) {
    LOOP((int64_t)nb * Cin * nt * V, el_conv_gather(o, xs, x, Tin, V, nt, t_lo, stride, shift));
    return DSHAP_OK;
}

dshap_status conv_scatter_launch(float *m_x, const float *tmp, int nb, int Cin, int Tin, int V, int nt, int t_lo,
                                 int stride, int shift, cuda_stream s) {
    LOOP((int64_t)nb * Cin * nt * V, el_conv_scatter(o, m_x, tmp, Tin, V, nt, t_lo, stride, shift));
    return DSHAP_OK;
}

dshap_status depthwise_forward_launch(float *y, const float *x, const float *w, const float *bias, int B, int C,
                                      int Tin, int V, int Tout, int k, int stride, int pad, cuda_stream s) {
    LOOP((int64_t)B * C * Tout * V, el_depthwise_forward(o, y, x, w, bias, C, Tin, V, Tout, k, stride, pad));
    return DSHAP_OK;
}

dshap_status depthwise_backward_launch(float *m_x, const float *m_y, const float *w, int B, int C, int Tin, int V,
                                       int Tout, int k, int stride, int pad, int acc, cuda_stream s) {
    LOOP((int64_t)B * C * Tin * V, el_depthwise_backward(o, m_x, m_y, w, C, Tin, V, Tout, k, stride, pad, acc));
    return DSHAP_OK;
}

/* ---- nd_kernels.h ---- */

dshap_status permute_launch(int64_t n, float *dst, const float *src, el_view v, int64_t per_row, int acc,
                            cuda_stream s) {
    LOOP(n, el_permute(o, dst, src, v, per_row, acc));
    return DSHAP_OK;
}

dshap_status binary_nd_launch(int64_t n, float *y, const float *a, const float *b, el_view va, el_view vb, int64_t ra,
                              int64_t rb, int64_t ny, int op, cuda_stream s) {
    LOOP(n, el_binary_nd(o, y, a, b, va, vb, ra, rb, ny, op));
    return DSHAP_OK;
}

dshap_status reduce_nd_launch(int64_t n, float *y, const float *x, el_bcast g, int64_t nx, int64_t ny, int64_t cnt,
                              int mean, cuda_stream s) {
    LOOP(n, el_reduce_nd(o, y, x, g, nx, ny, cnt, mean));
    return DSHAP_OK;
}

dshap_status pool_forward_launch(int64_t n, float *y, const float *x, sp_geom g, int is_max, int cip, cuda_stream s) {
    LOOP(n, el_pool_forward(o, y, x, g, is_max, cip));
    return DSHAP_OK;
}

dshap_status crop_forward_launch(int64_t n, float *y, const float *x, el_crop c, int64_t nx, int64_t ny, float fill,
                                 cuda_stream s) {
    LOOP(n, el_crop_forward(o, y, x, c, nx, ny, fill));
    return DSHAP_OK;
}

dshap_status concat_nd_launch(int64_t n, float *y, const float *part, int64_t li, int64_t Linner, int64_t at,
                              cuda_stream s) {
    LOOP(n, el_concat_nd(o, y, part, li, Linner, at));
    return DSHAP_OK;
}

dshap_status gather_nd_launch(int64_t n, float *y, const float *x, const int64_t *index, int64_t L, int64_t G,
                              int64_t inner, cuda_stream s) {
    LOOP(n, el_gather_nd(o, y, x, index, L, G, inner));
    return DSHAP_OK;
}

dshap_status act_nd_forward_launch(int64_t n, float *y, const float *x, int64_t per_row, int64_t inner, int act,
                                   float alpha, float beta, const float *slope, int64_t slope_n, cuda_stream s) {
    LOOP(n, el_act_nd_forward(o, y, x, per_row, inner, act, alpha, beta, slope, slope_n));
    return DSHAP_OK;
}

dshap_status im2col_nd_launch(int64_t n, float *col, const float *x, sp_geom g, int64_t cg, int64_t G, int64_t nx,
                              cuda_stream s) {
    LOOP(n, el_im2col_nd(o, col, x, g, cg, G, nx));
    return DSHAP_OK;
}

dshap_status col2im_nd_launch(int64_t n, float *m_x, const float *col, sp_geom g, int64_t cg, int64_t G, int64_t nx,
                              int acc, cuda_stream s) {
    LOOP(n, el_col2im_nd(o, m_x, col, g, cg, G, nx, acc));
    return DSHAP_OK;
}

dshap_status bias_add_nd_launch(int64_t n, float *y, const float *b, int64_t Co, int64_t N, cuda_stream s) {
    LOOP(n, el_bias_add_nd(o, y, b, Co, N));
    return DSHAP_OK;
}

dshap_status matmul_factor_launch(int64_t n, float *f, const float *oi, const float *orr, pair_rows rows, int q0,
                                  int64_t no, int rule, cuda_stream s) {
    LOOP(n, el_matmul_factor(o, f, oi, orr, rows, q0, no, rule));
    return DSHAP_OK;
}

dshap_status crop_backward_launch(int64_t n, float *m_x, const float *m_y, el_crop c, int64_t nx, int64_t ny, int acc,
                                  cuda_stream s) {
    LOOP(n, el_crop_backward(o, m_x, m_y, c, nx, ny, acc));
    return DSHAP_OK;
}

dshap_status binary_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const float *kd, el_bcast g, int64_t nx,
                                       int64_t ny, int op, int k, int acc, cuda_stream s) {
    LOOP(n, el_binary_backward_nd(o, m_x, m_y, kd, g, nx, ny, op, k, acc));
    return DSHAP_OK;
}

dshap_status reduce_backward_nd_launch(int64_t n, float *m_x, const float *m_y, el_view v, int64_t nx, int64_t ny,
                                       float f, int acc, cuda_stream s) {
    LOOP(n, el_reduce_backward_nd(o, m_x, m_y, v, nx, ny, f, acc));
    return DSHAP_OK;
}

dshap_status pool_backward_launch(int64_t n, float *m_x, const float *m_y, sp_geom g, int cip, int acc, cuda_stream s) {
    LOOP(n, el_pool_backward(o, m_x, m_y, g, cip, acc));
    return DSHAP_OK;
}

dshap_status concat_backward_nd_launch(int64_t n, float *m_x, const float *m_y, int64_t li, int64_t Linner, int64_t at,
                                       int acc, cuda_stream s) {
    LOOP(n, el_concat_backward_nd(o, m_x, m_y, li, Linner, at, acc));
    return DSHAP_OK;
}

dshap_status gather_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const int64_t *index, int64_t L,
                                       int64_t G, int64_t inner, int acc, cuda_stream s) {
    LOOP(n, el_gather_backward_nd(o, m_x, m_y, index, L, G, inner, acc));
    return DSHAP_OK;
}

dshap_status act_nd_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                    pair_rows rows, int64_t S, int64_t inner, int act, float alpha, float beta,
                                    const float *slope, int64_t slope_n, int rule, int acc, cuda_stream s) {
    LOOP(n, el_act_nd_deeplift(o, m_x, m_y, x_i, x_r, rows, S, inner, act, alpha, beta, slope, slope_n, rule, acc));
    return DSHAP_OK;
}

dshap_status binary_deeplift_nd_launch(int64_t n, float *m_x, const float *m_y, const float *own_i, const float *own_r,
                                       const float *oth_i, const float *oth_r, int64_t own_row, int64_t oth_row,
                                       pair_rows rows, el_bcast g, int64_t nx, int64_t ny, int op, int k, int rule,
                                       int acc, cuda_stream s) {
    LOOP(n, el_binary_deeplift_nd(o, m_x, m_y, own_i, own_r, oth_i, oth_r, own_row, oth_row, rows, g, nx, ny, op, k,
                                  rule, acc));
    return DSHAP_OK;
}

dshap_status pool_max_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                      pair_rows rows, sp_geom g, int rule, int acc, cuda_stream s) {
    LOOP(n, el_pool_max_deeplift(o, m_x, m_y, x_i, x_r, rows, g, rule, acc));
    return DSHAP_OK;
}
