/* Every node kind on the GPU against the CPU kernels, on random inputs:
 * forward, linear backward (overwrite and accumulate), and every rule of
 * every rule set (exact: rescale / Shapley / max rule; shap: rescale or the
 * gradient at the reference; grad: the gradient at the instance).
 *
 * Error: max |gpu − cpu| / max |cpu| over the whole output. Tolerances:
 *  - copies, gathers, broadcasts, one-multiply kernels (input, concat,
 *    gather, person mean, affine, add, mul, mean, max, copy):    1e-6
 *  - GEMM kernels (conv, graph), FP32 with another summation order: 1e-5
 *  - piecewise-linear activations and their rules:                1e-6
 *  - transcendental activations (expf/tanhf differ by ~2 ulp between the
 *    libraries) and softmax:                                       1e-5
 *  - rescale rules of transcendental activations: the ratio
 *    (g(x) − g(r))/(x − r) divides that ulp difference by |x − r|; inputs
 *    keep |x − r| ≥ 0.01 (or exactly 0, the derivative branch):   1e-4
 * An overwriting (acc = 0) call gets a NaN-filled output, so an element it
 * fails to write shows as an infinite error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "cpu/backward_cpu.h"
#include "cpu/deeplift_cpu.h"
#include "cuda/backward_cuda.h"
#include "cuda/deeplift_cuda.h"
#include "cuda/ops_cuda.h"
#include "engine/arch.h"
#include "engine/net.h"
#include "gpu_check.h"

static cuda_stream S;
static uint64_t seed = 1;

static float *rnd(int64_t n) {
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    fill_normal(x, n, seed++);
    return x;
}

static void check(const char *name, const float *dev, const float *cpu, int64_t n, double tol) {
    float *g = host_floats(dev, n);
    int64_t w;
    double e = rel_to_max(g, cpu, n, &w);
    EXPECT(e <= tol, "%s: max|gpu-cpu|/max|cpu| = %.3g > %.0e at %lld (gpu %.9g, cpu %.9g)", name, e, tol,
           (long long)w, g[w], cpu[w]);
    printf("  %-60s %.2e  (tol %.0e)\n", name, e, tol);
    free(g);
}

#define OK(expr) EXPECT_OK(expr)

/* Start of a multiplier output: acc = 1 gives random contents on both
 * sides, acc = 0 zeros on the CPU and NaN on the GPU. */
static void mx_start(int acc, int64_t n, float **cpu, float **dev) {
    *cpu = rnd(n); /* with acc 0 the kernels must overwrite it */
    *dev = gpu_floats(acc ? *cpu : NULL, n);
}

/* ---------------- convolution ---------------- */

typedef struct {
    int Cin, Cout, Tin, V, k, stride, pad, groups, bias;
} conv_cfg;

static const conv_cfg convs[] = {
    {16, 24, 12, 5, 1, 1, 0, 1, 1},  /* 1x1 */
    {16, 24, 12, 5, 9, 1, 4, 1, 1},  /* temporal k=9 */
    {16, 24, 12, 5, 5, 2, 2, 1, 0},  /* strided k=5, no bias */
    {16, 16, 12, 5, 1, 2, 0, 1, 1},  /* strided 1x1 (residual) */
    {6, 10, 9, 5, 3, 1, 0, 1, 1},    /* no padding */
    {25, 12, 1, 1, 1, 1, 0, 1, 1},   /* attention fc on (25, 1, 1) */
    {8, 8, 13, 5, 9, 1, 4, 8, 1},    /* depthwise */
    {8, 8, 13, 5, 5, 2, 2, 8, 1},    /* depthwise strided */
};

static void test_conv(void) {
    int B = 3;
    for (size_t c = 0; c < sizeof convs / sizeof convs[0]; c++) {
        conv_cfg q = convs[c];
        int Tout = (q.Tin + 2 * q.pad - q.k) / q.stride + 1;
        int64_t nx = (int64_t)B * q.Cin * q.Tin * q.V, ny = (int64_t)B * q.Cout * Tout * q.V;
        int64_t nw = (int64_t)q.Cout * (q.Cin / q.groups) * q.k;
        float *x = rnd(nx), *w = rnd(nw), *b = rnd(q.Cout), *y = malloc(sizeof(float) * ny);
        float *dx = gpu_floats(x, nx), *dw = gpu_floats(w, nw), *db = gpu_floats(b, q.Cout), *dy = gpu_floats(NULL, ny);
        char name[160];
        snprintf(name, sizeof name, "conv forward Cin %d Cout %d k %d stride %d pad %d groups %d", q.Cin, q.Cout, q.k,
                 q.stride, q.pad, q.groups);
        conv_forward_cpu(y, x, w, q.bias ? b : NULL, B, q.Cin, q.Tin, q.V, q.Cout, Tout, q.k, q.stride, q.pad, q.groups);
        OK(conv_forward_cuda(dy, dx, dw, q.bias ? db : NULL, B, q.Cin, q.Tin, q.V, q.Cout, Tout, q.k, q.stride, q.pad,
                             q.groups, S));
        check(name, dy, y, ny, 1e-5);
        for (int acc = 0; acc < 2; acc++) {
            float *my = rnd(ny), *mx, *dmx, *dmy = gpu_floats(my, ny);
            mx_start(acc, nx, &mx, &dmx);
            conv_backward_cpu(mx, my, w, B, q.Cin, q.Tin, q.V, q.Cout, Tout, q.k, q.stride, q.pad, q.groups, acc);
            OK(conv_backward_cuda(dmx, dmy, dw, B, q.Cin, q.Tin, q.V, q.Cout, Tout, q.k, q.stride, q.pad, q.groups, acc,
                                  S));
            snprintf(name, sizeof name, "conv backward%s Cin %d Cout %d k %d stride %d pad %d groups %d",
                     acc ? " (acc)" : "", q.Cin, q.Cout, q.k, q.stride, q.pad, q.groups);
            check(name, dmx, mx, nx, 1e-5);
            free(my), free(mx), gpu_free(dmx), gpu_free(dmy);
        }
        free(x), free(w), free(b), free(y), gpu_free(dx), gpu_free(dw), gpu_free(db), gpu_free(dy);
    }
}

/* ---------------- affine, graph, act ---------------- */

static void test_affine_graph(void) {
    int B = 4, C = 7, TV = 30, K = 3, Cg = 5, T = 6, V = 25;
    int64_t n = (int64_t)B * C * TV;
    float *x = rnd(n), *sc = rnd(C), *sh = rnd(C), *y = malloc(sizeof(float) * n);
    float *dx = gpu_floats(x, n), *dsc = gpu_floats(sc, C), *dsh = gpu_floats(sh, C), *dy = gpu_floats(NULL, n);
    affine_forward_cpu(y, x, sc, sh, B, C, TV);
    OK(affine_forward_cuda(dy, dx, dsc, dsh, B, C, TV, S));
    check("affine forward", dy, y, n, 1e-6);
    for (int acc = 0; acc < 2; acc++) {
        float *mx, *dmx;
        mx_start(acc, n, &mx, &dmx);
        affine_backward_cpu(mx, x, sc, B, C, TV, acc); /* x as m_y */
        OK(affine_backward_cuda(dmx, dx, dsc, B, C, TV, acc, S));
        check(acc ? "affine backward (acc)" : "affine backward", dmx, mx, n, 1e-6);
        free(mx), gpu_free(dmx);
    }
    free(x), free(sc), free(sh), free(y), gpu_free(dx), gpu_free(dsc), gpu_free(dsh), gpu_free(dy);

    int64_t nx = (int64_t)B * K * Cg * T * V, ny = (int64_t)B * Cg * T * V, ng = (int64_t)K * V * V;
    float *gx = rnd(nx), *G = rnd(ng), *gy = malloc(sizeof(float) * ny);
    float *dgx = gpu_floats(gx, nx), *dG = gpu_floats(G, ng), *dgy = gpu_floats(NULL, ny);
    graph_forward_cpu(gy, gx, G, B, K, Cg, T, V);
    OK(graph_forward_cuda(dgy, dgx, dG, B, K, Cg, T, V, S));
    check("graph forward K 3 V 25", dgy, gy, ny, 1e-5);
    for (int acc = 0; acc < 2; acc++) {
        float *my = rnd(ny), *dmy = gpu_floats(my, ny), *mx, *dmx;
        mx_start(acc, nx, &mx, &dmx);
        graph_backward_cpu(mx, my, G, B, K, Cg, T, V, acc);
        OK(graph_backward_cuda(dmx, dmy, dG, B, K, Cg, T, V, acc, S));
        check(acc ? "graph backward (acc)" : "graph backward", dmx, mx, nx, 1e-5);
        free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
    }
    free(gx), free(G), free(gy), gpu_free(dgx), gpu_free(dG), gpu_free(dgy);
}

static int transcendental(int act) { return act == ACT_SILU || act == ACT_SIGMOID || act == ACT_TANH; }

/* Instance and reference rows with |x − r| ≥ 0.01 or exactly 0 (every
 * 7th element), and values near the kinks of relu6 and hardswish. */
static void rule_inputs(float *xi, float *xr, int n_i, int n_r, int64_t S_) {
    rng_t r;
    rng_seed(&r, seed++);
    for (int64_t e = 0; e < (int64_t)n_i * S_; e++) xi[e] = (float)(3 * rng_normal(&r));
    for (int64_t e = 0; e < (int64_t)n_r * S_; e++) {
        float v = xi[e % ((int64_t)n_i * S_)];
        if (e % 7 == 0) {
            xr[e] = v;
        } else {
            float t;
            do t = (float)(3 * rng_normal(&r));
            while (fabsf(t - v) < 0.01f);
            xr[e] = t;
        }
    }
}

static pair_rows random_rows(int B, int n_i, int n_r, int **hi, int **hr) {
    rng_t r;
    rng_seed(&r, seed++);
    *hi = malloc(sizeof(int) * B);
    *hr = malloc(sizeof(int) * B);
    for (int q = 0; q < B; q++) {
        (*hi)[q] = (int)rng_below(&r, (uint64_t)n_i);
        (*hr)[q] = (int)rng_below(&r, (uint64_t)n_r);
    }
    return (pair_rows){B, *hi, *hr};
}

static pair_rows dev_rows(pair_rows h) { return (pair_rows){h.B, gpu_ints(h.xi, h.B), gpu_ints(h.xr, h.B)}; }

static const char *rule_name(rule_kind k) {
    static const char *const n[] = {"rescale", "shapley/max", "grad at ref", "grad at inst", "shap rescale"};
    return n[k];
}

static void test_act(void) {
    int n_i = 3, n_r = 4, B = 9;
    int64_t Sz = 200;
    for (int act = 0; act < ACT_COUNT; act++) {
        int64_t n = (int64_t)n_i * Sz;
        float *x = rnd(n), *y = malloc(sizeof(float) * n);
        for (int64_t e = 0; e < n; e++) x[e] *= 4; /* reach relu6's and hardswish's saturation */
        float *dx = gpu_floats(x, n), *dy = gpu_floats(NULL, n);
        char name[128];
        act_forward_cpu(y, x, n, act);
        OK(act_forward_cuda(dy, dx, n, act, S));
        snprintf(name, sizeof name, "act forward %s", act_name(act));
        check(name, dy, y, n, transcendental(act) ? 1e-5 : 1e-6);
        free(x), free(y), gpu_free(dx), gpu_free(dy);

        float *xi = malloc(sizeof(float) * n_i * Sz), *xr = malloc(sizeof(float) * n_r * Sz);
        rule_inputs(xi, xr, n_i, n_r, Sz);
        int *hi, *hr;
        pair_rows rows = random_rows(B, n_i, n_r, &hi, &hr), drows = dev_rows(rows);
        float *dxi = gpu_floats(xi, n_i * Sz), *dxr = gpu_floats(xr, n_r * Sz);
        rule_kind rules[] = {RULE_RESCALE, RULE_SHAP_RESCALE, RULE_AT_REF, RULE_AT_INST};
        for (int k = 0; k < 4; k++)
            for (int acc = 0; acc < 2; acc++) {
                float *my = rnd((int64_t)B * Sz), *dmy = gpu_floats(my, (int64_t)B * Sz), *mx, *dmx;
                mx_start(acc, (int64_t)B * Sz, &mx, &dmx);
                act_deeplift_cpu(mx, my, xi, xr, rows, Sz, act, rules[k], acc);
                OK(act_deeplift_cuda(dmx, dmy, dxi, dxr, drows, Sz, act, rules[k], acc, S));
                snprintf(name, sizeof name, "act rule %s %s%s", act_name(act), rule_name(rules[k]), acc ? " (acc)" : "");
                double tol = !transcendental(act) ? 1e-6 : 1e-5; /* both rescales in double (rescale.h) */
                check(name, dmx, mx, (int64_t)B * Sz, tol);
                free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
            }
        free(xi), free(xr), free(hi), free(hr), gpu_free((void *)drows.xi), gpu_free((void *)drows.xr);
        gpu_free(dxi), gpu_free(dxr);
    }
}

/* ---------------- broadcasting binary ops ---------------- */

static const shape3 full = {6, 5, 7};
static const shape3 bshapes[] = {{6, 5, 7}, {1, 1, 7}, {6, 1, 1}, {1, 5, 1}, {6, 5, 1}, {1, 1, 1}};
#define NB (sizeof bshapes / sizeof bshapes[0])

static int64_t sz3(shape3 s) { return (int64_t)s.C * s.T * s.V; }

static void test_binary(void) {
    int B = 4;
    char name[160];
    for (size_t a = 0; a < NB; a++) {
        shape3 sa = full, sb = bshapes[a];
        int64_t na = B * sz3(sa), nb = B * sz3(sb), ny = B * sz3(full);
        float *xa = rnd(na), *xb = rnd(nb), *y = malloc(sizeof(float) * ny);
        float *da = gpu_floats(xa, na), *dbb = gpu_floats(xb, nb), *dy = gpu_floats(NULL, ny);
        for (int mul = 0; mul < 2; mul++) {
            /* b first as well: the broadcast operand on either side */
            (mul ? mul_forward_cpu : add_forward_cpu)(y, xb, xa, B, full, sb, sa);
            OK((mul ? mul_forward_cuda : add_forward_cuda)(dy, dbb, da, B, full, sb, sa, S));
            snprintf(name, sizeof name, "%s forward (%d,%d,%d) x (6,5,7)", mul ? "mul" : "add", sb.C, sb.T, sb.V);
            check(name, dy, y, ny, 1e-6);
        }
        for (int acc = 0; acc < 2; acc++) {
            float *my = rnd(ny), *dmy = gpu_floats(my, ny), *mx, *dmx;
            mx_start(acc, nb, &mx, &dmx);
            broadcast_backward_cpu(mx, my, B, full, sb, acc);
            OK(broadcast_backward_cuda(dmx, dmy, B, full, sb, acc, S));
            snprintf(name, sizeof name, "broadcast backward to (%d,%d,%d)%s", sb.C, sb.T, sb.V, acc ? " (acc)" : "");
            check(name, dmx, mx, nb, 1e-6);
            free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
        }
        /* products: every rule, the gate on either side */
        int n_i = 2, n_r = 3, Bq = 5;
        int *hi, *hr;
        pair_rows rows = random_rows(Bq, n_i, n_r, &hi, &hr), drows = dev_rows(rows);
        float *ai = rnd(n_i * sz3(sa)), *ar = rnd(n_r * sz3(sa)), *bi = rnd(n_i * sz3(sb)), *br = rnd(n_r * sz3(sb));
        float *dai = gpu_floats(ai, n_i * sz3(sa)), *dar = gpu_floats(ar, n_r * sz3(sa));
        float *dbi = gpu_floats(bi, n_i * sz3(sb)), *dbr = gpu_floats(br, n_r * sz3(sb));
        rule_kind rules[] = {RULE_SHAPLEY, RULE_AT_REF, RULE_AT_INST};
        for (int k = 0; k < 3; k++)
            for (int acc = 0; acc < 2; acc++) {
                int64_t nz = Bq * sz3(full);
                float *mz = rnd(nz), *dmz = gpu_floats(mz, nz), *ma, *dma, *mb, *dmb;
                mx_start(acc, Bq * sz3(sa), &ma, &dma);
                mx_start(!acc, Bq * sz3(sb), &mb, &dmb); /* the two flags differ */
                mul_deeplift_cpu(ma, mb, mz, ai, ar, bi, br, rows, full, sa, sb, rules[k], acc, !acc);
                OK(mul_deeplift_cuda(dma, dmb, dmz, dai, dar, dbi, dbr, drows, full, sa, sb, rules[k], acc, !acc, S));
                snprintf(name, sizeof name, "mul rule %s, gate (%d,%d,%d), m_a%s", rule_name(rules[k]), sb.C, sb.T,
                         sb.V, acc ? " (acc)" : "");
                check(name, dma, ma, Bq * sz3(sa), 1e-6);
                snprintf(name, sizeof name, "mul rule %s, gate (%d,%d,%d), m_b%s", rule_name(rules[k]), sb.C, sb.T,
                         sb.V, !acc ? " (acc)" : "");
                check(name, dmb, mb, Bq * sz3(sb), 1e-6);
                free(mz), free(ma), free(mb), gpu_free(dmz), gpu_free(dma), gpu_free(dmb);
            }
        free(ai), free(ar), free(bi), free(br), gpu_free(dai), gpu_free(dar), gpu_free(dbi), gpu_free(dbr);
        free(hi), free(hr), gpu_free((void *)drows.xi), gpu_free((void *)drows.xr);
        free(xa), free(xb), free(y), gpu_free(da), gpu_free(dbb), gpu_free(dy);
    }
}

/* ---------------- reductions, softmax ---------------- */

static void test_reduce(void) {
    shape3 sx = {6, 9, 7};
    int B = 5, axes_list[] = {AX_C | AX_T, AX_T | AX_V, AX_C | AX_V, AX_C, AX_T, AX_V, AX_C | AX_T | AX_V};
    char name[128];
    for (size_t a = 0; a < sizeof axes_list / sizeof axes_list[0]; a++) {
        int axes = axes_list[a];
        shape3 so = {axes & AX_C ? 1 : sx.C, axes & AX_T ? 1 : sx.T, axes & AX_V ? 1 : sx.V};
        int64_t nx = B * sz3(sx), no = B * sz3(so);
        float *x = rnd(nx), *y = malloc(sizeof(float) * no), *dx = gpu_floats(x, nx), *dy = gpu_floats(NULL, no);
        for (int is_max = 0; is_max < 2; is_max++) {
            (is_max ? max_forward_cpu : mean_forward_cpu)(y, x, B, sx, axes);
            OK((is_max ? max_forward_cuda : mean_forward_cuda)(dy, dx, B, sx, axes, S));
            snprintf(name, sizeof name, "%s forward axes %s%s%s", is_max ? "max" : "mean", axes & AX_C ? "C" : "",
                     axes & AX_T ? "T" : "", axes & AX_V ? "V" : "");
            check(name, dy, y, no, 1e-6);
        }
        for (int acc = 0; acc < 2; acc++) {
            float *my = rnd(no), *dmy = gpu_floats(my, no), *mx, *dmx;
            mx_start(acc, nx, &mx, &dmx);
            mean_backward_cpu(mx, my, B, sx, axes, acc);
            OK(mean_backward_cuda(dmx, dmy, B, sx, axes, acc, S));
            snprintf(name, sizeof name, "mean backward axes %d%s", axes, acc ? " (acc)" : "");
            check(name, dmx, mx, nx, 1e-6);
            free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
        }
        /* max rule (FrameAtt's max over (C, V)) and its gradients */
        int n_i = 2, n_r = 3, Bq = 6;
        int *hi, *hr;
        pair_rows rows = random_rows(Bq, n_i, n_r, &hi, &hr), drows = dev_rows(rows);
        float *xi = rnd(n_i * sz3(sx)), *xr = rnd(n_r * sz3(sx));
        for (int64_t e = 0; e + 1 < n_i * sz3(sx); e += 11) xi[e] = xi[e + 1]; /* ties: the first maximum wins */
        float *yi = malloc(sizeof(float) * n_i * sz3(so)), *yr = malloc(sizeof(float) * n_r * sz3(so));
        max_forward_cpu(yi, xi, n_i, sx, axes);
        max_forward_cpu(yr, xr, n_r, sx, axes);
        float *dxi = gpu_floats(xi, n_i * sz3(sx)), *dxr = gpu_floats(xr, n_r * sz3(sx));
        float *dyi = gpu_floats(yi, n_i * sz3(so)), *dyr = gpu_floats(yr, n_r * sz3(so));
        rule_kind rules[] = {RULE_SHAPLEY, RULE_AT_REF, RULE_AT_INST};
        for (int k = 0; k < 3; k++)
            for (int acc = 0; acc < 2; acc++) {
                float *my = rnd(Bq * sz3(so)), *dmy = gpu_floats(my, Bq * sz3(so)), *mx, *dmx;
                mx_start(acc, Bq * sz3(sx), &mx, &dmx);
                max_deeplift_cpu(mx, my, xi, xr, yi, yr, rows, sx, axes, rules[k], acc);
                OK(max_deeplift_cuda(dmx, dmy, dxi, dxr, dyi, dyr, drows, sx, axes, rules[k], acc, S));
                snprintf(name, sizeof name, "max rule %s axes %d%s", rule_name(rules[k]), axes, acc ? " (acc)" : "");
                check(name, dmx, mx, Bq * sz3(sx), 1e-6);
                free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
            }
        free(xi), free(xr), free(yi), free(yr), gpu_free(dxi), gpu_free(dxr), gpu_free(dyi), gpu_free(dyr);
        free(hi), free(hr), gpu_free((void *)drows.xi), gpu_free((void *)drows.xr);
        free(x), free(y), gpu_free(dx), gpu_free(dy);
    }
}

static void test_softmax(void) {
    shape3 s = {8, 5, 6};
    int axes[] = {AX_C, AX_T, AX_V}, B = 4, n_i = 2, n_r = 3;
    char name[128];
    for (int a = 0; a < 3; a++) {
        int64_t n = B * sz3(s);
        float *x = rnd(n), *y = malloc(sizeof(float) * n), *dx = gpu_floats(x, n), *dy = gpu_floats(NULL, n);
        softmax_forward_cpu(y, x, B, s, axes[a]);
        OK(softmax_forward_cuda(dy, dx, B, s, axes[a], S));
        snprintf(name, sizeof name, "softmax forward axis %c", "CTV"[a]);
        check(name, dy, y, n, 1e-5);
        float *xi = malloc(sizeof(float) * n_i * sz3(s)), *xr = malloc(sizeof(float) * n_r * sz3(s));
        rule_inputs(xi, xr, n_i, n_r, sz3(s));
        float *yi = malloc(sizeof(float) * n_i * sz3(s)), *yr = malloc(sizeof(float) * n_r * sz3(s));
        softmax_forward_cpu(yi, xi, n_i, s, axes[a]);
        softmax_forward_cpu(yr, xr, n_r, s, axes[a]);
        float *dxi = gpu_floats(xi, n_i * sz3(s)), *dxr = gpu_floats(xr, n_r * sz3(s));
        float *dyi = gpu_floats(yi, n_i * sz3(s)), *dyr = gpu_floats(yr, n_r * sz3(s));
        int *hi, *hr;
        pair_rows rows = random_rows(5, n_i, n_r, &hi, &hr), drows = dev_rows(rows);
        rule_kind rules[] = {RULE_RESCALE, RULE_SHAP_RESCALE, RULE_AT_REF, RULE_AT_INST};
        for (int k = 0; k < 4; k++)
            for (int acc = 0; acc < 2; acc++) {
                int64_t nq = 5 * sz3(s);
                float *my = rnd(nq), *dmy = gpu_floats(my, nq), *mx, *dmx;
                mx_start(acc, nq, &mx, &dmx);
                softmax_deeplift_cpu(mx, my, xi, xr, yi, yr, rows, s, axes[a], rules[k], acc);
                OK(softmax_deeplift_cuda(dmx, dmy, dxi, dxr, dyi, dyr, drows, s, axes[a], rules[k], acc, S));
                snprintf(name, sizeof name, "softmax rule %s axis %c%s", rule_name(rules[k]), "CTV"[a],
                         acc ? " (acc)" : "");
                check(name, dmx, mx, nq, rules[k] == RULE_SHAP_RESCALE ? 1e-4 : 1e-5);
                free(my), free(mx), gpu_free(dmy), gpu_free(dmx);
            }
        free(hi), free(hr), gpu_free((void *)drows.xi), gpu_free((void *)drows.xr);
        free(xi), free(xr), free(yi), free(yr), gpu_free(dxi), gpu_free(dxr), gpu_free(dyi), gpu_free(dyr);
        free(x), free(y), gpu_free(dx), gpu_free(dy);
    }
}

/* ---------------- data movement ---------------- */

static void test_movement(void) {
    char name[128];
    /* input: (N, 4, C, T, V, M) -> (N·M, C, T, V) */
    int N = 3, C = 6, T = 7, V = 5, M = 2;
    int64_t nin = (int64_t)N * ARCH_BRANCHES * C * T * V * M, nout = (int64_t)N * M * C * T * V;
    float *x = rnd(nin), *y = malloc(sizeof(float) * nout), *dx = gpu_floats(x, nin), *dy = gpu_floats(NULL, nout);
    for (int br = 0; br < ARCH_BRANCHES; br++) {
        input_forward_cpu(y, x, N, ARCH_BRANCHES, br, C, T, V, M);
        OK(input_forward_cuda(dy, dx, N, ARCH_BRANCHES, br, C, T, V, M, S));
        snprintf(name, sizeof name, "input forward branch %d", br);
        check(name, dy, y, nout, 0);
    }
    /* branch -1: each sample as it is, (N, 4·C·T·V·M) */
    float *yw = malloc(sizeof(float) * nin), *dyw = gpu_floats(NULL, nin);
    int F = (int)(nin / N);
    input_forward_cpu(yw, x, N, ARCH_BRANCHES, -1, F, 1, 1, M);
    OK(input_forward_cuda(dyw, dx, N, ARCH_BRANCHES, -1, F, 1, 1, M, S));
    EXPECT(memcmp(yw, x, sizeof(float) * (size_t)nin) == 0, "cpu input forward of the whole sample is not x");
    check("input forward, whole sample", dyw, yw, nin, 0);
    free(x), free(y), free(yw), gpu_free(dx), gpu_free(dy), gpu_free(dyw);

    /* concat of three parts, and its backward per part */
    int B = 3, TV = 20, Cs[3] = {4, 7, 2}, Ctot = 13;
    float *parts[3], *dparts[3], *cy = malloc(sizeof(float) * B * Ctot * TV), *dcy = gpu_floats(NULL, B * Ctot * TV);
    for (int i = 0; i < 3; i++) {
        parts[i] = rnd((int64_t)B * Cs[i] * TV);
        dparts[i] = gpu_floats(parts[i], (int64_t)B * Cs[i] * TV);
    }
    concat_forward_cpu(cy, (const float *const *)parts, Cs, 3, B, TV);
    OK(concat_forward_cuda(dcy, (const float *const *)dparts, Cs, 3, B, TV, S));
    check("concat forward", dcy, cy, (int64_t)B * Ctot * TV, 0);
    for (int acc = 0; acc < 2; acc++)
        for (int i = 0, c0 = 0; i < 3; c0 += Cs[i++]) {
            float *mx, *dmx;
            mx_start(acc, (int64_t)B * Cs[i] * TV, &mx, &dmx);
            concat_backward_cpu(mx, cy, B, Ctot, c0, Cs[i], TV, acc);
            OK(concat_backward_cuda(dmx, dcy, B, Ctot, c0, Cs[i], TV, acc, S));
            snprintf(name, sizeof name, "concat backward part %d%s", i, acc ? " (acc)" : "");
            check(name, dmx, mx, (int64_t)B * Cs[i] * TV, 1e-6);
            free(mx), gpu_free(dmx);
        }
    for (int i = 0; i < 3; i++) free(parts[i]), gpu_free(dparts[i]);
    free(cy), gpu_free(dcy);

    /* gather part -> joint (repeated indices: the backward sums them) */
    int Vin = 5, Vout = 25, index[25];
    rng_t r;
    rng_seed(&r, seed++);
    for (int v = 0; v < Vout; v++) index[v] = (int)rng_below(&r, (uint64_t)Vin);
    int64_t ngx = (int64_t)B * C * T * Vin, ngy = (int64_t)B * C * T * Vout;
    float *gx = rnd(ngx), *gy = malloc(sizeof(float) * ngy), *dgx = gpu_floats(gx, ngx), *dgy = gpu_floats(NULL, ngy);
    int *didx = gpu_ints(index, Vout);
    gather_forward_cpu(gy, gx, index, B, C, T, Vin, Vout);
    OK(gather_forward_cuda(dgy, dgx, didx, B, C, T, Vin, Vout, S));
    check("gather forward", dgy, gy, ngy, 0);
    for (int acc = 0; acc < 2; acc++) {
        float *mx, *dmx;
        mx_start(acc, ngx, &mx, &dmx);
        gather_backward_cpu(mx, gy, index, B, C, T, Vin, Vout, acc);
        OK(gather_backward_cuda(dmx, dgy, didx, B, C, T, Vin, Vout, acc, S));
        check(acc ? "gather backward (acc)" : "gather backward", dmx, mx, ngx, 1e-6);
        free(mx), gpu_free(dmx);
    }
    free(gx), free(gy), gpu_free(dgx), gpu_free(dgy), gpu_free(didx);

    /* person mean and copy */
    int64_t Sz = 33;
    float *px = rnd((int64_t)N * M * Sz), *py = malloc(sizeof(float) * N * Sz);
    float *dpx = gpu_floats(px, (int64_t)N * M * Sz), *dpy = gpu_floats(NULL, (int64_t)N * Sz);
    person_mean_forward_cpu(py, px, N, M, Sz);
    OK(person_mean_forward_cuda(dpy, dpx, N, M, Sz, S));
    check("person mean forward", dpy, py, (int64_t)N * Sz, 1e-6);
    /* person rows with person 1 of sample 0 left out (engine/rows.h) */
    int Bp = N * M - 1, *sample = malloc(sizeof(int) * (size_t)Bp);
    for (int j = 0; j < Bp; j++) sample[j] = (j + (j >= 1)) / M;
    int *dsample = gpu_ints(sample, Bp);
    for (int acc = 0; acc < 2; acc++) {
        float *mx, *dmx;
        mx_start(acc, (int64_t)Bp * Sz, &mx, &dmx);
        person_mean_backward_cpu(mx, py, sample, Bp, M, Sz, acc);
        OK(person_mean_backward_cuda(dmx, dpy, dsample, Bp, M, Sz, acc, S));
        check(acc ? "person mean backward (acc)" : "person mean backward", dmx, mx, (int64_t)Bp * Sz, 1e-6);
        free(mx), gpu_free(dmx);
        mx_start(acc, (int64_t)N * M * Sz, &mx, &dmx);
        copy_backward_cpu(mx, px, (int64_t)N * M * Sz, acc);
        OK(copy_backward_cuda(dmx, dpx, (int64_t)N * M * Sz, acc, S));
        check(acc ? "reshape (copy) backward (acc)" : "reshape (copy) backward", dmx, mx, (int64_t)N * M * Sz, 1e-6);
        free(mx), gpu_free(dmx);
    }
    free(px), free(py), free(sample), gpu_free(dpx), gpu_free(dpy), gpu_free(dsample);
}

int main(void) {
    gpu_require("test_gpu_ops");
    S = gpu_stream(0, 1 << 24);
    test_conv();
    test_affine_graph();
    test_act();
    test_binary();
    test_reduce();
    test_softmax();
    test_movement();
    gpu_stream_done();
    return tl_finish("test_gpu_ops");
}
