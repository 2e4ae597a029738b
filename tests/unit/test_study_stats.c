/* Study statistics against scipy / scikit-learn values (tests/fixtures/study/
 * stats.h5 from tests/reference/gen_study.py): Spearman's rho with ties, the
 * infant-level AUC (softmax, median per group, ROC AUC with tied medians),
 * per-joint rank medians / quartiles (dshap rank) and the correlation table
 * (dshap correlate); plus hand-computed AUC and labelled-class probability cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "io/h5io.h"
#include "study/perturb_job.h"
#include "study/rankcorr.h"
#include "study/stats.h"
#include "testlib.h"

static double worst_rho = 0, worst_auc = 0;

static void spearman_cases(h5file *f) {
    for (int i = 0; i < 5; i++) {
        char p[64];
        int64_t da = -1, db = -1;
        double *a = NULL, *b = NULL, want, got = NAN;
        snprintf(p, sizeof p, "/spearman/%d/a", i);
        EXPECT_OK(h5io_read_f64(f, p, 1, &da, &a));
        snprintf(p, sizeof p, "/spearman/%d/b", i);
        EXPECT_OK(h5io_read_f64(f, p, 1, &db, &b));
        snprintf(p, sizeof p, "/spearman/%d", i);
        EXPECT_OK(h5io_read_attr_f64(f, p, "rho", &want));
        EXPECT_OK(stats_spearman(a, b, da, &got));
        worst_rho = fmax(worst_rho, fabs(got - want));
        EXPECT(fabs(got - want) < 1e-12, "spearman case %d: %.15g vs scipy %.15g", i, got, want);
        dshap_free(a);
        dshap_free(b);
    }
}

static void auc_cases(h5file *f) {
    for (int i = 0; i < 4; i++) {
        char p[64];
        int64_t dl[2] = {-1, 2}, dn = -1, dg = -1;
        float *logits = NULL;
        int32_t *labels = NULL, *group = NULL;
        double want, got = NAN;
        snprintf(p, sizeof p, "/auc/%d/logits", i);
        EXPECT_OK(h5io_read_f32(f, p, 2, dl, &logits));
        snprintf(p, sizeof p, "/auc/%d/labels", i);
        EXPECT_OK(h5io_read_i32(f, p, 1, &dn, &labels));
        snprintf(p, sizeof p, "/auc/%d/group", i);
        EXPECT_OK(h5io_read_i32(f, p, 1, &dg, &group));
        snprintf(p, sizeof p, "/auc/%d", i);
        EXPECT_OK(h5io_read_attr_f64(f, p, "auc", &want));
        EXPECT_OK(perturb_metric(MET_AUC_GROUPED, logits, dl[0], 2, labels, group, &got));
        worst_auc = fmax(worst_auc, fabs(got - want));
        EXPECT(fabs(got - want) < 1e-12, "AUC case %d: %.15g vs sklearn %.15g", i, got, want);
        dshap_free(logits);
        dshap_free(labels);
        dshap_free(group);
    }
}

static void auc_by_hand(void) {
    double s[6] = {0.1, 0.4, 0.35, 0.8, 0.7, 0.2};
    int y[6] = {0, 0, 1, 1, 1, 0}, yy[6] = {0, 0, 0, 0, 0, 0};
    double auc;
    /* positives 0.35 0.8 0.7 vs negatives 0.1 0.4 0.2: 8 of 9 pairs ordered */
    EXPECT_OK(stats_auc(s, y, 6, &auc));
    EXPECT(fabs(auc - 8.0 / 9.0) < 1e-15, "hand AUC %.17g, expected 8/9", auc);
    double t[4] = {0.5, 0.5, 0.5, 0.5};
    int yt[4] = {0, 1, 0, 1};
    EXPECT_OK(stats_auc(t, yt, 4, &auc));
    EXPECT(auc == 0.5, "all-tied AUC %.17g, expected 0.5", auc);
    double u[4] = {1, 2, 3, 4};
    int up[4] = {0, 0, 1, 1}, dn[4] = {1, 1, 0, 0};
    EXPECT_OK(stats_auc(u, up, 4, &auc));
    EXPECT(auc == 1.0, "separable AUC %.17g", auc);
    EXPECT_OK(stats_auc(u, dn, 4, &auc));
    EXPECT(auc == 0.0, "reversed AUC %.17g", auc);
    EXPECT_OK(stats_auc(s, yy, 6, &auc));
    EXPECT(isnan(auc), "one-class AUC should be NaN, got %g", auc);
    /* one tie across classes: positive 0.4 vs negative 0.4 counts half: (1 + 0.5 + 1 + 1) / 4 */
    double w[4] = {0.4, 0.9, 0.4, 0.1};
    int yw[4] = {1, 1, 0, 0};
    EXPECT_OK(stats_auc(w, yw, 4, &auc));
    EXPECT(fabs(auc - 0.875) < 1e-15, "tie AUC %.17g, expected 0.875", auc);
    /* grouped: windows of a group with two labels are refused */
    float lg[4] = {0, 1, 0, 1};
    int32_t lab[2] = {0, 1}, grp[2] = {7, 7};
    EXPECT(perturb_metric(MET_AUC_GROUPED, lg, 2, 2, lab, grp, &auc) != DSHAP_OK, "mixed-label group accepted");
    /* probability of the labelled class: sample 0 logits (0, ln 3) label 1 -> 3/4; sample 1 logits
     * (0, 0) label 0 -> 1/2 (also an argmax tie, which accuracy would count as class 0); mean 5/8 */
    float lp[4] = {0, (float)log(3.0), 0, 0};
    int32_t lab_p[2] = {1, 0}, bad_p[2] = {1, 2};
    double prob = NAN;
    EXPECT_OK(perturb_metric(MET_PROBABILITY, lp, 2, 2, lab_p, NULL, &prob));
    EXPECT(fabs(prob - 0.625) < 1e-7, "probability metric %.17g, expected 0.625", prob);
    EXPECT(perturb_metric(MET_PROBABILITY, lp, 2, 2, bad_p, NULL, &prob) != DSHAP_OK, "label 2 of a 2-class model accepted");
    /* ranks with ties */
    double x[5] = {3, 1, 3, 2, 3}, r[5];
    EXPECT_OK(stats_rank(x, 5, 1, r));
    EXPECT(r[0] == 2 && r[2] == 2 && r[4] == 2 && r[3] == 4 && r[1] == 5, "descending ranks %g %g %g %g %g", r[0], r[1],
           r[2], r[3], r[4]);
}

static void rank_and_correlate(const char *stats_path) {
    char tmpl[] = "/tmp/dshap_study_XXXXXX";
    char *dir = mkdtemp(tmpl);
    EXPECT(dir != NULL, "mkdtemp");
    if (!dir) return;
    char src[3][600], out[700], outc[700];
    for (int j = 0; j < 3; j++) snprintf(src[j], sizeof src[j], "s%d=%s:/scores/s%d", j, stats_path, j);
    rc_opts o = {.n_src = 3, .src = {src[0], src[1], src[2]}, .quiet = 1};
    snprintf(out, sizeof out, "%s/ranks.h5", dir);
    snprintf(outc, sizeof outc, "%s/corr.h5", dir);
    o.output = out;
    EXPECT_OK(rank_run(&o));
    o.output = outc;
    EXPECT_OK(correlate_run(&o));
    h5file r, c, ref;
    EXPECT_OK(h5io_open_read(&r, out, "dshap-ranks", 1));
    EXPECT_OK(h5io_open_read(&c, outc, "dshap-correlation", 1));
    EXPECT_OK(h5io_open_any(&ref, stats_path));
    const char *what[3] = {"median", "q1", "q3"};
    double worst = 0;
    for (int j = 0; j < 3; j++)
        for (int w = 0; w < 3; w++) {
            char p1[64], p2[64];
            int64_t d1 = 25, d2 = 25;
            double *a = NULL, *b = NULL;
            snprintf(p1, sizeof p1, "/source%d/%s", j, what[w]);
            snprintf(p2, sizeof p2, "/rank/s%d/%s", j, what[w]);
            EXPECT_OK(h5io_read_f64(&r, p1, 1, &d1, &a));
            EXPECT_OK(h5io_read_f64(&ref, p2, 1, &d2, &b));
            for (int v = 0; a && b && v < 25; v++) worst = fmax(worst, fabs(a[v] - b[v]));
            dshap_free(a);
            dshap_free(b);
        }
    EXPECT(worst < 1e-12, "rank medians/quartiles differ from numpy by %.3g", worst);
    const char *mats[2] = {"/rho", "/rho_sample"}, *refm[2] = {"/corr/rho", "/corr/rho_sample"};
    for (int k = 0; k < 2; k++) {
        int64_t d1[2] = {3, 3}, d2[2] = {3, 3};
        double *a = NULL, *b = NULL, e = 0;
        EXPECT_OK(h5io_read_f64(&c, mats[k], 2, d1, &a));
        EXPECT_OK(h5io_read_f64(&ref, refm[k], 2, d2, &b));
        for (int i = 0; a && b && i < 9; i++) e = fmax(e, fabs(a[i] - b[i]));
        worst_rho = fmax(worst_rho, e);
        EXPECT(e < 1e-12, "%s differs from scipy by %.3g", mats[k], e);
        dshap_free(a);
        dshap_free(b);
    }
    h5io_close(&r);
    h5io_close(&c);
    h5io_close(&ref);
    /* bad sources: one clear error each, no output */
    char bad[700], missing[700];
    snprintf(bad, sizeof bad, "x=%s:/scores/nothing", stats_path);
    snprintf(missing, sizeof missing, "%s/never.h5", dir);
    rc_opts ob = {.n_src = 2, .src = {src[0], bad}, .output = missing, .quiet = 1};
    EXPECT(correlate_run(&ob) != DSHAP_OK && strstr(dshap_last_error(), "no dataset"), "missing dataset: %s",
           dshap_last_error());
    EXPECT(access(missing, F_OK) != 0, "output written after an error");
    remove(out);
    remove(outc);
    rmdir(dir);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    char path[1024];
    snprintf(path, sizeof path, "%s/study/stats.h5", dir);
    h5file f;
    EXPECT_OK(h5io_open_read(&f, path, "dshap-stats-fixture", 1));
    spearman_cases(&f);
    auc_cases(&f);
    h5io_close(&f);
    auc_by_hand();
    rank_and_correlate(path);
    printf("worst |rho - scipy| %.3g, worst |AUC - sklearn| %.3g\n", worst_rho, worst_auc);
    return tl_finish("test_study_stats");
}
