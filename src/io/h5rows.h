/* Append-only datasets that grow along their first axis: importers and
 * feature writers stream samples into them so memory stays bounded for any
 * number of samples (chunked, unlimited first dimension). */
#ifndef DSHAP_H5ROWS_H
#define DSHAP_H5ROWS_H

#include <stdint.h>

#include "io/h5io.h"

typedef enum { H5ROWS_F32, H5ROWS_I32, H5ROWS_STR } h5rows_kind;

typedef struct {
    hid_t ds;
    const char *file; /* for messages */
    const char *name;
    h5rows_kind kind;
    int rank;                    /* including the row axis */
    hsize_t dims[H5IO_MAX_RANK]; /* current extent; dims[0] = rows written */
} h5rows;

/* Create `name` with rows of shape row_dims (row_rank axes; 0 for scalars
 * such as labels and names), chunk_rows rows per chunk. */
dshap_status h5rows_create(h5rows *r, const h5file *f, const char *name, h5rows_kind kind, int row_rank,
                           const int64_t row_dims[], int64_t chunk_rows);
/* Append n rows: float / int32_t values, or n char * strings for H5ROWS_STR. */
dshap_status h5rows_append(h5rows *r, int64_t n, const void *data);
/* Close checked: buffered rows reach the file here (a full disk shows). */
dshap_status h5rows_finish(h5rows *r);
/* Close unchecked, on a path already failing. */
void h5rows_close(h5rows *r);

#endif
