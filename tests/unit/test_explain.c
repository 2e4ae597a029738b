/* dshap explain end to end (one rank): chunking is exact, class selections
 * agree, stored granularities are consistent reductions of each other,
 * attributions add up to f(x) − φ0. A small random architecture on random
 * inputs.h5 files keeps it fast. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "engine/net.h"
#include "io/h5io.h"
#include "jobs/explain.h"
#include "testlib.h"

static char dir[] = "/tmp/dshap_explain_XXXXXX";
static char model_path[512], data_path[512], bg_path[512];
static dist_ctx d;
enum { N = 3, NBG = 100, C2 = 4, T = 10, V = 29, M = 1, K = 3 };

static void setup(void) {
    if (!mkdtemp(dir)) exit(1);
    snprintf(model_path, sizeof model_path, "%s/model.h5", dir);
    snprintf(data_path, sizeof data_path, "%s/data.h5", dir);
    snprintf(bg_path, sizeof bg_path, "%s/bg.h5", dir);
    const char *json =
        "{\"act\": \"swish\", \"att_lay\": \"stja\", \"conv_lay\": \"Sep\", \"init_lay\": 16, \"expand_ratio\": 1,"
        " \"reduct_ratio\": 2, \"blocks_in\": 1, \"depth_in\": 1, \"stride_in\": 2, \"scale_in\": 1, \"temp_win_in\": 3,"
        " \"graph_dist_in\": 1, \"blocks_main\": 1, \"depth_main\": 1, \"stride_main\": 1, \"scale_main\": 1,"
        " \"temp_win_main\": 3, \"graph_dist_main\": 1, \"num_class\": 3, \"layout\": \"cp29\", \"in_channels\": 2,"
        " \"num_frames\": 10, \"num_persons\": 1}";
    dshap_model m = {0};
    dshap_net net;
    if (arch_from_json(&m.arch, json, "test") || net_init_random(&net, &m, 11) || model_save(&m, model_path)) {
        fprintf(stderr, "setup: %s\n", dshap_last_error());
        exit(1);
    }
    net_free(&net);
    model_free(&m);
    tl_write_inputs(data_path, "cp29", N, C2, T, V, M, K, 1);
    tl_write_inputs(bg_path, "cp29", NBG, C2, T, V, M, K, 2);
}

static explain_opts base(const char *out) {
    return (explain_opts){.model = model_path, .data = data_path, .background = bg_path, .output = out,
                          .n_background = 12, .background_seed = 5, .chunk = 5, .classes = CLASSES_ALL,
                          .rules = RULES_EXACT, .store = STORE_JOINT};
}

static float *run(explain_opts o, const char *name, int64_t *count) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    o.output = path;
    EXPECT_OK(explain_run(&d, &o));
    h5file f;
    EXPECT_OK(h5io_open_read(&f, path, "dshap-attributions", 1));
    int rank;
    int64_t dims[8];
    EXPECT_OK(h5io_shape(&f, "/shap/values", &rank, dims));
    float *v = NULL;
    EXPECT_OK(h5io_read_f32(&f, "/shap/values", rank, dims, &v));
    *count = 1;
    for (int i = 0; i < rank; i++) *count *= dims[i];
    h5io_close(&f);
    return v;
}

static double max_abs(const float *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

int main(int argc, char **argv) {
    dist_init(&d, &argc, &argv);
    setup();
    int64_t n1, n2, n3, n4, n5;

    /* 100 references in chunks of 20 vs one chunk of 100: exact up to float32 rounding */
    explain_opts o = base(NULL);
    o.n_background = NBG;
    o.chunk = 20;
    o.classes = CLASSES_PRED;
    float *c20 = run(o, "c20", &n1);
    o.chunk = 100;
    float *c100 = run(o, "c100", &n2);
    double scale = max_abs(c100, n2), diff = 0;
    for (int64_t i = 0; i < n1; i++) diff = fmax(diff, fabs(c20[i] - c100[i]));
    EXPECT(n1 == n2 && diff <= 1e-5 * scale, "chunk 20 vs 100: max |diff| %.3g vs max |phi| %.3g", diff, scale);
    printf("chunk 20 vs 100: max |diff| / max |phi| = %.2e\n", diff / scale);
    free(c20);
    free(c100);

    /* the reference set of the remaining runs: 12 references in chunks of 5 */
    o = base(NULL);
    c20 = run(o, "all", &n1);
    scale = max_abs(c20, n1);
    c100 = NULL;

    /* --classes 2,0 equals the matching slices of --classes all (joint store: (N, K', V)) */
    o = base(NULL);
    o.classes = CLASSES_LIST;
    o.n_list = 2;
    o.list[0] = 2;
    o.list[1] = 0;
    float *lst = run(o, "list", &n3);
    int bad = 0;
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) {
            bad += lst[(i * 2 + 0) * V + v] != c20[(i * K + 2) * V + v];
            bad += lst[(i * 2 + 1) * V + v] != c20[(i * K + 0) * V + v];
        }
    EXPECT(bad == 0, "--classes 2,0 differs from --classes all in %d values", bad);

    /* --classes true: labels are i mod 3 */
    o = base(NULL);
    o.classes = CLASSES_TRUE;
    float *tru = run(o, "true", &n4);
    bad = 0;
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) bad += tru[i * V + v] != c20[(i * K + i % K) * V + v];
    EXPECT(bad == 0, "--classes true differs from the label's slice of --classes all in %d values", bad);

    /* channel-joint summed over (branch, channel) is joint; frame's time mean summed is joint */
    o = base(NULL);
    o.store = STORE_CHANNEL_JOINT;
    float *cj = run(o, "cj", &n5);
    o.store = STORE_FRAME;
    int64_t n6;
    float *fr = run(o, "frame", &n6);
    double worst = 0;
    for (int i = 0; i < N * K; i++)
        for (int v = 0; v < V; v++) {
            double s1 = 0, s2 = 0;
            for (int bc = 0; bc < 4 * C2; bc++) s1 += cj[((int64_t)i * 4 * C2 + bc) * V + v];
            for (int t = 0; t < T; t++) s2 += fr[((int64_t)i * T + t) * V + v] / T;
            double ref = c20[i * V + v];
            worst = fmax(worst, fmax(fabs(s1 - ref), fabs(s2 - ref)));
        }
    EXPECT(worst <= 1e-6 * fmax(scale, 1e-6), "granularities disagree by %.3g", worst);

    /* full store: Σ φ = f(x) − φ0 (the stored residual), and rules exact hold additivity */
    o = base(NULL);
    o.store = STORE_FULL;
    o.check_additivity = 1e-4;
    int64_t n7;
    float *full = run(o, "full", &n7);
    EXPECT(n7 == (int64_t)N * 4 * C2 * T * V * M * K, "full store has %lld values", (long long)n7);

    /* a failing additivity check writes nothing */
    o = base(NULL);
    o.check_additivity = 1e-12;
    char path[600];
    snprintf(path, sizeof path, "%s/strict.h5", dir);
    o.output = path;
    dshap_status st = explain_run(&d, &o);
    EXPECT(st == DSHAP_ENUMERIC, "a 1e-12 additivity check should fail (got %s)", dshap_status_name(st));
    EXPECT(access(path, F_OK) != 0, "a failed run left %s behind", path);

    free(c20);
    free(c100);
    free(lst);
    free(tru);
    free(cj);
    free(fr);
    free(full);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    int rc = tl_finish("test_explain");
    dist_finalize(&d);
    return rc;
}
