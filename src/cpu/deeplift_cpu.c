#include "cpu/deeplift_cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/act.h"
#include "cpu/rescale.h"
#include "cpu/simd.h"
#include "engine/arch.h"
#include "engine/net.h"

/* One loop per (g, rule, acc), the rule and g fixed outside it, so that each
 * loop body is straight-line selects: the loops without a libm call (every
 * exact secant, rescale.h; the derivatives of ReLU, ReLU6 and Hardswish)
 * vectorise in every clone (with -fno-trapping-math for this file,
 * CMakeLists.txt: a select's unused lane may divide by zero). */
#define SLOPE_LOOP(SLOPE)                                                                    \
    if (acc)                                                                                 \
        for (int64_t e = 0; e < S; e++) mx[e] += (float)(my[e] * (SLOPE));                   \
    else                                                                                     \
        for (int64_t e = 0; e < S; e++) mx[e] = (float)(my[e] * (SLOPE));

/* shap's switch to g'(x_ref) where |Δx| < 1e-6 is the secant at xi = xr */
#define SHAP_XI(e) (fabs((double)xi[e] - (double)xr[e]) < RESCALE_EPS ? xr[e] : xi[e])

#define ACT_RULE_LOOPS(KIND)                                                                 \
    switch (rule) {                                                                          \
    case RULE_AT_INST: SLOPE_LOOP(act_derivative(KIND, xi[e])) break;                       \
    case RULE_AT_REF: SLOPE_LOOP(act_derivative(KIND, xr[e])) break;                        \
    case RULE_SHAP_RESCALE: SLOPE_LOOP(rs_act_secant(KIND, SHAP_XI(e), xr[e])) break;       \
    default: SLOPE_LOOP(rs_act_secant(KIND, xi[e], xr[e])) break;                           \
    }                                                                                        \
    break;

/* One row; cloned per vector width (the same IEEE operations in each). */
CPU_CLONES static void act_rule_row(float *mx, const float *my, const float *xi, const float *xr, int64_t S, int act,
                                    rule_kind rule, int acc) {
    switch (act) {
    case ACT_RELU: ACT_RULE_LOOPS(ACT_RELU)
    case ACT_RELU6: ACT_RULE_LOOPS(ACT_RELU6)
    case ACT_HARDSWISH: ACT_RULE_LOOPS(ACT_HARDSWISH)
    case ACT_SILU: ACT_RULE_LOOPS(ACT_SILU)
    case ACT_SIGMOID: ACT_RULE_LOOPS(ACT_SIGMOID)
    case ACT_TANH: ACT_RULE_LOOPS(ACT_TANH)
    }
}
#undef ACT_RULE_LOOPS
#undef SHAP_XI
#undef SLOPE_LOOP

void act_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows, int64_t S,
                      int act, rule_kind rule, int acc) {
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++)
        act_rule_row(m_x + (int64_t)q * S, m_y + (int64_t)q * S, x_i + (int64_t)rows.xi[q] * S,
                     x_r + (int64_t)rows.xr[q] * S, S, act, rule, acc);
}

/* Lines along `axis`: length L, stride St between elements; `lines` per row. */
static void line_geometry(shape3 s, int axis, int *L, int64_t *St, int64_t *lines) {
    *L = axis == AX_C ? s.C : axis == AX_T ? s.T : s.V;
    *St = axis == AX_C ? (int64_t)s.T * s.V : axis == AX_T ? s.V : 1;
    *lines = (int64_t)s.C * s.T * s.V / *L;
}

void softmax_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                          const float *y_r, pair_rows rows, shape3 s, int axis, rule_kind rule, int acc) {
    int L;
    int64_t St, lines, n = (int64_t)s.C * s.T * s.V;
    line_geometry(s, axis, &L, &St, &lines);
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++) {
        for (int64_t l = 0; l < lines; l++) {
            int64_t base = (l / St) * L * St + l % St;
            const float *my = m_y + q * n + base;
            float *mx = m_x + q * n + base;
            const float *xi = x_i + (int64_t)rows.xi[q] * n + base, *xr = x_r + (int64_t)rows.xr[q] * n + base;
            if (rule == RULE_RESCALE) {
                rs_softmax_line(mx, my, xi, xr, L, St, acc);
                continue;
            }
            /* the ordinary Jacobian product at one side: y ⊙ (m − Σ m·y) */
            int at_inst = rule == RULE_AT_INST;
            const float *yj = (at_inst ? y_i + (int64_t)rows.xi[q] * n : y_r + (int64_t)rows.xr[q] * n) + base;
            double dot = 0;
            for (int j = 0; j < L; j++) dot += (double)my[j * St] * yj[j * St];
            if (!acc)
                for (int j = 0; j < L; j++) mx[j * St] = 0.0f;
            if (rule == RULE_AT_INST || rule == RULE_AT_REF) {
                for (int j = 0; j < L; j++) mx[j * St] += (float)(yj[j * St] * (my[j * St] - dot));
                continue;
            }
            const float *yi = y_i + (int64_t)rows.xi[q] * n + base; /* shap: elementwise Δy/Δx */
            for (int j = 0; j < L; j++) {
                float d = xi[j * St] - xr[j * St];
                mx[j * St] += fabsf(d) < RESCALE_EPS ? (float)(yj[j * St] * (my[j * St] - dot))
                                                     : my[j * St] * ((yi[j * St] - yj[j * St]) / d);
            }
        }
    }
}

static inline int64_t bidx(shape3 s, int c, int t, int v) {
    return ((int64_t)(s.C == 1 ? 0 : c) * s.T + (s.T == 1 ? 0 : t)) * s.V + (s.V == 1 ? 0 : v);
}

/* First maximum in scan order of each window (PyTorch's tie rule). */
static void argmax_windows(const float *x, shape3 sx, shape3 so, int64_t *arg) {
    int64_t no = (int64_t)so.C * so.T * so.V;
    for (int64_t o = 0; o < no; o++) arg[o] = -1;
    for (int c = 0; c < sx.C; c++)
        for (int t = 0; t < sx.T; t++)
            for (int v = 0; v < sx.V; v++) {
                int64_t e = ((int64_t)c * sx.T + t) * sx.V + v, o = bidx(so, c, t, v);
                if (arg[o] < 0 || x[e] > x[arg[o]]) arg[o] = e;
            }
}

void max_deeplift_cpu(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                      const float *y_r, pair_rows rows, shape3 sx, int axes, rule_kind rule, int acc) {
    shape3 so = {axes & AX_C ? 1 : sx.C, axes & AX_T ? 1 : sx.T, axes & AX_V ? 1 : sx.V};
    int64_t nx = (int64_t)sx.C * sx.T * sx.V, no = (int64_t)so.C * so.T * so.V;
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++) {
        int64_t *ai = malloc(sizeof(int64_t) * (size_t)no * 2), *ar = ai + no;
        const float *xi = x_i + (int64_t)rows.xi[q] * nx, *xr = x_r + (int64_t)rows.xr[q] * nx;
        const float *my = m_y + q * no;
        float *mx = m_x + q * nx;
        if (!acc) memset(mx, 0, sizeof(float) * (size_t)nx);
        argmax_windows(xi, sx, so, ai);
        argmax_windows(xr, sx, so, ar);
        for (int64_t o = 0; o < no; o++) {
            if (rule == RULE_AT_INST) {
                mx[ai[o]] += my[o];
            } else if (rule == RULE_AT_REF) {
                mx[ar[o]] += my[o];
            } else { /* DeepLIFT max rule, as shap's maxpool handler */
                float yx = y_i[(int64_t)rows.xi[q] * no + o], yr = y_r[(int64_t)rows.xr[q] * no + o];
                float M = fmaxf(yx, yr);
                float da = xi[ai[o]] - xr[ai[o]], db = xi[ar[o]] - xr[ar[o]];
                if (fabsf(da) >= MAX_RULE_EPS) mx[ai[o]] += my[o] * (M - yr) / da;
                if (fabsf(db) >= MAX_RULE_EPS) mx[ar[o]] += my[o] * (yx - M) / db;
            }
        }
        free(ai);
    }
}

void mul_deeplift_cpu(float *m_a, float *m_b, const float *m_z, const float *a_i, const float *a_r, const float *b_i,
                      const float *b_r, pair_rows rows, shape3 sz, shape3 sa, shape3 sb, rule_kind rule, int acc_a,
                      int acc_b) {
    int64_t nz = (int64_t)sz.C * sz.T * sz.V, na = (int64_t)sa.C * sa.T * sa.V, nb = (int64_t)sb.C * sb.T * sb.V;
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++) {
        const float *ai = a_i + (int64_t)rows.xi[q] * na, *ar = a_r + (int64_t)rows.xr[q] * na;
        const float *bi = b_i + (int64_t)rows.xi[q] * nb, *br = b_r + (int64_t)rows.xr[q] * nb;
        const float *mz = m_z + q * nz;
        float *ma = m_a + q * na, *mb = m_b + q * nb;
        if (!acc_a) memset(ma, 0, sizeof(float) * (size_t)na);
        if (!acc_b) memset(mb, 0, sizeof(float) * (size_t)nb);
        for (int c = 0; c < sz.C; c++)
            for (int t = 0; t < sz.T; t++)
                for (int v = 0; v < sz.V; v++) {
                    int64_t ia = bidx(sa, c, t, v), ib = bidx(sb, c, t, v);
                    float m = mz[((int64_t)c * sz.T + t) * sz.V + v], fa, fb;
                    if (rule == RULE_AT_INST) {
                        fa = bi[ib];
                        fb = ai[ia];
                    } else if (rule == RULE_AT_REF) {
                        fa = br[ib];
                        fb = ar[ia];
                    } else { /* two-player Shapley: Δz = m_a Δa + m_b Δb exactly */
                        fa = 0.5f * (bi[ib] + br[ib]);
                        fb = 0.5f * (ai[ia] + ar[ia]);
                    }
                    ma[ia] += m * fa;
                    mb[ib] += m * fb;
                }
    }
}
