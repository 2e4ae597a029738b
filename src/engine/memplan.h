/* Static memory plans: buffers with known lifetimes share one arena. Sizes
 * are per unit (per sample in the forward, per triple in the backward) and
 * scale with the batch, so one plan serves every batch size. */
#ifndef DSHAP_MEMPLAN_H
#define DSHAP_MEMPLAN_H

#include <stdint.h>

#include "core/error.h"

#define PLAN_ALIGN 32 /* floats: 128-byte aligned offsets for any batch */

static inline int64_t plan_round(int64_t floats) { return (floats + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

/* Item k lives during steps [start[k], end[k]] (inclusive; start < 0 or
 * size 0: no storage). Writes offset[k] so that items alive at the same
 * step do not overlap (first fit, in order of start); *total gets the arena
 * size. */
dshap_status plan_intervals(int n, const int64_t *start, const int64_t *end, const int64_t *size, int64_t *offset,
                            int64_t *total);

#endif
