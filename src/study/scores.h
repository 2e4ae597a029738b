/* Joint-score sources: per-sample joint scores read from attributions files
 * (SHAP /shap/values at joint or frame granularity, Grad-CAM
 * /gradcam/<layer>/joint or /map), one class column chosen per sample. */
#ifndef DSHAP_SCORES_H
#define DSHAP_SCORES_H

#include <stdint.h>

#include "core/error.h"

#define SCORES_MAX_PARTS 16

typedef struct {
    char name[128];   /* label: NAME= of the spec, else the dataset path */
    int64_t N;
    int T, V;         /* T = 1 for joint-level sources */
    double *s;        /* (N, T, V) */
    int32_t *labels;  /* (N) from the first part's file, or NULL */
} score_set;

/* spec: [NAME=]FILE:DATASET[+FILE:DATASET...]. A sum of parts is taken after
 * min-max scaling each part per sample (and frame) to [0, 1], so layers of
 * different scale weigh alike. Shapes accepted:
 *   time = 0: (N, V), or (N, K', V) with a sibling 'classes' (N, K'), or a
 *             frame store (N, K', T', V) (callers average over time);
 *   time = 1: (N, T', V), (N, K', T', V) with 'classes', or (N, V) (T = 1).
 * cls: "auto" (the only column when K' = 1, else the label's), "true" (the
 * column whose class is the sample's label, /labels of the file), or a class
 * number. */
dshap_status scores_load(score_set *s, const char *spec, const char *cls, int time);
void scores_free(score_set *s);

/* Per sample (and frame), min-max to [0, 1] in place. */
void scores_minmax(score_set *s);

/* Mean over time: (N, V) into out. */
void scores_joint(const score_set *s, double *out);

#endif
