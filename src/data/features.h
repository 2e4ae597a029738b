/* The four input features J, V, B, A (MODEL.md), computed in double and
 * stored as float32, exactly as the training loaders do: slice the first T
 * frames, then compute. */
#ifndef DSHAP_FEATURES_H
#define DSHAP_FEATURES_H

#include <stdint.h>

#include "core/error.h"
#include "engine/layout.h"

/* out: (n, 4, 2C, T, V, M); raw: (n, C, T_raw, V, M) with T_raw >= T. */
dshap_status features_compute(float *out, const float *raw, int64_t n, const dshap_layout *L, int C, int T_raw, int T,
                              int M);

/* Edge extension of the A branch's zero-phase filter: scipy's sosfiltfilt
 * default, 27 frames, when T > 27. scipy refuses shorter sequences (no model
 * can have been trained with T <= 27); we use padlen = T − 1 instead, the
 * largest scipy accepts, equal to sosfiltfilt(sos, x, padlen=T-1). */
int features_padlen(int T);

#endif
