#include "study/scores.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "io/h5io.h"
#include "study/stats.h"

void scores_free(score_set *s) {
    dshap_free(s->s);
    dshap_free(s->labels);
    s->s = NULL;
    s->labels = NULL;
}

/* The class column of sample i, or -1 with an error. */
static dshap_status pick_column(const char *file, const char *ds, const int32_t *classes, int nk, int64_t i,
                                const int32_t *labels, const char *cls, int *col) {
    if (!strcmp(cls, "auto") && nk == 1) {
        *col = 0;
        return DSHAP_OK;
    }
    int want;
    if (!strcmp(cls, "auto") || !strcmp(cls, "true")) {
        if (!labels) FAIL(DSHAP_EFORMAT, "%s: '%s' has %d classes per sample and the file has no /labels to pick the true class", file, ds, nk);
        want = labels[i];
    } else {
        char *end;
        long v = strtol(cls, &end, 10);
        if (end == cls || *end || v < 0) FAIL(DSHAP_EINVAL, "score class '%s': expected auto, true or a class number", cls);
        want = (int)v;
    }
    for (int k = 0; k < nk; k++)
        if (classes[i * nk + k] == want) {
            *col = k;
            return DSHAP_OK;
        }
    FAIL(DSHAP_EFORMAT, "%s: '%s' has no scores for class %d of sample %lld (explain with --classes true or all)", file,
         ds, want, (long long)i);
}

static dshap_status load_part(const char *part, const char *cls, int time, score_set *out, int first, int scale) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", part);
    char *colon = strrchr(buf, ':');
    if (!colon || colon == buf || !colon[1])
        FAIL(DSHAP_EINVAL, "score source '%s': expected FILE:DATASET, e.g. attributions.h5:/shap/values", part);
    *colon = '\0';
    const char *file = buf, *ds = colon + 1;
    h5file f;
    TRY(h5io_open_any(&f, file));
    dshap_status st = DSHAP_OK;
    float *v = NULL;
    double *row = NULL;
    int32_t *classes = NULL, *labels = NULL;
    int rank;
    int64_t d[H5IO_MAX_RANK];
    if (!h5io_exists(&f, ds)) CHECK_FAIL(DSHAP_EFORMAT, "%s: no dataset '%s'", file, ds);
    CHECK(h5io_shape(&f, ds, &rank, d));
    int64_t N = d[0];
    if (N < 1) CHECK_FAIL(DSHAP_EINVAL, "%s: '%s' holds no samples (empty score set)", file, ds);
    /* (N, K', T', V) frame stores are accepted everywhere (joint users average
     * over time); a rank-3 dataset is (N, T', V) for time users, (N, K', V) else. */
    int with_class = rank == 4 || (!time && rank == 3);
    if (rank < 2 || rank > 4)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: '%s' has rank %d; expected %s", file, ds, rank,
                   time ? "(N, V), (N, T', V) or (N, K', T', V)" : "(N, V), (N, K', V) or (N, K', T', V) scores");
    if (rank == 4 && !strncmp(ds, "/shap/", 6) && h5io_has_attr(&f, "/", "store")) {
        char *store = NULL;
        CHECK(h5io_read_attr_str(&f, "/", "store", &store));
        int channels = !strcmp(store, "channel-joint");
        dshap_free(store);
        if (channels) /* (N, K', C, V) would read as frames */
            CHECK_FAIL(DSHAP_EFORMAT, "%s: '%s' is a channel-joint store (N, K', C, V); scores are joint or frame stores "
                       "(explain --store joint|frame)", file, ds);
    }
    int V = (int)d[rank - 1], T = rank == 4 ? (int)d[2] : (time && rank == 3) ? (int)d[1] : 1;
    int nk = with_class ? (int)d[1] : 1;
    if (V < 2 || V > 64) CHECK_FAIL(DSHAP_EFORMAT, "%s: '%s' has %d joints in its last axis", file, ds, V);
    int64_t dd[4];
    for (int i = 0; i < rank; i++) dd[i] = d[i];
    CHECK(h5io_read_f32(&f, ds, rank, dd, &v));
    int64_t dn = N;
    if (h5io_exists(&f, "/labels")) CHECK(h5io_read_i32(&f, "/labels", 1, &dn, &labels));
    if (with_class) {
        char cpath[2100];
        snprintf(cpath, sizeof cpath, "%s", ds);
        char *slash = strrchr(cpath, '/');
        if (slash) strcpy(slash + 1, "classes");
        else strcpy(cpath, "classes");
        if (!h5io_exists(&f, cpath))
            CHECK_FAIL(DSHAP_EFORMAT, "%s: '%s' has a class axis but there is no '%s' naming the classes", file, ds, cpath);
        int64_t dc[2] = {N, nk};
        CHECK(h5io_read_i32(&f, cpath, 2, dc, &classes));
    }
    if (first) {
        out->N = N;
        out->T = T;
        out->V = V;
        CHECK(dshap_calloc((void **)&out->s, (size_t)(N * T * V), sizeof *out->s, "scores"));
        out->labels = labels;
        labels = NULL;
    } else if (out->N != N || out->V != V || out->T != T) {
        CHECK_FAIL(DSHAP_EFORMAT, "%s: '%s' is (N, T, V) = (%lld, %d, %d), the other parts of the sum (%lld, %d, %d)", file,
                   ds, (long long)N, T, V, (long long)out->N, out->T, out->V);
    }
    int64_t TV = (int64_t)T * V;
    CHECK(dshap_calloc((void **)&row, (size_t)TV, sizeof *row, "scores"));
    for (int64_t i = 0; i < N; i++) {
        int col = 0;
        if (with_class) CHECK(pick_column(file, ds, classes, nk, i, out->labels ? out->labels : labels, cls, &col));
        const float *src = v + (i * nk + col) * TV;
        for (int64_t e = 0; e < TV; e++) {
            if (!isfinite(src[e])) CHECK_FAIL(DSHAP_ENUMERIC, "%s: '%s' holds NaN/Inf (sample %lld)", file, ds, (long long)i);
            row[e] = src[e];
        }
        if (scale) /* part of a sum: scale each part */
            for (int t = 0; t < T; t++) stats_minmax(row + (int64_t)t * V, V);
        for (int64_t e = 0; e < TV; e++) out->s[i * TV + e] += row[e];
    }
done:
    dshap_free(row);
    dshap_free(v);
    dshap_free(classes);
    dshap_free(labels);
    h5io_close(&f);
    return st;
}

dshap_status scores_load(score_set *s, const char *spec, const char *cls, int time) {
    memset(s, 0, sizeof *s);
    if (!spec || !*spec) FAIL(DSHAP_EINVAL, "empty score source");
    const char *eq = strchr(spec, '=');
    const char *colon = strchr(spec, ':');
    const char *body = spec;
    if (eq && (!colon || eq < colon)) {
        snprintf(s->name, sizeof s->name, "%.*s", (int)(eq - spec), spec);
        body = eq + 1;
    } else {
        const char *c = strrchr(spec, ':');
        snprintf(s->name, sizeof s->name, "%s", c ? c + 1 : spec);
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", body);
    char *parts[SCORES_MAX_PARTS];
    int np = 0;
    for (char *p = strtok(buf, "+"); p; p = strtok(NULL, "+")) {
        if (np == SCORES_MAX_PARTS) FAIL(DSHAP_EINVAL, "score source '%s': more than %d parts", spec, SCORES_MAX_PARTS);
        parts[np++] = p;
    }
    if (!np) FAIL(DSHAP_EINVAL, "score source '%s' names no FILE:DATASET", spec);
    dshap_status st = DSHAP_OK;
    for (int i = 0; i < np && !st; i++) st = load_part(parts[i], cls, time, s, i == 0, np > 1);
    if (st) scores_free(s);
    return st;
}

void scores_minmax(score_set *s) {
    for (int64_t i = 0; i < s->N * s->T; i++) stats_minmax(s->s + i * s->V, s->V);
}

void scores_joint(const score_set *s, double *out) {
    int64_t TV = (int64_t)s->T * s->V;
    for (int64_t i = 0; i < s->N; i++)
        for (int v = 0; v < s->V; v++) {
            double a = 0;
            for (int t = 0; t < s->T; t++) a += s->s[i * TV + (int64_t)t * s->V + v];
            out[i * s->V + v] = a / s->T;
        }
}
