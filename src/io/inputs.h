/* Model inputs from inputs.h5 ((N, B, C, T, V, M), used as is) or from
 * data.h5 (raw joints (N, C, T, V, M), the first T frames). A model whose
 * input is ShapGCN's four feature branches (B = 4, C = 2·raw C) gets its
 * J/V/B/A features computed on the fly; one whose input is the raw joints
 * (B = 1, C = raw C: an imported ST-GCN, say) takes them as they are. Rows
 * are read in blocks so memory stays bounded for any N. */
#ifndef DSHAP_INPUTS_H
#define DSHAP_INPUTS_H

#include <stdint.h>

#include "engine/net.h"
#include "io/h5io.h"

#define INPUTS_FORMAT "dshap-inputs"
#define INPUTS_FORMAT_VERSION 1

typedef struct {
    h5file f;
    const char *path;
    int is_data;            /* 1: data.h5 (raw joints), 0: inputs.h5 */
    int64_t N;
    int B, C, T, V, M;      /* model input per sample (B, C, T, V, M); ShapGCN: B = 4, C = 2·raw C */
    int features;           /* data.h5: compute J/V/B/A features (else the raw joints are the input) */
    int raw_C, raw_T;       /* data.h5 only */
    const dshap_arch *arch;
    int32_t *labels;        /* (N) or NULL */
    char **names;           /* (N) or NULL */
    int64_t n_names;
    int32_t *group;         /* (N) or NULL: subject / infant of each window */
} inputs_src;

/* Open and check shape agreement with the model's input. */
dshap_status inputs_open(inputs_src *s, const char *path, const dshap_net *net);
/* Read model-input rows [i0, i0+n) into x (n, B, C, T, V, M). NaN/Inf → error. */
dshap_status inputs_read(inputs_src *s, int64_t i0, int64_t n, float *x);
/* Read arbitrary rows (e.g. a background subset), in the given order. */
dshap_status inputs_read_rows(inputs_src *s, const int64_t *rows, int64_t n, float *x);
void inputs_close(inputs_src *s);
/* Scan every stored value for NaN/Inf (streamed), before a long job starts. */
dshap_status inputs_check_finite(inputs_src *s);

/* The raw joint channels a data.h5 must hold for this model, or 0 when the
 * model input cannot be made from raw joints; *features: the input is the
 * J/V/B/A features of them (else the raw joints' first T frames). */
int inputs_raw_channels(const dshap_net *net, int *features);

static inline int64_t inputs_sample_size(const inputs_src *s) {
    return (int64_t)s->B * s->C * s->T * s->V * s->M;
}

#endif
