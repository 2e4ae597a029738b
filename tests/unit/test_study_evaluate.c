/* dshap evaluate against tests/reference/gen_evaluate.py (numpy, scikit-learn,
 * PyTorch float64): recovery AUC and precision@k with ties (every tie order
 * enumerated there), the relative change of RIS/ROS with zero entries, and a
 * whole run on the planted NTU model (freeze PGI/PGU, RIS/ROS over jittered
 * copies); plus hand cases, the jitter's statistics and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "io/h5io.h"
#include "study/evaluate.h"
#include "study/evaluate_job.h"
#include "testlib.h"

static void recovery_cases(h5file *f) {
    int64_t d[2] = {-1, -1}, dt[2] = {-1, -1}, dn = -1, dk = -1;
    double *sc = NULL, *auc = NULL, *prec = NULL, worst = 0;
    int32_t *tr = NULL, *ks = NULL;
    EXPECT_OK(h5io_read_f64(f, "/recovery/scores", 2, d, &sc));
    EXPECT_OK(h5io_read_i32(f, "/recovery/truth", 2, dt, &tr));
    EXPECT_OK(h5io_read_i32(f, "/recovery/k", 1, &dk, &ks));
    EXPECT_OK(h5io_read_f64(f, "/recovery/auc", 1, &dn, &auc));
    EXPECT_OK(h5io_read_f64(f, "/recovery/precision", 1, &dn, &prec));
    if (!sc || !tr || !ks || !auc || !prec) return;
    int V = (int)d[1];
    for (int64_t i = 0; i < d[0]; i++) {
        unsigned char t[64];
        for (int v = 0; v < V; v++) t[v] = (unsigned char)tr[i * V + v];
        double p = NAN, a = NAN;
        EXPECT_OK(eval_recovery(sc + i * V, t, V, ks[i], &p, &a));
        worst = fmax(worst, fmax(fabs(a - auc[i]), fabs(p - prec[i])));
        EXPECT(fabs(a - auc[i]) < 1e-12, "recovery %lld: AUC %.15g vs sklearn %.15g", (long long)i, a, auc[i]);
        EXPECT(fabs(p - prec[i]) < 1e-12, "recovery %lld: precision@%d %.15g vs enumerated %.15g", (long long)i, ks[i], p,
               prec[i]);
    }
    printf("recovery: %lld cases, worst difference %.3g\n", (long long)d[0], worst);
    dshap_free(sc);
    dshap_free(tr);
    dshap_free(ks);
    dshap_free(auc);
    dshap_free(prec);
}

static void recovery_by_hand(void) {
    /* planted {0, 1}; scores 3 > 2 = 2 > 1: the tie at positions 2-3 holds one
     * planted joint, so precision@2 = (1 + 1/2) / 2; AUC = (1 + 1 + 1 + 0.5) / 4. */
    double s[4] = {3, 2, 2, 1}, p, a;
    unsigned char t[4] = {1, 1, 0, 0};
    EXPECT_OK(eval_recovery(s, t, 4, 0, &p, &a));
    EXPECT(fabs(p - 0.75) < 1e-15 && fabs(a - 0.875) < 1e-15, "by hand: precision %g (0.75), AUC %g (0.875)", p, a);
    unsigned char none[4] = {0};
    EXPECT_OK(eval_recovery(s, none, 4, 0, &p, &a));
    EXPECT(isnan(p) && isnan(a), "an empty planted set gives NaN, got %g %g", p, a);
    EXPECT(eval_recovery(s, t, 4, 5, &p, &a) != DSHAP_OK, "precision@5 of 4 joints accepted");
    double r = eval_stability_ratio(2.0, 0.0);
    EXPECT(fabs(r - 2e6) < 1e-6, "ratio with no input change divides by eps_min: %g", r);
}

static void stability_cases(h5file *f) {
    for (int i = 0; i < 4; i++) {
        char p[64];
        int64_t da = -1, db = -1;
        double *a = NULL, *b = NULL, want = NAN;
        snprintf(p, sizeof p, "/stability/%d/a", i);
        EXPECT_OK(h5io_read_f64(f, p, 1, &da, &a));
        snprintf(p, sizeof p, "/stability/%d/b", i);
        EXPECT_OK(h5io_read_f64(f, p, 1, &db, &b));
        snprintf(p, sizeof p, "/stability/%d", i);
        EXPECT_OK(h5io_read_attr_f64(f, p, "rel", &want));
        if (!a || !b) return;
        double got = eval_rel_change(a, b, da);
        EXPECT(fabs(got - want) <= 1e-12 * want, "stability %d: rel %.15g vs numpy %.15g", i, got, want);
        dshap_free(a);
        dshap_free(b);
    }
}

/* |got - want| within abs + rel * |want|; NaN must match NaN. */
static double compare(const char *what, const double *got, const double *want, int64_t n, double abs_tol, double rel_tol) {
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i]) || isnan(got[i])) {
            EXPECT(isnan(want[i]) && isnan(got[i]), "%s[%lld]: %g vs reference %g", what, (long long)i, got[i], want[i]);
            continue;
        }
        double e = fabs(got[i] - want[i]);
        worst = fmax(worst, e / (abs_tol + rel_tol * fabs(want[i])));
        EXPECT(e <= abs_tol + rel_tol * fabs(want[i]), "%s[%lld]: %.9g vs reference %.9g", what, (long long)i, got[i],
               want[i]);
    }
    return worst;
}

static void whole_run(const char *dir, const char *fixture, const char *tmpdir) {
    char data[1024], copies[1024], model[1024], src[1100], psrc[1100], out[1024], csv[1024];
    snprintf(data, sizeof data, "%s/study/evaluate_data.h5", dir);
    snprintf(copies, sizeof copies, "%s/study/evaluate_copies.h5", dir);
    snprintf(model, sizeof model, "%s/planted/ntu/model.h5", dir);
    snprintf(src, sizeof src, "R=%s:/run/scores", fixture);
    snprintf(psrc, sizeof psrc, "%s:/run/scores_perturbed", fixture);
    snprintf(out, sizeof out, "%s/eval.h5", tmpdir);
    snprintf(csv, sizeof csv, "%s/eval.csv", tmpdir);
    evaluate_opts o = {.data = data, .n_sources = 1, .sources = {src}, .model = model, .pg_k = 3, .pg_freeze = 1,
                       .repeats = 8, .perturbed = copies, .perturbed_sources = {psrc}, .n_perturbed_sources = 1,
                       .output = out, .csv = csv, .quiet = 1};
    EXPECT_OK(evaluate_run(&o));
    h5file g, f;
    EXPECT_OK(h5io_open_read(&g, out, "dshap-evaluation", 1));
    EXPECT_OK(h5io_open_read(&f, fixture, "dshap-evaluate-fixture", 1));
    static const char *const mine[6] = {"/recovery/auc", "/recovery/precision", "/pgi", "/pgu", "/ris", "/ros"};
    static const char *const ref[6] = {"/run/auc", "/run/precision", "/run/pgi", "/run/pgu", "/run/ris", "/run/ros"};
    /* Tolerances: recovery is exact arithmetic on the same scores; PGI/PGU
     * compare float32 forwards with PyTorch's float64 (measured 2e-8);
     * RIS/ROS divide by small input / probability changes (measured 1e-6
     * relative). */
    static const double abs_tol[6] = {1e-12, 1e-12, 1e-6, 1e-6, 0, 0}, rel_tol[6] = {0, 0, 0, 0, 1e-4, 1e-4};
    for (int q = 0; q < 6; q++) {
        int64_t d2[2] = {1, -1}, d1 = -1;
        double *got = NULL, *want = NULL;
        EXPECT_OK(h5io_read_f64(&g, mine[q], 2, d2, &got));
        EXPECT_OK(h5io_read_f64(&f, ref[q], 1, &d1, &want));
        if (got && want) {
            EXPECT(d2[1] == d1, "%s: %lld samples, reference %lld", mine[q], (long long)d2[1], (long long)d1);
            double w = compare(mine[q], got, want, d1 < d2[1] ? d1 : d2[1], abs_tol[q], rel_tol[q]);
            printf("run %-20s worst error / tolerance %.3g\n", mine[q], w);
        }
        dshap_free(got);
        dshap_free(want);
    }
    h5io_close(&g);
    h5io_close(&f);
    EXPECT(access(csv, F_OK) == 0, "no CSV written");
    remove(out);
    remove(csv);
}

/* Freeze curves: top / bottom accuracy against the reference (random draws
 * use dshap's generator and are checked only for their shape). */
static void freeze_curves(const char *dir, const char *fixture, const char *tmpdir) {
    char data[1024], model[1024], src[1100], out[1024], curves[1024];
    snprintf(data, sizeof data, "%s/study/evaluate_data.h5", dir);
    snprintf(model, sizeof model, "%s/planted/ntu/model.h5", dir);
    snprintf(src, sizeof src, "C=%s:/curve/scores", fixture);
    snprintf(out, sizeof out, "%s/evalc.h5", tmpdir);
    snprintf(curves, sizeof curves, "%s/curves.h5", tmpdir);
    evaluate_opts o = {.data = data, .n_sources = 1, .sources = {src}, .model = model, .pg_k = 3, .pg_freeze = 1,
                       .repeats = 2, .curve_k = 3, .curves_out = curves, .output = out, .quiet = 1};
    EXPECT_OK(evaluate_run(&o));
    h5file g, f;
    EXPECT_OK(h5io_open_read(&g, curves, "dshap-curves", 1));
    EXPECT_OK(h5io_open_read(&f, fixture, "dshap-evaluate-fixture", 1));
    static const char *const sel[2] = {"top", "bottom"};
    for (int s = 0; s < 2; s++) {
        char p[64], q[64];
        int64_t a = 3, b = 3;
        double *got = NULL, *want = NULL;
        snprintf(p, sizeof p, "/%s/metric", sel[s]);
        snprintf(q, sizeof q, "/curve/%s", sel[s]);
        EXPECT_OK(h5io_read_f64(&g, p, 1, &a, &got));
        EXPECT_OK(h5io_read_f64(&f, q, 1, &b, &want));
        if (got && want) compare(p, got, want, 3, 1e-12, 0);
        dshap_free(got);
        dshap_free(want);
    }
    int64_t d2[2] = {2, 3};
    double *runs = NULL;
    EXPECT_OK(h5io_read_f64(&g, "/random/runs", 2, d2, &runs));
    dshap_free(runs);
    h5io_close(&g);
    h5io_close(&f);
    remove(out);
    remove(curves);
}

static void jitter_and_refusals(const char *dir, const char *tmpdir) {
    char data[1024], out[1024], missing[1024], src[1100];
    snprintf(data, sizeof data, "%s/study/evaluate_data.h5", dir);
    snprintf(out, sizeof out, "%s/jit.h5", tmpdir);
    jitter_opts j = {.data = data, .output = out, .sigma = 0.005, .copies = 3, .seed = 7};
    EXPECT_OK(evaluate_jitter(&j));
    h5file a, b;
    EXPECT_OK(h5io_open_read(&a, data, "dshap-data", 1));
    EXPECT_OK(h5io_open_read(&b, out, "dshap-data", 1));
    int64_t da[5] = {-1, -1, -1, -1, -1}, db[5] = {-1, -1, -1, -1, -1}, dy = -1, dyb = -1;
    float *x = NULL, *xj = NULL;
    int32_t *y = NULL, *yj = NULL;
    EXPECT_OK(h5io_read_f32(&a, "/x", 5, da, &x));
    EXPECT_OK(h5io_read_f32(&b, "/x", 5, db, &xj));
    EXPECT_OK(h5io_read_i32(&a, "/y", 1, &dy, &y));
    EXPECT_OK(h5io_read_i32(&b, "/y", 1, &dyb, &yj));
    if (x && xj && y && yj) {
        EXPECT(db[0] == 3 * da[0], "jitter: %lld rows for %lld samples x 3", (long long)db[0], (long long)da[0]);
        int64_t S = da[1] * da[2] * da[3] * da[4];
        double ss = 0, s = 0;
        int64_t n = 0;
        for (int64_t i = 0; i < da[0]; i++)
            for (int p = 0; p < 3; p++) {
                EXPECT(yj[i * 3 + p] == y[i], "jitter: label of copy %d of %lld changed", p, (long long)i);
                for (int64_t e = 0; e < S; e++) {
                    double dlt = (double)xj[(i * 3 + p) * S + e] - x[i * S + e];
                    s += dlt, ss += dlt * dlt, n++;
                }
            }
        double mean = s / n, sd = sqrt(ss / n - mean * mean);
        /* n ~ 9000 draws: the sample sd is within 3 % of 5 mm with overwhelming probability */
        EXPECT(fabs(sd - 0.005) < 1.5e-4 && fabs(mean) < 1.5e-4, "jitter: noise mean %g sd %g, expected 0 and 0.005", mean, sd);
        printf("jitter: %lld draws, mean %.2e, sd %.5f (0.005)\n", (long long)n, mean, sd);
    }
    dshap_free(x);
    dshap_free(xj);
    dshap_free(y);
    dshap_free(yj);
    h5io_close(&a);
    h5io_close(&b);
    /* Refusals: no /planted and no model -> nothing to evaluate; wrong joint
     * count; no output left behind. */
    snprintf(missing, sizeof missing, "%s/none.h5", tmpdir);
    snprintf(src, sizeof src, "%s:/x", out);
    evaluate_opts o = {.data = out, .n_sources = 1, .sources = {src}, .output = missing, .quiet = 1};
    EXPECT(evaluate_run(&o) != DSHAP_OK, "a data file without /planted and no --model was accepted");
    EXPECT(strstr(dshap_last_error(), "nothing to evaluate") != NULL, "message: %s", dshap_last_error());
    EXPECT(access(missing, F_OK) != 0, "output written after an error");
    remove(out);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    char path[1024], tmpdir[] = "/tmp/dshap_evaluate_XXXXXX";
    snprintf(path, sizeof path, "%s/study/evaluate.h5", dir);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    h5file f;
    EXPECT_OK(h5io_open_read(&f, path, "dshap-evaluate-fixture", 1));
    recovery_cases(&f);
    stability_cases(&f);
    h5io_close(&f);
    recovery_by_hand();
    whole_run(dir, path, tmpdir);
    freeze_curves(dir, path, tmpdir);
    jitter_and_refusals(dir, tmpdir);
    rmdir(tmpdir);
    return tl_finish("test_study_evaluate");
}
