/* dshap evaluate: per score source and sample, recovery of the planted joint
 * set (/planted of the data), PGI / PGU (prediction gap when noise is added
 * to the k most / least important joints) and RIS / ROS (relative input /
 * output stability against explanations of jittered copies); and the jitter
 * that writes those copies. */
#ifndef DSHAP_EVALUATE_JOB_H
#define DSHAP_EVALUATE_JOB_H

#include <stdint.h>

#include "core/error.h"
#include "study/perturb_job.h"

#define EVAL_MAX_SOURCES 32

typedef struct {
    const char *data;                       /* data.h5: raw /x, /y, /planted (N, V) */
    int n_sources;
    const char *sources[EVAL_MAX_SOURCES];  /* [NAME=]FILE:DATASET (study/scores.h) */
    const char *score_class;                /* auto | true | C */
    int k;                                  /* precision@k; 0: the planted set's size */
    const char *model;                      /* PGI/PGU and RIS/ROS need it */
    int pg_k;                               /* joints perturbed for PGI / PGU */
    double pg_sigma;                        /* their noise sd (data units, metres) */
    int pg_freeze;                          /* instead: hold them at their time mean */
    int repeats;                            /* noise draws per sample */
    uint64_t seed;
    const char *perturbed;                  /* data.h5 of jittered copies (evaluate jitter) */
    const char *perturbed_sources[EVAL_MAX_SOURCES]; /* the same sources on them, in order */
    int n_perturbed_sources;
    const char *output, *csv, *command_line;
    /* Freeze curves of the first source: for k = 1..curve_k, every sample's
     * k top / bottom / random (repeats draws) joints held at their time mean,
     * the metric of the model on all samples (dshap perturb's curves format). */
    int curve_k;
    metric_kind curve_metric;               /* accuracy, auc-grouped (/group) or probability */
    const char *curves_out, *curves_csv, *curves_label;
    int quiet;
} evaluate_opts;

dshap_status evaluate_run(const evaluate_opts *o);

typedef struct {
    const char *data, *output;
    double sigma;   /* noise sd per coordinate (data units) */
    int copies;     /* P: row i*P + p is copy p of sample i */
    uint64_t seed;
} jitter_opts;

/* Copies of every sample with N(0, sigma^2) added to every coordinate of
 * the present persons (a person's all-zero frame stays zero). */
dshap_status evaluate_jitter(const jitter_opts *o);

#endif
