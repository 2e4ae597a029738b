/* Exact rules: Σ φ = f_c(x) − mean_r f_c(r) per instance and class
 * (summation-to-delta), on every temporal layer × attention kind and every
 * activation, with random weights and N(0, 1) inputs.
 * Tolerance: 1e-4·max(1, |Δf|), or, where random weights make the
 * attributions cancel (Σ|φ| up to 10⁴·|Δf|), float32's own limit for a sum
 * of separately rounded forward passes: 2e-7·Σ|φ|. A wrong rule misses by
 * orders of magnitude more than either. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/deeplift.h"
#include "testlib.h"

static void small_arch(dshap_arch *a, int tcn, int att, int act, const char *layout, int M) {
    char json[1024];
    snprintf(json, sizeof json,
             "{\"act\": \"%s\", \"att_lay\": \"%s\", \"conv_lay\": \"%s\", \"init_lay\": 16, \"expand_ratio\": 1.5,"
             " \"reduct_ratio\": 2, \"blocks_in\": 1, \"depth_in\": 2, \"stride_in\": %d, \"scale_in\": 1,"
             " \"temp_win_in\": 3, \"graph_dist_in\": %d, \"blocks_main\": 2, \"depth_main\": 1, \"stride_main\": 1,"
             " \"scale_main\": 1, \"temp_win_main\": 5, \"graph_dist_main\": %d, \"num_class\": 4,"
             " \"layout\": \"%s\", \"in_channels\": %d, \"num_frames\": 12, \"num_persons\": %d}",
             act_name(act), att_name(att), tcn_name(tcn), 1 + (tcn + att) % 3, (tcn + act) % 4, (att + act) % 3, layout,
             strcmp(layout, "ntu25") ? 2 : 3, M);
    dshap_status st = arch_from_json(a, json, "test");
    if (st) {
        fprintf(stderr, "%s\n", dshap_last_error());
        exit(1);
    }
}

static void check_arch(const dshap_arch *arch, uint64_t seed, const char *label) {
    dshap_model m = {0};
    m.arch = *arch;
    dshap_net net;
    EXPECT_OK(net_init_random(&net, &m, seed));
    int n_i = 2, n_r = 3, n_k = 2, K = arch->num_class;
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * arch->in_channels * arch->num_frames * arch->layout->V * arch->num_persons;
    float *xi, *xr;
    dshap_alloc_floats(&xi, (size_t)(n_i * F), "x");
    dshap_alloc_floats(&xr, (size_t)(n_r * F), "r");
    rng_t rng;
    rng_seed(&rng, seed + 7);
    for (int64_t e = 0; e < n_i * F; e++) xi[e] = (float)rng_normal(&rng);
    for (int64_t e = 0; e < n_r * F; e++) xr[e] = (float)rng_normal(&rng);
    unsigned char *keep = calloc((size_t)net.n_nodes, 1);
    deeplift_keep_mask(&net, keep);
    net_acts ai, ar;
    EXPECT_OK(acts_alloc(&ai, &net, n_i, keep));
    EXPECT_OK(acts_alloc(&ar, &net, n_r, keep));
    EXPECT_OK(net_forward_cpu(&net, &ai, xi, n_i));
    EXPECT_OK(net_forward_cpu(&net, &ar, xr, n_r));
    int classes[4] = {0, 3, 1, 2};
    dl_job job = {.net = &net, .rules = RULES_EXACT, .inst = &ai, .x_inst = xi, .n_i = n_i, .ref = &ar, .x_ref = xr,
                  .n_r = n_r, .n_k = n_k, .classes = classes, .max_pairs = 4, .capture = -1};
    double *phi = calloc((size_t)(n_i * n_k * F), sizeof(double));
    EXPECT_OK(deeplift_run_cpu(&job, phi));
    const float *fi = ai.y[net.out], *fr = ar.y[net.out];
    double worst = 0;
    for (int i = 0; i < n_i; i++)
        for (int kk = 0; kk < n_k; kk++) {
            int c = classes[i * n_k + kk];
            double sum = 0, ref = 0;
            for (int64_t e = 0; e < F; e++) sum += phi[((int64_t)i * n_k + kk) * F + e];
            for (int r = 0; r < n_r; r++) ref += fr[r * K + c];
            double delta = n_r * (double)fi[i * K + c] - ref; /* φ here is the sum over references */
            double sabs = 0;
            for (int64_t e = 0; e < F; e++) sabs += fabs(phi[((int64_t)i * n_k + kk) * F + e]);
            double err = fabs(sum - delta) / fmax(1.0, fabs(delta));
            double bound = fmax(1e-4, 2e-7 * sabs / fmax(1.0, fabs(delta)));
            EXPECT(err <= bound, "%s: instance %d class %d: residual %.3g > %.3g (sum %.9g, delta %.9g, sum|phi| %.4g)",
                   label, i, c, err, bound, sum, delta, sabs);
            if (err > worst) worst = err;
        }
    printf("%-40s residual %.2e\n", label, worst);
    free(phi);
    free(keep);
    acts_free(&ai);
    acts_free(&ar);
    dshap_free(xi);
    dshap_free(xr);
    net_free(&net);
    model_free(&m);
}

int main(void) {
    char label[128];
    for (int tcn = 0; tcn < TCN_COUNT; tcn++)
        for (int att = 0; att < ATT_COUNT; att++) {
            int act = (tcn * ATT_COUNT + att) % ACT_COUNT;
            const char *layout = (tcn + att) % 3 == 0 ? "ntu25" : (tcn + att) % 3 == 1 ? "cp29" : "cp19";
            int M = strcmp(layout, "ntu25") ? 1 : 2;
            dshap_arch a;
            small_arch(&a, tcn, att, act, layout, M);
            snprintf(label, sizeof label, "%s/%s/%s/%s", tcn_name(tcn), att_name(att), act_name(act), layout);
            check_arch(&a, 100 + tcn * 10 + att, label);
        }
    return tl_finish("test_additivity");
}
