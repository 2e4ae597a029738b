/* A small pool of float buffers reused across nodes: the backward pass and
 * the streaming forward keep only a frontier of tensors alive, and reusing
 * buffers avoids page-faulting fresh memory for every node. */
#ifndef DSHAP_POOL_H
#define DSHAP_POOL_H

#include <stdint.h>

#include "core/error.h"

typedef struct {
    float *ptr;
    int64_t cap;
    int busy;
} pool_buf;

typedef struct {
    pool_buf *bufs;
    int n, cap;
    int64_t bytes, peak_bytes;
} buf_pool;

/* A buffer of at least n floats; zeroed when `zero` is set. */
dshap_status pool_get(buf_pool *p, int64_t n, int zero, float **out);
void pool_put(buf_pool *p, float *ptr);
void pool_free(buf_pool *p);

#endif
