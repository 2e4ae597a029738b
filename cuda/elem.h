/* The per-element bodies of the CUDA kernels, as inline functions that
 * compile both as device code (nvcc) and as host C. A kernel is a grid-stride
 * loop over one of these; the host emulation of the backend (tests/emu)
 * loops over the same functions on the CPU, so the indexing of every kernel
 * is tested on machines without a GPU. `o` is the flat index of the element
 * a call writes (its meaning is given per function). */
#ifndef DSHAP_CUDA_ELEM_H
#define DSHAP_CUDA_ELEM_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "cpu/deeplift_cpu.h"
#include "cpu/rescale.h"
#include "engine/arch.h"
#include "engine/granularity.h"
#include "engine/net.h"
#ifdef __cplusplus
}
#endif

#ifdef __CUDACC__
#define EL static __host__ __device__ __forceinline__
#else
#define EL static inline
#endif

/* ---- scalar helpers (ops_cpu.c / act.h's conventions) ---- */

/* exp and tanh as the CPU gets them: on the device through double precision
 * and one rounding (glibc's expf is correctly rounded but for rare cases),
 * where CUDA's expf / tanhf may be 2 ulp off (forward values and gradients;
 * the rescale rules compute in double, cpu/rescale.h). With --fmad=false for
 * the kernels, + − × / round exactly as on the CPU. */
EL float el_exp(float x) {
#ifdef __CUDA_ARCH__
    return (float)exp((double)x);
#else
    return expf(x);
#endif
}

EL float el_tanh(float x) {
#ifdef __CUDA_ARCH__
    return (float)tanh((double)x);
#else
    return tanhf(x);
#endif
}

EL float el_act_value(int act, float x) {
    switch (act) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case ACT_HARDSWISH: return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6);
    case ACT_SILU: return x / (1 + el_exp(-x));
    case ACT_SIGMOID: return 1 / (1 + el_exp(-x));
    case ACT_TANH: return el_tanh(x);
    }
    return x;
}

EL float el_act_derivative(int act, float x) {
    switch (act) {
    case ACT_RELU: return x > 0 ? 1.0f : 0.0f;
    case ACT_RELU6: return x > 0 && x < 6 ? 1.0f : 0.0f;
    case ACT_HARDSWISH: return x < -3 ? 0.0f : (x > 3 ? 1.0f : (2 * x + 3) / 6);
    case ACT_SILU: {
        float s = 1 / (1 + el_exp(-x));
        return s * (1 + x * (1 - s));
    }
    case ACT_SIGMOID: {
        float s = 1 / (1 + el_exp(-x));
        return s * (1 - s);
    }
    case ACT_TANH: {
        float t = el_tanh(x);
        return 1 - t * t;
    }
    }
    return 1.0f;
}

/* Index of (c, t, v) in a tensor of shape s broadcast over its size-1 axes. */
EL int64_t el_bidx(shape3 s, int c, int t, int v) {
    return ((int64_t)(s.C == 1 ? 0 : c) * s.T + (s.T == 1 ? 0 : t)) * s.V + (s.V == 1 ? 0 : v);
}

EL int64_t el_size(shape3 s) { return (int64_t)s.C * s.T * s.V; }

EL int64_t el_floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* ---- forward (ops_cuda.cu) ---- */

/* o over y (N·M, C, T, V); branch −1: over y (N, C·T·V) = x as it is */
EL void el_input_forward(int64_t o, float *y, const float *x, int n_branches, int branch, int C, int T, int V,
                         int M) {
    if (branch < 0) {
        y[o] = x[o];
        return;
    }
    int64_t TV = (int64_t)T * V;
    int64_t tv = o % TV, c = (o / TV) % C, row = o / (TV * C);
    int64_t n = row / M, m = row % M;
    y[o] = x[(((n * n_branches + branch) * C + c) * TV + tv) * M + m];
}

/* o over w (Cout, Cin, k) → wt (k, Cout, Cin) */
EL void el_conv_relayout(int64_t o, float *wt, const float *w, int Cout, int Cin, int k) {
    int64_t j = o % k, ci = (o / k) % Cin, co = o / ((int64_t)k * Cin);
    wt[(j * Cout + co) * Cin + ci] = w[o];
}

/* o over y (B, Cout, TVo): the bias (or 0) the tap GEMMs add to */
EL void el_bias_fill(int64_t o, float *y, const float *bias, int Cout, int64_t TVo) {
    y[o] = bias ? bias[(o / TVo) % Cout] : 0.0f;
}

/* o over xs (nb, Cin, nt, V) = x at frames (t_lo + t')·stride + shift */
EL void el_conv_gather(int64_t o, float *xs, const float *x, int Tin, int V, int nt, int t_lo, int stride, int shift) {
    int64_t v = o % V, t = (o / V) % nt, bc = o / ((int64_t)V * nt);
    xs[o] = x[(bc * Tin + (t_lo + t) * stride + shift) * V + v];
}

/* o over y (B, C, Tout, V) */
EL void el_depthwise_forward(int64_t o, float *y, const float *x, const float *w, const float *bias, int C, int Tin,
                             int V, int Tout, int k, int stride, int pad) {
    int64_t v = o % V, t = (o / V) % Tout, bc = o / ((int64_t)V * Tout);
    int c = (int)(bc % C);
    const float *xc = x + bc * Tin * V;
    const float *wc = w + (int64_t)c * k;
    float s = 0;
    for (int j = 0; j < k; j++) {
        int ti = (int)t * stride + j - pad;
        if (ti >= 0 && ti < Tin) s += wc[j] * xc[(int64_t)ti * V + v];
    }
    y[o] = bias ? s + bias[c] : s;
}

EL void el_affine_forward(int64_t o, float *y, const float *x, const float *scale, const float *shift, int C, int TV) {
    int c = (int)((o / TV) % C);
    y[o] = x[o] * scale[c] + shift[c];
}

EL void el_act_forward(int64_t o, float *y, const float *x, int act) { y[o] = el_act_value(act, x[o]); }

/* o over y (B, sy) */
EL void el_binary(int64_t o, float *y, const float *a, const float *b, shape3 sy, shape3 sa, shape3 sb, int mul) {
    int64_t ny = el_size(sy), r = o / ny, e = o % ny;
    int v = (int)(e % sy.V), t = (int)((e / sy.V) % sy.T), c = (int)(e / ((int64_t)sy.V * sy.T));
    float p = a[r * el_size(sa) + el_bidx(sa, c, t, v)], q = b[r * el_size(sb) + el_bidx(sb, c, t, v)];
    y[o] = mul ? p * q : p + q;
}

/* Reduced shape of mean / max over `axes`. */
EL shape3 el_reduced(shape3 s, int axes) {
    shape3 so = {axes & AX_C ? 1 : s.C, axes & AX_T ? 1 : s.T, axes & AX_V ? 1 : s.V};
    return so;
}

/* Element i (of RC·RT·RV, in (c, t, v) order) of the window of output o. */
EL int64_t el_window(shape3 s, int axes, int64_t o, int64_t i) {
    shape3 so = el_reduced(s, axes);
    int RT = axes & AX_T ? s.T : 1, RV = axes & AX_V ? s.V : 1;
    int ov = (int)(o % so.V), ot = (int)((o / so.V) % so.T), oc = (int)(o / ((int64_t)so.V * so.T));
    int rv = (int)(i % RV), rt = (int)((i / RV) % RT), rc = (int)(i / ((int64_t)RV * RT));
    int c = axes & AX_C ? rc : oc, t = axes & AX_T ? rt : ot, v = axes & AX_V ? rv : ov;
    return ((int64_t)c * s.T + t) * s.V + v;
}

/* w over y (B, so): serial form of the reduction (the GPU reduces a window
 * with a warp; the host emulation uses this) */
EL void el_reduce(int64_t w, float *y, const float *x, shape3 s, int axes, int is_max) {
    int64_t no = el_size(el_reduced(s, axes)), r = w / no, o = w % no, nr = el_size(s) / no;
    const float *xr = x + r * el_size(s);
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t i = 0; i < nr; i++) {
        double val = xr[el_window(s, axes, o, i)];
        if (is_max) acc = val > acc ? val : acc;
        else acc += val;
    }
    y[w] = (float)(is_max ? acc : acc / (double)nr);
}

/* o over y (B, C, TV): channels [c0, c0 + C) of Ctot come from part */
EL void el_concat_part(int64_t o, float *y, const float *part, int Ctot, int c0, int C, int TV) {
    int64_t per = (int64_t)C * TV, b = o / per, e = o % per;
    y[(b * Ctot + c0) * TV + e] = part[o];
}

/* Lines along a softmax axis: length L, stride St; n elements per row. */
EL void el_line(shape3 s, int axis, int *L, int64_t *St) {
    *L = axis == AX_C ? s.C : axis == AX_T ? s.T : s.V;
    *St = axis == AX_C ? (int64_t)s.T * s.V : axis == AX_T ? s.V : 1;
}

/* q over the lines of all rows (B · n/L) */
EL void el_softmax_forward(int64_t q, float *y, const float *x, int64_t n, int L, int64_t S) {
    int64_t lines = n / L, r = q / lines, l = q % lines;
    int64_t base = r * n + (l / S) * L * S + l % S;
    float mx = -INFINITY;
    for (int i = 0; i < L; i++) mx = fmaxf(mx, x[base + i * S]);
    double sum = 0;
    for (int i = 0; i < L; i++) sum += exp((double)x[base + i * S] - mx);
    for (int i = 0; i < L; i++) y[base + i * S] = (float)(exp((double)x[base + i * S] - mx) / sum);
}

EL void el_gather_forward(int64_t o, float *y, const float *x, const int *index, int Vin, int Vout) {
    y[o] = x[(o / Vout) * Vin + index[o % Vout]];
}

/* o over y (N, S) */
EL void el_person_mean_forward(int64_t o, float *y, const float *x, int M, int64_t S) {
    int64_t n = o / S, i = o % S;
    double s = 0;
    for (int m = 0; m < M; m++) s += x[(n * M + m) * S + i];
    y[o] = (float)(s / M);
}

/* ---- linear backward (backward_cuda.cu); acc: backward_cuda.h ---- */

/* o over tmp (nb, Cin, nt, V), added at frames (t_lo + t')·stride + shift */
EL void el_conv_scatter(int64_t o, float *m_x, const float *tmp, int Tin, int V, int nt, int t_lo, int stride,
                        int shift) {
    int64_t v = o % V, t = (o / V) % nt, bc = o / ((int64_t)V * nt);
    m_x[(bc * Tin + (t_lo + t) * stride + shift) * V + v] += tmp[o];
}

/* o over m_x (B, C, Tin, V); output frames in increasing order, as the CPU */
EL void el_depthwise_backward(int64_t o, float *m_x, const float *m_y, const float *w, int C, int Tin, int V, int Tout,
                              int k, int stride, int pad, int acc) {
    int64_t v = o % V, ti = (o / V) % Tin, bc = o / ((int64_t)V * Tin);
    int c = (int)(bc % C);
    const float *my = m_y + bc * Tout * V;
    const float *wc = w + (int64_t)c * k;
    float s = acc ? m_x[o] : 0.0f;
    for (int j = k - 1; j >= 0; j--) {
        int num = (int)ti + pad - j;
        if (num < 0 || num % stride) continue;
        int t = num / stride;
        if (t < Tout) s += wc[j] * my[(int64_t)t * V + v];
    }
    m_x[o] = s;
}

EL void el_affine_backward(int64_t o, float *m_x, const float *m_y, const float *scale, int C, int TV, int acc) {
    float v = m_y[o] * scale[(o / TV) % C];
    m_x[o] = acc ? m_x[o] + v : v;
}

EL void el_copy(int64_t o, float *m_x, const float *m_y, int acc) { m_x[o] = acc ? m_x[o] + m_y[o] : m_y[o]; }

/* o over m_x (B, sx): the positions of y it is broadcast to, (c, t, v) order */
EL void el_broadcast_backward(int64_t o, float *m_x, const float *m_y, shape3 sy, shape3 sx, int acc) {
    int64_t ny = el_size(sy), nx = el_size(sx), r = o / nx, e = o % nx;
    int RC = sx.C == 1 ? sy.C : 1, RT = sx.T == 1 ? sy.T : 1, RV = sx.V == 1 ? sy.V : 1;
    int xv = (int)(e % sx.V), xt = (int)((e / sx.V) % sx.T), xc = (int)(e / ((int64_t)sx.V * sx.T));
    const float *my = m_y + r * ny;
    float s = acc ? m_x[o] : 0.0f;
    for (int rc = 0; rc < RC; rc++)
        for (int rt = 0; rt < RT; rt++)
            for (int rv = 0; rv < RV; rv++) {
                int c = RC > 1 ? rc : xc, t = RT > 1 ? rt : xt, v = RV > 1 ? rv : xv;
                s += my[((int64_t)c * sy.T + t) * sy.V + v];
            }
    m_x[o] = s;
}

/* o over m_x (B, sx) */
EL void el_mean_backward(int64_t o, float *m_x, const float *m_y, shape3 sx, shape3 so, float inv, int acc) {
    int64_t nx = el_size(sx), r = o / nx, e = o % nx;
    int v = (int)(e % sx.V), t = (int)((e / sx.V) % sx.T), c = (int)(e / ((int64_t)sx.V * sx.T));
    float val = m_y[r * el_size(so) + el_bidx(so, c, t, v)] * inv;
    m_x[o] = acc ? m_x[o] + val : val;
}

/* o over m_x (B, C, TV) */
EL void el_concat_backward(int64_t o, float *m_x, const float *m_y, int Ctot, int c0, int C, int TV, int acc) {
    int64_t per = (int64_t)C * TV;
    float v = m_y[((o / per) * Ctot + c0) * TV + o % per];
    m_x[o] = acc ? m_x[o] + v : v;
}

/* o over m_x (rows, Vin): the joints that read it, in order */
EL void el_gather_backward(int64_t o, float *m_x, const float *m_y, const int *index, int Vin, int Vout, int acc) {
    int64_t r = o / Vin;
    int vi = (int)(o % Vin);
    float s = acc ? m_x[o] : 0.0f;
    for (int v = 0; v < Vout; v++)
        if (index[v] == vi) s += m_y[r * Vout + v];
    m_x[o] = s;
}

/* o over m_x (B person rows, S); sample[j]: the sample row of person row j */
EL void el_person_mean_backward(int64_t o, float *m_x, const float *m_y, const int *sample, int64_t S, float inv,
                                int acc) {
    int64_t i = o % S, j = o / S;
    float v = m_y[(int64_t)sample[j] * S + i] * inv;
    m_x[o] = acc ? m_x[o] + v : v;
}

/* ---- rules (deeplift_cuda.cu) ---- */

/* o over m_x (rows.B, S) */
EL void el_act_deeplift(int64_t o, float *m_x, const float *m_y, const float *x_i, const float *x_r, pair_rows rows,
                        int64_t S, int act, int rule, int acc) {
    int64_t q = o / S, e = o % S;
    float xi = x_i[(int64_t)rows.xi[q] * S + e], xr = x_r[(int64_t)rows.xr[q] * S + e];
    double slope;
    if (rule == RULE_AT_INST) {
        slope = el_act_derivative(act, xi);
    } else if (rule == RULE_AT_REF) {
        slope = el_act_derivative(act, xr);
    } else { /* rescale.h; shap's switch to g'(x_ref) is the secant at xi = xr */
        if (rule == RULE_SHAP_RESCALE && fabs((double)xi - (double)xr) < RESCALE_EPS) xi = xr;
        slope = rs_act_secant(act, xi, xr);
    }
    float v = (float)(m_y[o] * slope);
    m_x[o] = acc ? m_x[o] + v : v;
}

/* g over the lines of all rows (rows.B · n/L) */
EL void el_softmax_deeplift(int64_t g, float *m_x, const float *m_y, const float *x_i, const float *x_r,
                            const float *y_i, const float *y_r, pair_rows rows, int64_t n, int L, int64_t St, int rule,
                            int acc) {
    int64_t lines = n / L, q = g / lines, l = g % lines;
    int64_t base = (l / St) * L * St + l % St;
    const float *my = m_y + q * n + base;
    float *mx = m_x + q * n + base;
    const float *xi = x_i + (int64_t)rows.xi[q] * n + base, *xr = x_r + (int64_t)rows.xr[q] * n + base;
    if (rule == RULE_RESCALE) {
        rs_softmax_line(mx, my, xi, xr, L, St, acc);
        return;
    }
    const float *yj = (rule == RULE_AT_INST ? y_i + (int64_t)rows.xi[q] * n : y_r + (int64_t)rows.xr[q] * n) + base;
    double dot = 0;
    for (int j = 0; j < L; j++) dot += (double)my[j * St] * yj[j * St];
    const float *yi = y_i + (int64_t)rows.xi[q] * n + base;
    for (int j = 0; j < L; j++) {
        float v;
        float d = xi[j * St] - xr[j * St];
        if (rule == RULE_AT_INST || rule == RULE_AT_REF || fabsf(d) < RESCALE_EPS)
            v = (float)(yj[j * St] * (my[j * St] - dot));
        else
            v = my[j * St] * ((yi[j * St] - yj[j * St]) / d);
        mx[j * St] = acc ? mx[j * St] + v : v;
    }
}

/* First maximum in scan order (PyTorch's tie rule) of window o of row x. */
EL int64_t el_argmax(const float *x, shape3 sx, int axes, int64_t o) {
    int64_t nr = el_size(sx) / el_size(el_reduced(sx, axes)), best = -1;
    for (int64_t i = 0; i < nr; i++) {
        int64_t e = el_window(sx, axes, o, i);
        if (best < 0 || x[e] > x[best]) best = e;
    }
    return best;
}

/* The max rule at window o of row q, given both argmaxes (adds into m_x,
 * which the caller cleared when overwriting). */
EL void el_max_apply(float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                     const float *y_r, pair_rows rows, shape3 sx, int axes, int rule, int64_t q, int64_t o, int64_t ai,
                     int64_t ar) {
    int64_t nx = el_size(sx), no = el_size(el_reduced(sx, axes));
    const float *xi = x_i + (int64_t)rows.xi[q] * nx, *xr = x_r + (int64_t)rows.xr[q] * nx;
    float my = m_y[q * no + o];
    float *mx = m_x + q * nx;
    if (rule == RULE_AT_INST) {
        mx[ai] += my;
    } else if (rule == RULE_AT_REF) {
        mx[ar] += my;
    } else { /* DeepLIFT max rule, as shap's maxpool handler */
        float yx = y_i[(int64_t)rows.xi[q] * no + o], yr = y_r[(int64_t)rows.xr[q] * no + o];
        float M = fmaxf(yx, yr);
        float da = xi[ai] - xr[ai], db = xi[ar] - xr[ar];
        if (fabsf(da) >= MAX_RULE_EPS) mx[ai] += my * (M - yr) / da;
        if (fabsf(db) >= MAX_RULE_EPS) mx[ar] += my * (yx - M) / db;
    }
}

/* w over (rows.B, windows): serial form (the GPU finds the argmaxes with a warp) */
EL void el_max_deeplift(int64_t w, float *m_x, const float *m_y, const float *x_i, const float *x_r, const float *y_i,
                        const float *y_r, pair_rows rows, shape3 sx, int axes, int rule) {
    int64_t no = el_size(el_reduced(sx, axes)), q = w / no, o = w % no, nx = el_size(sx);
    int64_t ai = el_argmax(x_i + (int64_t)rows.xi[q] * nx, sx, axes, o);
    int64_t ar = el_argmax(x_r + (int64_t)rows.xr[q] * nx, sx, axes, o);
    el_max_apply(m_x, m_y, x_i, x_r, y_i, y_r, rows, sx, axes, rule, q, o, ai, ar);
}

/* o over m_f (rows.B, sf): factor f's multiplier sums m_z · (the rule's value
 * of the other factor g) over the positions of z it is broadcast to */
EL void el_mul_deeplift(int64_t o, float *m_f, const float *m_z, const float *g_i, const float *g_r, pair_rows rows,
                        shape3 sz, shape3 sf, shape3 sg, int rule, int acc) {
    int64_t nz = el_size(sz), nf = el_size(sf), ng = el_size(sg), q = o / nf, e = o % nf;
    int RC = sf.C == 1 ? sz.C : 1, RT = sf.T == 1 ? sz.T : 1, RV = sf.V == 1 ? sz.V : 1;
    int fv = (int)(e % sf.V), ft = (int)((e / sf.V) % sf.T), fc = (int)(e / ((int64_t)sf.V * sf.T));
    const float *gi = g_i + (int64_t)rows.xi[q] * ng, *gr = g_r + (int64_t)rows.xr[q] * ng;
    const float *mz = m_z + q * nz;
    float s = acc ? m_f[o] : 0.0f;
    for (int rc = 0; rc < RC; rc++)
        for (int rt = 0; rt < RT; rt++)
            for (int rv = 0; rv < RV; rv++) {
                int c = RC > 1 ? rc : fc, t = RT > 1 ? rt : ft, v = RV > 1 ? rv : fv;
                int64_t ig = el_bidx(sg, c, t, v);
                float f = rule == RULE_AT_INST ? gi[ig] : rule == RULE_AT_REF ? gr[ig] : 0.5f * (gi[ig] + gr[ig]);
                s += mz[((int64_t)c * sz.T + t) * sz.V + v] * f;
            }
    m_f[o] = s;
}

/* ---- the driver's steps (phi_cuda.cu) ---- */

/* pp over the sub-batch's triples */
/* o over m_out (P, K); classes NULL: class kk is kk */
EL void el_seed(int64_t o, float *m_out, const int *classes, int p0, int n_r, int n_k, int K) {
    int pp = (int)(o / K), k = (int)(o % K);
    int p = p0 + pp;
    int kk = p % n_k, i = p / (n_k * n_r);
    m_out[o] = (classes ? classes[i * n_k + kk] : kk) == k ? 1.0f : 0.0f;
}

/* o over (the sub-batch's (instance, class) groups from i_lo) × C·T·V·M:
 * one element of one φ row, walking that row's references in order; slot
 * (P·M): the live row of (triple, person), -1 for a row left out (it would
 * add exactly ±0: engine/rows.h). F: floats of an input sample. Branch −1
 * (the whole sample, one row per triple): o over groups × C·T·V (= F),
 * element e is input element e. */
EL void el_accumulate_phi(int64_t o, double *phi, const float *m, const int *slot, const float *x_inst,
                          const float *x_ref, int p0, int P, int n_r, int n_k, int i_lo, int64_t F, int branch, int C,
                          int T, int V, int M) {
    int whole = branch < 0;
    int64_t TV = (int64_t)T * V, CTV = (int64_t)C * TV, E = whole ? CTV : CTV * M;
    int64_t g = o / E, fl = o % E; /* a branch's fl = (c·TV + tv)·M + mm */
    int i = i_lo + (int)(g / n_k), kk = (int)(g % n_k);
    int64_t base = ((int64_t)i * n_r) * n_k + kk; /* triple index of reference 0 */
    int64_t r_lo = el_floor_div(p0 - base + n_k - 1, n_k), r_hi = el_floor_div(p0 + P - 1 - base, n_k);
    if (r_lo < 0) r_lo = 0;
    if (r_hi > n_r - 1) r_hi = n_r - 1;
    if (r_lo > r_hi) return;
    int mm = whole ? 0 : (int)(fl % M);
    int64_t e = whole ? fl : fl / M, f = whole ? fl : (int64_t)branch * E + fl;
    double xi = x_inst[(int64_t)i * F + f];
    double *ph = phi + ((int64_t)i * n_k + kk) * F + f;
    double acc = *ph;
    for (int64_t r = r_lo; r <= r_hi; r++) {
        int64_t pp = base + r * n_k - p0;
        int row = whole ? (int)pp : slot[pp * M + mm];
        if (row >= 0) acc += (double)m[(int64_t)row * CTV + e] * (xi - (double)x_ref[r * F + f]);
    }
    *ph = acc;
}

/* o over out (nk, G): the pre-image in the CPU's loop order */
EL void el_gran_reduce(int64_t o, double *out, const double *phi, granularity g, int64_t G) {
    int C = g.C, T = g.T, V = g.V, M = g.M;
    int64_t F = (int64_t)g.B * C * T * V * M, ik = o / G, go = o % G;
    int m_fixed = g.persons_each ? (int)(go % M) : -1;
    int64_t oo = g.persons_each ? go / M : go;
    const double *p = phi + ik * F;
    int b0 = 0, b1 = g.B, c0 = 0, c1 = C, t0 = 0, t1 = T, v;
    if (g.kind == STORE_JOINT) {
        v = (int)oo;
    } else if (g.kind == STORE_CHANNEL_JOINT) {
        int bc = (int)(oo / V);
        v = (int)(oo % V);
        b0 = bc / C, b1 = b0 + 1, c0 = bc % C, c1 = c0 + 1;
    } else { /* frame */
        v = (int)(oo % V);
        t0 = (int)(oo / V), t1 = t0 + 1;
    }
    double s = 0;
    for (int b = b0; b < b1; b++)
        for (int c = c0; c < c1; c++)
            for (int t = t0; t < t1; t++)
                for (int mm = 0; mm < M; mm++)
                    if (m_fixed < 0 || mm == m_fixed) s += p[((((int64_t)b * C + c) * T + t) * V + v) * M + mm];
    out[o] = g.kind == STORE_FRAME ? s : s / T;
}

#endif
