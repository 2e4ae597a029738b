/* Per-sample integer datasets of data.h5 / inputs.h5 (/y, /group, /length),
 * read with their type and range checked: HDF5 would otherwise convert a
 * label of 1.5 to 1, or pass a length of -5, without a word. */
#ifndef DSHAP_LABELS_H
#define DSHAP_LABELS_H

#include <stdint.h>

#include "io/h5io.h"

/* `name` (N,) of an integer type with every value in [lo, hi]; *out is
 * allocated (dshap_free). `what` says what the values are, for messages. */
dshap_status labels_read(const h5file *f, const char *name, int64_t N, long long lo, long long hi, const char *what,
                         int32_t **out);
/* The same check without keeping the values. */
dshap_status labels_check(const h5file *f, const char *name, int64_t N, long long lo, long long hi, const char *what);

#endif
