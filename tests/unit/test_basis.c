/* Many classes through the classifier's input (engine/basis.h), on a small
 * NTU model (60 classes, a 48-channel classifier input):
 *  - class_basis_for takes the basis only when there are more classes than
 *    channels, and never for a 2-class CP29 model;
 *  - φ of all 60 classes (in a shuffled order) stored per joint, which the
 *    engine computes through the 48 channel seeds, equals the full store's φ
 *    (one seed per class, no basis) reduced per joint by the same reduction,
 *    within 1e-5 of max |φ| (float rounding of two orders of the same
 *    linear map), and likewise the totals;
 *  - with the exact rules, the basis totals sum to f(x) − mean_r f(r) for
 *    every class within 1e-4 (additivity, against the forward's logits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "engine/basis.h"
#include "engine/engine.h"
#include "testlib.h"

static int load_arch(const char *fixtures, const char *name, dshap_model *m, dshap_net *net) {
    char path[4096], json[1 << 14];
    snprintf(path, sizeof path, "%s/archs/%s", fixtures, name);
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL, "cannot open %s", path);
    if (!f) return -1;
    size_t len = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[len] = 0;
    memset(m, 0, sizeof *m);
    EXPECT_OK(arch_from_json(&m->arch, json, path));
    EXPECT_OK(net_init_random(net, m, 11));
    return 0;
}

static double max_abs(const double *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_basis FIXTURES_DIR\n");
        return 2;
    }
    dshap_model m, mc;
    dshap_net net, netc;
    if (load_arch(argv[1], "small_ntu.json", &m, &net) || load_arch(argv[1], "small_cp29.json", &mc, &netc))
        return tl_finish("test_basis");
    const dshap_arch *a = &net.arch;
    int K = a->num_class;
    class_basis cb;
    EXPECT(class_basis_for(&net, K, &cb) && cb.C == 48 && cb.node == net.nodes[net.out].in[0],
           "60 classes: the basis of the 48-channel classifier input");
    EXPECT(!class_basis_for(&net, 48, &cb), "48 classes: no basis (no fewer seeds)");
    EXPECT(class_basis_for(&net, 49, &cb), "49 classes: the basis");
    EXPECT(!class_basis_for(&netc, netc.arch.num_class, &cb), "CP29, 2 classes: no basis");

    int n_i = 2, n_r = 3, M = a->num_persons;
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * a->in_channels * a->num_frames * a->layout->V * M;
    float *xi = malloc(sizeof(float) * (size_t)(n_i * F)), *xr = malloc(sizeof(float) * (size_t)(n_r * F));
    rng_t r;
    rng_seed(&r, 5);
    for (int64_t i = 0; i < n_i * F; i++) xi[i] = (float)(0.5 * rng_normal(&r));
    for (int64_t i = 0; i < n_r * F; i++) xr[i] = (float)(0.5 * rng_normal(&r));
    int *classes = malloc(sizeof(int) * (size_t)(n_i * K));
    for (int i = 0; i < n_i; i++)
        for (int k = 0; k < K; k++) classes[i * K + k] = (k * 7 + 3 * i) % K; /* every class, shuffled */
    granularity gj = {STORE_JOINT, 1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, M}, gf = gj;
    gf.kind = STORE_FULL;
    int64_t Gj = gran_size(&gj), nk = (int64_t)n_i * K;
    double *pj = calloc((size_t)(nk * Gj), sizeof(double)), *pf = calloc((size_t)(nk * F), sizeof(double));
    double *ref = calloc((size_t)(nk * Gj), sizeof(double)), *tj = calloc((size_t)nk, sizeof(double));
    double *tf = calloc((size_t)nk, sizeof(double));
    float *li = malloc(sizeof(float) * (size_t)(n_i * K)), *lr = malloc(sizeof(float) * (size_t)(n_r * K));
    engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = K, .memory_gib = 0.05};
    engine *e = NULL;
    EXPECT_OK(cpu_engine_ops.create(&e, &net, &cfg));
    const char *names[] = {"exact", "shap"};
    for (int rs = 0; e && rs < 2; rs++) {
        EXPECT_OK(cpu_engine_ops.forward_ref(e, xr, n_r, lr));
        EXPECT_OK(cpu_engine_ops.forward_inst(e, xi, n_i, li));
        EXPECT_OK(cpu_engine_ops.attribute(e, (rule_set)rs, K, classes, &gj, pj, tj)); /* through the basis */
        EXPECT_OK(cpu_engine_ops.attribute(e, (rule_set)rs, K, classes, &gf, pf, tf)); /* a seed per class */
        for (int64_t ik = 0; ik < nk; ik++) gran_reduce(&gj, pf + ik * F, ref + ik * Gj);
        double scale = max_abs(ref, nk * Gj), ep = 0, et = 0, sum_abs = 0;
        for (int64_t j = 0; j < nk * Gj; j++) ep = fmax(ep, fabs(pj[j] - ref[j]));
        for (int64_t ik = 0; ik < nk; ik++) {
            double s = 0;
            for (int64_t f = 0; f < F; f++) s += fabs(pf[ik * F + f]);
            sum_abs = fmax(sum_abs, s);
            et = fmax(et, fabs(tj[ik] - tf[ik]));
        }
        EXPECT(ep > 0, "rules %s: joint and full stores agree bitwise: the basis was not taken", names[rs]);
        EXPECT(scale > 0 && ep <= 1e-5 * scale && et <= 1e-5 * sum_abs,
               "rules %s: basis vs a seed per class: phi error %.3g of max %.3g, totals error %.3g of max sum |phi| %.3g",
               names[rs], ep, scale, et, sum_abs);
        printf("  rules %-5s basis vs per-class seeds: phi %.2e of max |phi|, totals %.2e of max sum |phi|\n",
               names[rs], ep / scale, et / sum_abs);
        if (rs == 0) { /* additivity of the basis totals */
            double worst = 0, big = 0;
            for (int i = 0; i < n_i; i++)
                for (int kk = 0; kk < K; kk++) {
                    int k = classes[i * K + kk];
                    double ref_mean = 0;
                    for (int q = 0; q < n_r; q++) ref_mean += lr[q * K + k] / (double)n_r;
                    double want = li[i * K + k] - ref_mean, got = tj[i * K + kk] / n_r;
                    worst = fmax(worst, fabs(got - want));
                    big = fmax(big, fabs(want));
                }
            EXPECT(worst <= 1e-4 * fmax(1, big), "exact rules: basis totals miss f(x) - E f(r) by %.3g (scale %.3g)",
                   worst, big);
        }
    }
    if (e) cpu_engine_ops.destroy(e);
    free(xi), free(xr), free(classes), free(pj), free(pf), free(ref), free(tj), free(tf), free(li), free(lr);
    net_free(&net), net_free(&netc);
    model_free(&m), model_free(&mc);
    return tl_finish("test_basis");
}
