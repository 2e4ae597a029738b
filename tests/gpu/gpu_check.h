/* Helpers of the GPU tests: skip without a device, host <-> device copies,
 * and the comparison every GPU test uses. No CUDA header needed. */
#ifndef DSHAP_GPU_CHECK_H
#define DSHAP_GPU_CHECK_H

#include <stdint.h>

#include "cuda/device.h"
#include "testlib.h"

/* Exit 77 with a reason when no GPU is usable; else select GPU 0. */
void gpu_require(const char *test);
/* The test stream, attached (cuda/exec.h) with the given math mode and scratch. */
cuda_stream gpu_stream(int allow_tf32, int64_t scratch_floats);
void gpu_stream_done(void);

float *gpu_floats(const float *host, int64_t n); /* device copy (NULL host: NaN-filled) */
int *gpu_ints(const int *host, int64_t n);
float *host_floats(const float *dev, int64_t n); /* synchronous, malloc'd */
void gpu_free(void *dev);

/* max |a − b| / max |b| (NaN or Inf anywhere: Inf); *where the worst index. */
double rel_to_max(const float *a, const float *b, int64_t n, int64_t *where);
double rel_to_max_d(const double *a, const double *b, int64_t n, int64_t *where);

/* Random N(0, 1) floats (seeded, reproducible). */
void fill_normal(float *x, int64_t n, uint64_t seed);

#endif
