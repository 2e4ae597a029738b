/* Shared by the benchmark programs (jobs/bench/tf32_probe.c,
 * tests/gpu/bench_gpu.c): a model with the first n_i + n_r samples of a data
 * file as instances and references, and the deviation of their reports. */
#ifndef DSHAP_BENCH_UTIL_H
#define DSHAP_BENCH_UTIL_H

#include <stdint.h>

#include "engine/net.h"

typedef struct {
    dshap_model m;
    dshap_net net;
    float *xi, *xr; /* (n_i, F), (n_r, F) model inputs */
    int64_t F;
} bench_inputs;

/* Loads or exits: status 1 with the library's message for a load failure,
 * 2 when the data has fewer than n_i + n_r samples. */
void bench_load(const char *prog, const char *model, const char *data, int n_i, int n_r, bench_inputs *b);
void bench_inputs_free(bench_inputs *b);

/* "prog: <message>: <the library's last error>" on stderr, exit 1. */
void bench_die(const char *prog, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* max |a − b| / max |b| (NaN counts as infinite). */
double bench_rel_dev(const double *a, const double *b, int64_t n);

#endif
