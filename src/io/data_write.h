/* data.h5 writer (FORMATS.md): samples are appended as they are produced
 * (bounded memory) into a temporary sibling file, which is renamed to the
 * final name only by data_writer_commit; any failure removes it. */
#ifndef DSHAP_DATA_WRITE_H
#define DSHAP_DATA_WRITE_H

#include <stdint.h>

#include "io/data_file.h"
#include "io/h5rows.h"

typedef struct {
    const char *layout;
    const char *benchmark;             /* xview, xsub, synth, … */
    const char *split;                 /* train, eval, all, … */
    const char *source;                /* where the samples came from */
    const char *const *transforms;     /* applied in this order; may be empty */
    int n_transforms;
} data_attrs;

typedef struct {
    h5file f;
    char tmp[4096];
    const char *path;
    int C, T, V, M;
    int with_group;
    h5rows x, y, length, name, group;
    int64_t n;
} data_writer;

dshap_status data_writer_open(data_writer *w, const char *path, int C, int T, int V, int M, int with_group);
/* Append n samples: x (n, C, T, V, M), y, length, name (n each), group (n,
 * only when opened with_group). */
dshap_status data_writer_append(data_writer *w, int64_t n, const float *x, const int32_t *y, const int32_t *length,
                                char *const *name, const int32_t *group);
/* Write the attributes, close, and rename into place. */
dshap_status data_writer_commit(data_writer *w, const data_attrs *a);
/* Close and remove the temporary file (safe after a failed open or commit). */
void data_writer_abort(data_writer *w);

/* Root attribute holding a list of strings (an HDF5 array of strings). */
dshap_status h5io_write_attr_strings(const h5file *f, const char *name, const char *const *v, int n);

#endif
