/* DeepLIFT multiplier rules of the nonlinear general-graph ops (RULES.md):
 * activations (every act.h kind), products and quotients of two
 * input-dependent tensors (OP_BINARY mul / div, OP_MATMUL without a
 * constant), a constant divided by an activation (k / x), max pooling and
 * softmax along an axis. One signature: m_x (rows.B, sx[which]), the
 * multiplier of input `which`, from m_y (rows.B, nd->shape); row q reads
 * row rows.xi[q] of the instance-side activations x_i[k] (input k) and
 * rows.xr[q] of the reference-side x_r[k]; y_i / y_r are the node's cached
 * outputs (softmax reads them). acc: += into m_x, else overwrite.
 *
 * Rules: RULE_RESCALE and RULE_SHAPLEY are the exact ones (engine's
 * deeplift_rule_for gives RULE_SHAPLEY to every op but OP_ACT / OP_SOFTMAX
 * under rule set exact): secants (rescale.h), the two-player Shapley rule
 * of bilinear products, for a / b its Shapley values m_a = ½ (1/b_x +
 * 1/b_r), m_b = −ā / (b_x b_r), the secant −k / (x_x x_r) of k / x, the
 * DeepLIFT max rule per pooling window, the well-conditioned softmax rule.
 * RULE_AT_REF / RULE_AT_INST: the ordinary derivative at that side.
 * RULE_SHAP_RESCALE: shap's handlers where it has one (activations: the
 * secant with g'(x_ref) where |Δx| < 1e-6; max pool: the max rule;
 * softmax: elementwise), and where shap has none (products, quotients) the
 * derivative at the reference side, as RULE_AT_REF.
 * Deterministic (each m_x row by one thread, fixed order). Return 0, or
 * -1 when out of memory. */
#ifndef DSHAP_DEEPLIFT_ND_H
#define DSHAP_DEEPLIFT_ND_H

#include <stdint.h>

#include "cpu/deeplift_cpu.h"
#include "engine/net.h"

typedef int (*nd_deeplift_fn)(float *m_x, const float *m_y, int which, const float *const *x_i,
                              const float *const *x_r, const float *y_i, const float *y_r, const nd_shape *sx,
                              const node *nd, pair_rows rows, rule_kind rule, int acc);

int act_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                    const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                    rule_kind rule, int acc);
/* OP_BINARY that is not nd_binary_linear (backward_nd.h) */
int binary_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                       const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                       rule_kind rule, int acc);
/* OP_MATMUL of two activations */
int matmul_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                       const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                       rule_kind rule, int acc);
/* OP_POOL with pool = 1 (max) */
int pool_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                     const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                     rule_kind rule, int acc);
int softmax_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                        const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                        rule_kind rule, int acc);

#endif
