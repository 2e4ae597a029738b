/* Uses libdshap through its one public header only: loads a model, explains
 * deterministic inputs against a background and checks what DeepSHAP with
 * the exact rules guarantees, against values computed here from
 * dshap_predict: φ0 = mean f(background) and Σφ = f_c(x) − φ0_c (1e-4 of
 * max(1, |Δ|), float32 sums of ~10^4 terms); then the error paths.
 * usage: consumer MODEL.h5 */
#include <dshap/dshap.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;
#define EXPECT(c, ...)                                       \
    do {                                                     \
        if (!(c)) {                                          \
            fprintf(stderr, "consumer: FAIL: " __VA_ARGS__); \
            fputc('\n', stderr);                             \
            fails++;                                         \
        }                                                    \
    } while (0)

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    dshap_model_t *m = NULL;
    EXPECT(dshap_model_load(argv[1], &m) == DSHAP_OK, "load: %s", dshap_last_error());
    if (!m) return 1;
    EXPECT(dshap_init() == DSHAP_OK, "init");
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    int K = info.num_class, R = 3, n = 2;
    int64_t S = info.sample_size;
    float *bg = malloc(sizeof(float) * (size_t)(R * S)), *x = malloc(sizeof(float) * (size_t)(n * S));
    for (int64_t i = 0; i < R * S; i++) bg[i] = (float)(0.5 * sin(0.37 * (double)i));
    for (int64_t i = 0; i < n * S; i++) x[i] = (float)(0.5 * cos(0.11 * (double)i));
    float *lb = malloc(sizeof(float) * (size_t)(R * K)), *lx = malloc(sizeof(float) * (size_t)(n * K));
    EXPECT(dshap_predict(m, bg, R, lb) == DSHAP_OK, "predict: %s", dshap_last_error());
    EXPECT(dshap_predict(m, x, n, lx) == DSHAP_OK, "predict: %s", dshap_last_error());

    dshap_options o;
    dshap_options_default(&o);
    o.store = DSHAP_STORE_FULL;
    dshap_explainer_t *e = NULL;
    EXPECT(dshap_explainer_create(m, bg, R, &o, &e) == DSHAP_OK, "explainer: %s", dshap_last_error());
    if (!e) return 1;
    double *phi0 = malloc(sizeof(double) * (size_t)K);
    dshap_explainer_expected_value(e, phi0);
    int32_t cls[2] = {0, K - 1};
    dshap_status st;
    float *phi = malloc(sizeof(float) * (size_t)(n * S)), out[64], res[2];
    EXPECT(dshap_explainer_store_size(e) == S, "store size %lld", (long long)dshap_explainer_store_size(e));
    EXPECT(dshap_explain(e, x, n, 1, cls, phi, out, res) == DSHAP_OK, "explain: %s", dshap_last_error());
    for (int k = 0; k < K; k++) {
        double mean = 0;
        for (int r = 0; r < R; r++) mean += lb[r * K + k];
        mean /= R;
        EXPECT(fabs(mean - phi0[k]) <= 1e-6 * fmax(1, fabs(mean)), "phi0[%d] %g vs mean f(bg) %g", k, phi0[k], mean);
    }
    for (int i = 0; i < n; i++) {
        int c = cls[i];
        double sum = 0, delta = lx[i * K + c] - phi0[c];
        for (int64_t j = 0; j < S; j++) sum += phi[i * S + j];
        EXPECT(fabs(sum - delta) <= 1e-4 * fmax(1, fabs(delta)), "sample %d: sum phi %g vs f - phi0 %g", i, sum, delta);
        EXPECT(fabs(res[i] - (sum - delta)) <= 1e-4 * fmax(1, fabs(delta)), "residual %g vs %g", res[i], sum - delta);
        EXPECT(out[i * K + c] == lx[i * K + c], "output %g vs predict %g", out[i * K + c], lx[i * K + c]);
    }
    /* errors: a status and one line naming the problem */
    cls[0] = K;
    st = dshap_explain(e, x, 1, 1, cls, phi, NULL, NULL);
    EXPECT(st == DSHAP_EINVAL && strstr(dshap_last_error(), "out of range"), "bad class: %d %s", st, dshap_last_error());
    dshap_model_t *none = NULL;
    st = dshap_model_load("/nonexistent/model.h5", &none);
    EXPECT(st != DSHAP_OK && none == NULL && strstr(dshap_last_error(), "/nonexistent/model.h5"), "missing file: %s",
           dshap_last_error());
    printf("consumer: dshap %s, %d classes, phi0[0] %.6f, residuals %.2g %.2g: %s\n", dshap_version(), K, phi0[0],
           (double)res[0], (double)res[1], fails ? "FAIL" : "ok");
    dshap_explainer_free(e);
    dshap_model_free(m);
    free(bg);
    free(x);
    free(lb);
    free(lx);
    free(phi0);
    free(phi);
    return fails ? 1 : 0;
}
