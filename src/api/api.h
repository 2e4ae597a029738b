/* Internals of the public C API (include/dshap/dshap.h): the handles behind
 * its opaque types and the checks every entry point shares. */
#ifndef DSHAP_API_INTERNAL_H
#define DSHAP_API_INTERNAL_H

#include "dshap/dshap.h"
#include "engine/model.h"
#include "engine/net.h"

struct dshap_model_t {
    dshap_model model;
    dshap_net net;
    char path[1024]; /* model.path points here (error messages name it) */
};

/* ONNX by content (dshap.h, dshap_model_load): the first byte is 0x08. */
int api_bytes_are_onnx(const void *bytes, size_t n_bytes);
int api_file_is_onnx(const char *path);
/* dshap_model_load of an ONNX file (layout by V); messages name path. */
dshap_status api_onnx_load_file(const char *path, dshap_model_t **out);

/* DSHAP_EINVAL unless OpenBLAS runs one thread (dshap_init, or OPENBLAS_NUM_THREADS=1). */
dshap_status api_check_init(void);
/* Rejects a NULL pointer argument with a line naming it. */
dshap_status api_check_ptr(const void *p, const char *fn, const char *what);
/* Every value of (n, S) finite, classes (n, n_k) in [0, K). */
dshap_status api_check_finite(const float *x, int64_t n, int64_t S, const char *fn, const char *what);
dshap_status api_check_classes(const int32_t *classes, int64_t n, int n_k, int K, const char *fn);
/* Sets the calling thread's OpenMP thread count for a call (0: unchanged);
 * returns the previous count to restore with api_threads_restore. */
int api_threads_set(int threads);
void api_threads_restore(int threads, int previous);

#endif
