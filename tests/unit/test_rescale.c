/* The exact rescale rules (cpu/rescale.h) through the CPU kernels, against
 * long-double references written from the definitions:
 *  - every activation: the slope (m_y = 1) is (g(a) − g(b)) / (a − b) in
 *    long double to 2e-7 relative, also at |a − b| of one float ulp, 1e-6
 *    and pairs straddling the kinks, and g'(a) at a = b. (The float32
 *    quotient these kernels used before misses by up to ~1e-1 at one ulp.)
 *  - rs_exp (the secants' libm-free exponential) against expl to 1e-15
 *    relative on [−600, 600], and a long row through the vectorised loop
 *    equals the pairs one at a time bit for bit (vector body = scalar tail).
 *  - softmax: m_x from the definition (rescale at exp, sum, log, exp; plain
 *    long-double secants on moderate Δ), summation-to-delta Σ m_x Δx =
 *    Σ m_y Δy, the Jacobian product at x = r, and conditioning: moving one
 *    input of a line with a tiny Δx_i by one ulp changes m_x by float
 *    rounding only (the elementwise rule of shap moves by percent). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/act.h"
#include "cpu/deeplift_cpu.h"
#include "cpu/rescale.h"
#include "testlib.h"

static long double g_ld(int act, long double x) {
    switch (act) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case ACT_HARDSWISH: return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6);
    case ACT_SILU: return x / (1 + expl(-x));
    case ACT_SIGMOID: return 1 / (1 + expl(-x));
    case ACT_TANH: return tanhl(x);
    }
    return x;
}

/* g'(x) in long double, PyTorch's one-sided values at kinks (act.h) */
static long double gd_ld(int act, long double x) {
    long double s = 1 / (1 + expl(-x)), t = tanhl(x);
    switch (act) {
    case ACT_RELU: return x > 0;
    case ACT_RELU6: return x > 0 && x < 6;
    case ACT_HARDSWISH: return x < -3 ? 0 : (x > 3 ? 1 : (2 * x + 3) / 6);
    case ACT_SILU: return s * (1 + x * (1 - s));
    case ACT_SIGMOID: return s * (1 - s);
    case ACT_TANH: return 1 - t * t;
    }
    return 1;
}

static const char *const act_names[] = {"relu", "relu6", "hardswish", "silu", "sigmoid", "tanh"};

static float slope_of(int act, float a, float b, rule_kind rule) {
    float my = 1, mx;
    int zero = 0;
    pair_rows rows = {1, &zero, &zero};
    act_deeplift_cpu(&mx, &my, &a, &b, rows, 1, act, rule, 0);
    return mx;
}

static void test_act_secant(void) {
    /* points: generic, near the kinks 0, ±3, 6, and large |x| */
    const float base[] = {-400.0f, -95.0f, -7.5f, -3.0f, -2.9f, -0.3f, 0.0f, 1e-3f,
                          0.7f,    2.99f,  3.0f,  5.999f, 6.0f, 12.0f, 25.0f, 90.0f, 400.0f};
    const float step[] = {1.0f, 1e-2f, 1e-4f, 1e-6f, 3e-7f};
    double worst_old = 0;
    for (int act = 0; act < ACT_COUNT; act++) {
        double worst = 0;
        for (size_t i = 0; i < sizeof base / sizeof *base; i++) {
            float a0 = base[i];
            for (int u = -3; u <= 3; u++) { /* a few ulps either side */
                float a = a0;
                for (int k = 0; k < abs(u); k++) a = nextafterf(a, u > 0 ? INFINITY : -INFINITY);
                float bs[2 + 2 * sizeof step / sizeof *step];
                int nb = 0;
                bs[nb++] = a0, bs[nb++] = nextafterf(a0, -INFINITY);
                for (size_t s = 0; s < sizeof step / sizeof *step; s++) bs[nb++] = a0 + step[s], bs[nb++] = a0 - step[s];
                for (int j = 0; j < nb; j++) {
                    float b = bs[j];
                    long double d = (long double)a - b, want = (g_ld(act, a) - g_ld(act, b)) / d;
                    /* smooth g: below 1e-9 the long-double quotient cancels; g' at the midpoint
                     * is within |g'''| d² / 24 of the secant */
                    if (a == b || (act >= ACT_SILU && fabsl(d) < 1e-9L)) want = gd_ld(act, ((long double)a + b) / 2);
                    float got = slope_of(act, a, b, RULE_RESCALE);
                    double err = fabsl(got - want) / fmaxl(1e-3L, fabsl(want));
                    worst = fmax(worst, err);
                    EXPECT(err <= 2e-7, "%s secant at (%.9g, %.9g): %.9g, long double %.12Lg", act_names[act], a, b,
                           got, want);
                    if (a != b) { /* the float32 quotient of the old kernels, for the record */
                        float old = (act_value(act, a) - act_value(act, b)) / (a - b);
                        worst_old = fmax(worst_old, fabsl(old - want) / fmaxl(1e-3L, fabsl(want)));
                    }
                }
            }
        }
        printf("%-10s secant max relative error %.2e\n", act_names[act], worst);
    }
    printf("(the float32 quotient on the same pairs: %.2e)\n", worst_old);
    /* shap's rule keeps its switch: g'(x_ref) where |Δx| < 1e-6 */
    float a = 0.5f, b = 0.5f + 5e-7f;
    EXPECT(slope_of(ACT_RELU, 4e-7f, -4e-7f, RULE_SHAP_RESCALE) == 0.0f, "shap rescale: relu'(x_ref < 0) = 0");
    EXPECT(slope_of(ACT_RELU, 4e-7f, -4e-7f, RULE_RESCALE) == 0.5f, "exact rescale: relu secant 0.5 across 0");
    EXPECT(slope_of(ACT_TANH, a, b, RULE_SHAP_RESCALE) == act_derivative(ACT_TANH, b), "shap rescale: tanh'(x_ref)");
}

static void test_exp(void) {
    double worst = 0;
    for (int i = -600000; i <= 600000; i++) {
        double x = i * 1e-3 + (i % 7) * 1.3e-7; /* off the grid of ln2 multiples too */
        long double want = expl((long double)x);
        double err = fabsl(rs_exp(x) - want) / want;
        worst = fmax(worst, err);
        if (err > 1e-15) EXPECT(0, "rs_exp(%.17g) = %.17g, expl %.20Lg", x, rs_exp(x), want);
    }
    const double edge[] = {0.0, -0.0, 1e-300, -1e-300, 0.34657359027997264, -0.34657359027997264, 600.0, -600.0};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        long double want = expl((long double)edge[i]);
        EXPECT(fabsl(rs_exp(edge[i]) - want) / want <= 1e-15, "rs_exp(%.17g) = %.17g", edge[i], rs_exp(edge[i]));
    }
    printf("rs_exp max relative error on [-600, 600]: %.2e\n", worst);
}

/* A long row (vectorised body and scalar tail) gives each pair's slope bit
 * for bit as the pair alone does. */
static void test_row_equals_pairs(void) {
    enum { S = 1003 };
    float a[S], b[S], my[S], mx[S];
    unsigned seed = 12345;
    for (int e = 0; e < S; e++) {
        seed = seed * 1103515245u + 12345u;
        a[e] = ((int)(seed >> 8) % 20000 - 10000) * 1e-3f;
        b[e] = e % 5 == 0 ? a[e] : (e % 5 == 1 ? nextafterf(a[e], INFINITY) : a[e] - (e % 9) * 0.37f);
        my[e] = 1;
    }
    int zero = 0;
    pair_rows rows = {1, &zero, &zero};
    for (int act = 0; act < ACT_COUNT; act++) {
        act_deeplift_cpu(mx, my, a, b, rows, S, act, RULE_RESCALE, 0);
        int differ = 0;
        for (int e = 0; e < S; e++) differ += memcmp(&mx[e], &(float){slope_of(act, a[e], b[e], RULE_RESCALE)}, 4) != 0;
        EXPECT(differ == 0, "%s: %d of %d slopes of a row differ from the pair alone", act_names[act], differ, S);
    }
}

/* Softmax of one line in long double. */
static void softmax_ld(const float *x, int L, long double *y) {
    long double c = x[0], s = 0;
    for (int j = 1; j < L; j++) c = fmaxl(c, x[j]);
    for (int j = 0; j < L; j++) s += expl(x[j] - c);
    for (int j = 0; j < L; j++) y[j] = expl(x[j] - c) / s;
}

/* The exact softmax rule from its definition, plain long-double secants. */
static void softmax_rule_ld(const float *xi, const float *xr, const float *my, int L, long double *mx) {
    long double c = -INFINITY, sx = 0, sr = 0, dot = 0, s[32], w[32];
    for (int j = 0; j < L; j++) c = fmaxl(c, fmaxl(xi[j], xr[j]));
    for (int j = 0; j < L; j++) sx += expl(xi[j] - c), sr += expl(xr[j] - c);
    long double lam = (logl(sx) - logl(sr)) / (sx - sr); /* ΔΛ / ΔS */
    for (int j = 0; j < L; j++) {
        long double ux = xi[j] - c - logl(sx), ur = xr[j] - c - logl(sr);
        s[j] = (expl(ux) - expl(ur)) / (ux - ur);
        w[j] = lam * (expl(xi[j] - c) - expl(xr[j] - c)) / ((long double)xi[j] - xr[j]);
        dot += s[j] * my[j];
    }
    for (int j = 0; j < L; j++) mx[j] = s[j] * my[j] - dot * w[j];
}

static void run_softmax(float *mx, const float *my, const float *xi, const float *xr, int L, rule_kind rule) {
    shape3 sh = {1, 1, L};
    float yi[32], yr[32];
    long double t[32];
    softmax_ld(xi, L, t);
    for (int j = 0; j < L; j++) yi[j] = (float)t[j];
    softmax_ld(xr, L, t);
    for (int j = 0; j < L; j++) yr[j] = (float)t[j];
    int zero = 0;
    pair_rows rows = {1, &zero, &zero};
    softmax_deeplift_cpu(mx, my, xi, xr, yi, yr, rows, sh, AX_V, rule, 0);
}

static double max_abs(const float *v, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

static void test_softmax(void) {
    enum { L = 7 };
    float xi[L] = {0.3f, -1.2f, 2.0f, 0.9f, -0.4f, 1.5f, -2.5f};
    float xr[L] = {1.1f, -0.2f, 0.5f, 0.95f, -1.4f, 1.5f, -1.0f}; /* Δx_5 = 0 exactly */
    float my[L] = {0.7f, -1.3f, 0.2f, 2.1f, -0.6f, 1.0f, 0.4f}, mx[L];
    long double want[L];
    run_softmax(mx, my, xi, xr, L, RULE_RESCALE);
    float xq[L];
    memcpy(xq, xi, sizeof xq);
    xq[5] = nextafterf(xq[5], 0); /* Δx = 1 ulp: the definition's secants stay moderate elsewhere */
    float mq[L];
    run_softmax(mq, my, xq, xr, L, RULE_RESCALE);
    softmax_rule_ld(xq, xr, my, L, want);
    double scale = 0, err = 0;
    for (int j = 0; j < L; j++) scale = fmax(scale, fabsl(want[j]));
    for (int j = 0; j < L; j++) err = fmax(err, fabsl(mq[j] - want[j]) / scale);
    EXPECT(err <= 1e-6, "softmax rule vs its definition: max error %.3g of max |m|", err);
    printf("softmax rule vs definition (long double): %.2e of max |m_x|\n", err);

    /* summation-to-delta: Σ m_x Δx = Σ m_y Δy */
    long double yi[L], yr[L], lhs = 0, rhs = 0, mag = 0;
    softmax_ld(xi, L, yi);
    softmax_ld(xr, L, yr);
    for (int j = 0; j < L; j++) {
        lhs += (long double)mx[j] * ((long double)xi[j] - xr[j]);
        rhs += my[j] * (yi[j] - yr[j]);
        mag += fabsl(mx[j] * ((long double)xi[j] - xr[j]));
    }
    EXPECT(fabsl(lhs - rhs) <= 1e-6 * mag, "softmax: sum m dx %.9Lg vs sum m dy %.9Lg", lhs, rhs);

    /* conditioning: one ulp more at the Δx = 0 input changes m_x by rounding;
     * the elementwise rule (shap's, threshold 1e-6) jumps there */
    double dm = 0;
    for (int j = 0; j < L; j++) dm = fmax(dm, fabs(mq[j] - mx[j]));
    EXPECT(dm <= 1e-6 * max_abs(mx, L), "softmax: one ulp at a Δx = 0 input moves m_x by %.3g", dm);
    float s0[L], s1[L], xs[L];
    memcpy(xs, xi, sizeof xs);
    xs[5] = xr[5] + 1e-6f; /* just past shap's threshold */
    run_softmax(s0, my, xs, xr, L, RULE_SHAP_RESCALE);
    xs[5] = xr[5] + 1.1e-6f;
    run_softmax(s1, my, xs, xr, L, RULE_SHAP_RESCALE);
    printf("shap's elementwise softmax rule across 1e-6 -> 1.1e-6: m_x moves by %.2e of max |m_x| (exact: %.2e)\n",
           fabs(s1[5] - s0[5]) / max_abs(s0, L), dm / max_abs(mx, L));

    /* x = r: the Jacobian product y ⊙ (m − Σ m·y) */
    run_softmax(mx, my, xr, xr, L, RULE_RESCALE);
    long double dot = 0;
    for (int j = 0; j < L; j++) dot += my[j] * yr[j];
    for (int j = 0; j < L; j++) {
        long double jv = yr[j] * (my[j] - dot);
        EXPECT(fabsl(mx[j] - jv) <= 1e-6L * fmaxl(1e-3L, fabsl(jv)), "softmax at x = r: m[%d] %.9g, Jacobian %.9Lg", j,
               mx[j], jv);
    }
}

int main(void) {
    test_exp();
    test_act_secant();
    test_row_equals_pairs();
    test_softmax();
    return tl_finish("test_rescale");
}
