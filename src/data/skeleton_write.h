/* Writer of NTU-style `.skeleton` text (the inverse of skeleton.h), used by
 * `dshap data synth --format skeleton` for importer benchmarks and round-trip
 * tests. x, y, z are printed with 9 significant digits ("%.9G": float32 values
 * survive the round trip exactly; small values use exponent notation such as
 * -9.27693695E-05, as real files do); the other columns are plausible values
 * derived from them. */
#ifndef DSHAP_SKELETON_WRITE_H
#define DSHAP_SKELETON_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/* x: (3, T, 25, M); every frame lists the M bodies. crlf: CRLF line ends. */
dshap_status skeleton_write(FILE *fp, const char *name, const float *x, int T, int M, int64_t body_id, int crlf);

#endif
