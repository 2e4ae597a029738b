/* dshap plot: SVG figures of the study. Every marker an eye or a test
 * should count carries a class: joint (skeleton joints), box (rank boxes),
 * point (curve points), band (random-baseline sd band). */
#ifndef DSHAP_PLOT_H
#define DSHAP_PLOT_H

#include "core/error.h"

#define PLOT_MAX_SERIES 32

typedef struct {
    const char *output, *title;
    int n_in;
    const char *in[PLOT_MAX_SERIES];  /* --scores / --curves / --csv / --ranks */
    /* skeleton */
    const char *data;
    int sample, windows, frames, person;
    const char *score_class;
    /* ranks */
    int top;                          /* joints shown (0: all) */
    int quiet;
} plot_opts;

dshap_status plot_skeleton(const plot_opts *o);
dshap_status plot_ranks(const plot_opts *o);
dshap_status plot_perturb(const plot_opts *o);
dshap_status plot_scaling(const plot_opts *o);

#endif
