/* The exact rules' rescale secants, in forms that stay accurate as Δx → 0
 * (issue 18). Shared by the CPU kernels (deeplift_cpu.c, deeplift_nd.c) and
 * the CUDA element bodies (cuda/elem.h, elem_nd.h), so the twins compute one
 * formula; the ShapGCN activations' secants call no libm function (rs_exp
 * below), so host and device round the same operations; the imported-graph
 * ones (rs_act_secant_p) call double libm, where device and host may differ
 * by an ulp of a double, which the rounding to float almost always hides.
 *
 * Why: the quotient (g(x) − g(r)) / (x − r) of float32 values loses
 * ulp(g) / |Δx| to cancellation (1 % at Δx = 1e-5), and a |Δx| < 1e-6 switch
 * to g'(x_r) jumps at a kink (ReLU pairs straddling 0). Here every secant is
 * evaluated from the stored float32 activations (their difference is exact
 * in double) through an identity without cancellation where g is smooth (σ
 * in double; tanh and SiLU through σ), and equals g'(x) only where x = r
 * exactly: a continuous function of (x, r) wherever g is C¹, so float32
 * activations give the float64 reference's multiplier to their own
 * rounding. Every branch is a select, so the kernels' loops over the
 * elements of a pair vectorise. */
#ifndef DSHAP_RESCALE_H
#define DSHAP_RESCALE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu/act.h"
#include "engine/arch.h"

#ifdef __CUDACC__
#define RS_FN static __host__ __device__ __forceinline__
#else
#define RS_FN static inline
#endif

/* expm1(d) / d, 1 at 0: relative accuracy of expm1 for every d */
RS_FN double rs_expc(double d) { return d == 0 ? 1.0 : expm1(d) / d; }

/* e^x in double without libm, so that the loops over the element pairs
 * vectorise and host and device round the same operations (no libm ulp
 * differences between the twins). For |x| ≤ 600: x = k ln2 + r with
 * k = round(x / ln2) (by the 1.5·2^52 shifter), ln2 in two parts (k·LN2_HI
 * exact: LN2_HI has 32 significant bits), |r| ≤ 0.3466, e^r by its Taylor
 * polynomial to r^13 (truncation < 13!^-1 · 0.3466^14 · e^0.3466 < 6e-18),
 * times 2^k built in the exponent bits. Error: about an ulp of a double
 * (test_rescale: 1.8e-16 relative at most against expl, asserted ≤ 1e-15).
 * Callers keep |x| ≤ 600 (2^k stays a normal double). */
RS_FN double rs_exp(double x) {
    const double log2e = 1.4426950408889634, shifter = 6755399441055744.0; /* 1.5·2^52 */
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double t = x * log2e + shifter, k = t - shifter;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t tb, sb;
    double scale;
    memcpy(&tb, &t, sizeof tb); /* low bits: k in two's complement, offset by the shifter's */
    sb = (tb + 1023) << 52;     /* the shift drops the shifter's high bits: (k + 1023) << 52 */
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}

/* (σ(a) − σ(b)) / (a − b) in double with u = e^{−a}, w = e^{b}:
 *   σ(a) − σ(b) = (1 − u w) / ((1 + u)(1 + w)),   u w = e^{−(a − b)},
 * no cancellation in the denominator; 1 − u w cancels as Δ = a − b → 0, so
 * below |Δ| = 1e-3 its quotient by Δ is the series 1 − Δ/2 + Δ²/6 − Δ³/24 +
 * Δ⁴/120 (truncation < 1e-3^5 / 720 relative), and above it (1 − u w) / Δ
 * has the relative error of u w (≤ 3e-15) times e^{−Δ} / |1 − e^{−Δ}| ≤ 1001:
 * < 4e-12. So the secant is within 1e-11 relative before its rounding to
 * float. a, b are clamped to ±300 (σ there is 0 or 1 to 1e-130, far below
 * float's smallest number, and u w stays finite); Δ is exact (a difference
 * of floats, or twice one). Both branches are selects. *sa gets
 * σ(a) = (1 + w)·q. */
RS_FN double rs_sigmoid_secant(double a, double b, double *sa) {
    double d = a - b, ac = a < -300 ? -300 : (a > 300 ? 300 : a), bc = b < -300 ? -300 : (b > 300 ? 300 : b);
    double u = rs_exp(-ac), w = rs_exp(bc);
    int small = fabs(d) < 1e-3;
    double series = 1 - d * (1.0 / 2 - d * (1.0 / 6 - d * (1.0 / 24 - d * (1.0 / 120))));
    double q = 1 / ((1 + u) * (1 + w));
    *sa = (1 + w) * q;
    return small ? series * q : (1 - u * w) / (small ? 1 : d) * q;
}

RS_FN double rs_hardswish(double x) { return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6); }

/* (g(a) − g(b)) / (a − b) for the instance value a and reference value b;
 * g'(a) at a = b with PyTorch's one-sided values at kinks (act.h) */
RS_FN double rs_act_secant(int act, float a, float b) {
    double x = a, r = b, d = x - r; /* exact */
    switch (act) {
    /* Each branch is a select and no quotient has a zero divisor (GCC keeps a
     * division by a possible zero out of if-conversion): the loops vectorise. */
    case ACT_RELU: { /* in float: on one segment the numerator is the same rounded
                      * difference as the denominator (1 or 0 exactly), across a
                      * kink each side rounds once; a − b = 0 only at a = b */
        float df = a - b, gf = (a > 0 ? a : 0.0f) - (b > 0 ? b : 0.0f);
        float at = a > 0 ? 1.0f : 0.0f, q = gf / (df == 0 ? 1.0f : df);
        return df == 0 ? at : q;
    }
    case ACT_RELU6: {
        float df = a - b, gf = (a < 0 ? 0.0f : (a > 6 ? 6.0f : a)) - (b < 0 ? 0.0f : (b > 6 ? 6.0f : b));
        float at = (a > 0) & (a < 6) ? 1.0f : 0.0f, q = gf / (df == 0 ? 1.0f : df);
        return df == 0 ? at : q;
    }
    case ACT_HARDSWISH: { /* inside (−3, 3): x(x + 3)/6 − r(r + 3)/6 = d (x + r + 3)/6 */
        double q = (rs_hardswish(x) - rs_hardswish(r)) / (d == 0 ? 1 : d);
        double at = x < -3 ? 0.0 : (x > 3 ? 1.0 : (2 * x + 3) / 6); /* x = ±3: act.h's (2x + 3)/6 */
        int inside = (x > -3) & (x < 3) & (r > -3) & (r < 3);
        return inside ? (x + r + 3) / 6 : (d == 0 ? at : q);
    }
    case ACT_SILU: { /* x σ(x) − r σ(r) = d σ(x) + r (σ(x) − σ(r)) */
        double sx, sec = rs_sigmoid_secant(x, r, &sx);
        return sx + r * sec;
    }
    case ACT_SIGMOID: {
        double sx;
        return rs_sigmoid_secant(x, r, &sx);
    }
    case ACT_TANH: { /* tanh x = 2σ(2x) − 1 */
        double sx;
        return 4 * rs_sigmoid_secant(2 * x, 2 * r, &sx);
    }
    }
    return 1.0;
}

/* The imported-graph activations (act.h, ACT_ND_FIRST on), for the CPU
 * kernels and the CUDA element bodies alike. Piecewise-linear ones per
 * segment: on one segment the slope itself, across segments the quotient
 * of exact double differences (one rounding each); smooth ones through
 * identities without cancellation. */

/* (σ(p) − σ(q)) / (p − q) with double exponentials (see rs_sigmoid_secant) */
RS_FN double rs_sigmoid_secant_d(double p, double q, double *sp) {
    double hi = p < q ? q : p, lo = p < q ? p : q, d = hi - lo;
    double s_hi = 1 / (1 + exp(-hi)), s_nlo = 1 / (1 + exp(lo));
    *sp = p < q ? 1 - s_nlo : s_hi;
    return s_hi * s_nlo * rs_expc(-d);
}

#define RS_INV_SQRT_2PI 0.3989422804014327
#define RS_SQRT1_2 0.7071067811865476

RS_FN double rs_phi(double t) { return RS_INV_SQRT_2PI * exp(-0.5 * t * t); }

/* (Φ(x) − Φ(r)) / (x − r), Φ the standard normal CDF. Short intervals
 * (|d| (1 + |mid|) ≤ 1/4): the mean of φ over [r, x] by 5-point
 * Gauss–Legendre (error below 1e-18 relative there: φ's 10th derivative
 * over φ grows like (1 + |t|)^10); longer ones: the difference of erfc
 * values taken on the side where both are small, which then cancels by at
 * most a factor ~4 (at most a few double ulps). Equals φ(x) at x = r. */
RS_FN double rs_ncdf_secant(double x, double r) {
    const double node[3] = {0.0, 0.5384693101056831, 0.9061798459386640};
    const double wt[3] = {0.5688888888888889, 0.4786286704993665, 0.2369268850561891};
    double d = x - r, mid = 0.5 * (x + r), h = 0.5 * d;
    if (fabs(d) * (1 + fabs(mid)) <= 0.25) {
        double s = wt[0] * rs_phi(mid);
        for (int i = 1; i < 3; i++) s += wt[i] * (rs_phi(mid + h * node[i]) + rs_phi(mid - h * node[i]));
        return 0.5 * s;
    }
    if (mid >= 0) return 0.5 * (erfc(r * RS_SQRT1_2) - erfc(x * RS_SQRT1_2)) / d;
    return 0.5 * (erfc(-x * RS_SQRT1_2) - erfc(-r * RS_SQRT1_2)) / d;
}

RS_FN double rs_clip(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* rs_act_secant for every kind, with the node's parameters (PRelu: its
 * slope as alpha); act_derivative_p at a = b */
RS_FN double rs_act_secant_p(int act, float a, float b, float alpha, float beta) {
    double x = a, r = b, d = x - r, al = alpha; /* d exact */
    switch (act) {
    case ACT_LEAKY_RELU:
    case ACT_PRELU:
        if (x > 0 && r > 0) return 1.0;
        if (x <= 0 && r <= 0) return al;
        return ((x > 0 ? x : al * x) - (r > 0 ? r : al * r)) / d;
    case ACT_ELU: {
        if (x > 0 && r > 0) return 1.0;
        if (x <= 0 && r <= 0) /* α (e^x − e^r)/d = α e^hi E(−|d|) */
            return al * exp(x > r ? x : r) * rs_expc(-fabs(d));
        return ((x > 0 ? x : al * expm1(x)) - (r > 0 ? r : al * expm1(r))) / d;
    }
    case ACT_HARDSIGMOID: {
        double ux = al * x + beta, ur = al * r + beta;
        int sx = ux <= 0 ? 0 : (ux >= 1 ? 2 : 1), sr = ur <= 0 ? 0 : (ur >= 1 ? 2 : 1);
        if (d == 0) return sx == 1 ? al : 0.0;
        if (sx == sr) return sx == 1 ? al : 0.0;
        return (rs_clip(ux, 0, 1) - rs_clip(ur, 0, 1)) / d;
    }
    case ACT_GELU: /* x Φ(x) − r Φ(r) = d Φ(x) + r (Φ(x) − Φ(r)) */
        return 0.5 * erfc(-x * RS_SQRT1_2) + r * rs_ncdf_secant(x, r);
    case ACT_GELU_TANH: { /* x σ(2u_x) − r σ(2u_r), (u_x − u_r)/d = k (1 + c (x² + xr + r²)) */
        double px = 2 * ACT_GELU_K * (x + ACT_GELU_C * x * x * x), pr = 2 * ACT_GELU_K * (r + ACT_GELU_C * r * r * r);
        double sx, sec = rs_sigmoid_secant_d(px, pr, &sx);
        return sx + r * sec * 2 * ACT_GELU_K * (1 + ACT_GELU_C * (x * x + x * r + r * r));
    }
    case ACT_CLIP: {
        double lo = alpha, hi = beta;
        if (d == 0) return x >= lo && x <= hi ? 1.0 : 0.0;
        if (x >= lo && x <= hi && r >= lo && r <= hi) return 1.0;
        if ((x < lo && r < lo) || (x > hi && r > hi)) return 0.0;
        return (rs_clip(x, lo, hi) - rs_clip(r, lo, hi)) / d;
    }
    }
    return rs_act_secant(act, a, b);
}

/* The exact softmax rule on one line of L elements (stride St) of a pair:
 * y = exp(x − Λ(x)), Λ = logsumexp, with the rescale rule at each of its
 * one-variable steps. With Δu_i = Δx_i − ΔΛ and y_x = y_r·e^{Δu},
 *   s_i = Δy_i / Δu_i  = y_r,i E(Δu_i)  = y_x,i E(−Δu_i),   E(d) = expm1(d)/d,
 *   w_j = ΔΛ-share of x_j = y_r,j E(Δx_j) / E(ΔΛ) = y_x,j E(−Δx_j) / E(−ΔΛ)
 * (the form whose E argument is ≤ 0 is used: bounded, no overflow), so
 * Σ_j w_j Δx_j = ΔΛ and m_x,j = s_j m_y,j − (Σ_i s_i m_y,i) w_j sums to
 * Σ_i m_y,i Δy_i exactly; at x = r it is the Jacobian product y ⊙ (m − m·y).
 * The elementwise Δy_i/Δx_i is not used: softmax is not elementwise, and
 * where Δx_i is small while the line's other inputs move it is a large
 * multiplier that float32 activations get wrong by rounding / Δx_i.
 * Exponentials are recomputed in each pass (the lines are short). */
RS_FN void rs_softmax_line(float *mx, const float *my, const float *xi, const float *xr, int L, int64_t St, int acc) {
    double cx = -INFINITY, cr = -INFINITY, sx = 0, sr = 0;
    for (int j = 0; j < L; j++) {
        cx = fmax(cx, (double)xi[j * St]);
        cr = fmax(cr, (double)xr[j * St]);
    }
    for (int j = 0; j < L; j++) {
        sx += exp(xi[j * St] - cx);
        sr += exp(xr[j * St] - cr);
    }
    double lx = cx + log(sx), lr = cr + log(sr), dl = lx - lr, dot = 0;
    for (int i = 0; i < L; i++) {
        double a = xi[i * St], b = xr[i * St], du = (a - b) - dl;
        double s = du >= 0 ? exp(a - lx) * rs_expc(-du) : exp(b - lr) * rs_expc(du);
        dot += s * my[i * St];
    }
    for (int j = 0; j < L; j++) {
        double a = xi[j * St], b = xr[j * St], d = a - b, du = d - dl;
        double s = du >= 0 ? exp(a - lx) * rs_expc(-du) : exp(b - lr) * rs_expc(du);
        double w = d >= 0 ? exp(a - lx) * rs_expc(-d) / rs_expc(-dl) : exp(b - lr) * rs_expc(d) / rs_expc(dl);
        float v = (float)(s * my[j * St] - dot * w);
        mx[j * St] = acc ? mx[j * St] + v : v;
    }
}

#endif
