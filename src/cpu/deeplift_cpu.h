/* DeepLIFT multiplier rules of the nonlinear node kinds (RULES.md). Row q of
 * a backward batch belongs to one (instance, reference, class) triple: it
 * reads row rows.xi[q] of the instance-side activations and rows.xr[q] of the
 * reference-side ones. With acc set the kernels accumulate (+=) into m_x,
 * with acc 0 they overwrite it (backward_cpu.h). */
#ifndef DSHAP_DEEPLIFT_CPU_H
#define DSHAP_DEEPLIFT_CPU_H

#include <stdint.h>

#include "cpu/ops_cpu.h"

typedef enum {
    RULE_RESCALE,      /* exact DeepLIFT: Δy/Δx, well conditioned (rescale.h); softmax through exp(x − Λ) */
    RULE_SHAPLEY,      /* products: two-player Shapley; max: DeepLIFT max rule */
    RULE_AT_REF,       /* ordinary derivative at the reference side (shap, functional ops) */
    RULE_AT_INST,      /* ordinary derivative at the instance (plain gradient, Grad-CAM) */
    RULE_SHAP_RESCALE  /* shap's handlers for nn.Modules: Δy/Δx, g'(x_ref) where |Δx| < 1e-6; softmax elementwise */
} rule_kind;

typedef struct {
    int B;          /* rows in the batch */
    const int *xi;  /* (B) row of the instance-side activations */
    const int *xr;  /* (B) row of the reference-side activations */
} pair_rows;

#define RESCALE_EPS 1e-6 /* RULE_SHAP_RESCALE: |Δx| below this, g'(x_ref), as shap does */
#define MAX_RULE_EPS 1e-7f

/* y = g(x) elementwise, S elements per row */
void act_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows, int64_t S,
                      int act, rule_kind rule, int acc);
/* softmax along `axis` of shape s; y_* are the cached softmax outputs */
void softmax_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                          const float *y_r, pair_rows rows, shape3 s, int axis, rule_kind rule, int acc);
/* max over `axes` of x (shape sx); y_* are the cached maxima */
void max_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                      const float *y_r, pair_rows rows, shape3 sx, int axes, rule_kind rule, int acc);
/* z = a ⊙ b with broadcasting, into m_a and m_b (acc_a, acc_b) */
void mul_deeplift_cpu(float *m_a, float *m_b, const float *m_z, const float *a_i, const float *a_r, const float *b_i,
                      const float *b_r, pair_rows rows, shape3 sz, shape3 sa, shape3 sb, rule_kind rule, int acc_a,
                      int acc_b);

#endif
