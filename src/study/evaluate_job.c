#include "study/evaluate_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "data/features.h"
#include "engine/forward.h"
#include "io/data_file.h"
#include "io/data_write.h"
#include "io/inputs.h"
#include "study/evaluate.h"
#include "study/perturb_job.h"
#include "study/scores.h"
#include "study/stats.h"
#include "study/util.h"

#define EVAL_FORMAT "dshap-evaluation"

typedef struct {
    h5file f;
    data_info info;
    float *x;        /* (N, C, T, V, M) raw */
    int32_t *y;      /* (N) or NULL */
    int32_t *planted; /* (N, V) or NULL */
    int32_t *group;   /* (N) or NULL */
} raw_data;

static dshap_status raw_open(raw_data *d, const char *path, int want_planted) {
    memset(d, 0, sizeof *d);
    TRY(h5io_open_read(&d->f, path, DATA_FORMAT, DATA_FORMAT_VERSION));
    dshap_status st = DSHAP_OK;
    CHECK(data_file_info(&d->f, &d->info));
    int64_t dx[5] = {d->info.N, d->info.C, d->info.T, d->info.V, d->info.M}, dy[1] = {d->info.N};
    CHECK(h5io_read_f32(&d->f, "/x", 5, dx, &d->x));
    for (int64_t e = 0; e < d->info.N * d->info.C * d->info.T * d->info.V * d->info.M; e++)
        if (!isfinite(d->x[e])) CHECK_FAIL(DSHAP_EFORMAT, "%s: /x has a non-finite value (element %lld)", path, (long long)e);
    if (h5io_exists(&d->f, "/y")) CHECK(h5io_read_i32(&d->f, "/y", 1, dy, &d->y));
    if (h5io_exists(&d->f, "/group")) CHECK(h5io_read_i32(&d->f, "/group", 1, dy, &d->group));
    if (want_planted && h5io_exists(&d->f, "/planted")) {
        int64_t dp[2] = {d->info.N, d->info.V};
        CHECK(h5io_read_i32(&d->f, "/planted", 2, dp, &d->planted));
    }
    return DSHAP_OK;
done:
    return st;
}

static void raw_close(raw_data *d) {
    dshap_free(d->x);
    dshap_free(d->y);
    dshap_free(d->planted);
    dshap_free(d->group);
    if (d->f.id > 0) h5io_close(&d->f);
    memset(d, 0, sizeof *d);
}

typedef struct {
    dshap_net *net;
    net_acts acts;
    int block, C, T_raw, M;
    int features;    /* the model takes J/V/B/A features (ShapGCN), else raw joints */
    int64_t raw_size, F;
    float *feat;     /* (block, F): the model input */
} forwarder;

/* Logits (n, K) of raw samples (n, C, T_raw, V, M), n <= block per call. */
static dshap_status fw_logits(forwarder *fw, const float *raw, int64_t n, float *logits) {
    int K = fw->net->arch.num_class;
    for (int64_t i0 = 0; i0 < n; i0 += fw->block) {
        int64_t b = n - i0 < fw->block ? n - i0 : fw->block;
        const float *x = raw + i0 * fw->raw_size;
        int T = fw->net->arch.num_frames;
        int64_t VM = (int64_t)fw->net->arch.layout->V * fw->M;
        if (fw->features) TRY(features_compute(fw->feat, x, b, fw->net->arch.layout, fw->C, fw->T_raw, T, fw->M));
        else /* raw joints: the first T frames */
            for (int64_t r = 0; r < b * fw->C; r++)
                memcpy(fw->feat + r * T * VM, x + r * fw->T_raw * VM, sizeof(float) * (size_t)(T * VM));
        TRY(net_forward_cpu(fw->net, &fw->acts, fw->feat, b));
        memcpy(logits + i0 * K, fw->acts.y[fw->net->out], sizeof(float) * (size_t)(b * K));
    }
    return DSHAP_OK;
}

static int argmax(const float *z, int K) {
    int b = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[b]) b = k;
    return b;
}

/* Person m is present at frame t of x (C, T, V, M) when any coordinate is
 * nonzero (FORMATS.md's test for an empty frame). */
static int frame_present(const float *x, int C, int T, int V, int M, int t, int m) {
    for (int c = 0; c < C; c++)
        for (int v = 0; v < V; v++)
            if (x[(((int64_t)c * T + t) * V + v) * M + m] != 0) return 1;
    return 0;
}

/* dst = x (C, T, V, M) with the joints of sel held, per coordinate and
 * person, at their mean over the person's present frames. */
static void freeze_joints(float *dst, const float *x, int C, int T, int V, int M, const unsigned char *sel) {
    for (int m = 0; m < M; m++)
        for (int v = 0; v < V; v++) {
            if (!sel[v]) continue;
            for (int cc = 0; cc < C; cc++) {
                double sum = 0;
                int n = 0;
                for (int t = 0; t < T; t++)
                    if (frame_present(x, C, T, V, M, t, m)) sum += x[(((int64_t)cc * T + t) * V + v) * M + m], n++;
                for (int t = 0; t < T && n; t++)
                    if (frame_present(x, C, T, V, M, t, m)) dst[(((int64_t)cc * T + t) * V + v) * M + m] = (float)(sum / n);
            }
        }
}

typedef struct {
    double s;
    int v;
} joint_score;
static int js_desc(const void *pa, const void *pb) {
    const joint_score *a = pa, *b = pb;
    if (a->s != b->s) return a->s > b->s ? -1 : 1;
    return a->v - b->v;
}

/* Per-source rows of the results: (S, N) each; NaN where undefined. */
typedef struct {
    double *auc, *prec, *pgi, *pgu, *ris, *ros;
} results;

static void mean_finite(const double *x, int64_t n, double *mean, double *sd, int64_t *count) {
    double s = 0, ss = 0;
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i])) s += x[i], c++;
    *mean = c ? s / (double)c : NAN;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = c > 1 ? sqrt(ss / (double)(c - 1)) : 0;
    *count = c;
}

static dshap_status median_finite(const double *x, int64_t n, double *med) {
    double *b = NULL;
    int64_t c = 0;
    TRY(dshap_calloc((void **)&b, (size_t)(n ? n : 1), sizeof *b, "values"));
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i])) b[c++] = x[i];
    dshap_status st = c ? stats_median(b, c, med) : DSHAP_OK;
    if (!c) *med = NAN;
    dshap_free(b);
    return st;
}

/* PGI / PGU of one sample for one source: joints ordered by score, noise of
 * repeat r drawn for every coordinate from (seed, sample, r) — the same draws
 * for every source, so sources differ only in the joints they pick. Freeze:
 * one deterministic copy, each picked joint held at its mean over the
 * person's present frames (its motion removed, not new motion added). */
static dshap_status prediction_gaps(forwarder *fw, const evaluate_opts *o, const float *x, int64_t i, const double *score,
                                    int V, const double *p0, int c, float *xb, float *logits, double *pgi, double *pgu) {
    int C = fw->C, T = fw->T_raw, M = fw->M, K = fw->net->arch.num_class, R = o->pg_freeze ? 1 : o->repeats, kk = o->pg_k;
    joint_score js[LAYOUT_MAX_V];
    unsigned char sel[2][LAYOUT_MAX_V] = {{0}};
    for (int v = 0; v < V; v++) js[v] = (joint_score){score[v], v};
    qsort(js, (size_t)V, sizeof *js, js_desc);
    for (int q = 0; q < kk; q++) sel[0][js[q].v] = 1, sel[1][js[V - 1 - q].v] = 1;
    for (int r = 0; r < R; r++) {
        rng_t rng;
        rng_seed(&rng, o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0xD1B54A32D192ED03ull + (uint64_t)r + 1);
        float *a = xb + (int64_t)r * fw->raw_size, *b = xb + (int64_t)(R + r) * fw->raw_size;
        memcpy(a, x, sizeof(float) * (size_t)fw->raw_size);
        memcpy(b, x, sizeof(float) * (size_t)fw->raw_size);
        if (o->pg_freeze) {
            freeze_joints(a, x, C, T, V, M, sel[0]);
            freeze_joints(b, x, C, T, V, M, sel[1]);
            continue;
        }
        for (int t = 0; t < T; t++)
            for (int m = 0; m < M; m++) {
                int present = frame_present(x, C, T, V, M, t, m); /* an absent person's frame stays zero */
                for (int cc = 0; cc < C; cc++)
                    for (int v = 0; v < V; v++) {
                        double z = rng_normal(&rng) * o->pg_sigma;
                        int64_t e = (((int64_t)cc * T + t) * V + v) * M + m;
                        if (!present) continue;
                        if (sel[0][v]) a[e] = (float)(x[e] + z);
                        if (sel[1][v]) b[e] = (float)(x[e] + z);
                    }
            }
    }
    TRY(fw_logits(fw, xb, 2 * R, logits));
    double gi = 0, gu = 0, p[STUDY_MAX_CLASSES];
    for (int r = 0; r < R; r++) {
        eval_softmax(logits + (int64_t)r * K, K, p);
        gi += fabs(p0[c] - p[c]);
        eval_softmax(logits + (int64_t)(R + r) * K, K, p);
        gu += fabs(p0[c] - p[c]);
    }
    *pgi = gi / R;
    *pgu = gu / R;
    return DSHAP_OK;
}

/* Freeze curves (see evaluate_opts.curve_k), written as dshap perturb's
 * curves file (format dshap-curves: /k, /baseline, /<select>/{metric, sd,
 * runs}) and CSV, so dshap plot perturb and the study's tables read them. */
static dshap_status freeze_curves(forwarder *fw, const evaluate_opts *o, const raw_data *d, const double *joint,
                                  const char *label) {
    int64_t N = d->info.N, rs = fw->raw_size;
    int C = d->info.C, T = d->info.T, V = d->info.V, M = d->info.M, K = fw->net->arch.num_class, nk = o->curve_k;
    metric_kind mk = o->curve_metric;
    float *xb = NULL, *lg = NULL;
    double *runs[3] = {NULL}, base = NAN;
    dshap_status st = DSHAP_OK;
    if (nk > V || nk > 64) FAIL(DSHAP_EINVAL, "--curve-k %d: the data have %d joints (at most 64)", nk, V);
    if (!d->y) FAIL(DSHAP_EINVAL, "%s: freeze curves need labels (/y)", o->data);
    CHECK(dshap_alloc_floats(&xb, (size_t)(N * rs), "frozen samples"));
    CHECK(dshap_alloc_floats(&lg, (size_t)(N * K), "logits"));
    CHECK(fw_logits(fw, d->x, N, lg));
    CHECK(perturb_metric(mk, lg, N, K, d->y, d->group, &base));
    for (int s = 0; s < 3; s++) {
        int R = s == 2 ? o->repeats : 1;
        CHECK(dshap_calloc((void **)&runs[s], (size_t)(R * nk), sizeof(double), "curve"));
        for (int r = 0; r < R; r++)
            for (int ki = 0; ki < nk; ki++) {
                for (int64_t i = 0; i < N; i++) {
                    joint_score js[LAYOUT_MAX_V];
                    unsigned char sel[LAYOUT_MAX_V] = {0};
                    for (int v = 0; v < V; v++) js[v] = (joint_score){joint[i * V + v], v};
                    if (s == 2) { /* random: a seeded permutation per (repeat, sample), its first k */
                        rng_t rng;
                        rng_seed(&rng, o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)r * 0xD1B54A32D192ED03ull + (uint64_t)i + 1);
                        for (int v = V - 1; v > 0; v--) {
                            int j = (int)rng_below(&rng, (uint64_t)v + 1);
                            joint_score t = js[v];
                            js[v] = js[j];
                            js[j] = t;
                        }
                    } else {
                        qsort(js, (size_t)V, sizeof *js, js_desc);
                    }
                    for (int q = 0; q <= ki; q++) sel[js[s == 1 ? V - 1 - q : q].v] = 1;
                    memcpy(xb + i * rs, d->x + i * rs, sizeof(float) * (size_t)rs);
                    freeze_joints(xb + i * rs, d->x + i * rs, C, T, V, M, sel);
                }
                CHECK(fw_logits(fw, xb, N, lg));
                CHECK(perturb_metric(mk, lg, N, K, d->y, d->group, &runs[s][(int64_t)r * nk + ki]));
            }
    }
    static const char *const sel_name[3] = {"top", "bottom", "random"};
    char tmp[4096];
    h5io_temp_name(o->curves_out, tmp, sizeof tmp);
    h5file f;
    CHECK(h5io_create(&f, tmp, H5P_DEFAULT));
    int32_t ks[64];
    double mean[64], sd[64];
    int64_t dk = nk;
    for (int q = 0; q < nk; q++) ks[q] = q + 1;
    st = h5io_write_attr_str(&f, "/", "format", "dshap-curves");
    if (!st) st = h5io_write_attr_int(&f, "/", "format_version", 1);
    if (!st) st = h5io_write_attr_str(&f, "/", "label", label);
    if (!st) st = h5io_write_attr_str(&f, "/", "mode", "freeze-input");
    if (!st) st = h5io_write_attr_str(&f, "/", "metric", metric_name(mk));
    if (!st) st = h5io_write_attr_str(&f, "/", "sets", "per-sample");
    if (!st) st = h5io_write_attr_int(&f, "/", "repeats", o->repeats);
    if (!st) st = h5io_write_i32(&f, "/k", 1, &dk, ks);
    if (!st) st = h5io_write_f64(&f, "/baseline", 0, NULL, &base);
    FILE *csv = NULL;
    if (!st && o->curves_csv && !(csv = fopen(o->curves_csv, "w"))) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot create", o->curves_csv);
    if (csv) fprintf(csv, "label,select,k,metric,sd,repeats,n_joints,joints\n");
    for (int s = 0; s < 3 && !st; s++) {
        int R = s == 2 ? o->repeats : 1;
        for (int q = 0; q < nk; q++) {
            double m = 0, ss = 0;
            for (int r = 0; r < R; r++) m += runs[s][(int64_t)r * nk + q] / R;
            for (int r = 0; r < R; r++) ss += (runs[s][(int64_t)r * nk + q] - m) * (runs[s][(int64_t)r * nk + q] - m);
            mean[q] = m, sd[q] = R > 1 ? sqrt(ss / (R - 1)) : 0;
            if (csv) {
                csv_field(csv, label);
                fprintf(csv, ",%s,%d,%.6f,%.6f,%d,%d,\n", sel_name[s], q + 1, m, sd[q], R, q + 1);
            }
        }
        char p[64];
        int64_t d2[2] = {R, nk};
        snprintf(p, sizeof p, "/%s/metric", sel_name[s]);
        st = h5io_write_f64(&f, p, 1, &dk, mean);
        snprintf(p, sizeof p, "/%s/sd", sel_name[s]);
        if (!st) st = h5io_write_f64(&f, p, 1, &dk, sd);
        snprintf(p, sizeof p, "/%s/runs", sel_name[s]);
        if (!st) st = h5io_write_f64(&f, p, 2, d2, runs[s]);
    }
    if (csv) {
        csv_field(csv, label);
        fprintf(csv, ",baseline,0,%.6f,0,1,0,\n", base);
        if (fclose(csv) && !st) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: write failed", o->curves_csv);
    }
    h5io_close(&f);
    if (st) remove(tmp);
    else st = h5io_commit(tmp, o->curves_out);
    if (!st && !o->quiet) {
        printf("freeze curves (%s, %s): baseline %.3f\n", label, metric_name(mk), base);
        for (int s = 0; s < 3; s++) {
            printf("  %-7s", sel_name[s]);
            for (int q = 0; q < nk; q++) {
                int R = s == 2 ? o->repeats : 1;
                double m = 0;
                for (int r = 0; r < R; r++) m += runs[s][(int64_t)r * nk + q] / R;
                printf(" %.3f", m);
            }
            printf("\n");
        }
    }
done:
    dshap_free(xb);
    dshap_free(lg);
    for (int s = 0; s < 3; s++) dshap_free(runs[s]);
    return st;
}

static dshap_status write_results(const evaluate_opts *o, char **names, int S, int64_t N, const results *r, int has[3]) {
    char tmp[4096];
    h5io_temp_name(o->output, tmp, sizeof tmp);
    h5file f;
    TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    dshap_status st = DSHAP_OK;
    int64_t d2[2] = {S, N}, d1 = S;
    CHECK(h5io_write_attr_str(&f, "/", "format", EVAL_FORMAT));
    CHECK(h5io_write_attr_int(&f, "/", "format_version", 1));
    CHECK(h5io_write_attr_str(&f, "/", "data", o->data));
    CHECK(h5io_write_attr_int(&f, "/", "k", o->k));
    CHECK(h5io_write_attr_str(&f, "/", "command_line", o->command_line ? o->command_line : ""));
    CHECK(h5io_write_strings(&f, "/sources", d1, names));
    if (has[0]) {
        CHECK(h5io_write_f64(&f, "/recovery/auc", 2, d2, r->auc));
        CHECK(h5io_write_f64(&f, "/recovery/precision", 2, d2, r->prec));
    }
    if (has[1]) {
        CHECK(h5io_write_attr_int(&f, "/", "pg_k", o->pg_k));
        CHECK(h5io_write_attr_str(&f, "/", "pg_perturb", o->pg_freeze ? "freeze" : "noise"));
        CHECK(h5io_write_attr_f64(&f, "/", "pg_sigma", o->pg_sigma));
        CHECK(h5io_write_attr_int(&f, "/", "repeats", o->repeats));
        CHECK(h5io_write_attr_int(&f, "/", "seed", (long long)o->seed));
        CHECK(h5io_write_f64(&f, "/pgi", 2, d2, r->pgi));
        CHECK(h5io_write_f64(&f, "/pgu", 2, d2, r->pgu));
    }
    if (has[2]) {
        CHECK(h5io_write_attr_str(&f, "/", "perturbed", o->perturbed));
        CHECK(h5io_write_f64(&f, "/ris", 2, d2, r->ris));
        CHECK(h5io_write_f64(&f, "/ros", 2, d2, r->ros));
    }
done:
    h5io_close(&f);
    if (st) {
        remove(tmp);
        return st;
    }
    return h5io_commit(tmp, o->output);
}

/* One CSV row per source: means (sd) over the samples where a metric is
 * defined; RIS/ROS as medians of log10 (they span decades). */
static dshap_status write_summary(const evaluate_opts *o, char **names, int S, int64_t N, const results *r, int has[3]) {
    FILE *out = NULL;
    if (o->csv && !(out = fopen(o->csv, "w"))) FAIL(DSHAP_EIO, "%s: cannot create", o->csv);
    if (out) fprintf(out, "source,n,auc,auc_sd,precision,precision_sd,pgi,pgi_sd,pgu,pgu_sd,log10_ris_median,log10_ros_median\n");
    if (!o->quiet) printf("%-28s %9s %15s %15s %15s %15s %9s %9s\n", "source", "samples", "AUC planted", "precision@k", "PGI", "PGU",
                          "lg RIS", "lg ROS");
    dshap_status st = DSHAP_OK;
    double *lg = NULL;
    CHECK(dshap_calloc((void **)&lg, (size_t)(N ? N : 1), sizeof *lg, "values"));
    for (int s = 0; s < S; s++) {
        double m[4], sd[4], med[2] = {NAN, NAN};
        int64_t c;
        const double *rows[4] = {r->auc, r->prec, r->pgi, r->pgu};
        for (int q = 0; q < 4; q++) {
            m[q] = sd[q] = NAN;
            if (has[q / 2]) mean_finite(rows[q] + (int64_t)s * N, N, &m[q], &sd[q], &c);
        }
        if (has[2])
            for (int q = 0; q < 2; q++) {
                const double *x = (q ? r->ros : r->ris) + (int64_t)s * N;
                for (int64_t i = 0; i < N; i++) lg[i] = x[i] > 0 ? log10(x[i]) : NAN;
                CHECK(median_finite(lg, N, &med[q]));
            }
        if (out) {
            csv_field(out, names[s]);
            fprintf(out, ",%lld", (long long)N);
            for (int q = 0; q < 4; q++) fprintf(out, ",%.6f,%.6f", m[q], sd[q]);
            fprintf(out, ",%.6f,%.6f\n", med[0], med[1]);
        }
        if (!o->quiet)
            printf("%-28s %9lld %7.3f+-%5.3f %7.3f+-%5.3f %7.4f+-%5.4f %7.4f+-%5.4f %9.3f %9.3f\n", names[s], (long long)N, m[0],
                   sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3], med[0], med[1]);
    }
done:
    dshap_free(lg);
    if (out && fclose(out) && !st) FAIL(DSHAP_EIO, "%s: write failed", o->csv);
    return st;
}

dshap_status evaluate_run(const evaluate_opts *o) {
    raw_data d = {0}, dp = {0};
    dshap_model m = {0};
    dshap_net net = {0};
    forwarder fw = {0};
    score_set sc = {0};
    results r = {0};
    double *joint = NULL, *pjoint = NULL, *probs = NULL, *pprobs = NULL, *xd = NULL, *xpd = NULL;
    float *logits = NULL, *plogits = NULL, *xb = NULL, *lb = NULL;
    int *pred = NULL, *ppred = NULL;
    char *names[EVAL_MAX_SOURCES] = {0};
    unsigned char *keep = NULL, *truth = NULL;
    int S = o->n_sources, has[3] = {0, o->model != NULL, o->perturbed != NULL};
    double **rows[6] = {&r.auc, &r.prec, &r.pgi, &r.pgu, &r.ris, &r.ros};
    dshap_status st = DSHAP_OK;
    CHECK(raw_open(&d, o->data, 1));
    int64_t N = d.info.N;
    int V = d.info.V, K = 0;
    has[0] = d.planted != NULL;
    if (!has[0] && !has[1] && !has[2])
        CHECK_FAIL(DSHAP_EINVAL, "%s: has no /planted joint sets, and no --model was given: nothing to evaluate", o->data);
    if (has[2] && o->n_perturbed_sources != S)
        CHECK_FAIL(DSHAP_EINVAL, "--perturbed-scores: %d given for %d --scores (one per source, in order)", o->n_perturbed_sources, S);
    size_t SN = (size_t)S * (size_t)N;
    for (int q = 0; q < 6; q++) {
        CHECK(dshap_calloc((void **)rows[q], SN ? SN : 1, sizeof(double), "results"));
        for (size_t e = 0; e < SN; e++) (*rows[q])[e] = NAN;
    }
    CHECK(dshap_calloc((void **)&joint, (size_t)(N * V), sizeof *joint, "scores"));
    CHECK(dshap_calloc((void **)&truth, (size_t)V, 1, "truth"));
    int64_t raw_size = (int64_t)d.info.C * d.info.T * d.info.V * d.info.M;
    if (has[1]) {
        CHECK(model_load(&m, o->model));
        CHECK(net_build(&net, &m));
        K = net.arch.num_class;
        if (strcmp(net.arch.layout->name, d.info.layout) || net.arch.layout->V != V)
            CHECK_FAIL(DSHAP_EINVAL, "%s: layout %s, the model %s has %s", o->data, d.info.layout, o->model, net.arch.layout->name);
        if (d.info.T < net.arch.num_frames)
            CHECK_FAIL(DSHAP_EINVAL, "%s: %d frames, the model needs %d", o->data, d.info.T, net.arch.num_frames);
        fw.net = &net;
        fw.block = 2 * o->repeats > 16 ? 2 * o->repeats : 16;
        fw.C = d.info.C, fw.T_raw = d.info.T, fw.M = d.info.M, fw.raw_size = raw_size;
        int raw_C = inputs_raw_channels(&net, &fw.features);
        if (!raw_C || raw_C != d.info.C || net.arch.num_persons != d.info.M)
            CHECK_FAIL(DSHAP_EINVAL, "%s: raw joints (N, %d, T, %d, %d); the model %s takes (N, %d, %d, %d, %d, %d), "
                       "which is not made from them", o->data, d.info.C, V, d.info.M, o->model, net.in_branches,
                       net.in_C, net.arch.num_frames, V, net.arch.num_persons);
        fw.F = net_input_floats(&net);
        CHECK(dshap_calloc((void **)&keep, (size_t)net.n_nodes, 1, "keep mask"));
        CHECK(acts_alloc(&fw.acts, &net, fw.block, keep));
        CHECK(dshap_alloc_floats(&fw.feat, (size_t)(fw.block * fw.F), "features"));
        CHECK(dshap_alloc_floats(&logits, (size_t)(N * K), "logits"));
        CHECK(dshap_calloc((void **)&probs, (size_t)(N * K), sizeof *probs, "probabilities"));
        CHECK(dshap_calloc((void **)&pred, (size_t)N, sizeof *pred, "predictions"));
        CHECK(fw_logits(&fw, d.x, N, logits));
        for (int64_t i = 0; i < N; i++) eval_softmax(logits + i * K, K, probs + i * K), pred[i] = argmax(logits + i * K, K);
        CHECK(dshap_alloc_floats(&xb, (size_t)(2 * o->repeats * raw_size), "perturbed samples"));
        CHECK(dshap_alloc_floats(&lb, (size_t)(2 * o->repeats * K), "logits"));
    }
    int64_t P = 0;
    if (has[2]) {
        CHECK(raw_open(&dp, o->perturbed, 0));
        if (dp.info.N % N || dp.info.N == 0 || dp.info.C != d.info.C || dp.info.T != d.info.T || dp.info.V != V ||
            dp.info.M != d.info.M)
            CHECK_FAIL(DSHAP_EINVAL, "%s: %lld samples of (%d, %d, %d, %d), expected copies of %s's %lld of (%d, %d, %d, %d)",
                       o->perturbed, (long long)dp.info.N, dp.info.C, dp.info.T, dp.info.V, dp.info.M, o->data, (long long)N,
                       d.info.C, d.info.T, V, d.info.M);
        P = dp.info.N / N;
        CHECK(dshap_alloc_floats(&plogits, (size_t)(dp.info.N * K), "logits"));
        CHECK(dshap_calloc((void **)&pprobs, (size_t)(dp.info.N * K), sizeof *pprobs, "probabilities"));
        CHECK(dshap_calloc((void **)&ppred, (size_t)dp.info.N, sizeof *ppred, "predictions"));
        CHECK(fw_logits(&fw, dp.x, dp.info.N, plogits));
        for (int64_t i = 0; i < dp.info.N; i++)
            eval_softmax(plogits + i * K, K, pprobs + i * K), ppred[i] = argmax(plogits + i * K, K);
        CHECK(dshap_calloc((void **)&pjoint, (size_t)(dp.info.N * V), sizeof *pjoint, "scores"));
        CHECK(dshap_calloc((void **)&xd, (size_t)raw_size, sizeof *xd, "input"));
        CHECK(dshap_calloc((void **)&xpd, (size_t)raw_size, sizeof *xpd, "input"));
    }
    for (int s = 0; s < S; s++) {
        CHECK(scores_load(&sc, o->sources[s], o->score_class ? o->score_class : "auto", 0));
        if (sc.N != N || sc.V != V)
            CHECK_FAIL(DSHAP_EINVAL, "%s: %lld samples of %d joints, %s has %lld of %d", o->sources[s], (long long)sc.N, sc.V,
                       o->data, (long long)N, V);
        names[s] = strdup(sc.name);
        if (!names[s]) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        scores_joint(&sc, joint);
        scores_free(&sc);
        if (s == 0 && o->curve_k) CHECK(freeze_curves(&fw, o, &d, joint, o->curves_label ? o->curves_label : names[0]));
        for (int64_t i = 0; i < N; i++) {
            const double *js = joint + i * V;
            if (has[0]) {
                for (int v = 0; v < V; v++) truth[v] = d.planted[i * V + v] != 0;
                CHECK(eval_recovery(js, truth, V, o->k, &r.prec[s * N + i], &r.auc[s * N + i]));
            }
            if (has[1])
                CHECK(prediction_gaps(&fw, o, d.x + i * raw_size, i, js, V, probs + i * K, pred[i], xb, lb, &r.pgi[s * N + i],
                                      &r.pgu[s * N + i]));
        }
        if (has[2]) {
            CHECK(scores_load(&sc, o->perturbed_sources[s], o->score_class ? o->score_class : "auto", 0));
            if (sc.N != dp.info.N || sc.V != V)
                CHECK_FAIL(DSHAP_EINVAL, "%s: %lld samples of %d joints, %s has %lld of %d", o->perturbed_sources[s],
                           (long long)sc.N, sc.V, o->perturbed, (long long)dp.info.N, V);
            scores_joint(&sc, pjoint);
            scores_free(&sc);
            for (int64_t i = 0; i < N; i++) {
                double ris = NAN, ros = NAN;
                for (int64_t e = 0; e < raw_size; e++) xd[e] = d.x[i * raw_size + e];
                for (int64_t p = 0; p < P; p++) {
                    int64_t j = i * P + p;
                    if (ppred[j] != pred[i]) continue; /* stability is asked of explanations of one decision */
                    for (int64_t e = 0; e < raw_size; e++) xpd[e] = dp.x[j * raw_size + e];
                    double re = eval_rel_change(joint + i * V, pjoint + j * V, V);
                    double a = eval_stability_ratio(re, eval_rel_change(xd, xpd, raw_size));
                    double b = eval_stability_ratio(re, eval_rel_change(probs + i * K, pprobs + j * K, K));
                    ris = isnan(ris) || a > ris ? a : ris;
                    ros = isnan(ros) || b > ros ? b : ros;
                }
                r.ris[s * N + i] = ris;
                r.ros[s * N + i] = ros;
            }
        }
    }
    CHECK(write_results(o, names, S, N, &r, has));
    CHECK(write_summary(o, names, S, N, &r, has));
    if (!o->quiet) printf("wrote %s%s%s\n", o->output, o->csv ? " and " : "", o->csv ? o->csv : "");
done:
    for (int q = 0; q < 6; q++) dshap_free(*rows[q]);
    for (int s = 0; s < S; s++) free(names[s]);
    dshap_free(joint);
    dshap_free(pjoint);
    dshap_free(probs);
    dshap_free(pprobs);
    dshap_free(xd);
    dshap_free(xpd);
    dshap_free(logits);
    dshap_free(plogits);
    dshap_free(xb);
    dshap_free(lb);
    dshap_free(pred);
    dshap_free(ppred);
    dshap_free(keep);
    dshap_free(truth);
    dshap_free(fw.feat);
    scores_free(&sc);
    if (has[1]) acts_free(&fw.acts);
    net_free(&net);
    model_free(&m);
    raw_close(&d);
    raw_close(&dp);
    return st;
}

dshap_status evaluate_jitter(const jitter_opts *o) {
    raw_data d = {0};
    data_writer w = {0};
    float *xc = NULL;
    int32_t *y = NULL, *len = NULL, *grp = NULL, *g0 = NULL, *len0 = NULL;
    char **names = NULL, **out_names = NULL;
    int64_t n_names = 0, P = o->copies;
    dshap_status st = DSHAP_OK;
    char *layout = NULL;
    CHECK(raw_open(&d, o->data, 0));
    int64_t N = d.info.N, dims[1] = {N};
    int C = d.info.C, T = d.info.T, V = d.info.V, M = d.info.M;
    int64_t raw_size = (int64_t)C * T * V * M;
    if (!d.y) CHECK_FAIL(DSHAP_EFORMAT, "%s: has no labels (/y)", o->data);
    CHECK(h5io_read_i32(&d.f, "/length", 1, dims, &len0));
    if (h5io_exists(&d.f, "/name")) CHECK(h5io_read_strings(&d.f, "/name", &n_names, &names));
    if (h5io_exists(&d.f, "/group")) CHECK(h5io_read_i32(&d.f, "/group", 1, dims, &g0));
    CHECK(h5io_read_attr_str(&d.f, "/", "layout", &layout));
    CHECK(dshap_alloc_floats(&xc, (size_t)(P * raw_size), "copies"));
    CHECK(dshap_calloc((void **)&y, (size_t)P, sizeof *y, "labels"));
    CHECK(dshap_calloc((void **)&len, (size_t)P, sizeof *len, "lengths"));
    CHECK(dshap_calloc((void **)&grp, (size_t)P, sizeof *grp, "groups"));
    CHECK(dshap_calloc((void **)&out_names, (size_t)P, sizeof *out_names, "names"));
    for (int64_t p = 0; p < P; p++) CHECK(dshap_calloc((void **)&out_names[p], 160, 1, "names"));
    CHECK(data_writer_open(&w, o->output, C, T, V, M, g0 != NULL));
    for (int64_t i = 0; i < N; i++) {
        const float *x = d.x + i * raw_size;
        for (int64_t p = 0; p < P; p++) {
            rng_t rng;
            rng_seed(&rng, o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)(i * P + p) + 1);
            float *xo = xc + p * raw_size;
            for (int t = 0; t < T; t++)
                for (int m = 0; m < M; m++) {
                    int present = frame_present(x, C, T, V, M, t, m);
                    for (int c = 0; c < C; c++)
                        for (int v = 0; v < V; v++) {
                            int64_t e = (((int64_t)c * T + t) * V + v) * M + m;
                            double z = rng_normal(&rng) * o->sigma;
                            xo[e] = present ? (float)(x[e] + z) : x[e];
                        }
                }
            y[p] = d.y[i];
            len[p] = len0[i];
            grp[p] = g0 ? g0[i] : 0;
            snprintf(out_names[p], 160, "%s~%lld", names && i < n_names ? names[i] : "sample", (long long)p);
        }
        CHECK(data_writer_append(&w, P, xc, y, len, out_names, g0 ? grp : NULL));
    }
    char src[512];
    snprintf(src, sizeof src, "dshap evaluate jitter --data %s --sigma %g --copies %lld --seed %llu", o->data, o->sigma,
             (long long)P, (unsigned long long)o->seed);
    data_attrs a = {.layout = layout, .benchmark = "jitter", .split = "perturbed", .source = src};
    CHECK(data_writer_commit(&w, &a));
    printf("jitter: %lld x %lld copies of %s (sd %g) -> %s\n", (long long)N, (long long)P, o->data, o->sigma, o->output);
done:
    if (st) data_writer_abort(&w);
    if (out_names)
        for (int64_t p = 0; p < P; p++) dshap_free(out_names[p]);
    dshap_free(out_names);
    if (names) h5io_free_strings(names, n_names);
    free(layout);
    dshap_free(xc);
    dshap_free(y);
    dshap_free(len);
    dshap_free(grp);
    dshap_free(g0);
    dshap_free(len0);
    raw_close(&d);
    return st;
}
