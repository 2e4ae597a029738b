/* Checked allocation: every buffer of the engine goes through these so an
 * out-of-memory condition becomes a clear message, never a crash. */
#ifndef DSHAP_MEM_H
#define DSHAP_MEM_H

#include <stddef.h>
#include "core/error.h"

dshap_status dshap_alloc(void **out, size_t bytes, const char *what);
dshap_status dshap_calloc(void **out, size_t count, size_t size, const char *what);
/* 64-byte aligned, zero-filled float buffer. */
dshap_status dshap_alloc_floats(float **out, size_t count, const char *what);
void dshap_free(void *p);

#endif
