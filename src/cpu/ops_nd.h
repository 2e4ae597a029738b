/* CPU forward kernels of the general-graph ops (engine/net.h, OP_TRANSPOSE
 * to OP_CHANNEL_AFFINE, and OP_ACT with the imported-graph activations).
 * One signature for every op, for an op table: y (B, nd->shape) from the
 * node's n_in inputs x[i] (B, sx[i]); a batch of B rows is B consecutive
 * samples of the per-sample shapes. Constant operands (OP_BINARY /
 * OP_MATMUL with kdata: then n_in = 1 and x[0] is the activation, the
 * left operand unless k_first) and parameters come from the node.
 * Results do not depend on the thread count (each output element is
 * computed by one thread in a fixed order; conv and matmul call sgemm on
 * that thread, single-threaded after cpu_backend_init). Return 0, or -1 when out of
 * memory (nothing else can fail: shapes are checked when the graph is
 * built). */
#ifndef DSHAP_OPS_ND_H
#define DSHAP_OPS_ND_H

#include <stdint.h>

#include "cpu/act.h"
#include "engine/net.h"

typedef int (*nd_forward_fn)(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);

int transpose_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int binary_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int matmul_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int convnd_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int reduce_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int pool_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int slice_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int pad_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int concat_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int gather_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int softmax_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
int channel_affine_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);
/* OP_ACT on a general graph: every act kind (act.h), PRelu's slope per index along axis 0 */
int act_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B);

/* The operands of OP_BINARY / OP_MATMUL: data, shape and floats per batch
 * row (0 for the constant) of the left (0) and right (1) operand. */
typedef struct {
    const float *p[2];
    nd_shape s[2];
    int64_t row[2];
    int act[2]; /* which input of the node it is, -1 for the constant */
} nd_operands;
nd_operands nd_binary_operands(const float *const *x, const nd_shape *sx, const node *nd);

/* Matrix geometry of OP_MATMUL (numpy matmul: 1-D operands promoted, batch
 * axes broadcast): per output matrix q of nb, the left matrix at aoff[q],
 * the right at boff[q]; y = (n × kk) · (kk × p). Free with matmul_geom_free. */
typedef struct {
    int64_t n, kk, p, nb;
    int64_t *aoff, *boff;
} matmul_geom;
int matmul_geom_make(matmul_geom *g, const nd_shape *sa, const nd_shape *sb);
void matmul_geom_free(matmul_geom *g);
/* the right operand is one matrix shared by every output matrix and the
 * left ones are back to back (x (.., n, kk) @ k (kk, p)): one GEMM */
int matmul_right_shared(const matmul_geom *g);

/* Conv / pool spatial geometry: input (C, H, W), output (Co, Ho, Wo),
 * 1-D as W = 1 (kernel, stride, dilation 1, no pad on the second axis). */
typedef struct {
    int64_t C, H, W, Co, Ho, Wo;
    int kh, kw, sh, sw, dh, dw;
    int64_t ph, pw, ph_end, pw_end;
} sp_geom;
sp_geom sp_geom_make(const nd_shape *sx, const node *nd);
/* col (cg·kh·kw, Ho·Wo) = the windows of x (cg, H, W), 0 in the padding;
 * sp_col2im adds col back into x (its transpose) */
void sp_im2col(float *col, const float *x, const sp_geom *g, int64_t cg);
void sp_col2im(float *x, const float *col, const sp_geom *g, int64_t cg);

/* Geometry shared with the backward kernels: the counted positions of an
 * average-pool window; offset tables (free()) of slice and pad (-1 at the
 * padding) per output element, and of reduce per input element (*count:
 * inputs per output). */
int64_t pool_count(const sp_geom *g, const node *nd, int64_t oh, int64_t ow);
int64_t *slice_offsets(const nd_shape *sx, const node *nd);
int64_t *pad_offsets(const nd_shape *sx, const node *nd);
int64_t *reduce_offsets(const nd_shape *sx, const node *nd, int64_t *count);

/* The α of element e of a sample whose axis-0 index advances every
 * `inner` elements: PRelu the slope of that index (or its one slope),
 * else node.alpha */
static inline float act_alpha_at(const node *nd, int64_t inner, int64_t e) {
    if (nd->act != ACT_PRELU) return nd->alpha;
    return nd->slope[nd->slope_n == 1 ? 0 : e / inner];
}

#endif
