/* Faithfulness and stability metrics of joint scores (dshap evaluate):
 * recovery of a planted ground-truth joint set, prediction gaps on the
 * important / unimportant joints, relative input / output stability.
 * Pure functions on one sample; the job (evaluate_job.c) loops. */
#ifndef DSHAP_EVALUATE_H
#define DSHAP_EVALUATE_H

#include <stdint.h>

#include "core/error.h"

/* Guard for the relative changes of RIS/ROS: |a| below it counts as it, so
 * a zero entry does not divide by zero (Agarwal et al. 2022 leave it open). */
#define EVAL_REL_EPS 1e-6
/* ε_min of RIS/ROS: the smallest input (output) change divided by. */
#define EVAL_EPS_MIN 1e-6

/* Recovery of the planted set of one sample. score (V): higher = more
 * important; truth (V): 1 on planted joints. k = 0: |G| (the set's size).
 *   auc:  ROC AUC of score against truth, ties half (P(s_planted > s_other)).
 *   prec: precision@k, the fraction of the k top-scoring joints that are
 *         planted; a tie group straddling position k counts by expectation
 *         over its orders (each member holds the remaining slots pro rata).
 * NaN when the set is empty or covers every joint. */
dshap_status eval_recovery(const double *score, const unsigned char *truth, int V, int k, double *prec, double *auc);

/* Softmax of logits (K) into p (K), in double. */
void eval_softmax(const float *logits, int K, double *p);

/* Relative change ||(a - b) / a||_2 over n entries, each |a| floored at
 * EVAL_REL_EPS (keeping a's sign; a = 0 counts as +EVAL_REL_EPS). */
double eval_rel_change(const double *a, const double *b, int64_t n);

/* One pair's stability ratio: rel_e / max(rel_in, EVAL_EPS_MIN). RIS takes
 * rel_in from the inputs, ROS from the output probabilities; both are the
 * maximum over perturbations keeping the predicted class. */
double eval_stability_ratio(double rel_e, double rel_in);

#endif
