/* Index arithmetic of the general-graph kernels (ops_nd.c, backward_nd.c,
 * deeplift_nd.c) on per-sample shapes (engine/net.h nd_shape, row-major,
 * the batch axis excluded): strides, numpy broadcasting, strided views as
 * offset tables (one int64 per output element, built once per call and
 * shared by every row of the batch). */
#ifndef DSHAP_ND_INDEX_H
#define DSHAP_ND_INDEX_H

#include <stdint.h>

#include "engine/net.h"

int64_t nd_numel(const nd_shape *s);
/* contiguous strides of s (in elements) */
void nd_strides(const nd_shape *s, int64_t *st);
/* The strides, per axis of `out`, at which an operand of shape s is read
 * when broadcast (numpy: right-aligned; size-1 and missing axes 0). */
void nd_bcast_strides(const nd_shape *out, const nd_shape *s, int64_t *st);
/* off[e] = base + Σ_j idx_j(e) · st[j] for every element e of `out` in
 * row-major order; NULL if out of memory (free() it). */
int64_t *nd_offsets(const nd_shape *out, const int64_t *st, int64_t base);
/* (outer, L, inner) of s around `axis` (L = s->d[axis]) */
void nd_split(const nd_shape *s, int axis, int64_t *outer, int64_t *L, int64_t *inner);

/* B rows of n floats set to 0 unless acc (the backward kernels' first contribution) */
void nd_clear_rows(float *m, int64_t B, int64_t n, int acc);

#endif
