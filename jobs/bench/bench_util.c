#include "bench_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "io/inputs.h"

/* The library's message names the file. */
static void die(const char *prog) {
    fprintf(stderr, "%s: %s\n", prog, dshap_last_error());
    exit(1);
}

void bench_die(const char *prog, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", dshap_last_error());
    exit(1);
}

void bench_load(const char *prog, const char *model, const char *data, int n_i, int n_r, bench_inputs *b) {
    if (model_load(&b->m, model) || net_build(&b->net, &b->m)) die(prog);
    inputs_src src;
    if (inputs_open(&src, data, &b->net)) die(prog);
    if (src.N < n_i + n_r) {
        fprintf(stderr, "%s: %s has %lld samples, need %d\n", prog, data, (long long)src.N, n_i + n_r);
        exit(2);
    }
    b->F = inputs_sample_size(&src);
    if (dshap_alloc_floats(&b->xi, (size_t)(n_i * b->F), "instances") ||
        dshap_alloc_floats(&b->xr, (size_t)(n_r * b->F), "references") || inputs_read(&src, 0, n_i, b->xi) ||
        inputs_read(&src, n_i, n_r, b->xr))
        die(prog);
    inputs_close(&src);
}

void bench_inputs_free(bench_inputs *b) {
    dshap_free(b->xi);
    dshap_free(b->xr);
    net_free(&b->net);
    model_free(&b->m);
}

double bench_rel_dev(const double *a, const double *b, int64_t n) {
    double mx = 0, d = 0;
    for (int64_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(b[i]));
        double e = fabs(a[i] - b[i]);
        if (!(e <= d)) d = isnan(e) ? INFINITY : e;
    }
    return d / (mx > 0 ? mx : 1e-300);
}
