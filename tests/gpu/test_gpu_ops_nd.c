/* The general-graph ops on the GPU (cuda/ops_nd_cuda.h) against the CPU
 * kernels (cpu/ops_nd.h, backward_nd.h, deeplift_nd.h) on every case of
 * tests/fixtures/ops_nd/ops_nd.h5 (the CPU test's nodes and inputs):
 * forward; linear backward of every input with acc = 0 (NaN-filled output:
 * an element left unwritten shows as an infinite error) and acc = 1 (onto
 * random contents); every rule (exact, at the reference, at the instance,
 * shap's) of the nonlinear ones on the pairs (0, 1), (1, 0), both acc.
 * Each GPU call runs twice and must give the same bits (determinism).
 *
 * Error: max |gpu − cpu| / max |cpu| over the output. Tolerances:
 *  - matmul, conv (cuBLAS, another summation order than OpenBLAS): 1e-5;
 *  - everything else computes each element in the CPU's order with the
 *    same float / double arithmetic: in the host emulation (test_emu_*)
 *    exactly (0), on a GPU 1e-6, and 1e-5 for transcendental functions
 *    (device libm), 1e-4 for their rescale rules (the ratio
 *    (g(x) − g(r))/(x − r) divides an ulp difference by |x − r|). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "cpu/backward_nd.h"
#include "cpu/deeplift_nd.h"
#include "cpu/nd_index.h"
#include "cpu/ops_cpu.h"
#include "cpu/ops_nd.h"
#include "cuda/ops_nd_cuda.h"
#include "gpu_check.h"
#include "ops_nd_case.h"
#include "io/h5io.h"

typedef struct {
    const char *name;
    op_kind op;
    nd_forward_fn fwd;
    nd_forward_cuda_fn fwd_gpu;
    nd_backward_fn bwd;
    nd_backward_cuda_fn bwd_gpu;
    nd_deeplift_fn rule;
    nd_deeplift_cuda_fn rule_gpu;
} op_entry;

/* name, op, CPU / GPU forward, backward (linear ones), rules (nonlinear ones) */
#define FWD(n) n##_forward_nd, n##_forward_nd_cuda
#define BWD(n) n##_backward_nd, n##_backward_nd_cuda
#define RULE(n) n##_deeplift_nd, n##_deeplift_nd_cuda
#define NONE NULL, NULL
static const op_entry ops[] = {
    {"transpose", OP_TRANSPOSE, FWD(transpose), BWD(transpose), NONE},
    {"binary", OP_BINARY, FWD(binary), BWD(binary), RULE(binary)},
    {"matmul", OP_MATMUL, FWD(matmul), BWD(matmul), RULE(matmul)},
    {"convnd", OP_CONVND, FWD(convnd), BWD(convnd), NONE},
    {"reduce", OP_REDUCE, FWD(reduce), BWD(reduce), NONE},
    {"pool", OP_POOL, FWD(pool), BWD(pool), RULE(pool)},
    {"slice", OP_SLICE, FWD(slice), BWD(slice), NONE},
    {"pad", OP_PAD, FWD(pad), BWD(pad), NONE},
    {"concat_nd", OP_CONCAT_ND, FWD(concat), BWD(concat), NONE},
    {"gather_nd", OP_GATHER_ND, FWD(gather), BWD(gather), NONE},
    {"softmax_nd", OP_SOFTMAX_ND, FWD(softmax), NONE, RULE(softmax)},
    {"channel_affine", OP_CHANNEL_AFFINE, FWD(channel_affine), BWD(channel_affine), NONE},
    {"act", OP_ACT, FWD(act), NONE, RULE(act)},
};


/* One case: the node with host arrays (CPU) and their device copies. */
typedef struct {
    const op_entry *e;
    node nd;
    nd_params_dev p;
    int64_t B;
    nd_shape sx[NODE_MAX_IN];
    float *x[NODE_MAX_IN], *xd[NODE_MAX_IN], *consts[6], *my;
    int64_t *index_dev;
    int nonlinear;
} tcase;

static cuda_stream S;
static uint64_t seed = 7;

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
    if (nd->gather_n) {
        size_t bytes = sizeof(int64_t) * (size_t)nd->gather_n;
        EXPECT_OK(cuda_alloc((void **)&c->index_dev, bytes, "index"));
        EXPECT_OK(cuda_upload(c->index_dev, nd->gather_index, bytes, S));
        c->p.gather_index = c->index_dev;
    }
    int64_t counts[6];
    case_consts(f, g, nd, c->consts, counts);
    const float **dev[6] = {&c->p.kdata, &c->p.w, &c->p.b, &c->p.scale, &c->p.shift, &c->p.slope};
    for (int i = 0; i < 6; i++)
        if (c->consts[i]) *dev[i] = gpu_floats(c->consts[i], counts[i]);
    for (int i = 0; i < NODE_MAX_IN; i++) {
        char d[16];
        int64_t m;
        snprintf(d, sizeof d, "x%d", i);
        c->x[i] = case_f32(f, g, d, 1, &c->B, &c->sx[i], &m);
        if (!c->x[i]) continue;
        nd->n_in = i + 1;
        c->xd[i] = gpu_floats(c->x[i], m);
    }
    int64_t B, m;
    nd_shape s;
    c->my = case_f32(f, g, "my", 1, &B, &s, &m);
    c->nonlinear = c->my != NULL;
    return c->x[0] ? 0 : -1;
}

static void unload(tcase *c) {
    for (int i = 0; i < NODE_MAX_IN; i++) dshap_free(c->x[i]), gpu_free(c->xd[i]);
    const float *dev[6] = {c->p.kdata, c->p.w, c->p.b, c->p.scale, c->p.shift, c->p.slope};
    for (int i = 0; i < 6; i++) dshap_free(c->consts[i]), gpu_free((void *)dev[i]);
    dshap_free(c->my);
    gpu_free(c->index_dev);
    free(c->nd.gather_index);
}

static float *rnd(int64_t n) {
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    fill_normal(x, n, seed++);
    return x;
}

/* The tolerance of the case's kernels (header). */
static double tol_of(const tcase *c, int rule) {
    op_kind op = c->nd.op;
    if (op == OP_MATMUL || op == OP_CONVND) return 1e-5;
#ifdef DSHAP_EMU
    (void)rule;
    return 0;
#else
    int smooth = op == OP_SOFTMAX_ND || (op == OP_ACT && (c->nd.act == ACT_ELU || c->nd.act == ACT_GELU ||
                                                           c->nd.act == ACT_GELU_TANH));
    return smooth ? (rule ? 1e-4 : 1e-5) : 1e-6;
#endif
}

/* dev (n floats, run twice: a and b) against cpu */
static void check(const char *what, const char *g, const float *a, const float *b, const float *cpu,
                  int64_t n, double tol) {
    float *ga = host_floats(a, n), *gb = host_floats(b, n);
    int64_t w;
    double e = rel_to_max(ga, cpu, n, &w);
    EXPECT(e <= tol, "%s %s: max|gpu-cpu|/max|cpu| = %.3g > %.0e at %lld (gpu %.9g, cpu %.9g)", g, what, e, tol,
           (long long)w, ga[w], cpu[w]);
    EXPECT(memcmp(ga, gb, sizeof(float) * (size_t)n) == 0, "%s %s: two GPU runs differ", g, what);
    printf("  %-22s %-26s %.2e  (tol %.0e)\n", g, what, e, tol);
    free(ga), free(gb);
}

/* Output starts: NaN (acc 0) or the same random contents on both sides. */
static void starts(int acc, int64_t n, float **cpu, float **a, float **b) {
    *cpu = rnd(n);
    *a = gpu_floats(acc ? *cpu : NULL, n);
    *b = gpu_floats(acc ? *cpu : NULL, n);
}

static void check_forward(const char *g, const tcase *c, float **y_cpu, float **y_gpu) {
    int64_t ny = c->B * nd_numel(&c->nd.shape);
    float *y = malloc(sizeof(float) * (size_t)ny), *a = gpu_floats(NULL, ny), *b = gpu_floats(NULL, ny);
    EXPECT(c->e->fwd(y, (const float *const *)c->x, c->sx, &c->nd, c->B) == 0, "%s: CPU forward failed", g);
    EXPECT_OK(c->e->fwd_gpu(a, (const float *const *)c->xd, c->sx, &c->nd, &c->p, c->B, S));
    EXPECT_OK(c->e->fwd_gpu(b, (const float *const *)c->xd, c->sx, &c->nd, &c->p, c->B, S));
    check("forward", g, a, b, y, ny, tol_of(c, 0));
    gpu_free(b);
    *y_cpu = y, *y_gpu = a;
}

static void check_backward(const char *g, const tcase *c) {
    int64_t ny = c->B * nd_numel(&c->nd.shape);
    float *my = rnd(ny), *myd = gpu_floats(my, ny);
    for (int k = 0; k < c->nd.n_in; k++)
        for (int acc = 0; acc < 2; acc++) {
            int64_t nx = c->B * nd_numel(&c->sx[k]);
            float *mx, *a, *b;
            starts(acc, nx, &mx, &a, &b);
            EXPECT(c->e->bwd(mx, my, k, c->sx, &c->nd, c->B, acc) == 0, "%s: CPU backward failed", g);
            EXPECT_OK(c->e->bwd_gpu(a, myd, k, c->sx, &c->nd, &c->p, c->B, acc, S));
            EXPECT_OK(c->e->bwd_gpu(b, myd, k, c->sx, &c->nd, &c->p, c->B, acc, S));
            char what[64];
            snprintf(what, sizeof what, "backward x%d acc %d", k, acc);
            check(what, g, a, b, mx, nx, tol_of(c, 0));
            free(mx), gpu_free(a), gpu_free(b);
        }
    free(my), gpu_free(myd);
}

static void check_rules(const char *g, const tcase *c, const float *y, const float *yd) {
    int xi[2] = {0, 1}, xr[2] = {1, 0};
    int *xid = gpu_ints(xi, 2), *xrd = gpu_ints(xr, 2);
    pair_rows rows = {2, xi, xr}, rows_d = {2, xid, xrd};
    int64_t ny = nd_numel(&c->nd.shape);
    float *myd = gpu_floats(c->my, 2 * ny);
    const float *const *xs = (const float *const *)c->x, *const *xsd = (const float *const *)c->xd;
    const rule_kind kinds[4] = {RULE_SHAPLEY, RULE_AT_REF, RULE_AT_INST, RULE_SHAP_RESCALE};
    const char *names[4] = {"exact", "at-ref", "at-inst", "shap"};
    for (int k = 0; k < c->nd.n_in; k++)
        for (int r = 0; r < 4; r++)
            for (int acc = 0; acc < 2; acc++) {
                int64_t nx = 2 * nd_numel(&c->sx[k]);
                float *mx, *a, *b;
                starts(acc, nx, &mx, &a, &b);
                EXPECT(c->e->rule(mx, c->my, k, xs, xs, y, y, c->sx, &c->nd, rows, kinds[r], acc) == 0,
                       "%s: CPU rule failed", g);
                EXPECT_OK(c->e->rule_gpu(a, myd, k, xsd, xsd, yd, yd, c->sx, &c->nd, &c->p, rows_d, kinds[r], acc, S));
                EXPECT_OK(c->e->rule_gpu(b, myd, k, xsd, xsd, yd, yd, c->sx, &c->nd, &c->p, rows_d, kinds[r], acc, S));
                char what[64];
                snprintf(what, sizeof what, "rule x%d %s acc %d", k, names[r], acc);
                check(what, g, a, b, mx, nx, tol_of(c, 1));
                free(mx), gpu_free(a), gpu_free(b);
            }
    gpu_free(xid), gpu_free(xrd), gpu_free(myd);
}

/* Every case; small_scratch: only the cases whose kernels use scratch, on
 * a stream with one row of it (the GEMM ops then run a row per chunk). */
static void run_cases(h5file *f, int small_scratch) {
    for (size_t i = 0; i < N_ND_CASES; i++) {
        tcase c;
        if (load(f, nd_cases[i], &c) != 0) {
            EXPECT(0, "%s: cannot read the case", nd_cases[i]);
            unload(&c);
            continue;
        }
        int64_t need = nd_scratch_floats_cuda(c.sx, &c.nd);
        if (small_scratch && !need) {
            unload(&c);
            continue;
        }
        if (small_scratch) S = gpu_stream(0, need); /* the uploads are complete: new stream */
        float *y, *yd;
        check_forward(nd_cases[i], &c, &y, &yd);
        if (c.nonlinear) check_rules(nd_cases[i], &c, y, yd);
        else check_backward(nd_cases[i], &c);
        free(y), gpu_free(yd);
        unload(&c);
    }
}

int main(int argc, char **argv) {
    gpu_require("test_gpu_ops_nd");
    cpu_backend_init();
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    char path[1024];
    snprintf(path, sizeof path, "%s/ops_nd/ops_nd.h5", dir);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (tl_failures) return tl_finish("test_gpu_ops_nd");
    S = gpu_stream(0, 1 << 22);
    run_cases(&f, 0);
    printf("one row of scratch per chunk:\n");
    run_cases(&f, 1);
    gpu_stream_done();
    h5io_close(&f);
    return tl_finish("test_gpu_ops_nd");
}
