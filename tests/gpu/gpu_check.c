#include "gpu_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "cuda/exec.h"

static cuda_stream the_stream; /* one per test process */

void gpu_require(const char *test) {
    if (cuda_device_count() == 0) {
        char why[256];
        snprintf(why, sizeof why, "%s needs a CUDA GPU and this machine has none (or no driver)", test);
        tl_skip(why);
    }
    if (cuda_select(0) != DSHAP_OK) {
        fprintf(stderr, "%s: %s\n", test, dshap_last_error());
        exit(1);
    }
}

static void die(const char *what) {
    fprintf(stderr, "FAIL %s: %s\n", what, dshap_last_error());
    exit(1);
}

cuda_stream gpu_stream(int allow_tf32, int64_t scratch_floats) {
    gpu_stream_done();
    if (cuda_stream_new(&the_stream) || cuda_exec_attach(the_stream, allow_tf32, scratch_floats)) die("stream setup");
    return the_stream;
}

void gpu_stream_done(void) {
    if (!the_stream) return;
    cuda_exec_detach(the_stream);
    cuda_stream_free(the_stream);
    the_stream = NULL;
}

float *gpu_floats(const float *host, int64_t n) {
    float *d;
    if (cuda_alloc((void **)&d, sizeof(float) * (size_t)(n > 0 ? n : 1), "test buffer")) die("cuda_alloc");
    if (host ? cuda_upload(d, host, sizeof(float) * (size_t)n, the_stream) : cuda_poison(d, n, the_stream))
        die("upload");
    if (cuda_stream_sync(the_stream)) die("sync");
    return d;
}

int *gpu_ints(const int *host, int64_t n) {
    int *d;
    if (cuda_alloc((void **)&d, sizeof(int) * (size_t)(n > 0 ? n : 1), "test buffer")) die("cuda_alloc");
    if (cuda_upload(d, host, sizeof(int) * (size_t)n, the_stream) || cuda_stream_sync(the_stream)) die("upload");
    return d;
}

float *host_floats(const float *dev, int64_t n) {
    float *h = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!h) die("malloc");
    if (cuda_download(h, dev, sizeof(float) * (size_t)n, the_stream) || cuda_stream_sync(the_stream)) die("download");
    return h;
}

void gpu_free(void *dev) { cuda_release(dev); }

double rel_to_max(const float *a, const float *b, int64_t n, int64_t *where) {
    double mx = 0, worst = 0;
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs((double)b[i]));
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!isfinite(a[i]) || !isfinite(b[i])) d = INFINITY;
        if (d > worst || (d == INFINITY && worst != INFINITY)) {
            worst = d;
            w = i;
        }
    }
    if (where) *where = w;
    return worst == INFINITY ? INFINITY : worst / (mx > 0 ? mx : 1e-30);
}

double rel_to_max_d(const double *a, const double *b, int64_t n, int64_t *where) {
    double mx = 0, worst = 0;
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(b[i]));
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!isfinite(a[i]) || !isfinite(b[i])) d = INFINITY;
        if (d > worst || (d == INFINITY && worst != INFINITY)) {
            worst = d;
            w = i;
        }
    }
    if (where) *where = w;
    return worst == INFINITY ? INFINITY : worst / (mx > 0 ? mx : 1e-300);
}

void fill_normal(float *x, int64_t n, uint64_t seed) {
    rng_t r;
    rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) x[i] = (float)rng_normal(&r);
}
