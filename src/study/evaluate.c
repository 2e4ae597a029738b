#include "study/evaluate.h"

#include <math.h>
#include <stdlib.h>

#include "core/mem.h"
#include "study/stats.h"

typedef struct {
    double s;
    int v;
} scored;
static int by_score_desc(const void *pa, const void *pb) {
    const scored *a = pa, *b = pb;
    if (a->s != b->s) return a->s > b->s ? -1 : 1;
    return a->v - b->v;
}

dshap_status eval_recovery(const double *score, const unsigned char *truth, int V, int k, double *prec, double *auc) {
    int ng = 0;
    for (int v = 0; v < V; v++) {
        if (!isfinite(score[v])) FAIL(DSHAP_EINVAL, "joint %d has a non-finite score", v);
        ng += truth[v] != 0;
    }
    if (k <= 0) k = ng;
    if (k > V) FAIL(DSHAP_EINVAL, "precision@%d: only %d joints", k, V);
    if (ng == 0 || ng == V) {
        *prec = *auc = NAN;
        return DSHAP_OK;
    }
    int *lab = NULL;
    scored *o = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&lab, (size_t)V, sizeof *lab, "labels"));
    CHECK(dshap_calloc((void **)&o, (size_t)V, sizeof *o, "order"));
    for (int v = 0; v < V; v++) lab[v] = truth[v] != 0, o[v] = (scored){score[v], v};
    CHECK(stats_auc(score, lab, V, auc));
    qsort(o, (size_t)V, sizeof *o, by_score_desc);
    /* Tie groups [a, b) in descending order: a group wholly inside the top k
     * counts its planted joints; the one across position k counts them times
     * the share of its places that fall inside. */
    double hits = 0;
    for (int a = 0; a < k;) {
        int b = a, planted = 0;
        while (b < V && o[b].s == o[a].s) planted += lab[o[b].v], b++;
        hits += b <= k ? planted : (double)planted * (k - a) / (b - a);
        a = b;
    }
    *prec = hits / k;
done:
    dshap_free(lab);
    dshap_free(o);
    return st;
}

void eval_softmax(const float *logits, int K, double *p) {
    double mx = logits[0], den = 0;
    for (int k = 1; k < K; k++) mx = fmax(mx, logits[k]);
    for (int k = 0; k < K; k++) den += p[k] = exp((double)logits[k] - mx);
    for (int k = 0; k < K; k++) p[k] /= den;
}

double eval_rel_change(const double *a, const double *b, int64_t n) {
    double ss = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(a[i]) < EVAL_REL_EPS ? (a[i] < 0 ? -EVAL_REL_EPS : EVAL_REL_EPS) : a[i];
        double r = (a[i] - b[i]) / d;
        ss += r * r;
    }
    return sqrt(ss);
}

double eval_stability_ratio(double rel_e, double rel_in) {
    return rel_e / fmax(rel_in, EVAL_EPS_MIN);
}
