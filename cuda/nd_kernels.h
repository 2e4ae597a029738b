/* Launchers of the general-graph element bodies (cuda/elem_nd.h), one per
 * body: n elements (the body's `o` range), its arguments, a stream. The
 * node-level ops (ops_nd_cuda.h) are written on these; the host emulation
 * (tests/emu/emu_kernels.c) implements them with the same bodies. */
#ifndef DSHAP_ND_KERNELS_H
#define DSHAP_ND_KERNELS_H

#include <stdint.h>

#include "cuda/device.h"
#include "cuda/elem_nd.h"

#ifdef __cplusplus
extern "C" {
#endif

dshap_status permute_launch(int64_t n, float *dst, const float *src, el_view v, int64_t per_row, int acc,
                            cuda_stream s);
dshap_status binary_nd_launch(int64_t n, float *y, const float *a, const float *b, el_view va, el_view vb, int64_t ra,
                              int64_t rb, int64_t ny, int op, cuda_stream s);
dshap_status reduce_nd_launch(int64_t n, float *y, const float *x, el_bcast g, int64_t nx, int64_t ny, int64_t cnt,
                              int mean, cuda_stream s);
dshap_status pool_forward_launch(int64_t n, float *y, const float *x, sp_geom g, int is_max, int cip, cuda_stream s);
dshap_status crop_forward_launch(int64_t n, float *y, const float *x, el_crop c, int64_t nx, int64_t ny, float fill,
                                 cuda_stream s);
dshap_status concat_nd_launch(int64_t n, float *y, const float *part, int64_t li, int64_t Linner, int64_t at,
                              cuda_stream s);
dshap_status gather_nd_launch(int64_t n, float *y, const float *x, const int64_t *index, int64_t L, int64_t G,
                              int64_t inner, cuda_stream s);
dshap_status act_nd_forward_launch(int64_t n, float *y, const float *x, int64_t per_row, int64_t inner, int act,
                                   float alpha, float beta, const float *slope, int64_t slope_n, cuda_stream s);
dshap_status im2col_nd_launch(int64_t n, float *col, const float *x, sp_geom g, int64_t cg, int64_t G, int64_t nx,
                              cuda_stream s);
dshap_status col2im_nd_launch(int64_t n, float *m_x, const float *col, sp_geom g, int64_t cg, int64_t G, int64_t nx,
                              int acc, cuda_stream s);
dshap_status bias_add_nd_launch(int64_t n, float *y, const float *b, int64_t Co, int64_t N, cuda_stream s);
dshap_status matmul_factor_launch(int64_t n, float *f, const float *oi, const float *orr, pair_rows rows, int q0,
                                  int64_t no, int rule, cuda_stream s);
dshap_status crop_backward_launch(int64_t n, float *m_x, const float *m_y, el_crop c, int64_t nx, int64_t ny, int acc,
                                  cuda_stream s);
dshap_status binary_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const float *kd, el_bcast g, int64_t nx,
                                       int64_t ny, int op, int k, int acc, cuda_stream s);
dshap_status reduce_backward_nd_launch(int64_t n, float *m_x, const float *m_y, el_view v, int64_t nx, int64_t ny,
                                       float f, int acc, cuda_stream s);
dshap_status pool_backward_launch(int64_t n, float *m_x, const float *m_y, sp_geom g, int cip, int acc, cuda_stream s);
dshap_status concat_backward_nd_launch(int64_t n, float *m_x, const float *m_y, int64_t li, int64_t Linner, int64_t at,
                                       int acc, cuda_stream s);
dshap_status gather_backward_nd_launch(int64_t n, float *m_x, const float *m_y, const int64_t *index, int64_t L,
                                       int64_t G, int64_t inner, int acc, cuda_stream s);
dshap_status act_nd_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                    pair_rows rows, int64_t S, int64_t inner, int act, float alpha, float beta,
                                    const float *slope, int64_t slope_n, int rule, int acc, cuda_stream s);
dshap_status binary_deeplift_nd_launch(int64_t n, float *m_x, const float *m_y, const float *own_i, const float *own_r,
                                       const float *oth_i, const float *oth_r, int64_t own_row, int64_t oth_row,
                                       pair_rows rows, el_bcast g, int64_t nx, int64_t ny, int op, int k, int rule,
                                       int acc, cuda_stream s);
dshap_status pool_max_deeplift_launch(int64_t n, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                                      pair_rows rows, sp_geom g, int rule, int acc, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
