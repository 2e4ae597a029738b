/* Joint rankings across samples (box-plot data) and rank correlation
 * between score sources (the study's Table 1). */
#ifndef DSHAP_RANKCORR_H
#define DSHAP_RANKCORR_H

#include <stddef.h>

#include "study/scores.h"

#define RC_MAX_SOURCES 32

typedef struct {
    int n_src;
    const char *src[RC_MAX_SOURCES];
    const char *score_class;
    const char *sort_by;   /* rank: source name (default: the first) */
    const char *output, *csv;
    const char *command_line;
    int quiet;
} rc_opts;

/* Per-sample ranks (1 = highest score, ties averaged); per joint across
 * samples: median, quartiles (linear interpolation), Tukey whiskers, mean. */
typedef struct {
    double median, q1, q3, lo, hi, mean;
} joint_box;

dshap_status rank_box(const double *ranks, int64_t N, int V, int v, joint_box *b);
dshap_status rank_run(const rc_opts *o);
dshap_status correlate_run(const rc_opts *o);

/* Joint name of index v in a layout with V joints ("j<v>" where unnamed). */
const char *joint_label(int V, int v, char *buf, size_t cap);

#endif
