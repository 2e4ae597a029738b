#include "cpu/deeplift_nd.h"

#include <math.h>
#include <stdlib.h>

#include "cpu/act.h"
#include "cpu/backward_nd.h"
#include "cpu/nd_index.h"
#include "cpu/ops_nd.h"
#include "cpu/rescale.h"

static int exact_rule(rule_kind rule) { return rule == RULE_RESCALE || rule == RULE_SHAPLEY; }

int act_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                    const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                    rule_kind rule, int acc) {
    (void)which, (void)y_i, (void)y_r;
    int64_t S = nd_numel(&sx[0]), inner = sx[0].rank ? S / sx[0].d[0] : 1;
    if (rule == RULE_SHAPLEY) rule = RULE_RESCALE;
    if (nd->act < ACT_COUNT) {
        act_deeplift_cpu(m_x, m_y, x_i[0], x_r[0], rows, S, nd->act, rule, acc);
        return 0;
    }
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++) {
        const float *xi = x_i[0] + (int64_t)rows.xi[q] * S, *xr = x_r[0] + (int64_t)rows.xr[q] * S;
        const float *my = m_y + (int64_t)q * S;
        float *mx = m_x + (int64_t)q * S;
        for (int64_t e = 0; e < S; e++) {
            float al = act_alpha_at(nd, inner, e), a = xi[e], b = xr[e];
            double slope;
            if (rule == RULE_AT_INST) slope = act_derivative_p(nd->act, a, al, nd->beta);
            else if (rule == RULE_AT_REF) slope = act_derivative_p(nd->act, b, al, nd->beta);
            else {
                if (rule == RULE_SHAP_RESCALE && fabs((double)a - (double)b) < RESCALE_EPS) a = b;
                slope = rs_act_secant_p(nd->act, a, b, al, nd->beta);
            }
            float v = (float)(my[e] * slope);
            mx[e] = acc ? mx[e] + v : v;
        }
    }
    return 0;
}

/* The multiplier factor of operand k of a ∘ b (∘ = mul or div) for one
 * element pair: a = (ai, ar), b = (bi, br). */
static inline double product_factor(int op, int k, rule_kind rule, double ai, double ar, double bi, double br) {
    if (rule == RULE_AT_INST) ar = ai, br = bi;
    else if (!exact_rule(rule)) ai = ar, bi = br; /* at the reference; shap has no handler for these */
    if (op == BIN_MUL) return k == 0 ? 0.5 * (bi + br) : 0.5 * (ai + ar);
    return k == 0 ? 0.5 * (1 / bi + 1 / br) : -0.5 * (ai + ar) / (bi * br);
}

int binary_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                       const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                       rule_kind rule, int acc) {
    (void)y_i, (void)y_r;
    nd_operands oi = nd_binary_operands(x_i, sx, nd), orr = nd_binary_operands(x_r, sx, nd);
    int k = oi.act[0] == which ? 0 : 1;
    int64_t sa[NODE_MAX_RANK], sb[NODE_MAX_RANK], n = nd_numel(&nd->shape), nx = oi.row[k];
    nd_bcast_strides(&nd->shape, &oi.s[0], sa);
    nd_bcast_strides(&nd->shape, &oi.s[1], sb);
    int64_t *oa = nd_offsets(&nd->shape, sa, 0), *ob = nd_offsets(&nd->shape, sb, 0);
    if (!oa || !ob) {
        free(oa), free(ob);
        return -1;
    }
    nd_clear_rows(m_x, rows.B, nx, acc);
#pragma omp parallel for schedule(static)
    for (int q = 0; q < rows.B; q++) {
        /* the constant has row size 0: every pair reads it at offset 0 */
        const float *ai = oi.p[0] + rows.xi[q] * oi.row[0], *ar = orr.p[0] + rows.xr[q] * orr.row[0];
        const float *bi = oi.p[1] + rows.xi[q] * oi.row[1], *br = orr.p[1] + rows.xr[q] * orr.row[1];
        const float *my = m_y + (int64_t)q * n;
        float *mx = m_x + (int64_t)q * nx;
        const int64_t *ox = k == 0 ? oa : ob;
        for (int64_t e = 0; e < n; e++)
            mx[ox[e]] += (float)(my[e] * product_factor(nd->binop, k, rule, ai[oa[e]], ar[oa[e]], bi[ob[e]], br[ob[e]]));
    }
    free(oa), free(ob);
    return 0;
}

int matmul_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                       const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                       rule_kind rule, int acc) {
    (void)y_i, (void)y_r, (void)nd;
    matmul_geom g;
    if (matmul_geom_make(&g, &sx[0], &sx[1])) return -1;
    int other = 1 - which;
    int64_t nx = nd_numel(&sx[which]), no = nd_numel(&sx[other]), ny = g.nb * g.n * g.p;
    int fail = 0;
    nd_clear_rows(m_x, rows.B, nx, acc);
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int q = 0; q < rows.B; q++) {
        const float *oi = x_i[other] + (int64_t)rows.xi[q] * no, *orr = x_r[other] + (int64_t)rows.xr[q] * no;
        float *bar = NULL;
        const float *f = rule == RULE_AT_INST ? oi : orr;
        if (exact_rule(rule)) { /* two-player Shapley: the other operand at its midpoint */
            bar = malloc(sizeof(float) * (size_t)(no > 0 ? no : 1));
            if (!bar) {
                fail = 1;
                continue;
            }
            for (int64_t e = 0; e < no; e++) bar[e] = 0.5f * (oi[e] + orr[e]);
            f = bar;
        }
        if (which == 0)
            matmul_grad_a(m_x + (int64_t)q * nx, m_y + (int64_t)q * ny, f, &g);
        else
            matmul_grad_b(m_x + (int64_t)q * nx, f, m_y + (int64_t)q * ny, &g);
        free(bar);
    }
    matmul_geom_free(&g);
    return fail ? -1 : 0;
}

/* First maximum in scan order of one pooling window (PyTorch's and ONNX
 * Runtime's tie rule); -1 if the window holds no input position. */
static int64_t window_argmax(const float *x, const sp_geom *g, int64_t oh, int64_t ow) {
    int64_t arg = -1;
    for (int i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->ph + (int64_t)i * g->dh;
        if (ih < 0 || ih >= g->H) continue;
        for (int j = 0; j < g->kw; j++) {
            int64_t iw = ow * g->sw - g->pw + (int64_t)j * g->dw, e = ih * g->W + iw;
            if (iw >= 0 && iw < g->W && (arg < 0 || x[e] > x[arg])) arg = e;
        }
    }
    return arg;
}

int pool_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                     const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                     rule_kind rule, int acc) {
    (void)which, (void)y_i, (void)y_r;
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t nx = g.C * g.H * g.W, ny = g.C * g.Ho * g.Wo, HW = g.H * g.W;
    nd_clear_rows(m_x, rows.B, nx, acc);
#pragma omp parallel for collapse(2) schedule(static)
    for (int q = 0; q < rows.B; q++)
        for (int64_t c = 0; c < g.C; c++) {
            const float *xi = x_i[0] + (int64_t)rows.xi[q] * nx + c * HW, *xr = x_r[0] + (int64_t)rows.xr[q] * nx + c * HW;
            const float *my = m_y + (int64_t)q * ny + c * g.Ho * g.Wo;
            float *mx = m_x + (int64_t)q * nx + c * HW;
            for (int64_t oh = 0; oh < g.Ho; oh++)
                for (int64_t ow = 0; ow < g.Wo; ow++) {
                    int64_t ai = window_argmax(xi, &g, oh, ow), ar = window_argmax(xr, &g, oh, ow);
                    float m = my[oh * g.Wo + ow];
                    if (ai < 0) continue;
                    if (rule == RULE_AT_INST) {
                        mx[ai] += m;
                    } else if (rule == RULE_AT_REF) {
                        mx[ar] += m;
                    } else { /* DeepLIFT max rule (max_deeplift_cpu) */
                        float yx = xi[ai], yr = xr[ar], M = fmaxf(yx, yr);
                        float da = xi[ai] - xr[ai], db = xi[ar] - xr[ar];
                        if (fabsf(da) >= MAX_RULE_EPS) mx[ai] += m * (M - yr) / da;
                        if (fabsf(db) >= MAX_RULE_EPS) mx[ar] += m * (yx - M) / db;
                    }
                }
        }
    return 0;
}

int softmax_deeplift_nd(float *m_x, const float *m_y, int which, const float *const *x_i, const float *const *x_r,
                        const float *y_i, const float *y_r, const nd_shape *sx, const node *nd, pair_rows rows,
                        rule_kind rule, int acc) {
    (void)which;
    int64_t outer, L, inner;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
    softmax_deeplift_cpu(m_x, m_y, x_i[0], x_r[0], y_i, y_r, rows, (shape3){(int)outer, (int)L, (int)inner}, AX_T,
                         rule == RULE_SHAPLEY ? RULE_RESCALE : rule, acc);
    return 0;
}
