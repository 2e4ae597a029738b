#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

dshap_status pool_get(buf_pool *p, int64_t n, int zero, float **out) {
    int best = -1;
    for (int i = 0; i < p->n; i++)
        if (!p->bufs[i].busy && p->bufs[i].cap >= n && (best < 0 || p->bufs[i].cap < p->bufs[best].cap)) best = i;
    if (best < 0) {
        if (p->n == p->cap) {
            int cap = p->cap ? 2 * p->cap : 16;
            pool_buf *b = realloc(p->bufs, sizeof *b * (size_t)cap);
            if (!b) FAIL(DSHAP_ENOMEM, "out of memory growing the buffer pool");
            p->bufs = b;
            p->cap = cap;
        }
        float *ptr;
        TRY(dshap_alloc_floats(&ptr, (size_t)n, "working tensors"));
        p->bufs[p->n] = (pool_buf){ptr, n, 0};
        p->bytes += n * (int64_t)sizeof(float);
        if (p->bytes > p->peak_bytes) p->peak_bytes = p->bytes;
        best = p->n++;
        zero = 0; /* fresh buffers are already zeroed */
    }
    p->bufs[best].busy = 1;
    if (zero) memset(p->bufs[best].ptr, 0, sizeof(float) * (size_t)n);
    *out = p->bufs[best].ptr;
    return DSHAP_OK;
}

void pool_put(buf_pool *p, float *ptr) {
    for (int i = 0; i < p->n; i++)
        if (p->bufs[i].ptr == ptr) p->bufs[i].busy = 0;
}

void pool_free(buf_pool *p) {
    for (int i = 0; i < p->n; i++) dshap_free(p->bufs[i].ptr);
    free(p->bufs);
    memset(p, 0, sizeof *p);
}
