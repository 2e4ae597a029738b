/* DeepSHAP against the references in tests/fixtures/shap (gen_shap.py):
 *  - rules shap  == shap.DeepExplainer on the PyTorch model (float64 run),
 *  - rules exact == our float64 implementation of the exact rules (deeplift_exact.py:
 *    RULES.md's, with softmax through exp(x − logsumexp x), README "Accuracy"),
 * on the published NTU X-View and CP29 architectures (T = 24) and random
 * architectures covering ja, fa, ca, stja, pa. The attributions go through
 * the CPU engine exactly as dshap explain runs them (full store).
 *
 * Tolerances. Rules exact: elementwise max |Δφ| ≤ 1e-4 · max |φ| on every
 * fixture (measured ≤ 1e-5, README "Accuracy"): the rescale secants are
 * well conditioned (cpu/rescale.h), so float32 activations give the float64
 * multipliers to their own rounding. Rules shap: the same 1e-4, except on
 * two networks where shap rescales a softmax elementwise (Δy_i/Δx_i, shap's
 * nonlinear_1d): that multiplier is ill conditioned where Δx_i is small and
 * the line's other inputs move, and float32 activations move attribution
 * between the inputs of a branch by their rounding / Δx_i, so any float32
 * run of that rule misses the float64 values by the size shap's own does:
 * shap.DeepExplainer on the float32 model misses its float64 values by
 * 9.3e-3 of max |φ| on ntu_xview and 2.5e-2 on sg_pa_tanh_cp19. dshap is
 * held per element to twice shap's own miss on that fixture (its rounding
 * falls elsewhere: measured 9.3e-3 and 6.1e-3), 1.9e-2 and 5e-2, and every
 * (instance, class, branch) sum to 1e-4 · Σ|φ| of the block (the branch
 * total cannot move: summation-to-delta holds at every cut). Branch sums are
 * checked on every fixture and both rule sets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/engine.h"
#include "io/h5io.h"
#include "testlib.h"

#define TOL 1e-4

/* ours / ref in the fixture layout (n, 4, B, n_k) with B = 2C·T·V·M per
 * branch; tol: of max |φ| per element */
static void compare(const char *name, const char *what, const double *ours, const double *ref, int n, int64_t B,
                    int n_k, double tol) {
    int64_t total = (int64_t)n * 4 * B * n_k;
    double mx = 0, worst = 0;
    for (int64_t i = 0; i < total; i++) mx = fmax(mx, fabs(ref[i]));
    for (int i = 0; i < n; i++)
        for (int br = 0; br < 4; br++)
            for (int k = 0; k < n_k; k++) {
                double so = 0, sr = 0, sabs = 0;
                for (int64_t e = 0; e < B; e++) {
                    int64_t j = (((int64_t)i * 4 + br) * B + e) * n_k + k;
                    worst = fmax(worst, fabs(ours[j] - ref[j]));
                    so += ours[j];
                    sr += ref[j];
                    sabs += fabs(ref[j]);
                }
                EXPECT(fabs(so - sr) <= TOL * sabs + 1e-9, "%s: %s: instance %d branch %d class %d: sum %.9g vs %.9g",
                       name, what, i, br, k, so, sr);
            }
    EXPECT(worst <= tol * mx, "%s: %s differ: max |diff| %.3g > %.3g x max |phi| %.3g", name, what, worst, tol, mx);
    printf("%-30s %-6s max |diff| / max |phi| = %.2e (bound %.3g)\n", name, what, worst / mx, tol);
}

/* Rules shap on the fixtures where shap's elementwise softmax rule meets a
 * small Δx_i (above): per element twice shap.DeepExplainer's own miss there
 * (float32 model vs float64). The test checks that these networks do have a
 * softmax that shap rescales. */
static const struct {
    const char *name;
    double shap_f32_miss; /* of max |φ| */
} shap_softmax_loose[] = {{"ntu_xview", 9.3e-3}, {"sg_pa_tanh_cp19", 2.5e-2}};

static int shap_rescales_softmax(const dshap_net *net) {
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].op == OP_SOFTMAX && net->nodes[i].shap_module) return 1;
    return 0;
}

static double shap_tol(const char *name, const dshap_net *net) {
    for (size_t i = 0; i < sizeof shap_softmax_loose / sizeof *shap_softmax_loose; i++)
        if (!strcmp(name, shap_softmax_loose[i].name)) {
            EXPECT(shap_rescales_softmax(net), "%s: listed for shap's softmax rule but has no such node", name);
            return 2 * shap_softmax_loose[i].shap_f32_miss;
        }
    return TOL;
}

static void check_fixture(const char *dir, const char *name) {
    char fx[1024], mp[1024];
    snprintf(fx, sizeof fx, "%s/shap/%s.h5", dir, name);
    snprintf(mp, sizeof mp, "%s/forward/%s.model.h5", dir, name);
    dshap_model m;
    dshap_net net;
    h5file f;
    float *x, *bg = NULL;
    int64_t N;
    if (tl_open_fixture(name, mp, fx, &m, &net, &f, &x, &N)) return;
    const dshap_arch *a = &m.arch;
    int64_t dx[6] = {N, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    int64_t db[6] = {-1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    int64_t dc[2] = {-1, -1};
    int32_t *cls32 = NULL;
    EXPECT_OK(h5io_read_f32(&f, "/background", 6, db, &bg));
    EXPECT_OK(h5io_read_i32(&f, "/classes", 2, dc, &cls32));
    int n = (int)dx[0], R = (int)db[0], n_k = (int)dc[1], K = a->num_class;
    int64_t F = dx[1] * dx[2] * dx[3] * dx[4] * dx[5];
    int64_t dv[7] = {n, dx[1], dx[2], dx[3], dx[4], dx[5], n_k};
    double *ref_shap = NULL, *ref_exact = NULL;
    EXPECT_OK(h5io_read_f64(&f, "/shap_values", 7, dv, &ref_shap));
    EXPECT_OK(h5io_read_f64(&f, "/exact_values", 7, dv, &ref_exact));
    int *cls = malloc(sizeof(int) * (size_t)(n * n_k));
    for (int i = 0; i < n * n_k; i++) cls[i] = cls32[i];
    engine_cfg cfg = {.max_inst = n, .max_ref = R, .max_classes = n_k, .memory_gib = 0.5, .device = 0, .allow_tf32 = 0};
    engine *e = NULL;
    EXPECT_OK(cpu_engine_ops.create(&e, &net, &cfg));
    float *lg = malloc(sizeof(float) * (size_t)((n > R ? n : R) * K));
    EXPECT_OK(cpu_engine_ops.forward_ref(e, bg, R, lg));
    EXPECT_OK(cpu_engine_ops.forward_inst(e, x, n, lg));
    granularity g = {STORE_FULL, 0, ARCH_BRANCHES, (int)dx[2], (int)dx[3], (int)dx[4], (int)dx[5]};
    double *phi = malloc(sizeof(double) * (size_t)(n * n_k * F)), *tot = malloc(sizeof(double) * (size_t)(n * n_k));
    double *ours = malloc(sizeof(double) * (size_t)(n * n_k * F));
    rule_set rules[2] = {RULES_SHAP, RULES_EXACT};
    const double *refs[2] = {ref_shap, ref_exact};
    const char *names[2] = {"shap", "exact"};
    for (int s = 0; s < 2; s++) {
        EXPECT_OK(cpu_engine_ops.attribute(e, rules[s], n_k, cls, &g, phi, tot));
        /* engine: (n, n_k, F) sums over references → fixture layout (n, F, n_k) means */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n_k; k++)
                for (int64_t j = 0; j < F; j++)
                    ours[((int64_t)i * F + j) * n_k + k] = phi[((int64_t)i * n_k + k) * F + j] / R;
        double tol = rules[s] == RULES_SHAP ? shap_tol(name, &net) : TOL;
        compare(name, names[s], ours, refs[s], n, F / 4, n_k, tol);
    }
    cpu_engine_ops.destroy(e);
    free(phi);
    free(tot);
    free(ours);
    free(lg);
    free(cls);
    dshap_free(cls32);
    dshap_free(x);
    dshap_free(bg);
    dshap_free(ref_shap);
    dshap_free(ref_exact);
    h5io_close(&f);
    net_free(&net);
    model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_shap_fixtures FIXTURES_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/shap", argv[1]);
    int count = tl_each_fixture(dir, ".h5", check_fixture, argv[1]);
    if (count < 0) return 1;
    EXPECT(count >= 5, "expected at least 5 shap fixtures, found %d", count);
    return tl_finish("test_shap_fixtures");
}
