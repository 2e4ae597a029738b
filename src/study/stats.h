/* Small statistics for the study: ranks with ties, Spearman's rho, ROC AUC,
 * quantiles, min-max scaling. All in double; inputs are never modified. */
#ifndef DSHAP_STATS_H
#define DSHAP_STATS_H

#include <stdint.h>

#include "core/error.h"

/* Average ranks, 1-based, ties share the mean of their positions (as
 * scipy.stats.rankdata(method='average')). descending = 1 ranks the largest
 * value 1. r has n entries. */
dshap_status stats_rank(const double *x, int64_t n, int descending, double *r);

/* Spearman's rho with average ranks for ties: Pearson's r of the ranks
 * (scipy.stats.spearmanr). NaN when either side is constant. */
dshap_status stats_spearman(const double *a, const double *b, int64_t n, double *rho);

/* ROC AUC of scores against binary labels (1 = positive), ties counted half
 * (equal to sklearn.metrics.roc_auc_score). NaN unless both classes occur. */
dshap_status stats_auc(const double *score, const int *label, int64_t n, double *auc);

/* Quantile q in [0, 1] with linear interpolation between order statistics
 * (numpy.percentile's default "linear" method). sorted: ascending, n >= 1. */
double stats_quantile_sorted(const double *sorted, int64_t n, double q);
/* Median of unsorted values (copies them). */
dshap_status stats_median(const double *x, int64_t n, double *med);

/* In place: (x - min) / (max - min); all zeros when max == min. */
void stats_minmax(double *x, int64_t n);

/* Mean and sample standard deviation (n - 1; 0 for n = 1). */
void stats_mean_sd(const double *x, int64_t n, double *mean, double *sd);

/* ascending sort of doubles */
void stats_sort(double *x, int64_t n);

#endif
