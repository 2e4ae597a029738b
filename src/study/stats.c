#include "study/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

typedef struct {
    double v;
    int64_t i;
} keyed;

static int cmp_keyed(const void *pa, const void *pb) {
    const keyed *a = pa, *b = pb;
    if (a->v < b->v) return -1;
    if (a->v > b->v) return 1;
    return a->i < b->i ? -1 : a->i > b->i; /* stable: equal values keep input order */
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

void stats_sort(double *x, int64_t n) { qsort(x, (size_t)n, sizeof *x, cmp_double); }

dshap_status stats_rank(const double *x, int64_t n, int descending, double *r) {
    keyed *k;
    TRY(dshap_alloc((void **)&k, sizeof *k * (size_t)(n > 0 ? n : 1), "ranks"));
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            dshap_free(k);
            FAIL(DSHAP_EINVAL, "cannot rank NaN (value %lld)", (long long)i);
        }
        k[i].v = descending ? -x[i] : x[i];
        k[i].i = i;
    }
    qsort(k, (size_t)n, sizeof *k, cmp_keyed);
    for (int64_t s = 0; s < n;) {
        int64_t e = s + 1;
        while (e < n && k[e].v == k[s].v) e++;
        double avg = 0.5 * (double)(s + 1 + e); /* mean of positions s+1 .. e */
        for (int64_t j = s; j < e; j++) r[k[j].i] = avg;
        s = e;
    }
    dshap_free(k);
    return DSHAP_OK;
}

static double pearson(const double *a, const double *b, int64_t n) {
    double ma = 0, mb = 0;
    for (int64_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (int64_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa == 0 || sbb == 0) return NAN;
    double r = sab / sqrt(saa * sbb);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

dshap_status stats_spearman(const double *a, const double *b, int64_t n, double *rho) {
    if (n < 2) FAIL(DSHAP_EINVAL, "Spearman's rho needs at least 2 values, got %lld", (long long)n);
    double *ra, *rb;
    TRY(dshap_alloc((void **)&ra, sizeof *ra * (size_t)n * 2, "ranks"));
    rb = ra + n;
    dshap_status st = stats_rank(a, n, 0, ra);
    if (!st) st = stats_rank(b, n, 0, rb);
    if (!st) *rho = pearson(ra, rb, n);
    dshap_free(ra);
    return st;
}

dshap_status stats_auc(const double *score, const int *label, int64_t n, double *auc) {
    double *r;
    TRY(dshap_alloc((void **)&r, sizeof *r * (size_t)(n > 0 ? n : 1), "AUC ranks"));
    dshap_status st = stats_rank(score, n, 0, r);
    if (st) {
        dshap_free(r);
        return st;
    }
    /* Mann-Whitney: AUC = (sum of positive ranks - n1(n1+1)/2) / (n1 n0);
     * average ranks give ties half credit, as the ROC trapezoid does. */
    double n1 = 0, n0 = 0, s1 = 0;
    for (int64_t i = 0; i < n; i++) {
        if (label[i]) {
            n1++;
            s1 += r[i];
        } else {
            n0++;
        }
    }
    dshap_free(r);
    *auc = (n1 > 0 && n0 > 0) ? (s1 - n1 * (n1 + 1) / 2) / (n1 * n0) : NAN;
    return DSHAP_OK;
}

double stats_quantile_sorted(const double *s, int64_t n, double q) {
    if (n == 1) return s[0];
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= n - 1) return s[n - 1];
    double f = pos - (double)lo;
    return s[lo] + f * (s[lo + 1] - s[lo]);
}

dshap_status stats_median(const double *x, int64_t n, double *med) {
    if (n < 1) FAIL(DSHAP_EINVAL, "median of no values");
    double *c;
    TRY(dshap_alloc((void **)&c, sizeof *c * (size_t)n, "median"));
    memcpy(c, x, sizeof *c * (size_t)n);
    stats_sort(c, n);
    *med = stats_quantile_sorted(c, n, 0.5);
    dshap_free(c);
    return DSHAP_OK;
}

void stats_minmax(double *x, int64_t n) {
    if (n < 1) return;
    double lo = x[0], hi = x[0];
    for (int64_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    double span = hi - lo;
    for (int64_t i = 0; i < n; i++) x[i] = span > 0 ? (x[i] - lo) / span : 0;
}

void stats_mean_sd(const double *x, int64_t n, double *mean, double *sd) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m += x[i];
    m /= (double)(n > 0 ? n : 1);
    double ss = 0;
    for (int64_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}
