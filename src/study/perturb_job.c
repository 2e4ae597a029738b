#include "study/perturb_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/forward.h"
#include "io/inputs.h"
#include "io/outpath.h"
#include "study/scores.h"
#include "study/stats.h"
#include "study/util.h"

#define CURVES_FORMAT "dshap-curves"

const char *select_name(select_kind s) {
    static const char *const n[] = {"top", "bottom", "random"};
    return n[s];
}

const char *metric_name(metric_kind m) {
    return m == MET_ACCURACY ? "accuracy" : m == MET_AUC_GROUPED ? "auc-grouped" : m == MET_AGREEMENT ? "agreement" : "probability";
}

static const char *mode_name(perturb_mode m) {
    return m == PM_AMPLIFY ? "amplify" : m == PM_TOWARD_ZERO ? "toward-zero" : "zero-out";
}

/* Softmax probability of class c of logits z (K), in double. */
static double softmax_at(const float *z, int K, int c) {
    double mx = z[0], den = 0;
    for (int k = 1; k < K; k++) mx = fmax(mx, z[k]);
    for (int k = 0; k < K; k++) den += exp(z[k] - mx);
    return exp(z[c] - mx) / den;
}

dshap_status perturb_metric(metric_kind m, const float *logits, int64_t N, int K, const int32_t *labels,
                            const int32_t *group, double *out) {
    if (!labels) FAIL(DSHAP_EINVAL, "the metric needs labels (/y) in the data");
    if (m == MET_ACCURACY || m == MET_AGREEMENT) {
        int64_t ok = 0;
        for (int64_t i = 0; i < N; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[i * K + k] > logits[i * K + best]) best = k;
            ok += best == labels[i];
        }
        *out = (double)ok / (double)N;
        return DSHAP_OK;
    }
    if (m == MET_PROBABILITY) {
        double sum = 0;
        for (int64_t i = 0; i < N; i++) {
            if (labels[i] < 0 || labels[i] >= K)
                FAIL(DSHAP_EFORMAT, "label %d of sample %lld is not one of the model's %d classes", labels[i], (long long)i, K);
            sum += softmax_at(logits + i * K, K, labels[i]);
        }
        *out = sum / (double)N;
        return DSHAP_OK;
    }
    if (!group) FAIL(DSHAP_EINVAL, "--metric auc-grouped needs /group (infant of each window) in the data");
    if (K < 2) FAIL(DSHAP_EINVAL, "--metric auc-grouped needs at least 2 classes");
    /* Groups in order of first appearance. */
    int64_t *gid = NULL, ng = 0;
    double *p = NULL, *gscore = NULL, *buf = NULL;
    int *glabel = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&gid, (size_t)N, sizeof *gid, "groups"));
    CHECK(dshap_calloc((void **)&p, (size_t)N, sizeof *p, "scores"));
    CHECK(dshap_calloc((void **)&gscore, (size_t)N, sizeof *gscore, "scores"));
    CHECK(dshap_calloc((void **)&buf, (size_t)N, sizeof *buf, "scores"));
    CHECK(dshap_calloc((void **)&glabel, (size_t)N, sizeof *glabel, "labels"));
    for (int64_t i = 0; i < N; i++) {
        p[i] = softmax_at(logits + i * K, K, 1);
    }
    int32_t *seen = NULL;
    CHECK(dshap_calloc((void **)&seen, (size_t)N, sizeof *seen, "groups"));
    for (int64_t i = 0; i < N; i++) {
        int64_t g = 0;
        while (g < ng && seen[g] != group[i]) g++;
        if (g == ng) {
            seen[ng] = group[i];
            glabel[ng] = labels[i] == 1;
            ng++;
        } else if (glabel[g] != (labels[i] == 1)) {
            dshap_free(seen);
            CHECK_FAIL(DSHAP_EFORMAT, "group %d has windows of both classes; the infant-level AUC needs one label per group",
                       group[i]);
        }
        gid[i] = g;
    }
    dshap_free(seen);
    for (int64_t g = 0; g < ng; g++) {
        int64_t n = 0;
        for (int64_t i = 0; i < N; i++)
            if (gid[i] == g) buf[n++] = p[i];
        CHECK(stats_median(buf, n, &gscore[g]));
    }
    CHECK(stats_auc(gscore, glabel, ng, out));
done:
    dshap_free(gid);
    dshap_free(p);
    dshap_free(gscore);
    dshap_free(buf);
    dshap_free(glabel);
    return st;
}

typedef struct {
    const dshap_net *net;
    net_acts *acts;
    const float *x;   /* (N, sample) all inputs */
    int64_t N, F;
    int block;
    float *logits;    /* (N, K) */
} evaluator;

/* Forward rows (a list, or all when rows == NULL) into ev->logits. */
static dshap_status forward_rows(evaluator *ev, const int64_t *rows, int64_t n, float *xb) {
    int K = ev->net->arch.num_class;
    for (int64_t i0 = 0; i0 < n; i0 += ev->block) {
        int64_t b = n - i0 < ev->block ? n - i0 : ev->block;
        const float *src;
        if (rows) {
            for (int64_t i = 0; i < b; i++) memcpy(xb + i * ev->F, ev->x + rows[i0 + i] * ev->F, sizeof(float) * (size_t)ev->F);
            src = xb;
        } else {
            src = ev->x + i0 * ev->F;
        }
        TRY(net_forward_cpu(ev->net, ev->acts, src, b));
        for (int64_t i = 0; i < b; i++)
            memcpy(ev->logits + (rows ? rows[i0 + i] : i0 + i) * K, ev->acts->y[ev->net->out] + i * K,
                   sizeof(float) * (size_t)K);
    }
    return DSHAP_OK;
}

typedef struct {
    int64_t i;
    uint64_t key;
} keyed_row;
static int by_key(const void *pa, const void *pb) {
    const keyed_row *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Sets per sample (N, kmax) with sizes: forward each distinct set once over its samples. */
static dshap_status eval_per_sample(evaluator *ev, edge_set *es, dshap_net *net, const perturb_opts *po, const int *sets,
                                    const int *sizes, int kmax, float *xb, int64_t *rows, keyed_row *kr) {
    for (int64_t i = 0; i < ev->N; i++) {
        uint64_t key = 0;
        for (int q = 0; q < sizes[i]; q++) key |= 1ull << sets[i * kmax + q];
        kr[i] = (keyed_row){i, key};
    }
    qsort(kr, (size_t)ev->N, sizeof *kr, by_key);
    for (int64_t s = 0; s < ev->N;) {
        int64_t e = s;
        while (e < ev->N && kr[e].key == kr[s].key) e++;
        int64_t first = kr[s].i;
        edges_apply(es, net, sets + first * kmax, sizes[first], po);
        for (int64_t q = s; q < e; q++) rows[q - s] = kr[q].i;
        TRY(forward_rows(ev, rows, e - s, xb));
        s = e;
    }
    edges_apply(es, net, NULL, 0, po);
    return DSHAP_OK;
}

static void shuffle(rng_t *r, int *p, int V) {
    for (int v = 0; v < V; v++) p[v] = v;
    for (int v = V - 1; v > 0; v--) {
        int j = (int)rng_below(r, (uint64_t)v + 1);
        int t = p[v];
        p[v] = p[j];
        p[j] = t;
    }
}

/* Mean and sd over the R repeats of column k of runs (R, nk). */
static void column_stats(const double *runs, int R, int nk, int k, double *mean, double *sd) {
    double m = 0, ss = 0;
    for (int r = 0; r < R; r++) m += runs[(int64_t)r * nk + k];
    m /= R;
    for (int r = 0; r < R; r++) ss += (runs[(int64_t)r * nk + k] - m) * (runs[(int64_t)r * nk + k] - m);
    *mean = m;
    *sd = R > 1 ? sqrt(ss / (R - 1)) : 0;
}

typedef struct {
    double *metric;   /* (R, nk): R = 1 for top/bottom */
    int32_t *joints;  /* (R, nk, kmax), -1 padded (global sets) */
    int32_t *size;    /* (R, nk) */
    int R;
} curve;

static dshap_status write_csv(const perturb_job_opts *o, const score_set *sc, double baseline, const curve *cv,
                              textout *csv);

static dshap_status write_curves(const perturb_job_opts *o, const score_set *sc, double baseline, curve *cv,
                                 double seconds) {
    char tmp[4096];
    h5io_temp_name(o->output, tmp, sizeof tmp);
    h5file f;
    textout csv = {0};
    TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    dshap_status st = DSHAP_OK;
    int kmax = o->ks[o->n_k - 1];
    int64_t dk = o->n_k;
    int32_t ks[PJ_MAX_K];
    for (int i = 0; i < o->n_k; i++) ks[i] = o->ks[i];
    CHECK(h5io_write_attr_str(&f, "/", "format", CURVES_FORMAT));
    CHECK(h5io_write_attr_int(&f, "/", "format_version", 1));
    CHECK(h5io_write_attr_str(&f, "/", "label", o->label ? o->label : sc->name));
    CHECK(h5io_write_attr_str(&f, "/", "scores", o->scores));
    CHECK(h5io_write_attr_str(&f, "/", "mode", mode_name(o->p.mode)));
    if (o->edge_tensors) CHECK(h5io_write_attr_str(&f, "/", "edge_tensors", o->edge_tensors));
    CHECK(h5io_write_attr_f64(&f, "/", "thresh", o->p.thresh));
    CHECK(h5io_write_attr_str(&f, "/", "range", o->p.range == PR_ORIGINAL ? "original" : "sequential"));
    CHECK(h5io_write_attr_str(&f, "/", "metric", metric_name(o->metric)));
    CHECK(h5io_write_attr_str(&f, "/", "sets", o->per_sample ? "per-sample" : "global"));
    CHECK(h5io_write_attr_int(&f, "/", "seed", (long long)o->seed));
    CHECK(h5io_write_attr_int(&f, "/", "repeats", o->repeats));
    CHECK(h5io_write_attr_str(&f, "/", "model", o->model));
    CHECK(h5io_write_attr_str(&f, "/", "data", o->data));
    CHECK(h5io_write_attr_str(&f, "/", "command_line", o->command_line ? o->command_line : ""));
    CHECK(h5io_write_attr_f64(&f, "/", "seconds", seconds));
    CHECK(h5io_write_i32(&f, "/k", 1, &dk, ks));
    CHECK(h5io_write_f64(&f, "/baseline", 0, NULL, &baseline));
    for (int s = 0; s < SEL_KINDS; s++) {
        if (!o->select[s]) continue;
        char p[64];
        curve *c = &cv[s];
        int64_t d2[2] = {c->R, o->n_k}, d3[3] = {c->R, o->n_k, kmax};
        double *mean, *sd;
        CHECK(dshap_calloc((void **)&mean, (size_t)o->n_k * 2, sizeof *mean, "curve"));
        sd = mean + o->n_k;
        for (int k = 0; k < o->n_k; k++) column_stats(c->metric, c->R, o->n_k, k, &mean[k], &sd[k]);
        snprintf(p, sizeof p, "/%s/metric", select_name(s));
        st = h5io_write_f64(&f, p, 1, &dk, mean);
        snprintf(p, sizeof p, "/%s/sd", select_name(s));
        if (!st) st = h5io_write_f64(&f, p, 1, &dk, sd);
        dshap_free(mean);
        if (st) goto done;
        snprintf(p, sizeof p, "/%s/runs", select_name(s));
        CHECK(h5io_write_f64(&f, p, 2, d2, c->metric));
        if (!o->per_sample) {
            snprintf(p, sizeof p, "/%s/joints", select_name(s));
            CHECK(h5io_write_i32(&f, p, 3, d3, c->joints));
            snprintf(p, sizeof p, "/%s/n_joints", select_name(s));
            CHECK(h5io_write_i32(&f, p, 2, d2, c->size));
        }
    }
    if (o->csv) CHECK(write_csv(o, sc, baseline, cv, &csv));
done:
    if (st) {
        h5io_discard(&f, tmp);
        textout_discard(&csv);
        return st;
    }
    if ((st = h5io_finish(&f, tmp, o->output))) {
        textout_discard(&csv);
        return st;
    }
    /* the CSV appears with the HDF5 file or not at all */
    if (csv.f && (st = textout_commit(&csv))) remove(o->output);
    return st;
}

/* The curves as CSV rows into csv (under its temporary name). */
static dshap_status write_csv(const perturb_job_opts *o, const score_set *sc, double baseline, const curve *cv,
                              textout *csv) {
    int kmax = o->ks[o->n_k - 1];
    TRY(textout_open(csv, o->csv));
    FILE *out = csv->f;
    fprintf(out, "label,select,k,metric,sd,repeats,n_joints,joints\n");
    for (int s = 0; s < SEL_KINDS; s++) {
        if (!o->select[s]) continue;
        const curve *c = &cv[s];
        for (int k = 0; k < o->n_k; k++) {
            double m, sd;
            column_stats(c->metric, c->R, o->n_k, k, &m, &sd);
            csv_field(out, o->label ? o->label : sc->name);
            fprintf(out, ",%s,%d,%.6f,%.6f,%d,", select_name(s), o->ks[k], m, sd, c->R);
            if (!o->per_sample && c->R == 1) {
                fprintf(out, "%d,", c->size[k]);
                for (int q = 0; q < c->size[k]; q++) fprintf(out, q ? " %d" : "%d", c->joints[(int64_t)k * kmax + q]);
            } else {
                fprintf(out, ",");
            }
            fprintf(out, "\n");
        }
    }
    fprintf(out, "%s,baseline,0,%.6f,0,1,0,\n", o->label ? o->label : sc->name, baseline);
    return DSHAP_OK;
}

dshap_status perturb_job_run(const perturb_job_opts *o) {
    double t_start = study_now();
    int tty = isatty(2); /* progress lines only on a terminal */
    dshap_model m = {0};
    dshap_net net = {0};
    inputs_src s = {0};
    net_acts acts = {0};
    edge_set es = {0};
    score_set sc = {0};
    float *x = NULL, *xb = NULL, *logits = NULL;
    double *mean = NULL, *joint = NULL;
    int *sets = NULL, *sizes = NULL;
    int32_t *pred0 = NULL;
    int64_t *rows = NULL;
    keyed_row *kr = NULL;
    curve cv[SEL_KINDS] = {{0}};
    unsigned char *keep = NULL;
    TRY(model_load(&m, o->model));
    dshap_status st = DSHAP_OK;
    CHECK(net_build(&net, &m));
    int V = net.arch.layout->V, K = net.arch.num_class;
    int kmax = o->ks[o->n_k - 1];
    if (kmax > V) CHECK_FAIL(DSHAP_EINVAL, "--k %d is larger than the model's %d joints", kmax, V);
    CHECK(scores_load(&sc, o->scores, o->score_class ? o->score_class : "auto", 0));
    if (sc.V != V) CHECK_FAIL(DSHAP_EINVAL, "%s: scores have %d joints, the model %d", o->scores, sc.V, V);
    CHECK(inputs_open(&s, o->data, &net));
    if (!s.labels && o->metric != MET_AGREEMENT)
        CHECK_FAIL(DSHAP_EINVAL, "%s: has no labels (/y); --metric %s needs them", o->data, metric_name(o->metric));
    if (o->metric == MET_AUC_GROUPED && !s.group)
        CHECK_FAIL(DSHAP_EINVAL, "%s: --metric auc-grouped needs /group (the infant of each window)", o->data);
    if (o->per_sample && sc.N != s.N)
        CHECK_FAIL(DSHAP_EINVAL, "--sets per-sample: %s has %lld samples, %s %lld", o->scores, (long long)sc.N, o->data,
                   (long long)s.N);
    int64_t N = s.N, F = inputs_sample_size(&s);
    CHECK(dshap_alloc_floats(&x, (size_t)(N * F), "inputs"));
    CHECK(inputs_read(&s, 0, N, x));
    if (o->edge_tensors) CHECK(edges_collect_named(&es, &m, &net, o->edge_tensors));
    else CHECK(edges_collect(&es, &m, &net));
    int block = o->block > 0 ? o->block : 16;
    CHECK(dshap_calloc((void **)&keep, (size_t)net.n_nodes, 1, "keep mask"));
    CHECK(acts_alloc(&acts, &net, block, keep));
    CHECK(dshap_alloc_floats(&xb, (size_t)(block * F), "input block"));
    CHECK(dshap_alloc_floats(&logits, (size_t)(N * K), "logits"));
    CHECK(dshap_calloc((void **)&rows, (size_t)N, sizeof *rows, "rows"));
    CHECK(dshap_calloc((void **)&kr, (size_t)N, sizeof *kr, "rows"));
    evaluator ev = {&net, &acts, x, N, F, block, logits};
    double baseline;
    CHECK(forward_rows(&ev, NULL, N, xb));
    const int32_t *truth = s.labels; /* agreement: the unperturbed predictions are the "labels" */
    if (o->metric == MET_AGREEMENT) {
        CHECK(dshap_calloc((void **)&pred0, (size_t)N, sizeof *pred0, "predictions"));
        for (int64_t i = 0; i < N; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[i * K + k] > logits[i * K + best]) best = k;
            pred0[i] = best;
        }
        truth = pred0;
    }
    CHECK(perturb_metric(o->metric, logits, N, K, truth, s.group, &baseline));
    /* Per-sample scores (N, V) and their mean over samples (the global ranking). */
    CHECK(dshap_calloc((void **)&joint, (size_t)(sc.N * V), sizeof *joint, "scores"));
    CHECK(dshap_calloc((void **)&mean, (size_t)V, sizeof *mean, "scores"));
    scores_joint(&sc, joint);
    for (int64_t i = 0; i < sc.N; i++)
        for (int v = 0; v < V; v++) mean[v] += joint[i * V + v] / (double)sc.N;
    CHECK(dshap_calloc((void **)&sets, (size_t)(N * kmax), sizeof *sets, "joint sets"));
    CHECK(dshap_calloc((void **)&sizes, (size_t)N, sizeof *sizes, "joint sets"));
    if (o->select[SEL_TOP] && !o->per_sample) {
        int tmp[64];
        if (select_top(mean, V, kmax, tmp) == 0)
            CHECK_FAIL(DSHAP_EINVAL, "%s: no joint has a positive mean score; --select top has nothing to perturb", o->scores);
    }
    for (int sk = 0; sk < SEL_KINDS; sk++) {
        if (!o->select[sk]) continue;
        curve *c = &cv[sk];
        c->R = sk == SEL_RANDOM ? o->repeats : 1;
        CHECK(dshap_calloc((void **)&c->metric, (size_t)c->R * o->n_k, sizeof *c->metric, "curve"));
        CHECK(dshap_calloc((void **)&c->joints, (size_t)c->R * o->n_k * kmax, sizeof *c->joints, "curve"));
        CHECK(dshap_calloc((void **)&c->size, (size_t)c->R * o->n_k, sizeof *c->size, "curve"));
        for (int r = 0; r < c->R; r++) {
            rng_t rng;
            rng_seed(&rng, o->seed + (uint64_t)r);
            int perm[64];
            shuffle(&rng, perm, V); /* global random set: the first k of one permutation per repeat */
            for (int ki = 0; ki < o->n_k; ki++) {
                int k = o->ks[ki], set[64], n = 0;
                int32_t *jo = c->joints + ((int64_t)r * o->n_k + ki) * kmax;
                for (int q = 0; q < kmax; q++) jo[q] = -1;
                if (!o->per_sample) {
                    if (sk == SEL_TOP) n = select_top(mean, V, k, set);
                    else if (sk == SEL_BOTTOM) n = select_bottom(mean, V, k, set);
                    else {
                        n = k;
                        memcpy(set, perm, sizeof(int) * (size_t)k);
                    }
                    edges_apply(&es, &net, set, n, &o->p);
                    CHECK(forward_rows(&ev, NULL, N, xb));
                    edges_apply(&es, &net, NULL, 0, &o->p);
                    for (int q = 0; q < n; q++) jo[q] = set[q];
                } else {
                    rng_t rs;
                    rng_seed(&rs, o->seed + (uint64_t)r);
                    for (int64_t i = 0; i < N; i++) {
                        int *si = sets + i * kmax;
                        if (sk == SEL_TOP) sizes[i] = select_top(joint + i * V, V, k, si);
                        else if (sk == SEL_BOTTOM) sizes[i] = select_bottom(joint + i * V, V, k, si);
                        else {
                            int pi[64];
                            shuffle(&rs, pi, V); /* each sample its own draw, as the published loop */
                            memcpy(si, pi, sizeof(int) * (size_t)k);
                            sizes[i] = k;
                        }
                    }
                    CHECK(eval_per_sample(&ev, &es, &net, &o->p, sets, sizes, kmax, xb, rows, kr));
                }
                c->size[(int64_t)r * o->n_k + ki] = n;
                CHECK(perturb_metric(o->metric, logits, N, K, truth, s.group, &c->metric[(int64_t)r * o->n_k + ki]));
                if (!o->quiet && tty)
                    fprintf(stderr, "\rperturb: %s repeat %d/%d k = %d: %.4f   ", select_name(sk), r + 1, c->R, k,
                            c->metric[(int64_t)r * o->n_k + ki]);
            }
        }
    }
    if (!o->quiet && tty) fprintf(stderr, "\n");
    if (o->save_model) {
        /* The model of the first selection at the largest k (first repeat, global sets). */
        int sk = 0;
        while (!o->select[sk]) sk++;
        const int32_t *jo = cv[sk].joints + (int64_t)(o->n_k - 1) * kmax;
        int set[64], n = cv[sk].size[o->n_k - 1];
        for (int q = 0; q < n; q++) set[q] = jo[q];
        edges_apply(&es, &net, set, n, &o->p);
        st = model_save(&m, o->save_model); /* under its own temporary name */
        edges_apply(&es, &net, NULL, 0, &o->p);
        if (st) goto done;
    }
    st = write_curves(o, &sc, baseline, cv, study_now() - t_start);
    if (st && o->save_model) remove(o->save_model); /* a failed command leaves nothing */
    if (st) goto done;
    if (!o->quiet) {
        printf("perturb: %s, %s, thresh %g, %s: baseline %.4f\n", sc.name, mode_name(o->p.mode), o->p.thresh,
               metric_name(o->metric), baseline);
        for (int sk = 0; sk < SEL_KINDS; sk++) {
            if (!o->select[sk]) continue;
            printf("  %-7s", select_name(sk));
            for (int ki = 0; ki < o->n_k; ki++) {
                double mm, sd;
                column_stats(cv[sk].metric, cv[sk].R, o->n_k, ki, &mm, &sd);
                printf(" %.3f", mm);
            }
            printf("\n");
        }
        printf("wrote %s (%.2f s)\n", o->output, study_now() - t_start);
    }
done:
    for (int sk = 0; sk < SEL_KINDS; sk++) {
        dshap_free(cv[sk].metric);
        dshap_free(cv[sk].joints);
        dshap_free(cv[sk].size);
    }
    dshap_free(x);
    dshap_free(xb);
    dshap_free(logits);
    dshap_free(mean);
    dshap_free(joint);
    dshap_free(sets);
    dshap_free(sizes);
    dshap_free(pred0);
    dshap_free(rows);
    dshap_free(kr);
    dshap_free(keep);
    edges_free(&es);
    scores_free(&sc);
    acts_free(&acts);
    inputs_close(&s);
    net_free(&net);
    model_free(&m);
    return st;
}
