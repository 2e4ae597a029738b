/* The exact rescale secants of the imported-graph activations (act.h
 * ACT_ND_FIRST on, cpu/rescale.h rs_act_secant_p) through act_deeplift_nd,
 * against long-double references written from the definitions: the slope
 * (m_y = 1) is (g(a) − g(b)) / (a − b) to 2e-7 relative (of max(1e-3,
 * |slope|)) at |a − b| from 1 down to one float ulp, on pairs straddling
 * every kink and for large |x|, and g'(a) at a = b (PyTorch's values at
 * kinks); the derivative rules give act_derivative_p, and shap's rule
 * switches to g'(x_ref) below |Δx| = 1e-6. Also the values against long
 * double (forward, 1e-6 absolute + relative). */
#include <math.h>
#include <stdlib.h>

#include "cpu/act.h"
#include "cpu/deeplift_nd.h"
#include "cpu/ops_nd.h"
#include "testlib.h"

#define SQRT1_2L 0.707106781186547524400844362104849039L
#define GK 0.797884560802865355879892119868763737L

static long double g_ld(int act, long double x, long double al, long double be) {
    switch (act) {
    case ACT_LEAKY_RELU:
    case ACT_PRELU: return x > 0 ? x : al * x;
    case ACT_ELU: return x > 0 ? x : al * expm1l(x);
    case ACT_HARDSIGMOID: return fmaxl(0, fminl(1, al * x + be));
    case ACT_GELU: return 0.5L * x * erfcl(-x * SQRT1_2L);
    case ACT_GELU_TANH: return 0.5L * x * (1 + tanhl(GK * (x + 0.044715L * x * x * x)));
    case ACT_CLIP: return fminl(fmaxl(x, al), be);
    }
    return x;
}

static long double gd_ld(int act, long double x, long double al, long double be) {
    switch (act) {
    case ACT_LEAKY_RELU:
    case ACT_PRELU: return x > 0 ? 1 : al;
    case ACT_ELU: return x > 0 ? 1 : al * expl(x);
    case ACT_HARDSIGMOID: return al * x + be > 0 && al * x + be < 1 ? al : 0;
    case ACT_GELU: return 0.5L * erfcl(-x * SQRT1_2L) + x * expl(-x * x / 2) * 0.398942280401432677939946059934381868L;
    case ACT_GELU_TANH: {
        long double t = tanhl(GK * (x + 0.044715L * x * x * x));
        return 0.5L * (1 + t) + 0.5L * x * (1 - t * t) * GK * (1 + 3 * 0.044715L * x * x);
    }
    case ACT_CLIP: return x >= al && x <= be;
    }
    return 1;
}

/* (g(a) − g(b)) / (a − b); on one linear piece its slope (the long-double
 * quotient would round α·a + β) */
static long double secant_ld(int act, long double a, long double b, long double al, long double be) {
    if (act == ACT_HARDSIGMOID) {
        long double ua = al * a + be, ub = al * b + be;
        if (ua > 0 && ua < 1 && ub > 0 && ub < 1) return al;
    }
    return (g_ld(act, a, al, be) - g_ld(act, b, al, be)) / (a - b);
}

typedef struct {
    const char *name;
    int act;
    float alpha, beta;
    float kinks[2];
    int n_kinks, smooth;
} act_case;

static const act_case acts[] = {
    {"leaky_relu", ACT_LEAKY_RELU, 0.01f, 0, {0}, 1, 0},
    {"prelu", ACT_PRELU, -0.25f, 0, {0}, 1, 0},
    {"elu", ACT_ELU, 1.3f, 0, {0}, 1, 0},
    {"hardsigmoid", ACT_HARDSIGMOID, 0.2f, 0.5f, {-2.5f, 2.5f}, 2, 0},
    {"gelu", ACT_GELU, 0, 0, {0}, 1, 1},
    {"gelu_tanh", ACT_GELU_TANH, 0, 0, {0}, 1, 1},
    {"clip", ACT_CLIP, -0.5f, 1.0f, {-0.5f, 1.0f}, 2, 0},
};

static float slope_of(const act_case *ac, float a, float b, rule_kind rule) {
    node nd = {.op = OP_ACT, .act = ac->act, .alpha = ac->alpha, .beta = ac->beta};
    float one = 1, mx, prelu_slope = ac->alpha;
    if (ac->act == ACT_PRELU) nd.slope = &prelu_slope, nd.slope_n = 1;
    nd_shape s = {1, {1}};
    nd.shape = s;
    const float *xi[1] = {&a}, *xr[1] = {&b};
    int zero = 0;
    pair_rows rows = {1, &zero, &zero};
    EXPECT(act_deeplift_nd(&mx, &one, 0, xi, xr, NULL, NULL, &s, &nd, rows, rule, 0) == 0, "act_deeplift_nd failed");
    return mx;
}

static void test_case(const act_case *ac) {
    float base[24];
    int nb0 = 0;
    const float generic[] = {-9.0f, -3.7f, -0.3f, 0.0f, 1e-3f, 0.7f, 2.2f, 6.5f, 15.0f};
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++) base[nb0++] = generic[i];
    for (int k = 0; k < ac->n_kinks; k++) base[nb0++] = ac->kinks[k];
    const float step[] = {1.0f, 1e-2f, 1e-4f, 1e-6f, 3e-7f};
    long double al = ac->alpha, be = ac->beta;
    double worst = 0;
    for (int i = 0; i < nb0; i++) {
        float a0 = base[i];
        for (int u = -3; u <= 3; u++) {
            float a = a0;
            for (int k = 0; k < abs(u); k++) a = nextafterf(a, u > 0 ? INFINITY : -INFINITY);
            float bs[2 + 2 * sizeof step / sizeof *step];
            int nb = 0;
            bs[nb++] = a0, bs[nb++] = nextafterf(a0, -INFINITY);
            for (size_t s = 0; s < sizeof step / sizeof *step; s++) bs[nb++] = a0 + step[s], bs[nb++] = a0 - step[s];
            for (int j = 0; j < nb; j++) {
                float b = bs[j];
                long double d = (long double)a - b, want = a == b ? 0 : secant_ld(ac->act, a, b, al, be);
                /* smooth g: below 1e-9 the long-double quotient cancels; g' at the midpoint is
                 * within |g'''| d² / 24 of the secant */
                if (a == b) want = gd_ld(ac->act, a, al, be);
                else if (ac->smooth && fabsl(d) < 1e-9L) want = gd_ld(ac->act, ((long double)a + b) / 2, al, be);
                float got = slope_of(ac, a, b, RULE_RESCALE);
                double err = fabsl(got - want) / fmaxl(1e-3L, fabsl(want));
                worst = fmax(worst, err);
                EXPECT(err <= 2e-7, "%s secant at (%.9g, %.9g): %.9g, long double %.12Lg", ac->name, a, b, got, want);
                EXPECT(slope_of(ac, a, b, RULE_AT_REF) == act_derivative_p(ac->act, b, ac->alpha, ac->beta) &&
                           slope_of(ac, a, b, RULE_AT_INST) == act_derivative_p(ac->act, a, ac->alpha, ac->beta),
                       "%s derivative rules at (%.9g, %.9g)", ac->name, a, b);
                long double gd = gd_ld(ac->act, a, al, be);
                float dv = act_derivative_p(ac->act, a, ac->alpha, ac->beta);
                EXPECT(fabsl(dv - gd) <= 1e-6L * (1 + fabsl(gd)), "%s derivative at %.9g: %.9g, long double %.12Lg",
                       ac->name, a, dv, gd);
                long double gv = g_ld(ac->act, a, al, be);
                float v = act_value_p(ac->act, a, ac->alpha, ac->beta);
                EXPECT(fabsl(v - gv) <= 1e-6L * (1 + fabsl(gv)), "%s value at %.9g: %.9g, long double %.12Lg",
                       ac->name, a, v, gv);
            }
        }
    }
    /* shap's rule keeps its switch: g'(x_ref) where |Δx| < 1e-6 */
    float a = 0.3f, b = 0.3f + 5e-7f;
    EXPECT(slope_of(ac, a, b, RULE_SHAP_RESCALE) == slope_of(ac, b, b, RULE_RESCALE), "%s shap rescale: g'(x_ref)",
           ac->name);
    printf("%-12s secant max relative error %.2e\n", ac->name, worst);
}

int main(void) {
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) test_case(&acts[i]);
    return tl_finish("test_rescale_nd");
}
