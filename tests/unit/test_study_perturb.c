/* dshap perturb: the saved perturbed model differs from the original in
 * exactly E[0, j, j] of every SGC layer for the selected joints j, with the
 * values of RULES.md; the curve's metric equals a direct forward with those
 * weights; joint sets follow the scores; per-sample sets with identical
 * scores reproduce the global curve; random curves are reproducible. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/forward.h"
#include "io/h5io.h"
#include "study/perturb_job.h"
#include "testlib.h"

#define N 10
#define V 25
/* The Grad-CAM fixture's model (ntu25, M = 2, 4 classes, T = 12, graph
 * distances 1 and 2): input (N, 4, 6, 12, 25, 2). */
#define F (4LL * 6 * 12 * V * 2)
#define NCLS 4

static char dir[64], model_path[128], data_path[128], scores_path[128], out_path[128], saved_path[128];

static double accuracy(const char *model, const float *x, const int32_t *y) {
    dshap_model m;
    dshap_net net;
    net_acts a;
    double acc = -1;
    if (model_load(&m, model) || net_build(&net, &m)) return -1;
    if (!acts_alloc(&a, &net, N, NULL) && !net_forward_cpu(&net, &a, x, N)) {
        int ok = 0, K = net.arch.num_class;
        for (int i = 0; i < N; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (a.y[net.out][i * K + k] > a.y[net.out][i * K + best]) best = k;
            ok += best == y[i];
        }
        acc = (double)ok / N;
        acts_free(&a);
    }
    net_free(&net);
    model_free(&m);
    return acc;
}

static float *x;
static int32_t y[N];
static double mean_score[V];

static void setup(const char *fixtures) {
    dshap_model m = {0};
    dshap_net net;
    char src[1024];
    snprintf(src, sizeof src, "%s/study/gradcam_ntu.model.h5", fixtures);
    EXPECT_OK(model_load(&m, src));
    EXPECT_OK(net_build(&net, &m));
    EXPECT_OK(model_save(&m, model_path));
    dshap_alloc_floats(&x, (size_t)(N * F), "x");
    rng_t r;
    rng_seed(&r, 5);
    for (int64_t e = 0; e < N * F; e++) x[e] = (float)rng_normal(&r);
    /* labels = the unperturbed predictions: baseline accuracy 1, so any change shows */
    net_acts a;
    EXPECT_OK(acts_alloc(&a, &net, N, NULL));
    EXPECT_OK(net_forward_cpu(&net, &a, x, N));
    for (int i = 0; i < N; i++) {
        int best = 0;
        for (int k = 1; k < NCLS; k++)
            if (a.y[net.out][i * NCLS + k] > a.y[net.out][i * NCLS + best]) best = k;
        y[i] = best;
    }
    acts_free(&a);
    net_free(&net);
    model_free(&m);
    h5file f;
    EXPECT_OK(h5io_create(&f, data_path, H5P_DEFAULT));
    int64_t dx[6] = {N, 4, 6, 12, V, 2}, dn = N;
    EXPECT_OK(h5io_write_attr_str(&f, "/", "format", "dshap-inputs"));
    EXPECT_OK(h5io_write_attr_int(&f, "/", "format_version", 1));
    EXPECT_OK(h5io_write_attr_str(&f, "/", "layout", "ntu25"));
    EXPECT_OK(h5io_write_f32(&f, "/x", 6, dx, x));
    EXPECT_OK(h5io_write_i32(&f, "/y", 1, &dn, y));
    h5io_close(&f);
    /* scores (N, V): the same per-sample vector plus noise; 6 joints positive on average */
    float s[N * V];
    for (int v = 0; v < V; v++) mean_score[v] = 0;
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) {
            double base = (v % 3 == 0) ? 1.0 + 0.1 * v : -0.5 - 0.05 * v;
            s[i * V + v] = (float)(base + 0.01 * rng_normal(&r));
        }
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) mean_score[v] += s[i * V + v] / (double)N;
    EXPECT_OK(h5io_create(&f, scores_path, H5P_DEFAULT));
    int64_t ds[2] = {N, V};
    EXPECT_OK(h5io_write_f32(&f, "/scores", 2, ds, s));
    h5io_close(&f);
}

static perturb_job_opts base(void) {
    static char spec[256];
    snprintf(spec, sizeof spec, "test=%s:/scores", scores_path);
    /* thresh 300 (x the E[0] range): this model needs a large change before a prediction flips */
    perturb_job_opts o = {.model = model_path, .data = data_path, .scores = spec, .output = out_path,
                          .n_k = 3, .ks = {1, 2, 3}, .p = {PM_AMPLIFY, 300.0, PR_ORIGINAL, 0},
                          .metric = MET_ACCURACY, .seed = 4, .repeats = 2, .quiet = 1};
    o.select[SEL_TOP] = o.select[SEL_BOTTOM] = o.select[SEL_RANDOM] = 1;
    return o;
}

static double *read_vec(const char *path, const char *ds, int64_t n) {
    h5file f;
    double *v = NULL;
    int64_t d = n;
    if (h5io_open_any(&f, path)) return NULL;
    h5io_read_f64(&f, ds, 1, &d, &v);
    h5io_close(&f);
    return v;
}

static void check_saved_model(const int *joints, int nj, const perturb_opts *po) {
    dshap_model a, b;
    EXPECT_OK(model_load(&a, model_path));
    EXPECT_OK(model_load(&b, saved_path));
    EXPECT(a.n_params == b.n_params, "parameter count changed");
    int edges = 0, changed = 0, wrong = 0;
    for (int p = 0; p < a.n_params; p++) {
        dshap_param *pa = &a.params[p], *pb = model_find(&b, pa->name);
        EXPECT(pb && pb->count == pa->count, "%s missing or resized", pa->name);
        if (!pb || !pa->data) continue;
        size_t len = strlen(pa->name);
        int is_edge = len > 5 && !strcmp(pa->name + len - 5, ".edge");
        if (!is_edge) {
            EXPECT(!memcmp(pa->data, pb->data, sizeof(float) * (size_t)pa->count), "%s changed", pa->name);
            continue;
        }
        edges++;
        int Vp = (int)pa->dims[1];
        float lo = pa->data[0], hi = pa->data[0];
        for (int e = 0; e < Vp * Vp; e++) {
            lo = fminf(lo, pa->data[e]);
            hi = fmaxf(hi, pa->data[e]);
        }
        double delta = po->thresh * fabs((double)hi - (double)lo);
        for (int64_t e = 0; e < pa->count; e++) {
            int k = (int)(e / (Vp * Vp)), i = (int)(e / Vp % Vp), j = (int)(e % Vp), sel = 0;
            for (int q = 0; q < nj; q++) sel |= k == 0 && i == joints[q] && j == joints[q];
            float want = sel ? (float)perturb_value(pa->data[e], delta, po) : pa->data[e];
            changed += pa->data[e] != pb->data[e];
            wrong += want != pb->data[e];
        }
    }
    EXPECT(edges >= 4, "only %d edge tensors", edges);
    EXPECT(changed == edges * nj, "%d entries changed, expected %d (E[0,j,j] of %d joints in %d layers)", changed,
           edges * nj, nj, edges);
    EXPECT(wrong == 0, "%d entries differ from RULES.md's perturbation", wrong);
    model_free(&a);
    model_free(&b);
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "/tmp/dshap_perturb_XXXXXX");
    if (!mkdtemp(dir)) tl_skip("no temporary directory");
    snprintf(model_path, sizeof model_path, "%s/m.h5", dir);
    snprintf(data_path, sizeof data_path, "%s/x.h5", dir);
    snprintf(scores_path, sizeof scores_path, "%s/s.h5", dir);
    snprintf(out_path, sizeof out_path, "%s/c.h5", dir);
    snprintf(saved_path, sizeof saved_path, "%s/pm.h5", dir);
    setup(argc > 1 ? argv[1] : "tests/fixtures");

    /* rule values */
    perturb_opts amp = {PM_AMPLIFY, 0.5, PR_ORIGINAL, 0}, tz = {PM_TOWARD_ZERO, 0.5, PR_ORIGINAL, 0},
                 tzc = {PM_TOWARD_ZERO, 0.5, PR_ORIGINAL, 1}, zo = {PM_ZERO_OUT, 0.5, PR_ORIGINAL, 0};
    EXPECT(perturb_value(0.8, 0.3, &amp) == 1.1 && perturb_value(-0.8, 0.3, &amp) == -1.1, "amplify");
    EXPECT(fabs(perturb_value(0.2, 0.3, &tz) + 0.1) < 1e-15 && fabs(perturb_value(-0.2, 0.3, &tz) - 0.1) < 1e-15,
           "toward zero crosses 0 (published switch_sign)");
    EXPECT(perturb_value(0.2, 0.3, &tzc) == 1e-5 && perturb_value(-0.2, 0.3, &tzc) == -1e-5, "toward zero, clamped");
    EXPECT(perturb_value(3.0, 0.3, &zo) == 1e-5, "zero-out");

    perturb_job_opts o = base();
    o.save_model = saved_path;
    EXPECT_OK(perturb_job_run(&o));
    /* joint sets: the 3 highest positive mean scores: joints 24, 21, 18 */
    h5file f;
    int32_t *jo = NULL;
    int64_t dj[3] = {1, 3, 3};
    EXPECT_OK(h5io_open_any(&f, out_path));
    EXPECT_OK(h5io_read_i32(&f, "/top/joints", 3, dj, &jo));
    h5io_close(&f);
    if (jo) {
        EXPECT(jo[6] == 24 && jo[7] == 21 && jo[8] == 18, "top-3 set %d %d %d, expected 24 21 18", jo[6], jo[7], jo[8]);
        int set[3] = {jo[6], jo[7], jo[8]};
        check_saved_model(set, 3, &o.p);
    }
    double *top = read_vec(out_path, "/top/metric", 3), *bot = read_vec(out_path, "/bottom/metric", 3);
    double direct = accuracy(saved_path, x, y);
    EXPECT(top && fabs(top[2] - direct) < 1e-12, "curve top k=3 %.6f, direct forward %.6f", top ? top[2] : -1, direct);
    printf("accuracy: unperturbed 1.0, top k=1..3 %.2f %.2f %.2f, bottom %.2f %.2f %.2f, direct k=3 %.2f\n",
           top ? top[0] : -1, top ? top[1] : -1, top ? top[2] : -1, bot ? bot[0] : -1, bot ? bot[1] : -1,
           bot ? bot[2] : -1, direct);
    EXPECT(top && top[2] < 1.0, "amplifying 3 joints changed no prediction (test not sensitive)");
    double *rnd = read_vec(out_path, "/random/metric", 3);

    /* bottom set model: the 3 lowest mean scores (most negative: 23, 22, 20) */
    o = base();
    o.select[SEL_TOP] = o.select[SEL_RANDOM] = 0;
    o.save_model = saved_path;
    o.p.mode = PM_TOWARD_ZERO;
    o.p.thresh = 0.3;
    EXPECT_OK(perturb_job_run(&o));
    int bset[3] = {23, 22, 20};
    check_saved_model(bset, 3, &o.p);
    double *b2 = read_vec(out_path, "/bottom/metric", 3);
    EXPECT(b2 && fabs(b2[2] - accuracy(saved_path, x, y)) < 1e-12, "bottom curve vs direct forward");

    /* per-sample sets: every sample has the same ranking here, so the same curve */
    o = base();
    o.per_sample = 1;
    o.select[SEL_RANDOM] = 0;
    EXPECT_OK(perturb_job_run(&o));
    double *pt = read_vec(out_path, "/top/metric", 3), *pb = read_vec(out_path, "/bottom/metric", 3);
    for (int k = 0; k < 3 && pt && top && pb && bot; k++)
        EXPECT(pt[k] == top[k] && pb[k] == bot[k], "per-sample k=%d: %.3f/%.3f vs global %.3f/%.3f", k + 1, pt[k], pb[k],
               top[k], bot[k]);

    /* agreement with the unperturbed predictions: here the labels are those predictions */
    o = base();
    o.select[SEL_BOTTOM] = o.select[SEL_RANDOM] = 0;
    o.metric = MET_AGREEMENT;
    EXPECT_OK(perturb_job_run(&o));
    double *ag = read_vec(out_path, "/top/metric", 3);
    for (int k = 0; k < 3 && ag && top; k++) EXPECT(ag[k] == top[k], "agreement k=%d %.3f vs accuracy %.3f", k + 1, ag[k], top[k]);
    dshap_free(ag);

    /* random: same seed, same curve */
    o = base();
    o.select[SEL_TOP] = o.select[SEL_BOTTOM] = 0;
    EXPECT_OK(perturb_job_run(&o));
    double *r2 = read_vec(out_path, "/random/metric", 3);
    for (int k = 0; k < 3 && rnd && r2; k++) EXPECT(rnd[k] == r2[k], "random curve not reproducible at k=%d", k + 1);

    /* errors: k > V, no positive score for top */
    o = base();
    o.ks[2] = 30;
    EXPECT(perturb_job_run(&o) != DSHAP_OK && strstr(dshap_last_error(), "larger than"), "k > V: %s", dshap_last_error());
    h5file sf;
    EXPECT_OK(h5io_create(&sf, scores_path, H5P_DEFAULT));
    float neg[N * V];
    for (int e = 0; e < N * V; e++) neg[e] = -1.0f - (float)(e % V);
    int64_t ds[2] = {N, V};
    EXPECT_OK(h5io_write_f32(&sf, "/scores", 2, ds, neg));
    h5io_close(&sf);
    o = base();
    EXPECT(perturb_job_run(&o) != DSHAP_OK && strstr(dshap_last_error(), "positive"), "no positive joint: %s",
           dshap_last_error());

    dshap_free(top);
    dshap_free(bot);
    dshap_free(rnd);
    dshap_free(b2);
    dshap_free(pt);
    dshap_free(pb);
    dshap_free(r2);
    dshap_free(jo);
    dshap_free(x);
    remove(model_path);
    remove(data_path);
    remove(scores_path);
    remove(out_path);
    remove(saved_path);
    rmdir(dir);
    return tl_finish("test_study_perturb");
}
