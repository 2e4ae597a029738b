/* The CUDA engine end to end against the CPU engine (engine.h), on small
 * random models covering every temporal layer, attention kind and
 * activation: logits, then φ and Σφ for every rule set and granularity.
 *
 * Tolerances (error = max |φ_gpu − φ_cpu| / max |φ_cpu|):
 *  - FP32: 1e-4 (float32 sums in another order through the network)
 *  - TF32 (allow_tf32, backward GEMMs only): 1e-2. Tensor cores read FP32
 *    operands with 10 of their 23 mantissa bits; the host emulation truncates
 *    likewise and measures up to 6.8e-3 on these models, and
 *    jobs/bench/tf32_probe.c measures 8e-3 on the NTU X-View model at full
 *    size (1.3e-3 if the operands were rounded to nearest instead); the
 *    totals' error is taken relative to the largest Σ|φ| of a row, since a
 *    total of cancelling terms carries their rounding
 * or, where larger, four times the CPU engine's own change when its inputs move
 * by a relative 1e-6 (FP32) or 3e-4 (TF32). The rescale rule divides by
 * x − r, so where an activation barely differs between instance and
 * reference a forward's rounding moves φ far more than 1e-4 on ANY
 * machine; that conditioning is measured and printed, not assumed.
 * (test_gpu_model checks the backward kernels on identical activations to
 * ~1e-6 without this allowance.)
 * Grad-CAM (engine_ops.gradient) at two layers per architecture: the
 * activation within 1e-5, the gradient within 1e-4 or four times the CPU's
 * own change under a 1e-6 input perturbation (ReLU6 kinks and max pools
 * switch where a forward's rounding moves a value across them).
 * Where the layout has two persons, person 1 of instance 0 equals person 1
 * of references 0 and 1, so those rows are left out of the backward
 * (engine/rows.h) on both sides; with every row computed (all_rows) the GPU
 * gives the same φ within the FP32 tolerance.
 * All 60 classes of a 60-class model at the joint store go through the 48
 * channels of the classifier's input (engine/basis.h) on both sides: GPU
 * against CPU within the FP32 tolerance.
 * Also: repeated runs are bitwise identical; splitting the triples into
 * sub-batches of other sizes changes nothing beyond FP32 rounding; a unit
 * that cannot fit the device fails before allocating, naming the largest
 * chunk that fits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "cuda/cuda_engine.h"
#include "engine/deeplift.h"
#include "gpu_check.h"

#ifdef DSHAP_EMU
/* the host emulation's reference GEMM is slow: four cases, joint and full
 * (test_emu_model covers part attention, V3 and Shuffle on the fixtures) */
#define N_CASES 4
#define GRAN_STEP 3
#define N_INST 2
#define N_REF 2
#else
#define N_CASES (sizeof cases / sizeof cases[0])
#define GRAN_STEP 1
#define N_INST 3
#define N_REF 4
#endif

typedef struct {
    int tcn, att, act;
    const char *layout;
} arch_case;

/* every temporal layer, attention kind and activation at least once */
static const arch_case cases[] = {
    {TCN_BASIC, ATT_JA, ACT_RELU, "ntu25"},          {TCN_BOTTLENECK, ATT_FA, ACT_HARDSWISH, "cp29"},
    {TCN_SEP, ATT_CA, ACT_RELU6, "ntu25"},           {TCN_SG, ATT_STJA, ACT_TANH, "cp19"},
    {TCN_V3, ATT_PA, ACT_SIGMOID, "ntu25"},          {TCN_SHUFFLE, ATT_FA, ACT_SILU, "ntu25"},
    {TCN_BASIC, ATT_STJA, ACT_HARDSWISH, "ntu25"},   {TCN_SHUFFLE, ATT_JA, ACT_RELU, "cp29"},
};

/* A small random-weight model of the case with K classes. */
static void small_net(const arch_case *c, int stride, int K, uint64_t seed, dshap_model *m, dshap_net *net) {
    char json[1024];
    int M = strcmp(c->layout, "ntu25") ? 1 : 2;
    snprintf(json, sizeof json,
             "{\"act\": \"%s\", \"att_lay\": \"%s\", \"conv_lay\": \"%s\", \"init_lay\": 16, \"expand_ratio\": 1.5,"
             " \"reduct_ratio\": 2, \"blocks_in\": 1, \"depth_in\": 2, \"stride_in\": %d, \"scale_in\": 1,"
             " \"temp_win_in\": 3, \"graph_dist_in\": 2, \"blocks_main\": 2, \"depth_main\": 1, \"stride_main\": 1,"
             " \"scale_main\": 1, \"temp_win_main\": 5, \"graph_dist_main\": 1, \"num_class\": %d,"
             " \"layout\": \"%s\", \"in_channels\": %d, \"num_frames\": 10, \"num_persons\": %d}",
             act_name(c->act), att_name(c->att), tcn_name(c->tcn), stride, K, c->layout,
             strcmp(c->layout, "ntu25") ? 2 : 3, M);
    memset(m, 0, sizeof *m);
    if (arch_from_json(&m->arch, json, "test")) {
        fprintf(stderr, "%s\n", dshap_last_error());
        exit(1);
    }
    EXPECT_OK(net_init_random(net, m, seed));
}

typedef struct {
    double *phi, *tot;
} result;

static void attribute(const engine_ops *ops, engine *e, rule_set rules, int n_k, const int *classes,
                      const granularity *g, int n_i, result *r) {
    int64_t G = gran_size(g);
    r->phi = calloc((size_t)(n_i * n_k * G), sizeof(double));
    r->tot = calloc((size_t)(n_i * n_k), sizeof(double));
    EXPECT_OK(ops->attribute(e, rules, n_k, classes, g, r->phi, r->tot));
}

static void free_result(result *r) {
    free(r->phi);
    free(r->tot);
}

static engine *make(const engine_ops *ops, const dshap_net *net, engine_cfg cfg, const float *xi, int n_i,
                    const float *xr, int n_r, float *li, float *lr) {
    engine *e = NULL;
    dshap_status st = ops->create(&e, net, &cfg);
    EXPECT(st == DSHAP_OK, "%s engine create: %s", ops->name, dshap_last_error());
    if (st) return NULL;
    EXPECT_OK(ops->forward_ref(e, xr, n_r, lr));
    EXPECT_OK(ops->forward_inst(e, xi, n_i, li));
    return e;
}

static double compare(const char *label, const result *g, const result *c, int64_t n, int64_t nt, double tol) {
    int64_t w;
    double e = rel_to_max_d(g->phi, c->phi, n, &w), et = rel_to_max_d(g->tot, c->tot, nt, NULL);
    if (tol >= 1e-2) { /* TF32: a total's error scales with Σ|φ| of its row, not with the (cancelling) total */
        double scale = 0, d = 0;
        for (int64_t r = 0; r < nt; r++) {
            double a = 0;
            for (int64_t f = r * (n / nt); f < (r + 1) * (n / nt); f++) a += fabs(c->phi[f]);
            scale = fmax(scale, a);
            d = fmax(d, fabs(g->tot[r] - c->tot[r]));
        }
        et = d / (scale > 0 ? scale : 1);
    }
    EXPECT(e <= tol && et <= tol, "%s: phi error %.3g at %lld (gpu %.9g, cpu %.9g), totals error %.3g (tol %.2g)",
           label, e, (long long)w, g->phi[w], c->phi[w], et, tol);
    return fmax(e, et);
}

/* Change of the CPU's own result under an input perturbation. */
static double sensitivity(const result *p, const result *c, int64_t n, int64_t nt) {
    return fmax(rel_to_max_d(p->phi, c->phi, n, NULL), rel_to_max_d(p->tot, c->tot, nt, NULL));
}

static float *perturbed(const float *x, int64_t n, double eps, uint64_t seed) {
    float *y = malloc(sizeof(float) * (size_t)n);
    fill_normal(y, n, seed);
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * (float)(1 + eps * (y[i] > 0 ? 1 : -1));
    return y;
}

static void check_case(const arch_case *c, int idx) {
    dshap_model m;
    dshap_net net;
    small_net(c, 1 + idx % 2, 5, 500 + idx, &m, &net);
    const dshap_arch *a = &net.arch;
    int n_i = N_INST, n_r = N_REF, n_k = 2, K = a->num_class;
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * a->in_channels * a->num_frames * a->layout->V * a->num_persons;
    float *xi = malloc(sizeof(float) * (size_t)(n_i * F)), *xr = malloc(sizeof(float) * (size_t)(n_r * F));
    fill_normal(xi, n_i * F, 900 + idx);
    fill_normal(xr, n_r * F, 950 + idx);
    int M = a->num_persons;
    if (M > 1) /* equal person rows (instance 0 with references 0 and 1) */
        for (int64_t f = 1; f < F; f += M) xi[f] = xr[f] = xr[F + f];
    int classes[6] = {0, 4, 1, 3, 2, 2};
    float *lci = malloc(sizeof(float) * n_i * K), *lcr = malloc(sizeof(float) * n_r * K);
    float *lgi = malloc(sizeof(float) * n_i * K), *lgr = malloc(sizeof(float) * n_r * K);
    char label[256];
    snprintf(label, sizeof label, "%s/%s/%s/%s", tcn_name(c->tcn), att_name(c->att), act_name(c->act), c->layout);
    engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = n_k,
        .memory_gib = 0.25, .device = 0, .allow_tf32 = 0};
    engine *ec = make(&cpu_engine_ops, &net, cfg, xi, n_i, xr, n_r, lci, lcr);
    float *pi32 = perturbed(xi, n_i * F, 1e-6, 1), *pr32 = perturbed(xr, n_r * F, 1e-6, 2);
    float *pitf = perturbed(xi, n_i * F, 3e-4, 3), *prtf = perturbed(xr, n_r * F, 3e-4, 4);
    engine *ep32 = make(&cpu_engine_ops, &net, cfg, pi32, n_i, pr32, n_r, lgi, lgr);
    engine *eptf = make(&cpu_engine_ops, &net, cfg, pitf, n_i, prtf, n_r, lgi, lgr);
    engine *eg = make(&cuda_engine_ops, &net, cfg, xi, n_i, xr, n_r, lgi, lgr);
    cfg.allow_tf32 = 1;
    engine *et = make(&cuda_engine_ops, &net, cfg, xi, n_i, xr, n_r, lgi, lgr);
    cfg.allow_tf32 = 0;
    /* sub-batches of a few triples: a budget of about 5 */
    int64_t fixed, per_pair;
    EXPECT_OK(cuda_engine_estimate(&net, &cfg, &fixed, &per_pair));
    cfg.memory_gib = 5.5 * per_pair / 1073741824.0;
    engine *es = make(&cuda_engine_ops, &net, cfg, xi, n_i, xr, n_r, lgi, lgr);
    cfg.memory_gib = 0.25;
    cfg.all_rows = 1;
    engine *ea = make(&cuda_engine_ops, &net, cfg, xi, n_i, xr, n_r, lgi, lgr);
    cfg.all_rows = 0;
    if (!ec || !eg || !et || !es || !ep32 || !eptf || !ea) goto done;
    EXPECT(cuda_engine_pairs(es) == 5, "%s: sub-batch of %d triples, expected 5", label, cuda_engine_pairs(es));
    {
        int64_t w;
        /* logits of the last forward (instances) on each side */
        EXPECT_OK(cuda_engine_ops.forward_inst(eg, xi, n_i, lgi));
        double el = rel_to_max(lgi, lci, n_i * K, &w);
        EXPECT(el <= 1e-5, "%s: logits differ by %.3g", label, el);
    }
    double worst = 0, worst_tf = 0, cond = 0, cond_tf = 0;
    const char *rnames[] = {"exact", "shap", "grad"};
    for (int rs = 0; rs < 3; rs++) {
        granularity gs[4] = {
            {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons},
            {STORE_CHANNEL_JOINT, 1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons},
            {STORE_FRAME, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons},
            {STORE_FULL, 1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons},
        };
        for (int gi = 0; gi < 4; gi += GRAN_STEP) {
            int64_t n = n_i * n_k * gran_size(&gs[gi]), nt = n_i * n_k;
            result rc, rg, rp32, rptf;
            attribute(&cpu_engine_ops, ec, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rc);
            attribute(&cuda_engine_ops, eg, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rg);
            attribute(&cpu_engine_ops, ep32, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rp32);
            attribute(&cpu_engine_ops, eptf, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rptf);
            double s32 = sensitivity(&rp32, &rc, n, nt), stf = sensitivity(&rptf, &rc, n, nt);
            double tol32 = fmax(1e-4, 4 * s32), toltf = fmax(1e-2, 4 * stf);
            cond = fmax(cond, s32), cond_tf = fmax(cond_tf, stf);
            free_result(&rp32), free_result(&rptf);
            char l2[320];
            snprintf(l2, sizeof l2, "%s %s %s", label, rnames[rs], gran_name(gs[gi].kind));
            worst = fmax(worst, compare(l2, &rg, &rc, n, nt, tol32));
            if (gi == 3) { /* full: TF32, sub-batches, repeatability */
                result rt, rs5, rg2, ra;
                attribute(&cuda_engine_ops, et, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rt);
                snprintf(l2, sizeof l2, "%s %s full TF32", label, rnames[rs]);
                worst_tf = fmax(worst_tf, compare(l2, &rt, &rc, n, nt, toltf));
                attribute(&cuda_engine_ops, es, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rs5);
                snprintf(l2, sizeof l2, "%s %s full, sub-batches of 5", label, rnames[rs]);
                worst = fmax(worst, compare(l2, &rs5, &rc, n, nt, tol32));
                attribute(&cuda_engine_ops, ea, (rule_set)rs, n_k, classes, &gs[gi], n_i, &ra);
                snprintf(l2, sizeof l2, "%s %s full, every person row (all_rows)", label, rnames[rs]);
                worst = fmax(worst, compare(l2, &ra, &rg, n, nt, 1e-4));
                attribute(&cuda_engine_ops, eg, (rule_set)rs, n_k, classes, &gs[gi], n_i, &rg2);
                EXPECT(!memcmp(rg.phi, rg2.phi, sizeof(double) * (size_t)n) &&
                           !memcmp(rg.tot, rg2.tot, sizeof(double) * (size_t)nt),
                       "%s %s: two runs differ (not deterministic)", label, rnames[rs]);
                free_result(&rt), free_result(&rs5), free_result(&rg2), free_result(&ra);
            }
            free_result(&rc), free_result(&rg);
        }
    }
    printf("  %-36s FP32 %.2e (cpu itself %.1e)  TF32 %.2e (cpu itself %.1e)\n", label, worst, cond, worst_tf,
           cond_tf);
done:
    if (ec) cpu_engine_ops.destroy(ec);
    if (eg) cuda_engine_ops.destroy(eg);
    if (et) cuda_engine_ops.destroy(et);
    if (es) cuda_engine_ops.destroy(es);
    if (ea) cuda_engine_ops.destroy(ea);
    if (ep32) cpu_engine_ops.destroy(ep32);
    if (eptf) cpu_engine_ops.destroy(eptf);
    free(pi32), free(pr32), free(pitf), free(prtf);
    free(xi), free(xr), free(lci), free(lcr), free(lgi), free(lgr);
    net_free(&net);
    model_free(&m);
}

/* Grad-CAM through the engines (engine_ops.gradient): the kept activation
 * and the plain gradient of two classes at a graph-layer map of the input
 * stream and at the last activation of the main stream, GPU against CPU
 * (tolerances in the header). */
static void check_gradient(const arch_case *c, int idx) {
    dshap_model m;
    dshap_net net;
    small_net(c, 1, 5, 700 + idx, &m, &net);
    const dshap_arch arch = net.arch;
    int at[2] = {-1, -1}, n = 2, n_k = 2, classes[4] = {0, 4, 3, 1};
    for (int i = 0; i < net.n_nodes; i++) {
        const node *nd = &net.nodes[i];
        if (nd->op == OP_GRAPH && at[0] < 0) at[0] = i;
        if (nd->op == OP_ACT && nd->V == net.arch.layout->V && nd->T > 1 && nd->per_person) at[1] = i;
    }
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * arch.in_channels * arch.num_frames * arch.layout->V * arch.num_persons;
    float *x = malloc(sizeof(float) * (size_t)(n * F)), *logits = malloc(sizeof(float) * (size_t)(n * arch.num_class));
    fill_normal(x, n * F, 31 + idx);
    engine_cfg cfg = {.max_inst = n, .max_ref = 1, .max_classes = n_k, .memory_gib = 0.25, .keep_nodes = at,
                      .n_keep = 2};
    engine *ec = NULL, *eg = NULL, *ep = NULL;
    float *xp = perturbed(x, n * F, 1e-6, 5);
    EXPECT_OK(cpu_engine_ops.create(&ec, &net, &cfg));
    EXPECT_OK(cpu_engine_ops.create(&ep, &net, &cfg));
    EXPECT_OK(cuda_engine_ops.create(&eg, &net, &cfg));
    if (!ec || !eg || !ep || at[0] < 0 || at[1] < 0) goto done;
    EXPECT_OK(cpu_engine_ops.forward_inst(ec, x, n, logits));
    EXPECT_OK(cpu_engine_ops.forward_inst(ep, xp, n, logits));
    EXPECT_OK(cuda_engine_ops.forward_inst(eg, x, n, logits));
    for (int l = 0; l < 2; l++) {
        const node *nd = &net.nodes[at[l]];
        int64_t per = node_rows(&net, nd, 1) * node_size(nd), w;
        float *ac = malloc(sizeof(float) * (size_t)(n * per)), *ag = malloc(sizeof(float) * (size_t)(n * per));
        int64_t ng = n * n_k * per;
        float *gc = malloc(sizeof(float) * (size_t)ng), *gg = malloc(sizeof(float) * (size_t)ng);
        float *gp = malloc(sizeof(float) * (size_t)ng), *ap = malloc(sizeof(float) * (size_t)(n * per));
        EXPECT_OK(cpu_engine_ops.gradient(ec, at[l], n_k, classes, ac, gc));
        EXPECT_OK(cpu_engine_ops.gradient(ep, at[l], n_k, classes, ap, gp));
        EXPECT_OK(cuda_engine_ops.gradient(eg, at[l], n_k, classes, ag, gg));
        double ea = rel_to_max(ag, ac, n * per, NULL), eg_ = rel_to_max(gg, gc, ng, &w);
        double cond = rel_to_max(gp, gc, ng, NULL), tol = fmax(1e-4, 4 * cond);
        EXPECT(ea <= 1e-5 && eg_ <= tol,
               "%s/%s Grad-CAM at %s: activation error %.3g, gradient error %.3g at %lld (tol %.2g)", tcn_name(c->tcn),
               att_name(c->att), nd->name, ea, eg_, (long long)w, tol);
        printf("  %-36s Grad-CAM at %-40s activation %.1e gradient %.1e (cpu itself %.1e)\n", tcn_name(c->tcn),
               nd->name, ea, eg_, cond);
        free(ac), free(ag), free(gc), free(gg), free(gp), free(ap);
    }
done:
    if (ec) cpu_engine_ops.destroy(ec);
    if (eg) cuda_engine_ops.destroy(eg);
    if (ep) cpu_engine_ops.destroy(ep);
    free(x), free(xp), free(logits);
    net_free(&net);
    model_free(&m);
}

/* All 60 classes of a 60-class model through the class basis, GPU vs CPU. */
static void check_basis(void) {
    dshap_model m;
    dshap_net net;
    small_net(&cases[0], 1, 60, 77, &m, &net);
    const dshap_arch *a = &net.arch;
    int n_i = 1, n_r = 2, K = a->num_class;
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * a->in_channels * a->num_frames * a->layout->V * a->num_persons;
    float *xi = malloc(sizeof(float) * (size_t)(n_i * F)), *xr = malloc(sizeof(float) * (size_t)(n_r * F));
    fill_normal(xi, n_i * F, 31);
    fill_normal(xr, n_r * F, 32);
    float *pi = perturbed(xi, n_i * F, 1e-6, 5), *pr = perturbed(xr, n_r * F, 1e-6, 6);
    float *li = malloc(sizeof(float) * (size_t)(n_r * K)), *lr = malloc(sizeof(float) * (size_t)(n_r * K));
    int *classes = malloc(sizeof(int) * (size_t)K);
    for (int k = 0; k < K; k++) classes[k] = (k * 7) % K;
    engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = K, .memory_gib = 0.25};
    engine *ec = make(&cpu_engine_ops, &net, cfg, xi, n_i, xr, n_r, li, lr);
    engine *ep = make(&cpu_engine_ops, &net, cfg, pi, n_i, pr, n_r, li, lr);
    engine *eg = make(&cuda_engine_ops, &net, cfg, xi, n_i, xr, n_r, li, lr);
    granularity g = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    if (ec && ep && eg) {
        result rc, rp, rg;
        int64_t n = (int64_t)n_i * K * gran_size(&g), nt = (int64_t)n_i * K;
        attribute(&cpu_engine_ops, ec, RULES_EXACT, K, classes, &g, n_i, &rc);
        attribute(&cpu_engine_ops, ep, RULES_EXACT, K, classes, &g, n_i, &rp);
        attribute(&cuda_engine_ops, eg, RULES_EXACT, K, classes, &g, n_i, &rg);
        double cond = sensitivity(&rp, &rc, n, nt);
        double e = compare("60 classes through the 48-channel basis, joint", &rg, &rc, n, nt, fmax(1e-4, 4 * cond));
        printf("  %-36s FP32 %.2e (cpu itself %.1e)\n", "60 classes, class basis", e, cond);
        free_result(&rc), free_result(&rp), free_result(&rg);
    }
    if (ec) cpu_engine_ops.destroy(ec);
    if (ep) cpu_engine_ops.destroy(ep);
    if (eg) cuda_engine_ops.destroy(eg);
    free(xi), free(xr), free(pi), free(pr), free(li), free(lr), free(classes);
    net_free(&net);
    model_free(&m);
}

/* A chunk far beyond the device: a clear failure before any allocation. */
static void check_too_big(void) {
    dshap_model m;
    dshap_net net;
    small_net(&cases[0], 1, 5, 77, &m, &net);
    engine_cfg cfg = {.max_inst = 4, .max_ref = 1 << 22, .max_classes = 5,
        .memory_gib = 0, .device = 0, .allow_tf32 = 0};
    engine *e = NULL;
    dshap_status st = cuda_engine_ops.create(&e, &net, &cfg);
    EXPECT(st == DSHAP_ENOMEM, "a chunk of 4M references must not fit (got %s)", dshap_status_name(st));
    EXPECT(strstr(dshap_last_error(), "--chunk") != NULL, "message names the chunk that fits: %s",
           dshap_last_error());
    printf("  too big: %s\n", dshap_last_error());
    if (!st) cuda_engine_ops.destroy(e);
    net_free(&net);
    model_free(&m);
}

int main(void) {
    gpu_require("test_gpu_engine");
    for (size_t i = 0; i < N_CASES; i++) check_case(&cases[i], (int)i);
    for (size_t i = 0; i < N_CASES; i += 2) check_gradient(&cases[i], (int)i);
    check_basis();
    check_too_big();
    return tl_finish("test_gpu_engine");
}
