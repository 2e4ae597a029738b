/* Whole models node by node, GPU against CPU, on every forward fixture
 * (the *.model.h5 of tests/fixtures/forward, both published architectures and six
 * random ones): the forward output of every node, then the DeepLIFT
 * multiplier of every node in each rule set (exact, shap, grad) with both
 * sides reading the same (CPU) activations, then the engines' attributions.
 * The first disagreeing node is named.
 *
 * Error per node: max |gpu − cpu| / max(max |cpu|, 1e-6) over the node's
 * whole tensor; tolerance 1e-4 (FP32 sums in another order, compounded
 * through the network's depth). Attributions: max |Δφ| / max |φ| ≤ 1e-4,
 * or four times the CPU's own sensitivity where that is larger (check_engines).
 * Also a hand-built net whose model input is the whole sample (branch -1):
 * forward and φ against the CPU's (check_whole_sample). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "cpu/backward_cpu.h"
#include "cpu/deeplift_cpu.h"
#include "cuda/cuda_engine.h"
#include "cuda/deeplift_run_cuda.h"
#include "cuda/exec.h"
#include "engine/deeplift.h"
#include "engine/layout.h"
#include "gpu_check.h"
#include "io/h5io.h"

#define TOL 1e-4

#ifdef DSHAP_EMU
#define MAX_BACKWARD_GFLOP 0.5 /* the host emulation's reference GEMM is slow */
#else
#define MAX_BACKWARD_GFLOP 1e9
#endif

static cuda_stream S;

static double node_err(const float *g, const float *c, int64_t n, int64_t *where) {
    double mx = 0, worst = 0;
    *where = 0;
    for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(c[i]));
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)g[i] - c[i]);
        if (!isfinite(g[i])) d = INFINITY;
        if (d > worst) {
            worst = d;
            *where = i;
        }
    }
    return worst / fmax(mx, 1e-6);
}

static int64_t sample_floats(const dshap_arch *a) {
    return (int64_t)ARCH_BRANCHES * 2 * a->in_channels * a->num_frames * a->layout->V * a->num_persons;
}

/* ---------------- forward ---------------- */

static void check_forward(const char *name, const dshap_net *net, const cuda_net *cn, const float *x, int64_t N) {
    net_acts ca;
    EXPECT_OK(acts_alloc(&ca, net, N, NULL));
    EXPECT_OK(net_forward_cpu(net, &ca, x, N));
    fwd_plan fp;
    cuda_acts ga;
    EXPECT_OK(fwd_plan_make(&fp, net, NULL));
    EXPECT_OK(cuda_acts_alloc(&ga, net, &fp, N));
    float *dx = gpu_floats(x, N * sample_floats(&net->arch)), *work = NULL;
    EXPECT(fp.work_per_sample == 0, "%s: keep-all plan uses a work arena", name);
    EXPECT_OK(net_forward_cuda(cn, &fp, &ga, work, dx, N, S));
    int bad = -1;
    double worst = 0;
    for (int i = 0; i < net->n_nodes && bad < 0; i++) {
        const node *nd = &net->nodes[i];
        int64_t n = node_rows(net, nd, N) * node_size(nd), w;
        float *g = host_floats(ga.y[i], n);
        double e = node_err(g, ca.y[i], n, &w);
        if (e > TOL) {
            bad = i;
            EXPECT(0, "%s: forward: first disagreeing node %d %s (%s): error %.3g at %lld (gpu %.9g, cpu %.9g)", name, i,
                   nd->name, op_name(nd->op), e, (long long)w, g[w], ca.y[i][w]);
        }
        if (e > worst) worst = e;
        free(g);
    }
    printf("  %-40s forward  %3d nodes  worst %.2e\n", name, net->n_nodes, worst);
    gpu_free(dx);
    cuda_acts_free(&ga);
    fwd_plan_free(&fp);
    acts_free(&ca);
}

/* ---------------- backward, node by node ---------------- */

/* The CPU engine's multipliers of every node for all P triples in one
 * batch; saved[i] is node i's multiplier as its own backward starts. */
static dshap_status save_multiplier(void *ctx, int i, int p0, const float *m, int64_t n) {
    float **saved = ctx;
    (void)p0;
    saved[i] = malloc(sizeof(float) * (size_t)n);
    memcpy(saved[i], m, sizeof(float) * (size_t)n);
    return DSHAP_OK;
}

static void cpu_multipliers(const dshap_net *net, rule_set rules, const net_acts *ai, const net_acts *ar,
                            const float *xi, const float *xr, int n_r, int n_k, int P, const int *classes,
                            float **saved) {
    dl_job job = {.net = net, .rules = rules, .inst = ai, .x_inst = xi, .n_i = P / (n_r * n_k), .ref = ar,
                  .x_ref = xr, .n_r = n_r, .n_k = n_k, .classes = classes, .max_pairs = P, .capture = -1,
                  .trace = save_multiplier, .trace_ctx = saved};
    EXPECT_OK(deeplift_run_cpu(&job, NULL));
}

typedef struct {
    const dshap_net *net;
    const char *name;
    const char *rules;
    float **saved;
    int bad, compared;
    double worst;
} trace_ctx;

static dshap_status trace(void *vctx, int i, int p0, const float *m, int64_t n) {
    trace_ctx *t = vctx;
    if (t->bad >= 0) return DSHAP_OK;
    const node *nd = &t->net->nodes[i];
    if (!t->saved[i]) {
        EXPECT(0, "%s/%s: GPU reaches node %d %s, the CPU does not", t->name, t->rules, i, nd->name);
        t->bad = i;
        return DSHAP_OK;
    }
    float *g = host_floats(m, n);
    int64_t w;
    double e = node_err(g, t->saved[i], n, &w);
    t->compared++;
    if (e > t->worst) t->worst = e;
    if (e > TOL) {
        t->bad = i;
        EXPECT(0, "%s/%s: backward: first disagreeing node %d %s (%s): multiplier error %.3g at %lld (gpu %.9g, cpu "
                  "%.9g)",
               t->name, t->rules, i, nd->name, op_name(nd->op), e, (long long)w, g[w], t->saved[i][w]);
    }
    free(g);
    return DSHAP_OK;
}

static void check_backward(const char *name, const dshap_net *net, const cuda_net *cn, const float *x, int64_t N) {
    int n_i = 1, n_r = 1, n_k = 2, K = net->arch.num_class;
    if (N < 2) return;
    int64_t F = sample_floats(&net->arch);
    const float *xi = x, *xr = x + F; /* sample 0 explained against sample 1 */
    int P = n_i * n_r * n_k, classes[2] = {0, K - 1};
    net_acts cai, car;
    EXPECT_OK(acts_alloc(&cai, net, n_i, NULL));
    EXPECT_OK(acts_alloc(&car, net, n_r, NULL));
    EXPECT_OK(net_forward_cpu(net, &cai, xi, n_i));
    EXPECT_OK(net_forward_cpu(net, &car, xr, n_r));
    fwd_plan fp;
    dl_plan bp;
    cuda_acts gai, gar;
    EXPECT_OK(fwd_plan_make(&fp, net, NULL));
    EXPECT_OK(dl_plan_make(&bp, net, -1));
    EXPECT_OK(cuda_acts_alloc(&gai, net, &fp, n_i));
    EXPECT_OK(cuda_acts_alloc(&gar, net, &fp, n_r));
    float *dxi = gpu_floats(xi, F), *dxr = gpu_floats(xr, F);
    EXPECT_OK(net_forward_cuda(cn, &fp, &gai, NULL, dxi, n_i, S));
    EXPECT_OK(net_forward_cuda(cn, &fp, &gar, NULL, dxr, n_r, S));
    /* The backward reads the CPU's activations: the rescale ratio
     * (g(x) − g(r))/(x − r) turns rounding differences of a forward into
     * large multiplier differences where x ≈ r, so the forward is checked
     * above and the backward kernels here on identical inputs. */
    for (int i = 0; i < net->n_nodes; i++)
        if (fp.owner[i] == i) {
            const node *nd = &net->nodes[i];
            EXPECT_OK(cuda_upload(gai.y[i], cai.y[i], sizeof(float) * (size_t)(node_rows(net, nd, n_i) * node_size(nd)), S));
            EXPECT_OK(cuda_upload(gar.y[i], car.y[i], sizeof(float) * (size_t)(node_rows(net, nd, n_r) * node_size(nd)), S));
        }
    float *arena = gpu_floats(NULL, bp.per_pair * P);
    int64_t n_rows = batch_rows_ints(P, net->arch.num_persons);
    int *rows_host = calloc((size_t)n_rows, sizeof(int)), *rows = gpu_ints(rows_host, n_rows);
    int *dcls = gpu_ints(classes, n_i * n_k);
    double *phi;
    EXPECT_OK(cuda_alloc((void **)&phi, sizeof(double) * (size_t)(n_i * n_k * F), "phi"));
    const char *names[] = {"exact", "shap", "grad"};
    for (int rs = 0; rs < 3; rs++) {
        float **saved = calloc((size_t)net->n_nodes, sizeof(float *));
        cpu_multipliers(net, (rule_set)rs, &cai, &car, xi, xr, n_r, n_k, P, classes, saved);
        trace_ctx t = {net, name, names[rs], saved, -1, 0, 0};
        EXPECT_OK(cuda_zero(phi, sizeof(double) * (size_t)(n_i * n_k * F), S));
        cuda_dl_job job = {.cn = cn, .plan = &bp, .rules = (rule_set)rs, .inst = &gai, .x_inst = dxi, .n_i = n_i,
                           .ref = &gar, .x_ref = dxr, .n_r = n_r, .n_k = n_k, .classes = dcls, .max_pairs = P,
                           .arena = arena, .rows = rows, .rows_host = rows_host, .trace = trace, .trace_ctx = &t};
        EXPECT_OK(deeplift_run_cuda(&job, phi, S));
        EXPECT_OK(cuda_stream_sync(S));
        printf("  %-40s backward %-5s %3d multipliers  worst %.2e\n", name, names[rs], t.compared, t.worst);
        for (int i = 0; i < net->n_nodes; i++) free(saved[i]);
        free(saved);
    }
    free(rows_host);
    cuda_release(phi);
    gpu_free(arena), gpu_free(rows), gpu_free(dcls), gpu_free(dxi), gpu_free(dxr);
    cuda_acts_free(&gai), cuda_acts_free(&gar), acts_free(&cai), acts_free(&car);
    fwd_plan_free(&fp), dl_plan_free(&bp);
}

/* ---------------- attributions through the engines ---------------- */

/* φ of one instance against the other samples through an engine. */
static void engine_phi(const engine_ops *ops, const dshap_net *net, const float *x, int64_t N, int n_k,
                       const int *classes, const granularity *g, double *phi, double *tot) {
    int64_t F = sample_floats(&net->arch);
    engine_cfg cfg = {.max_inst = 1, .max_ref = (int)N - 1, .max_classes = n_k,
        .memory_gib = 0.05, .device = 0, .allow_tf32 = 0};
    float *logits = malloc(sizeof(float) * (size_t)N * net->arch.num_class);
    engine *e = NULL;
    EXPECT_OK(ops->create(&e, net, &cfg));
    if (e) {
        EXPECT_OK(ops->forward_ref(e, x + F, (int)N - 1, logits));
        EXPECT_OK(ops->forward_inst(e, x, 1, logits));
        EXPECT_OK(ops->attribute(e, RULES_EXACT, n_k, classes, g, phi, tot));
        ops->destroy(e);
    }
    free(logits);
}

/* Tolerance: 1e-4, or four times the CPU's own change under a relative 1e-6
 * input perturbation where the rescale rule makes φ that sensitive (see
 * test_gpu_engine.c). */
static void check_engines(const char *name, const dshap_net *net, const float *x, int64_t N) {
    if (N < 2) return;
    const dshap_arch *a = &net->arch;
    int64_t F = sample_floats(a);
    int n_k = a->num_class < 3 ? a->num_class : 3, classes[3] = {0, 1 % a->num_class, a->num_class - 1};
    granularity g = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    int64_t G = gran_size(&g);
    double *pc = calloc((size_t)(n_k * G), sizeof(double)), *pg = calloc((size_t)(n_k * G), sizeof(double));
    double *pp = calloc((size_t)(n_k * G), sizeof(double)), tc[3], tg[3], tp[3];
    float *xp = malloc(sizeof(float) * (size_t)(N * F));
    fill_normal(xp, N * F, 4242);
    for (int64_t i = 0; i < N * F; i++) xp[i] = x[i] * (float)(1 + 1e-6 * (xp[i] > 0 ? 1 : -1));
    engine_phi(&cpu_engine_ops, net, x, N, n_k, classes, &g, pc, tc);
    engine_phi(&cpu_engine_ops, net, xp, N, n_k, classes, &g, pp, tp);
    engine_phi(&cuda_engine_ops, net, x, N, n_k, classes, &g, pg, tg);
    int64_t w;
    double cond = fmax(rel_to_max_d(pp, pc, n_k * G, NULL), rel_to_max_d(tp, tc, n_k, NULL));
    double tol = fmax(TOL, 4 * cond);
    double e = rel_to_max_d(pg, pc, n_k * G, &w), et = rel_to_max_d(tg, tc, n_k, NULL);
    EXPECT(e <= tol && et <= tol, "%s: engine attributions differ: phi %.3g (at %lld), totals %.3g (tol %.2g)", name, e,
           (long long)w, et, tol);
    printf("  %-40s engines  joint phi %.2e  totals %.2e  (cpu itself %.1e)\n", name, e, et, cond);
    free(pc), free(pg), free(pp), free(xp);
}

static void check_fixture(const char *dir, const char *name) {
    char fx[1024], mp[1024];
    snprintf(fx, sizeof fx, "%s/%s.h5", dir, name);
    snprintf(mp, sizeof mp, "%s/%s.model.h5", dir, name);
    dshap_model m;
    dshap_net net;
    h5file f;
    float *x;
    int64_t N;
    if (tl_open_fixture(name, mp, fx, &m, &net, &f, &x, &N)) return;
    h5io_close(&f);
    cuda_net cn;
    EXPECT_OK(cuda_net_upload(&cn, &net, S));
    check_forward(name, &net, &cn, x, N);
    if (net_flops(&net) * 4 * 1e-9 <= MAX_BACKWARD_GFLOP) {
        check_backward(name, &net, &cn, x, N);
        check_engines(name, &net, x, N);
    } else {
        printf("  %-40s backward and engines left to the GPU build (emulation too slow)\n", name);
    }
    cuda_net_free(&cn);
    dshap_free(x);
    net_free(&net);
    model_free(&m);
}


/* ---------------- the whole-sample model input ---------------- */

/* OP_INPUT with branch -1 (the sample as it is) → tanh → a 1×1 convolution
 * over its F floats: the device's forward and φ (exact rules, two
 * instances × three references × three classes in sub-batches of four
 * triples) against the CPU's, within TOL. */
static void check_whole_sample(void) {
    enum { K = 3, NI = 2, NR = 3 };
    node nodes[3];
    memset(nodes, 0, sizeof nodes);
    dshap_net net = {.nodes = nodes, .n_nodes = 3, .cap_nodes = 3, .out = 2, .in_branches = 1, .in_C = 2};
    net.arch.layout = layout_find("cp19");
    net.arch.num_frames = 2, net.arch.num_persons = 2, net.arch.num_class = K;
    int F = (int)net_input_floats(&net), P = NI * NR * K;
    for (int i = 0; i < 3; i++) {
        nodes[i].n_in = i > 0, nodes[i].in[0] = i - 1;
        nodes[i].C = i < 2 ? F : K, nodes[i].T = nodes[i].V = 1;
        snprintf(nodes[i].name, sizeof nodes[i].name, "node%d", i);
    }
    float *w = malloc(sizeof(float) * K * F), b[K] = {0.3f, -0.2f, 0.1f};
    float *x = malloc(sizeof(float) * (NI + NR) * F);
    fill_normal(w, (int64_t)K * F, 11);
    fill_normal(x, (int64_t)(NI + NR) * F, 12);
    nodes[0].op = OP_INPUT, nodes[0].branch = -1;
    nodes[1].op = OP_ACT, nodes[1].act = ACT_TANH;
    nodes[2].op = OP_CONV, nodes[2].w = w, nodes[2].b = b, nodes[2].k = nodes[2].stride = nodes[2].groups = 1;
    const float *xi = x, *xr = x + (int64_t)NI * F;

    net_acts cai, car;
    EXPECT_OK(acts_alloc(&cai, &net, NI, NULL));
    EXPECT_OK(acts_alloc(&car, &net, NR, NULL));
    EXPECT_OK(net_forward_cpu(&net, &cai, xi, NI));
    EXPECT_OK(net_forward_cpu(&net, &car, xr, NR));
    double *phi_cpu = calloc((size_t)NI * K * F, sizeof(double)), *phi_gpu = malloc(sizeof(double) * NI * K * F);
    dl_job job = {.net = &net, .rules = RULES_EXACT, .inst = &cai, .x_inst = xi, .n_i = NI, .ref = &car, .x_ref = xr,
                  .n_r = NR, .n_k = K, .max_pairs = 4, .capture = -1};
    EXPECT_OK(deeplift_run_cpu(&job, phi_cpu));

    cuda_net cn;
    fwd_plan fp;
    dl_plan bp;
    cuda_acts gai, gar;
    EXPECT_OK(cuda_net_upload(&cn, &net, S));
    EXPECT_OK(fwd_plan_make(&fp, &net, NULL));
    EXPECT_OK(dl_plan_make(&bp, &net, -1));
    EXPECT_OK(cuda_acts_alloc(&gai, &net, &fp, NI));
    EXPECT_OK(cuda_acts_alloc(&gar, &net, &fp, NR));
    float *dxi = gpu_floats(xi, (int64_t)NI * F), *dxr = gpu_floats(xr, (int64_t)NR * F);
    EXPECT_OK(net_forward_cuda(&cn, &fp, &gai, NULL, dxi, NI, S));
    EXPECT_OK(net_forward_cuda(&cn, &fp, &gar, NULL, dxr, NR, S));
    EXPECT_OK(cuda_stream_sync(S));
    float *logits = host_floats(gai.y[2], NI * K);
    double e_fwd = rel_to_max(logits, cai.y[2], NI * K, NULL);
    float *arena = gpu_floats(NULL, bp.per_pair * 4);
    int64_t n_rows = batch_rows_ints(P, net.arch.num_persons);
    int *rows_host = calloc((size_t)n_rows, sizeof(int)), *rows = gpu_ints(rows_host, n_rows);
    double *phi;
    EXPECT_OK(cuda_alloc((void **)&phi, sizeof(double) * (size_t)(NI * K * F), "phi"));
    EXPECT_OK(cuda_zero(phi, sizeof(double) * (size_t)(NI * K * F), S));
    cuda_dl_job gjob = {.cn = &cn, .plan = &bp, .rules = RULES_EXACT, .inst = &gai, .x_inst = dxi, .n_i = NI,
                        .ref = &gar, .x_ref = dxr, .n_r = NR, .n_k = K, .max_pairs = 4, .arena = arena, .rows = rows,
                        .rows_host = rows_host};
    EXPECT_OK(deeplift_run_cuda(&gjob, phi, S));
    EXPECT_OK(cuda_download(phi_gpu, phi, sizeof(double) * (size_t)(NI * K * F), S));
    EXPECT_OK(cuda_stream_sync(S));
    double e_phi = rel_to_max_d(phi_gpu, phi_cpu, (int64_t)NI * K * F, NULL);
    printf("  %-40s forward %.2e  phi %.2e\n", "whole-sample input (branch -1)", e_fwd, e_phi);
    EXPECT(e_fwd <= TOL && e_phi <= TOL, "whole-sample input: forward %.3g, phi %.3g", e_fwd, e_phi);
    free(logits), free(rows_host), free(phi_cpu), free(phi_gpu), free(w), free(x);
    cuda_release(phi);
    gpu_free(arena), gpu_free(rows), gpu_free(dxi), gpu_free(dxr);
    cuda_acts_free(&gai), cuda_acts_free(&gar), acts_free(&cai), acts_free(&car);
    fwd_plan_free(&fp), dl_plan_free(&bp), cuda_net_free(&cn);
}

int main(int argc, char **argv) {
    gpu_require("test_gpu_model");
    if (argc < 2) {
        fprintf(stderr, "usage: test_gpu_model FIXTURES_DIR\n");
        return 2;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/forward", argv[1]);
    char *names[64];
    int n = tl_list_fixtures(dir, ".model.h5", names, 64);
    if (n < 0) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    EXPECT(n >= 8, "expected the 8 forward fixtures, found %d", n);
    int64_t scratch = 0;
    for (int i = 0; i < n; i++) {
        char mp[1200];
        snprintf(mp, sizeof mp, "%s/%s.model.h5", dir, names[i]);
        dshap_model m;
        dshap_net net;
        if (model_load(&m, mp) || net_build(&net, &m)) continue;
        int64_t s = cuda_net_scratch_floats(&net);
        if (s > scratch) scratch = s;
        net_free(&net);
        model_free(&m);
    }
    S = gpu_stream(0, scratch);
    for (int i = 0; i < n; i++) {
        check_fixture(dir, names[i]);
        free(names[i]);
    }
    check_whole_sample();
    gpu_stream_done();
    return tl_finish("test_gpu_model");
}
