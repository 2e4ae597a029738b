/* Element bodies of the general-graph kernels (nd_kernels.cu; host
 * emulation: tests/emu/emu_kernels.c), twins of cpu/ops_nd.c,
 * backward_nd.c and deeplift_nd.c. Every body computes one output element
 * in the CPU's order: where the CPU scatters (+= into m_x in its loop
 * order), the body gathers the same terms for its element in that order,
 * so no atomics are needed and the sums round as on the CPU. Shapes are
 * per sample (nd_shape, the batch axis excluded); `o` runs over the batch
 * rows times the elements of one row. */
#ifndef DSHAP_CUDA_ELEM_ND_H
#define DSHAP_CUDA_ELEM_ND_H

#include "cuda/elem.h"

#ifdef __cplusplus
extern "C" {
#endif
#include "cpu/act.h"
#include "cpu/ops_nd.h"
#ifdef __cplusplus
}
#endif

#define ELR NODE_MAX_RANK

/* A strided view: element e (row-major over d) is at base + Σ_j idx_j st_j. */
typedef struct {
    int rank;
    int64_t d[ELR], st[ELR], base;
} el_view;

/* Slice and pad: output index j on axis a reads input index j·step + start
 * (slice: its starts and steps; pad: −pads, 1); outside [0, din): the fill. */
typedef struct {
    int rank;
    int64_t dout[ELR], din[ELR], start[ELR], step[ELR];
} el_crop;

/* A small tensor broadcast over a big one (row-major d): ds its dims aligned
 * to d's axes (1 where broadcast); sto the strides at which a third tensor
 * (the other operand) is read along d, 0 where unused. */
typedef struct {
    int rank;
    int64_t d[ELR], ds[ELR], sto[ELR];
} el_bcast;

EL int64_t el_view_at(const el_view *v, int64_t e) {
    int64_t off = v->base;
    for (int j = v->rank - 1; j >= 0; j--) {
        int64_t q = e / v->d[j];
        off += (e - q * v->d[j]) * v->st[j];
        e = q;
    }
    return off;
}

/* Positions of the big tensor that element xe of the small one maps onto */
EL int64_t el_bcast_count(const el_bcast *g) {
    int64_t n = 1;
    for (int j = 0; j < g->rank; j++)
        if (g->ds[j] != g->d[j]) n *= g->d[j];
    return n;
}

/* The t-th of them in increasing order: its offset in the big tensor, and
 * the third tensor's offset there (*oth). */
EL int64_t el_bcast_at(const el_bcast *g, int64_t xe, int64_t t, int64_t *oth) {
    int64_t big = 0, ob = 0, st = 1;
    for (int j = g->rank - 1; j >= 0; j--) {
        int64_t i;
        if (g->ds[j] == g->d[j]) {
            int64_t q = xe / g->ds[j];
            i = xe - q * g->ds[j];
            xe = q;
        } else {
            int64_t q = t / g->d[j];
            i = t - q * g->d[j];
            t = q;
        }
        big += i * st, ob += i * g->sto[j];
        st *= g->d[j];
    }
    *oth = ob;
    return big;
}

/* ---- forward ---- */

/* o over dst (B, per_row): dst = src read through the view (transpose; its
 * backward with the inverse view and acc) */
EL void el_permute(int64_t o, float *dst, const float *src, el_view v, int64_t per_row, int acc) {
    int64_t r = o / per_row;
    float val = src[r * per_row + el_view_at(&v, o - r * per_row)];
    dst[o] = acc ? dst[o] + val : val;
}

EL float el_binop(int op, float a, float b) {
    switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    }
    return a / b;
}

/* o over y (B, ny); va / vb: the operands' broadcast views over y's shape,
 * ra / rb their floats per row (0: a constant) */
EL void el_binary_nd(int64_t o, float *y, const float *a, const float *b, el_view va, el_view vb, int64_t ra,
                     int64_t rb, int64_t ny, int op) {
    int64_t r = o / ny, e = o - r * ny;
    y[o] = el_binop(op, a[r * ra + el_view_at(&va, e)], b[r * rb + el_view_at(&vb, e)]);
}

/* o over y (B, ny): the sum (mean) over x's positions that reduce onto it
 * (g: small = y, big = x), in double in x's order, as reduce_forward_nd */
EL void el_reduce_nd(int64_t o, float *y, const float *x, el_bcast g, int64_t nx, int64_t ny, int64_t cnt, int mean) {
    int64_t r = o / ny, e = o - r * ny, n = el_bcast_count(&g), oth;
    double s = 0;
    for (int64_t t = 0; t < n; t++) s += x[r * nx + el_bcast_at(&g, e, t, &oth)];
    y[o] = (float)(mean ? s / (double)cnt : s);
}

/* Device twin of ops_nd.c's pool_count (ONNX count_include_pad). */
EL int64_t el_pool_count(const sp_geom *g, int cip, int64_t oh, int64_t ow) {
    int64_t n = 0;
    for (int i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->ph + (int64_t)i * g->dh;
        int inh = cip ? ih < g->H + g->ph_end : ih >= 0 && ih < g->H;
        for (int j = 0; j < g->kw; j++) {
            int64_t iw = ow * g->sw - g->pw + (int64_t)j * g->dw;
            int inw = cip ? iw < g->W + g->pw_end : iw >= 0 && iw < g->W;
            n += inh && inw;
        }
    }
    return n;
}

/* o over y (B, C, Ho, Wo) */
EL void el_pool_forward(int64_t o, float *y, const float *x, sp_geom g, int is_max, int cip) {
    int64_t ow = o % g.Wo, oh = (o / g.Wo) % g.Ho, rc = o / (g.Wo * g.Ho);
    const float *xc = x + rc * g.H * g.W;
    double s = 0;
    float m = -INFINITY;
    for (int i = 0; i < g.kh; i++) {
        int64_t ih = oh * g.sh - g.ph + (int64_t)i * g.dh;
        if (ih < 0 || ih >= g.H) continue;
        for (int j = 0; j < g.kw; j++) {
            int64_t iw = ow * g.sw - g.pw + (int64_t)j * g.dw;
            if (iw < 0 || iw >= g.W) continue;
            float v = xc[ih * g.W + iw];
            s += v;
            m = v > m ? v : m;
        }
    }
    y[o] = is_max ? m : (float)(s / (double)el_pool_count(&g, cip, oh, ow));
}

/* o over y (B, ny) */
EL void el_crop_forward(int64_t o, float *y, const float *x, el_crop c, int64_t nx, int64_t ny, float fill) {
    int64_t r = o / ny, e = o - r * ny, off = 0, st = 1;
    int in = 1;
    for (int j = c.rank - 1; j >= 0; j--) {
        int64_t q = e / c.dout[j], i = (e - q * c.dout[j]) * c.step[j] + c.start[j];
        e = q;
        if (i < 0 || i >= c.din[j]) in = 0;
        off += i * st;
        st *= c.din[j];
    }
    y[o] = in ? x[r * nx + off] : fill;
}

/* o over part (B, outer, li): into y's rows (outer, L·inner) at `at` */
EL void el_concat_nd(int64_t o, float *y, const float *part, int64_t li, int64_t Linner, int64_t at) {
    int64_t ro = o / li;
    y[ro * Linner + at + (o - ro * li)] = part[o];
}

/* o over y (B, outer, G, inner) = x (B, outer, L, inner) at index[j] */
EL void el_gather_nd(int64_t o, float *y, const float *x, const int64_t *index, int64_t L, int64_t G, int64_t inner) {
    int64_t in = o % inner, j = (o / inner) % G, ro = o / (inner * G);
    y[o] = x[(ro * L + index[j]) * inner + in];
}

/* act_alpha_at: PRelu's slope per index along axis 0 (or its one), else alpha */
EL float el_alpha_at(int act, float alpha, const float *slope, int64_t slope_n, int64_t inner, int64_t e) {
    if (act != ACT_PRELU) return alpha;
    return slope[slope_n == 1 ? 0 : e / inner];
}

/* o over y (B, per_row): an imported-graph activation (act.h) */
EL void el_act_nd_forward(int64_t o, float *y, const float *x, int64_t per_row, int64_t inner, int act, float alpha,
                          float beta, const float *slope, int64_t slope_n) {
    float al = el_alpha_at(act, alpha, slope, slope_n, inner, o % per_row);
    y[o] = act_nd_value(act, x[o], al, beta);
}

/* ---- GEMM helpers (matmul and conv, ops_nd_cuda.c) ---- */

/* o over col (rows, G, cg·kh·kw, Ho·Wo): sp_im2col of each row and group */
EL void el_im2col_nd(int64_t o, float *col, const float *x, sp_geom g, int64_t cg, int64_t G, int64_t nx) {
    int64_t N = g.Ho * g.Wo, K = cg * g.kh * g.kw;
    int64_t p = o % N, kq = (o / N) % K, gi = (o / (N * K)) % G, r = o / (N * K * G);
    int64_t j = kq % g.kw, i = (kq / g.kw) % g.kh, ci = kq / ((int64_t)g.kw * g.kh);
    int64_t ih = (p / g.Wo) * g.sh - g.ph + i * g.dh, iw = (p % g.Wo) * g.sw - g.pw + j * g.dw;
    int in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
    col[o] = in ? x[r * nx + ((gi * cg + ci) * g.H + ih) * g.W + iw] : 0.0f;
}

/* o over m_x (rows, C, H, W): sp_col2im's sum for this element, taps in its order */
EL void el_col2im_nd(int64_t o, float *m_x, const float *col, sp_geom g, int64_t cg, int64_t G, int64_t nx, int acc) {
    int64_t N = g.Ho * g.Wo, K = cg * g.kh * g.kw, r = o / nx, e = o - r * nx;
    int64_t iw = e % g.W, ih = (e / g.W) % g.H, c = e / (g.W * g.H), gi = c / cg, ci = c % cg;
    const float *cr = col + (r * G + gi) * K * N;
    float s = acc ? m_x[o] : 0.0f;
    for (int i = 0; i < g.kh; i++) {
        int64_t th = ih + g.ph - (int64_t)i * g.dh;
        if (th < 0 || th % g.sh || th / g.sh >= g.Ho) continue;
        for (int j = 0; j < g.kw; j++) {
            int64_t tw = iw + g.pw - (int64_t)j * g.dw;
            if (tw < 0 || tw % g.sw || tw / g.sw >= g.Wo) continue;
            s += cr[((ci * g.kh + i) * g.kw + j) * N + (th / g.sh) * g.Wo + tw / g.sw];
        }
    }
    m_x[o] = s;
}

/* o over y (B, Co, N) */
EL void el_bias_add_nd(int64_t o, float *y, const float *b, int64_t Co, int64_t N) { y[o] += b[(o / N) % Co]; }

/* o over f (rows, no): the other matmul operand as the rule reads it (row q
 * from q0): the midpoint for the exact rules, else one side */
EL void el_matmul_factor(int64_t o, float *f, const float *oi, const float *orr, pair_rows rows, int q0, int64_t no,
                         int rule) {
    int64_t q = q0 + o / no, e = o % no;
    float a = oi[(int64_t)rows.xi[q] * no + e], b = orr[(int64_t)rows.xr[q] * no + e];
    int exact = rule == RULE_RESCALE || rule == RULE_SHAPLEY;
    f[o] = exact ? 0.5f * (a + b) : (rule == RULE_AT_INST ? a : b);
}

/* ---- linear backward ---- */

/* o over m_x (B, nx): slice / pad backward (each input element is read by
 * at most one output element) */
EL void el_crop_backward(int64_t o, float *m_x, const float *m_y, el_crop c, int64_t nx, int64_t ny, int acc) {
    int64_t r = o / nx, e = o - r * nx, off = 0, st = 1;
    int in = 1;
    for (int j = c.rank - 1; j >= 0; j--) {
        int64_t q = e / c.din[j], t = e - q * c.din[j] - c.start[j];
        e = q;
        if (t < 0 || t % c.step[j] || t / c.step[j] >= c.dout[j]) in = 0;
        else off += (t / c.step[j]) * st;
        st *= c.dout[j];
    }
    if (in) m_x[o] = acc ? m_x[o] + m_y[r * ny + off] : m_y[r * ny + off];
    else if (!acc) m_x[o] = 0.0f;
}

/* o over m_x (B, nx) of operand k of a linear OP_BINARY (g: small = that
 * operand, big = y; sto: the constant's strides, kd the constant) */
EL void el_binary_backward_nd(int64_t o, float *m_x, const float *m_y, const float *kd, el_bcast g, int64_t nx,
                              int64_t ny, int op, int k, int acc) {
    int64_t r = o / nx, xe = o - r * nx, n = el_bcast_count(&g), ok;
    const float *my = m_y + r * ny;
    float s = acc ? m_x[o] : 0.0f;
    for (int64_t t = 0; t < n; t++) {
        float m = my[el_bcast_at(&g, xe, t, &ok)];
        if (op == BIN_SUB && k == 1) m = -m;
        else if (op == BIN_MUL) m *= kd[ok];
        else if (op == BIN_DIV) m /= kd[ok];
        s += m;
    }
    m_x[o] = s;
}

/* o over m_x (B, nx): reduce backward (v: y's offset per x element) */
EL void el_reduce_backward_nd(int64_t o, float *m_x, const float *m_y, el_view v, int64_t nx, int64_t ny, float f,
                              int acc) {
    int64_t r = o / nx;
    m_x[o] = (acc ? m_x[o] : 0.0f) + m_y[r * ny + el_view_at(&v, o - r * nx)] * f;
}

/* Output positions (first and last) of the windows that hold input index
 * i along one axis (kernel k, stride s, dilation d, begin pad p). */
EL void el_windows_of(int64_t i, int k, int s, int d, int64_t p, int64_t n_out, int64_t *lo, int64_t *hi) {
    int64_t a = i + p - (int64_t)(k - 1) * d, b = i + p;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b < 0 ? -1 : b / s;
    if (*hi > n_out - 1) *hi = n_out - 1;
}

/* Window (oh, ow) holds (ih, iw) as one of its taps */
EL int el_in_window(const sp_geom *g, int64_t oh, int64_t ow, int64_t ih, int64_t iw) {
    int64_t th = ih + g->ph - oh * g->sh, tw = iw + g->pw - ow * g->sw;
    return th >= 0 && th % g->dh == 0 && th / g->dh < g->kh && tw >= 0 && tw % g->dw == 0 && tw / g->dw < g->kw;
}

/* o over m_x (B, C, H, W): average pool backward, windows in the CPU's order */
EL void el_pool_backward(int64_t o, float *m_x, const float *m_y, sp_geom g, int cip, int acc) {
    int64_t iw = o % g.W, ih = (o / g.W) % g.H, rc = o / (g.W * g.H), h0, h1, w0, w1;
    el_windows_of(ih, g.kh, g.sh, g.dh, g.ph, g.Ho, &h0, &h1);
    el_windows_of(iw, g.kw, g.sw, g.dw, g.pw, g.Wo, &w0, &w1);
    const float *my = m_y + rc * g.Ho * g.Wo;
    float s = acc ? m_x[o] : 0.0f;
    for (int64_t oh = h0; oh <= h1; oh++)
        for (int64_t ow = w0; ow <= w1; ow++)
            if (el_in_window(&g, oh, ow, ih, iw))
                s += (float)(my[oh * g.Wo + ow] / (double)el_pool_count(&g, cip, oh, ow));
    m_x[o] = s;
}

/* o over m_x (B, outer, li): concat backward of one input */
EL void el_concat_backward_nd(int64_t o, float *m_x, const float *m_y, int64_t li, int64_t Linner, int64_t at,
                              int acc) {
    int64_t ro = o / li;
    float v = m_y[ro * Linner + at + (o - ro * li)];
    m_x[o] = acc ? m_x[o] + v : v;
}

/* o over m_x (B, outer, L, inner): the gathered copies of it, in index order */
EL void el_gather_backward_nd(int64_t o, float *m_x, const float *m_y, const int64_t *index, int64_t L, int64_t G,
                              int64_t inner, int acc) {
    int64_t in = o % inner, l = (o / inner) % L, ro = o / (inner * L);
    float s = acc ? m_x[o] : 0.0f;
    for (int64_t j = 0; j < G; j++)
        if (index[j] == l) s += m_y[(ro * G + j) * inner + in];
    m_x[o] = s;
}

/* ---- rules ---- */

/* o over m_x (rows.B, S): an imported-graph activation (act_deeplift_nd) */
EL void el_act_nd_deeplift(int64_t o, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                           pair_rows rows, int64_t S, int64_t inner, int act, float alpha, float beta,
                           const float *slope, int64_t slope_n, int rule, int acc) {
    int64_t q = o / S, e = o - q * S;
    float al = el_alpha_at(act, alpha, slope, slope_n, inner, e);
    float a = x_i[(int64_t)rows.xi[q] * S + e], b = x_r[(int64_t)rows.xr[q] * S + e];
    double slope_v;
    if (rule == RULE_AT_INST) {
        slope_v = act_nd_derivative(act, a, al, beta);
    } else if (rule == RULE_AT_REF) {
        slope_v = act_nd_derivative(act, b, al, beta);
    } else {
        if (rule == RULE_SHAP_RESCALE && fabs((double)a - (double)b) < RESCALE_EPS) a = b;
        slope_v = rs_act_secant_p(act, a, b, al, beta);
    }
    float v = (float)(m_y[o] * slope_v);
    m_x[o] = acc ? m_x[o] + v : v;
}

/* deeplift_nd.c's factor of operand k of a ∘ b (∘ mul or div) */
EL double el_product_factor(int op, int k, int rule, double ai, double ar, double bi, double br) {
    if (rule == RULE_AT_INST) ar = ai, br = bi;
    else if (rule != RULE_RESCALE && rule != RULE_SHAPLEY) ai = ar, bi = br;
    if (op == BIN_MUL) return k == 0 ? 0.5 * (bi + br) : 0.5 * (ai + ar);
    return k == 0 ? 0.5 * (1 / bi + 1 / br) : -0.5 * (ai + ar) / (bi * br);
}

/* o over m_x (rows.B, nx) of operand k of a mul / div (g: small = operand
 * k, big = y, sto = the other operand's strides); operands with their
 * floats per row (0: the constant) */
EL void el_binary_deeplift_nd(int64_t o, float *m_x, const float *m_y, const float *own_i, const float *own_r,
                              const float *oth_i, const float *oth_r, int64_t own_row, int64_t oth_row,
                              pair_rows rows, el_bcast g, int64_t nx, int64_t ny, int op, int k, int rule, int acc) {
    int64_t q = o / nx, xe = o - q * nx, n = el_bcast_count(&g), ob;
    const float *ui = own_i + rows.xi[q] * own_row, *ur = own_r + rows.xr[q] * own_row;
    const float *wi = oth_i + rows.xi[q] * oth_row, *wr = oth_r + rows.xr[q] * oth_row;
    const float *my = m_y + q * ny;
    float s = acc ? m_x[o] : 0.0f;
    for (int64_t t = 0; t < n; t++) {
        int64_t e = el_bcast_at(&g, xe, t, &ob);
        double f = k == 0 ? el_product_factor(op, 0, rule, ui[xe], ur[xe], wi[ob], wr[ob])
                          : el_product_factor(op, 1, rule, wi[ob], wr[ob], ui[xe], ur[xe]);
        s += (float)(my[e] * f);
    }
    m_x[o] = s;
}

/* First maximum in scan order of window (oh, ow) of one channel (-1: none) */
EL int64_t el_window_argmax(const float *x, const sp_geom *g, int64_t oh, int64_t ow) {
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

/* o over m_x (rows.B, C, H, W): the max rule's terms of the windows whose
 * argmax (either side) is this element, in the CPU's window order */
EL void el_pool_max_deeplift(int64_t o, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                             pair_rows rows, sp_geom g, int rule, int acc) {
    int64_t HW = g.H * g.W, nx = g.C * HW, q = o / nx, c = (o / HW) % g.C, e = o % HW;
    int64_t iw = e % g.W, ih = e / g.W, h0, h1, w0, w1;
    const float *xi = x_i + (int64_t)rows.xi[q] * nx + c * HW, *xr = x_r + (int64_t)rows.xr[q] * nx + c * HW;
    const float *my = m_y + (q * g.C + c) * g.Ho * g.Wo;
    el_windows_of(ih, g.kh, g.sh, g.dh, g.ph, g.Ho, &h0, &h1);
    el_windows_of(iw, g.kw, g.sw, g.dw, g.pw, g.Wo, &w0, &w1);
    float s = acc ? m_x[o] : 0.0f;
    for (int64_t oh = h0; oh <= h1; oh++)
        for (int64_t ow = w0; ow <= w1; ow++) {
            if (!el_in_window(&g, oh, ow, ih, iw)) continue;
            int64_t ai = el_window_argmax(xi, &g, oh, ow), ar = el_window_argmax(xr, &g, oh, ow);
            float m = my[oh * g.Wo + ow];
            if (rule == RULE_AT_INST) {
                if (ai == e) s += m;
            } else if (rule == RULE_AT_REF) {
                if (ar == e) s += m;
            } else { /* DeepLIFT max rule (pool_deeplift_nd) */
                float yx = xi[ai], yr = xr[ar], M = fmaxf(yx, yr);
                float da = xi[ai] - xr[ai], db = xi[ar] - xr[ar];
                if (ai == e && fabsf(da) >= MAX_RULE_EPS) s += m * (M - yr) / da;
                if (ar == e && fabsf(db) >= MAX_RULE_EPS) s += m * (yx - M) / db;
            }
        }
    m_x[o] = s;
}

#endif
