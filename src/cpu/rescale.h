/* The exact rules' rescale secants, in forms that stay accurate as Δx → 0
 * (issue 18). Shared by the CPU kernels (deeplift_cpu.c, deeplift_nd.c) and
 * the CUDA element bodies (cuda/elem.h, elem_nd.h), so the twins compute one
 * formula; device and host libm may differ by an ulp of a double, which the
 * rounding to float almost always hides.
 *
 * Why: the quotient (g(x) − g(r)) / (x − r) of float32 values loses
 * ulp(g) / |Δx| to cancellation (1 % at Δx = 1e-5), and a |Δx| < 1e-6 switch
 * to g'(x_r) jumps at a kink (ReLU pairs straddling 0). Here every secant is
 * evaluated in double from the stored float32 activations (their difference
 * is exact in double; σ's exponentials by float libm calls, below), through an identity without cancellation where g is
 * smooth (σ; tanh and SiLU through σ), and equals g'(x) only where x = r
 * exactly: a continuous function of (x, r) wherever g is C¹, so float32
 * activations give the float64 reference's multiplier to their own
 * rounding. */
#ifndef DSHAP_RESCALE_H
#define DSHAP_RESCALE_H

#include <math.h>
#include <stdint.h>

#include "cpu/act.h"
#include "engine/arch.h"

#ifdef __CUDACC__
#define RS_FN static __host__ __device__ __forceinline__
#else
#define RS_FN static inline
#endif

/* expm1(d) / d, 1 at 0: relative accuracy of expm1 for every d */
RS_FN double rs_expc(double d) { return d == 0 ? 1.0 : expm1(d) / d; }

/* expf and expm1f as glibc gives them (correctly rounded but for rare
 * cases); on the device through double and one rounding, as elem.h's el_exp */
RS_FN float rs_expf(float x) {
#ifdef __CUDA_ARCH__
    return (float)exp((double)x);
#else
    return expf(x);
#endif
}

RS_FN float rs_expm1f(float x) {
#ifdef __CUDA_ARCH__
    return (float)expm1((double)x);
#else
    return expm1f(x);
#endif
}

/* (σ(a) − σ(b)) / (a − b) through σ(a) − σ(b) = σ(a) σ(−b) (1 − e^{−(a − b)})
 * for a ≥ b (the secant is symmetric): three factors in (0, 1] without
 * cancellation, each from one float libm call (relative error ~1 ulp, so the
 * secant is within a few float ulps; float calls: this is the hot loop of
 * SiLU networks). *sa gets σ(a) of the original a, which SiLU needs. */
RS_FN double rs_sigmoid_secant(double a, double b, double *sa) {
    int swap = a < b;
    double hi = swap ? b : a, lo = swap ? a : b, d = hi - lo;
    double s_hi = 1 / (1 + (double)rs_expf((float)-hi)), s_nlo = 1 / (1 + (double)rs_expf((float)lo));
    *sa = swap ? 1 - s_nlo : s_hi;
    /* d is a float difference: (float)d rounds it, so E uses the rounded d in both places */
    float df = (float)d;
    return df == 0 ? s_hi * s_nlo : s_hi * s_nlo * (-(double)rs_expm1f(-df) / df);
}

RS_FN double rs_hardswish(double x) { return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6); }

/* (g(a) − g(b)) / (a − b) for the instance value a and reference value b;
 * g'(a) at a = b with PyTorch's one-sided values at kinks (act.h) */
RS_FN double rs_act_secant(int act, float a, float b) {
    double x = a, r = b, d = x - r; /* exact */
    switch (act) {
    case ACT_RELU: { /* in float (vectorises): on one segment the numerator is the
                      * same rounded difference as the denominator (1 or 0 exactly),
                      * across a kink each side rounds once; a − b = 0 only at a = b */
        float df = a - b, gf = (a > 0 ? a : 0) - (b > 0 ? b : 0);
        return df == 0 ? (a > 0 ? 1.0f : 0.0f) : gf / df;
    }
    case ACT_RELU6: {
        float df = a - b, gf = (a < 0 ? 0 : (a > 6 ? 6 : a)) - (b < 0 ? 0 : (b > 6 ? 6 : b));
        return df == 0 ? (a > 0 && a < 6 ? 1.0f : 0.0f) : gf / df;
    }
    case ACT_HARDSWISH: /* inside (−3, 3): x(x + 3)/6 − r(r + 3)/6 = d (x + r + 3)/6 */
        if (x > -3 && x < 3 && r > -3 && r < 3) return (x + r + 3) / 6;
        if (d == 0) return x < -3 ? 0.0 : (x > 3 ? 1.0 : (2 * x + 3) / 6); /* x = ±3: act.h's (2x + 3)/6 */
        return (rs_hardswish(x) - rs_hardswish(r)) / d;
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
