/* dshap perturb: accuracy / grouped AUC as the edge self-loops of the k
 * best (or worst, or random) joints are perturbed, k = 1..K → curves. */
#ifndef DSHAP_PERTURB_JOB_H
#define DSHAP_PERTURB_JOB_H

#include "study/perturb.h"

#define PJ_MAX_K 64

typedef enum { SEL_TOP, SEL_BOTTOM, SEL_RANDOM, SEL_KINDS } select_kind;
typedef enum { MET_ACCURACY, MET_AUC_GROUPED, MET_AGREEMENT, MET_PROBABILITY } metric_kind;

typedef struct {
    const char *model, *data, *scores, *score_class, *output, *csv, *label, *save_model;
    const char *edge_tensors; /* imported models: glob over the constants' names */
    int n_k, ks[PJ_MAX_K];
    int select[SEL_KINDS]; /* which selections to run */
    perturb_opts p;
    metric_kind metric;
    int per_sample;        /* each sample its own joint set (the published loop) */
    uint64_t seed;
    int repeats;           /* random selection: seeds seed .. seed+repeats-1 */
    int block;
    const char *command_line;
    int quiet;
} perturb_job_opts;

dshap_status perturb_job_run(const perturb_job_opts *o);

/* The metric of logits (N, K): accuracy (labels), the infant-level AUC
 * (softmax → class-1 probability per window → median per group → ROC AUC),
 * agreement (top-1 equal to `labels`, there the unperturbed predictions:
 * shows the effect of a perturbation on models without trained accuracy),
 * or probability (the mean softmax probability of the labelled class: moves
 * with the evidence a perturbation removes while a confident model's top-1
 * stays put, so accuracy ties curves that this orders). */
dshap_status perturb_metric(metric_kind m, const float *logits, int64_t N, int K, const int32_t *labels,
                            const int32_t *group, double *out);

const char *select_name(select_kind s);
const char *metric_name(metric_kind m);

#endif
