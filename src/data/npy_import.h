/* import-npy: preprocessed (N, C, T, V, M) .npy arrays + labels (+ group
 * ids) → data.h5, streamed in blocks. No transform is applied; /length is the
 * number of frames up to the last non-zero one, /name "X.npy#i". */
#ifndef DSHAP_NPY_IMPORT_H
#define DSHAP_NPY_IMPORT_H

#include <stdint.h>

#include "core/error.h"
#include "engine/layout.h"

typedef struct {
    const char *x, *y, *g; /* X.npy, Y.npy, optional G.npy */
    const char *out;
    const char *benchmark, *split; /* attributes; NULL: "npy", "all" */
    const dshap_layout *L;
} npy_import_opts;

/* *n_out: samples written; *n_empty: all-zero samples among them. */
dshap_status npy_import(const npy_import_opts *a, int64_t *n_out, int64_t *n_empty);

#endif
