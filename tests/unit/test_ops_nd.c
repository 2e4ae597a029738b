/* The general-graph CPU kernels (cpu/ops_nd.h, backward_nd.h,
 * deeplift_nd.h) against tests/fixtures/ops_nd/ops_nd.h5, float64
 * references from numpy / torch (tests/reference/gen_ops_nd.py), for every
 * op including numpy broadcasting (size-1 axes, rank mismatch):
 *  - forward: max |y − ref| / max(1, |ref|) ≤ 1e-5 (float32 kernels);
 *  - linear ops: the adjoint identity per input k, ⟨A(x) − A(x with x_k =
 *    0), m_y⟩ = ⟨x_k, Aᵀ_k m_y⟩ to 1e-5 of Σ|terms| (this removes biases,
 *    shifts, pad values and constant addends), and acc = 1 adds onto m_x;
 *  - nonlinear and bilinear ops (pairs (0, 1), (1, 0) of the batch): the
 *    multipliers of the exact rules and of the derivative at the reference
 *    side against the float64 ones of the fixture (1e-5 relative),
 *    summation to delta Σ_k Σ m_k Δx_k = Σ m_y Δy (1e-5 relative), and
 *    acc = 1 adds onto m_x;
 *  - every kernel gives bitwise the same result with 1 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/mem.h"
#include "cpu/backward_nd.h"
#include "cpu/deeplift_nd.h"
#include "cpu/nd_index.h"
#include "cpu/ops_cpu.h"
#include "cpu/ops_nd.h"
#include "io/h5io.h"
#include "ops_nd_case.h"
#include "testlib.h"

typedef struct {
    const char *name;
    op_kind op;
    nd_forward_fn fwd;
    nd_backward_fn bwd;  /* linear: the transpose */
    nd_deeplift_fn rule; /* nonlinear: the DeepLIFT rules */
} op_entry;

static const op_entry ops[] = {
    {"transpose", OP_TRANSPOSE, transpose_forward_nd, transpose_backward_nd, NULL},
    {"binary", OP_BINARY, binary_forward_nd, binary_backward_nd, binary_deeplift_nd},
    {"matmul", OP_MATMUL, matmul_forward_nd, matmul_backward_nd, matmul_deeplift_nd},
    {"convnd", OP_CONVND, convnd_forward_nd, convnd_backward_nd, NULL},
    {"reduce", OP_REDUCE, reduce_forward_nd, reduce_backward_nd, NULL},
    {"pool", OP_POOL, pool_forward_nd, pool_backward_nd, pool_deeplift_nd},
    {"slice", OP_SLICE, slice_forward_nd, slice_backward_nd, NULL},
    {"pad", OP_PAD, pad_forward_nd, pad_backward_nd, NULL},
    {"concat_nd", OP_CONCAT_ND, concat_forward_nd, concat_backward_nd, NULL},
    {"gather_nd", OP_GATHER_ND, gather_forward_nd, gather_backward_nd, NULL},
    {"softmax_nd", OP_SOFTMAX_ND, softmax_forward_nd, NULL, softmax_deeplift_nd},
    {"channel_affine", OP_CHANNEL_AFFINE, channel_affine_forward_nd, channel_affine_backward_nd, NULL},
    {"act", OP_ACT, act_forward_nd, NULL, act_deeplift_nd},
};


typedef struct {
    const op_entry *e;
    node nd;
    int64_t B;
    nd_shape sx[NODE_MAX_IN];
    float *x[NODE_MAX_IN], *my, *consts[6];
    double *y, *mex[NODE_MAX_IN], *mref[NODE_MAX_IN];
    int nonlinear;
} tcase;

static double *read_f64(h5file *f, const char *g, const char *d) {
    char path[256];
    snprintf(path, sizeof path, "/%s/%s", g, d);
    if (!h5io_exists(f, path)) return NULL;
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    double *out = NULL;
    EXPECT_OK(h5io_shape(f, path, &rank, dims));
    EXPECT_OK(h5io_read_f64(f, path, rank, dims, &out));
    return out;
}

static int load(h5file *f, const char *g, tcase *c) {
    memset(c, 0, sizeof *c);
    char *op = NULL;
    EXPECT_OK(h5io_read_attr_str(f, g, "op", &op));
    for (size_t i = 0; op && i < sizeof ops / sizeof *ops; i++)
        if (strcmp(ops[i].name, op) == 0) c->e = &ops[i];
    dshap_free(op);
    EXPECT(c->e != NULL, "%s: unknown op", g);
    if (!c->e) return -1;
    node *nd = &c->nd;
    nd->op = c->e->op;
    case_node(f, g, nd);
    case_consts(f, g, nd, c->consts, NULL);
    for (int i = 0; i < NODE_MAX_IN; i++) {
        char d[16];
        snprintf(d, sizeof d, "x%d", i);
        c->x[i] = case_f32(f, g, d, 1, &c->B, &c->sx[i], NULL);
        if (c->x[i]) nd->n_in = i + 1;
        snprintf(d, sizeof d, "m%d_exact", i);
        c->mex[i] = read_f64(f, g, d);
        snprintf(d, sizeof d, "m%d_ref", i);
        c->mref[i] = read_f64(f, g, d);
    }
    c->y = read_f64(f, g, "y");
    int64_t B;
    nd_shape s;
    c->my = case_f32(f, g, "my", 1, &B, &s, NULL);
    c->nonlinear = c->my != NULL;
    return c->y && c->x[0] ? 0 : -1;
}

static void unload(tcase *c) {
    for (int i = 0; i < NODE_MAX_IN; i++) dshap_free(c->x[i]), dshap_free(c->mex[i]), dshap_free(c->mref[i]);
    for (int i = 0; i < 6; i++) dshap_free(c->consts[i]);
    dshap_free(c->y), dshap_free(c->my);
    free(c->nd.gather_index);
}

static void set_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static float *forward(const tcase *c, float *const *x) {
    int64_t ny = nd_numel(&c->nd.shape);
    float *y = malloc(sizeof(float) * (size_t)(c->B * ny));
    EXPECT(c->e->fwd(y, (const float *const *)x, c->sx, &c->nd, c->B) == 0, "forward failed");
    return y;
}

static uint64_t lcg = 12345;
static float urand(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((lcg >> 40) / (double)(1 << 24)) * 2 - 1;
}

static void check_forward(const char *g, const tcase *c) {
    int64_t ny = nd_numel(&c->nd.shape);
    set_threads(1);
    float *y1 = forward(c, c->x);
    set_threads(3);
    float *y3 = forward(c, c->x);
    long long at;
    double err = tl_max_rel_err(y1, c->y, c->B * ny, &at);
    EXPECT(err <= 1e-5, "%s forward: rel err %.3g at %lld (%.9g vs %.9g)", g, err, at, y1[at], c->y[at]);
    EXPECT(memcmp(y1, y3, sizeof(float) * (size_t)(c->B * ny)) == 0, "%s forward: 1 vs 3 threads differ", g);
    free(y1), free(y3);
}

static void check_adjoint(const char *g, const tcase *c) {
    int64_t ny = nd_numel(&c->nd.shape);
    float *my = malloc(sizeof(float) * (size_t)(c->B * ny));
    for (int64_t e = 0; e < c->B * ny; e++) my[e] = urand();
    float *y = forward(c, c->x);
    for (int k = 0; k < c->nd.n_in; k++) {
        int64_t nx = c->B * nd_numel(&c->sx[k]);
        float *xs[NODE_MAX_IN], *zero = calloc((size_t)nx, sizeof(float));
        memcpy(xs, c->x, sizeof xs);
        xs[k] = zero;
        float *y0 = forward(c, xs);
        double lhs = 0, rhs = 0, scale = 0;
        for (int64_t e = 0; e < c->B * ny; e++) {
            double t = ((double)y[e] - y0[e]) * my[e];
            lhs += t, scale += fabs(t);
        }
        float *mx = malloc(sizeof(float) * (size_t)nx), *mx3 = malloc(sizeof(float) * (size_t)nx);
        float *macc = malloc(sizeof(float) * (size_t)nx);
        set_threads(1);
        EXPECT(c->e->bwd(mx, my, k, c->sx, &c->nd, c->B, 0) == 0, "%s backward failed", g);
        set_threads(3);
        EXPECT(c->e->bwd(mx3, my, k, c->sx, &c->nd, c->B, 0) == 0, "%s backward failed", g);
        for (int64_t e = 0; e < nx; e++) macc[e] = 0.25f;
        EXPECT(c->e->bwd(macc, my, k, c->sx, &c->nd, c->B, 1) == 0, "%s backward failed", g);
        double acc_err = 0;
        for (int64_t e = 0; e < nx; e++) {
            double t = (double)c->x[k][e] * mx[e];
            rhs += t, scale += fabs(t);
            acc_err = fmax(acc_err, fabs(macc[e] - 0.25 - mx[e]));
        }
        EXPECT(fabs(lhs - rhs) <= 1e-5 * fmax(scale, 1e-30), "%s adjoint (input %d): <Ax, y> %.12g, <x, A'y> %.12g",
               g, k, lhs, rhs);
        EXPECT(acc_err <= 1e-5, "%s backward acc = 1 (input %d): off by %.3g", g, k, acc_err);
        EXPECT(memcmp(mx, mx3, sizeof(float) * (size_t)nx) == 0, "%s backward: 1 vs 3 threads differ", g);
        free(y0), free(zero), free(mx), free(mx3), free(macc);
    }
    free(y), free(my);
}

static void check_rules(const char *g, const tcase *c) {
    int64_t ny = nd_numel(&c->nd.shape);
    int xi[2] = {0, 1}, xr[2] = {1, 0};
    pair_rows rows = {2, xi, xr};
    float *y = forward(c, c->x);
    const float *const *xs = (const float *const *)c->x;
    double lhs = 0, rhs = 0, scale = 0;
    for (int q = 0; q < 2; q++)
        for (int64_t e = 0; e < ny; e++) {
            double t = (double)c->my[q * ny + e] * (c->y[xi[q] * ny + e] - c->y[xr[q] * ny + e]);
            rhs += t, scale += fabs(t);
        }
    for (int k = 0; k < c->nd.n_in; k++) {
        int64_t nx = nd_numel(&c->sx[k]);
        float *m = malloc(sizeof(float) * (size_t)(2 * nx)), *m3 = malloc(sizeof(float) * (size_t)(2 * nx));
        const rule_kind kinds[2] = {RULE_SHAPLEY, RULE_AT_REF};
        for (int r = 0; r < 2; r++) {
            set_threads(1);
            EXPECT(c->e->rule(m, c->my, k, xs, xs, y, y, c->sx, &c->nd, rows, kinds[r], 0) == 0, "%s rule failed", g);
            set_threads(3);
            EXPECT(c->e->rule(m3, c->my, k, xs, xs, y, y, c->sx, &c->nd, rows, kinds[r], 0) == 0, "%s rule failed", g);
            EXPECT(memcmp(m, m3, sizeof(float) * (size_t)(2 * nx)) == 0, "%s rule: 1 vs 3 threads differ", g);
            const double *want = r == 0 ? c->mex[k] : c->mref[k];
            EXPECT(want != NULL, "%s: no reference multipliers of input %d", g, k);
            if (!want) continue;
            long long at;
            double err = tl_max_rel_err(m, want, 2 * nx, &at);
            EXPECT(err <= 1e-5, "%s input %d %s rule: rel err %.3g at %lld (%.9g vs %.9g)", g, k,
                   r == 0 ? "exact" : "at-ref", err, at, m[at], want[at]);
            if (r == 0) {
                for (int64_t e = 0; e < 2 * nx; e++) m3[e] = 0.25f;
                EXPECT(c->e->rule(m3, c->my, k, xs, xs, y, y, c->sx, &c->nd, rows, kinds[r], 1) == 0, "%s rule failed",
                       g);
                double acc_err = 0;
                for (int64_t e = 0; e < 2 * nx; e++) acc_err = fmax(acc_err, fabs(m3[e] - 0.25 - m[e]));
                EXPECT(acc_err <= 1e-5, "%s rule acc = 1 (input %d): off by %.3g", g, k, acc_err);
            }
            if (r == 0)
                for (int q = 0; q < 2; q++)
                    for (int64_t e = 0; e < nx; e++) {
                        double t = (double)m[q * nx + e] * ((double)c->x[k][xi[q] * nx + e] - c->x[k][xr[q] * nx + e]);
                        lhs += t, scale += fabs(t);
                    }
        }
        free(m), free(m3);
    }
    EXPECT(fabs(lhs - rhs) <= 1e-5 * scale, "%s summation to delta: sum m dx %.12g, sum m dy %.12g", g, lhs, rhs);
    free(y);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    char path[1024];
    cpu_backend_init();
    snprintf(path, sizeof path, "%s/ops_nd/ops_nd.h5", dir);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (tl_failures) return tl_finish("test_ops_nd");
    for (size_t i = 0; i < N_ND_CASES; i++) {
        tcase c;
        if (load(&f, nd_cases[i], &c) == 0) {
            check_forward(nd_cases[i], &c);
            if (c.nonlinear) check_rules(nd_cases[i], &c);
            else check_adjoint(nd_cases[i], &c);
        } else {
            EXPECT(0, "%s: cannot read the case", nd_cases[i]);
        }
        unload(&c);
    }
    h5io_close(&f);
    return tl_finish("test_ops_nd");
}
