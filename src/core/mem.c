#include "core/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

dshap_status dshap_alloc(void **out, size_t bytes, const char *what) {
    *out = malloc(bytes ? bytes : 1);
    if (!*out) FAIL(DSHAP_ENOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
    return DSHAP_OK;
}

dshap_status dshap_calloc(void **out, size_t count, size_t size, const char *what) {
    if (size && count > SIZE_MAX / size) FAIL(DSHAP_ENOMEM, "allocation size overflow for %s", what);
    *out = calloc(count ? count : 1, size ? size : 1);
    if (!*out) FAIL(DSHAP_ENOMEM, "out of memory allocating %zu bytes for %s", count * size, what);
    return DSHAP_OK;
}

dshap_status dshap_alloc_floats(float **out, size_t count, const char *what) {
    if (count > SIZE_MAX / sizeof(float) - 64) FAIL(DSHAP_ENOMEM, "allocation size overflow for %s", what);
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
        FAIL(DSHAP_ENOMEM, "out of memory allocating %.1f MiB for %s", bytes / 1048576.0, what);
    memset(p, 0, bytes);
    *out = p;
    return DSHAP_OK;
}

void dshap_free(void *p) { free(p); }
