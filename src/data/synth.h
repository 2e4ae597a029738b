/* Deterministic synthetic skeleton motion for demos, tests and benchmarks:
 * a rest skeleton with the layout's bone lengths, moved by forward kinematics
 * (bone lengths stay fixed) with class-dependent periodic joint rotations,
 * per-sample variation of amplitude, phase, speed and placement, and sensor
 * noise. Sample i depends only on (seed, i), so any subset can be generated
 * in any order. */
#ifndef DSHAP_SYNTH_H
#define DSHAP_SYNTH_H

#include <stdint.h>

#include "engine/layout.h"

/* NTU RGB+D 60: actions A050-A060 (labels 49-59) are two-person interactions;
 * in the others the second person is absent (its joints are zero). */
#define SYNTH_FIRST_INTERACTION 49

typedef struct {
    const dshap_layout *L;
    int K;         /* classes; label of sample i = i mod K */
    int T;         /* frames */
    int M;         /* persons */
    int interactions_only; /* persons after the first only in labels >= SYNTH_FIRST_INTERACTION, else zero */
    uint64_t seed;
} synth_opts;

/* x: (C, T, V, M) with C = L->C; returns the label. */
int synth_sample(const synth_opts *o, int64_t i, float *x);

/* NTU-style name of sample i: setup, camera, performer and replication
 * enumerate i (unique for i < 239760), action = label + 1. For other
 * layouts "synth_<i>". */
void synth_name(const synth_opts *o, int64_t i, int label, char *out, int cap);

#endif
