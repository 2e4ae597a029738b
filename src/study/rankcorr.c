#include "study/rankcorr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/layout.h"
#include "io/h5io.h"
#include "io/outpath.h"
#include "study/stats.h"
#include "study/util.h"

/* CP29 joint names (the published perturbation code's list; CP19 is its first 19). */
static const char *const cp29_names[29] = {
    "head_top", "nose", "right_ear", "left_ear", "upper_neck", "right_shoulder", "right_elbow", "right_wrist",
    "thorax", "left_shoulder", "left_elbow", "left_wrist", "pelvis", "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle", "right_little_finger", "right_index_finger", "left_little_finger",
    "left_index_finger", "right_heel", "right_little_toe", "right_big_toe", "left_heel", "left_little_toe",
    "left_big_toe"};

const char *joint_label(int V, int v, char *buf, size_t cap) {
    if ((V == 29 || V == 19) && v < V) {
        snprintf(buf, cap, "%s", cp29_names[v]);
        return buf;
    }
    const char *names[] = {"ntu25", "cp29", "cp19"};
    for (int i = 0; i < 3; i++) {
        const dshap_layout *L = layout_find(names[i]);
        if (L && L->V == V && L->joint_names) {
            snprintf(buf, cap, "%s", L->joint_names[v]);
            return buf;
        }
    }
    snprintf(buf, cap, "j%d", v);
    return buf;
}

dshap_status rank_box(const double *ranks, int64_t N, int V, int v, joint_box *b) {
    double *c;
    TRY(dshap_alloc((void **)&c, sizeof *c * (size_t)N, "ranks"));
    double sum = 0;
    for (int64_t i = 0; i < N; i++) {
        c[i] = ranks[i * V + v];
        sum += c[i];
    }
    stats_sort(c, N);
    b->median = stats_quantile_sorted(c, N, 0.5);
    b->q1 = stats_quantile_sorted(c, N, 0.25);
    b->q3 = stats_quantile_sorted(c, N, 0.75);
    b->mean = sum / (double)N;
    double iqr = b->q3 - b->q1, lo_lim = b->q1 - 1.5 * iqr, hi_lim = b->q3 + 1.5 * iqr;
    b->lo = b->q1;
    b->hi = b->q3;
    for (int64_t i = 0; i < N; i++) {
        if (c[i] >= lo_lim && c[i] < b->lo) b->lo = c[i];
        if (c[i] <= hi_lim && c[i] > b->hi) b->hi = c[i];
    }
    dshap_free(c);
    return DSHAP_OK;
}

static dshap_status load_all(const rc_opts *o, score_set *s, int need_same_n) {
    for (int i = 0; i < o->n_src; i++) {
        TRY(scores_load(&s[i], o->src[i], o->score_class ? o->score_class : "auto", 0));
        for (int j = 0; j < i; j++)
            if (!strcmp(s[i].name, s[j].name))
                FAIL(DSHAP_EINVAL, "two score sources are named '%s' (use NAME=FILE:DATASET)", s[i].name);
        if (s[i].V != s[0].V)
            FAIL(DSHAP_EINVAL, "score source '%s' has %d joints, '%s' %d", s[i].name, s[i].V, s[0].name, s[0].V);
        if (need_same_n && s[i].N != s[0].N)
            FAIL(DSHAP_EINVAL, "score source '%s' has %lld samples, '%s' %lld: not the same samples", s[i].name,
                 (long long)s[i].N, s[0].name, (long long)s[0].N);
    }
    return DSHAP_OK;
}

typedef struct {
    double key;
    int v;
} ord;
static int by_key(const void *pa, const void *pb) {
    const ord *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->v - b->v;
}

static dshap_status write_strings_list(const h5file *f, const char *name, int n, const char *const *s) {
    return h5io_write_strings(f, name, n, (char *const *)s);
}

/* The outputs after the writing went as st says: the HDF5 file under its
 * temporary name and the CSV (its text in csv, when one was asked for) move
 * into place together, or neither appears. */
static dshap_status finish_outputs(h5file *f, const char *tmp, const rc_opts *o, dshap_status st, textout *csv) {
    if (st) {
        h5io_discard(f, tmp);
        textout_discard(csv);
        return st;
    }
    st = h5io_finish(f, tmp, o->output);
    if (st) {
        textout_discard(csv);
        return st;
    }
    if (csv->f && (st = textout_commit(csv))) remove(o->output);
    return st;
}

/* The CSV under its temporary name when one is asked for and all went well. */
static FILE *open_csv(const rc_opts *o, dshap_status *st, textout *csv) {
    memset(csv, 0, sizeof *csv);
    if (*st || !o->csv) return NULL;
    *st = textout_open(csv, o->csv);
    return csv->f;
}

dshap_status rank_run(const rc_opts *o) {
    score_set s[RC_MAX_SOURCES];
    memset(s, 0, sizeof s);
    double *ranks[RC_MAX_SOURCES] = {0}, *joint = NULL;
    joint_box *box = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(load_all(o, s, 1)); /* rank boxes of different samples side by side would mislead */
    int V = s[0].V, S = o->n_src, sort = 0;
    if (o->sort_by) {
        sort = -1;
        for (int i = 0; i < S; i++)
            if (!strcmp(s[i].name, o->sort_by)) sort = i;
        if (sort < 0) CHECK_FAIL(DSHAP_EINVAL, "--sort-by '%s' names no score source", o->sort_by);
    }
    CHECK(dshap_calloc((void **)&box, (size_t)S * V, sizeof *box, "boxes"));
    for (int i = 0; i < S; i++) {
        int64_t N = s[i].N;
        CHECK(dshap_calloc((void **)&ranks[i], (size_t)(N * V), sizeof(double), "ranks"));
        CHECK(dshap_calloc((void **)&joint, (size_t)(N * V), sizeof(double), "scores"));
        scores_joint(&s[i], joint);
        for (int64_t n = 0; n < N; n++) CHECK(stats_rank(joint + n * V, V, 1, ranks[i] + n * V));
        dshap_free(joint);
        joint = NULL;
        for (int v = 0; v < V; v++) CHECK(rank_box(ranks[i], N, V, v, &box[i * V + v]));
    }
    ord order[64];
    for (int v = 0; v < V; v++) order[v] = (ord){box[sort * V + v].median + 1e-6 * box[sort * V + v].mean, v};
    qsort(order, (size_t)V, sizeof *order, by_key);
    int32_t ov[64];
    for (int v = 0; v < V; v++) ov[v] = order[v].v;
    /* HDF5 */
    char tmp[4096];
    h5io_temp_name(o->output, tmp, sizeof tmp);
    h5file f;
    CHECK(h5io_create(&f, tmp, H5P_DEFAULT));
    const char *names[RC_MAX_SOURCES], *jn[64];
    char jbuf[64][40];
    for (int i = 0; i < S; i++) names[i] = s[i].name;
    for (int v = 0; v < V; v++) jn[v] = joint_label(V, v, jbuf[v], sizeof jbuf[v]);
    int64_t dv = V, dS = S;
    st = h5io_write_attr_str(&f, "/", "format", "dshap-ranks");
    if (!st) st = h5io_write_attr_int(&f, "/", "format_version", 1);
    if (!st) st = h5io_write_attr_str(&f, "/", "sort_by", s[sort].name);
    if (!st) st = h5io_write_attr_str(&f, "/", "command_line", o->command_line ? o->command_line : "");
    if (!st) st = write_strings_list(&f, "/sources", S, names);
    if (!st) st = write_strings_list(&f, "/joint_names", V, jn);
    if (!st) st = h5io_write_i32(&f, "/order", 1, &dv, ov);
    for (int i = 0; i < S && !st; i++) {
        char p[64];
        double col[6][64];
        for (int v = 0; v < V; v++) {
            joint_box *b = &box[i * V + v];
            col[0][v] = b->median;
            col[1][v] = b->q1;
            col[2][v] = b->q3;
            col[3][v] = b->lo;
            col[4][v] = b->hi;
            col[5][v] = b->mean;
        }
        const char *what[6] = {"median", "q1", "q3", "whisker_lo", "whisker_hi", "mean"};
        for (int w = 0; w < 6 && !st; w++) {
            snprintf(p, sizeof p, "/source%d/%s", i, what[w]);
            st = h5io_write_f64(&f, p, 1, &dv, col[w]);
        }
        int64_t dr[2] = {s[i].N, V};
        snprintf(p, sizeof p, "/source%d/ranks", i);
        if (!st) st = h5io_write_f64(&f, p, 2, dr, ranks[i]);
        snprintf(p, sizeof p, "/source%d", i);
        if (!st) st = h5io_write_attr_str(&f, p, "name", s[i].name);
        if (!st) st = h5io_write_attr_str(&f, p, "spec", o->src[i]);
    }
    (void)dS;
    textout csv;
    FILE *c = open_csv(o, &st, &csv);
    if (c) {
        fprintf(c, "position,joint,joint_name");
        for (int i = 0; i < S; i++) {
            const char *w[3] = {"median", "q1", "q3"};
            for (int q = 0; q < 3; q++) {
                char h[200];
                snprintf(h, sizeof h, "%s_%s", s[i].name, w[q]);
                fputc(',', c);
                csv_field(c, h);
            }
        }
        fprintf(c, "\n");
        for (int r = 0; r < V; r++) {
            int v = ov[r];
            fprintf(c, "%d,%d,%s", r + 1, v, jn[v]);
            for (int i = 0; i < S; i++) {
                joint_box *b = &box[i * V + v];
                fprintf(c, ",%.4g,%.4g,%.4g", b->median, b->q1, b->q3);
            }
            fprintf(c, "\n");
        }
    }
    CHECK(finish_outputs(&f, tmp, o, st, &csv));
    if (!o->quiet) {
        printf("rank: %d source(s), %d joints, sorted by %s -> %s\n", S, V, s[sort].name, o->output);
        for (int r = 0; r < V && r < 5; r++)
            printf("  %d. %-16s median rank %.1f (IQR %.1f..%.1f)\n", r + 1, jn[ov[r]], box[sort * V + ov[r]].median,
                   box[sort * V + ov[r]].q1, box[sort * V + ov[r]].q3);
    }
done:
    for (int i = 0; i < o->n_src; i++) {
        dshap_free(ranks[i]);
        scores_free(&s[i]);
    }
    dshap_free(joint);
    dshap_free(box);
    return st;
}

dshap_status correlate_run(const rc_opts *o) {
    score_set s[RC_MAX_SOURCES];
    memset(s, 0, sizeof s);
    double *prof = NULL, *rho = NULL, *rho_s = NULL, *norm[RC_MAX_SOURCES] = {0};
    dshap_status st = DSHAP_OK;
    if (o->n_src < 2) FAIL(DSHAP_EINVAL, "correlate needs at least 2 score sources");
    CHECK(load_all(o, s, 1));
    int V = s[0].V, S = o->n_src;
    int64_t N = s[0].N;
    CHECK(dshap_calloc((void **)&prof, (size_t)S * V, sizeof *prof, "profiles"));
    CHECK(dshap_calloc((void **)&rho, (size_t)S * S * 2, sizeof *rho, "rho"));
    rho_s = rho + S * S;
    char undefined[2048] = ""; /* the sources whose rho is NaN, and why */
    for (int i = 0; i < S; i++) {
        /* Per-layer [0, 1] scaling per sample, then the mean joint profile. */
        CHECK(dshap_calloc((void **)&norm[i], (size_t)(N * V), sizeof(double), "scores"));
        scores_joint(&s[i], norm[i]);
        for (int64_t n = 0; n < N; n++) stats_minmax(norm[i] + n * V, V);
        for (int64_t n = 0; n < N; n++) /* sum, then divide: as numpy's mean over axis 0 */
            for (int v = 0; v < V; v++) prof[i * V + v] += norm[i][n * V + v];
        for (int v = 0; v < V; v++) prof[i * V + v] /= (double)N;
        int constant = 1;
        for (int v = 1; v < V; v++) constant &= prof[i * V + v] == prof[i * V];
        if (constant) /* all ranks tied: its rho is NaN, and the output says why */
            snprintf(undefined + strlen(undefined), sizeof undefined - strlen(undefined), "%s%s", undefined[0] ? ", " : "",
                     s[i].name);
    }
    if (undefined[0])
        snprintf(undefined + strlen(undefined), sizeof undefined - strlen(undefined),
                 ": the same score at every joint (e.g. all zero), so Spearman's rho is undefined (NaN) for it");
    for (int a = 0; a < S; a++)
        for (int b = 0; b < S; b++) {
            CHECK(stats_spearman(prof + a * V, prof + b * V, V, &rho[a * S + b]));
            double sum = 0;
            int64_t cnt = 0;
            for (int64_t n = 0; n < N; n++) {
                double r;
                CHECK(stats_spearman(norm[a] + n * V, norm[b] + n * V, V, &r));
                if (!isnan(r)) {
                    sum += r;
                    cnt++;
                }
            }
            rho_s[a * S + b] = cnt ? sum / (double)cnt : NAN;
        }
    char tmp[4096];
    h5io_temp_name(o->output, tmp, sizeof tmp);
    h5file f;
    CHECK(h5io_create(&f, tmp, H5P_DEFAULT));
    const char *names[RC_MAX_SOURCES], *specs[RC_MAX_SOURCES];
    for (int i = 0; i < S; i++) {
        names[i] = s[i].name;
        specs[i] = o->src[i];
    }
    int64_t d2[2] = {S, S}, dp[2] = {S, V};
    st = h5io_write_attr_str(&f, "/", "format", "dshap-correlation");
    if (!st) st = h5io_write_attr_int(&f, "/", "format_version", 1);
    if (!st) st = h5io_write_attr_str(&f, "/", "command_line", o->command_line ? o->command_line : "");
    if (!st) st = h5io_write_attr_str(&f, "/", "method",
                                      "Spearman rho (average ranks) of the mean per-joint profiles after per-sample min-max "
                                      "scaling to [0, 1]; rho_sample: mean over samples of the per-sample rho");
    if (!st) st = write_strings_list(&f, "/sources", S, names);
    if (!st) st = write_strings_list(&f, "/specs", S, specs);
    if (!st) st = h5io_write_f64(&f, "/rho", 2, d2, rho);
    if (!st) st = h5io_write_f64(&f, "/rho_sample", 2, d2, rho_s);
    if (!st) st = h5io_write_attr_str(&f, "/rho", "undefined", undefined[0] ? undefined : "none");
    if (!st) st = h5io_write_f64(&f, "/profile", 2, dp, prof);
    textout csv;
    FILE *c = open_csv(o, &st, &csv);
    if (c) {
        fprintf(c, "source");
        for (int i = 0; i < S; i++) {
            fputc(',', c);
            csv_field(c, names[i]);
        }
        fprintf(c, "\n");
        for (int a = 0; a < S; a++) {
            csv_field(c, names[a]);
            for (int b = 0; b < S; b++) fprintf(c, ",%.4f", rho[a * S + b]);
            fprintf(c, "\n");
        }
    }
    CHECK(finish_outputs(&f, tmp, o, st, &csv));
    if (!o->quiet) {
        printf("correlate: Spearman rho of mean [0, 1]-scaled joint profiles (%lld samples, %d joints) -> %s\n",
               (long long)N, V, o->output);
        if (undefined[0]) printf("correlate: note: %s\n", undefined);
        printf("%-24s", "");
        for (int b = 0; b < S; b++) printf(" %10.10s", names[b]);
        printf("\n");
        for (int a = 0; a < S; a++) {
            printf("%-24.24s", names[a]);
            for (int b = 0; b < S; b++) printf(" %10.3f", rho[a * S + b]);
            printf("\n");
        }
    }
done:
    for (int i = 0; i < o->n_src; i++) {
        scores_free(&s[i]);
        dshap_free(norm[i]);
    }
    dshap_free(prof);
    dshap_free(rho);
    return st;
}
