/* Thin, checked helpers over the HDF5 C API. Every failure names the file and
 * the object, so the command line can print one clear line. */
#ifndef DSHAP_H5IO_H
#define DSHAP_H5IO_H

#include <hdf5.h>
#include <stdint.h>

#include "core/error.h"

#define H5IO_MAX_RANK 8

typedef struct {
    hid_t id;
    const char *path; /* the file name, for messages */
} h5file;

/* Silence HDF5's own error printing (we report errors ourselves). */
void h5io_quiet(void);

/* Open for reading and check the root attributes `format` and
 * `format_version` (refuse another format or a newer version). */
dshap_status h5io_open_read(h5file *f, const char *path, const char *format, int max_version);
/* Open for reading without format checks (e.g. to inspect a file's kind). */
dshap_status h5io_open_any(h5file *f, const char *path);
/* Create `path` (a temporary name) for writing, registered for removal on a
 * signal; with fapl != H5P_DEFAULT (MPI-IO) all ranks call it. */
dshap_status h5io_create(h5file *f, const char *path, hid_t fapl);
/* Close without checking (reading, or a path already failing). */
void h5io_close(h5file *f);
/* Close a file being written: flush and close checked; a full disk is said
 * as such. */
dshap_status h5io_close_write(h5file *f);
/* The usual end of a written file: h5io_close_write, then h5io_commit; on a
 * failure the temporary is removed and the final name never created. */
dshap_status h5io_finish(h5file *f, const char *tmp, const char *final_path);
/* Close and remove the temporary (its space released first, so that the
 * close can flush on a full disk). */
void h5io_discard(h5file *f, const char *tmp);
/* Truncate a temporary being abandoned to 0 bytes while it is still open,
 * before its datasets are closed (their closes flush too). */
void h5io_release_space(h5file *f);
/* A failed write of `name` in f, as one line naming the final file (the
 * temporary's ".part" dropped) and the reason ("the disk is full"). */
dshap_status h5io_write_failed(const h5file *f, const char *what, const char *name, int err);
/* `path` without a trailing ".part", for messages. */
const char *h5io_shown(const char *path, char *buf, size_t cap);

int h5io_exists(const h5file *f, const char *name);
dshap_status h5io_format_of(const char *path, char *out, size_t cap);

/* An out-of-memory failure (st == DSHAP_ENOMEM) reworded to start with the
 * file's name: "PATH: out of memory ... (dataset 'what')"; others unchanged. */
dshap_status h5io_in_file(const char *path, const char *what, dshap_status st);

/* Shape of a dataset; rank is returned in *rank. */
dshap_status h5io_shape(const h5file *f, const char *name, int *rank, int64_t dims[H5IO_MAX_RANK]);
/* Read a dataset of any numeric type as float32 / int32 / float64. The caller
 * gives the expected rank; dims[i] >= 0 are required sizes, -1 is "any" and is
 * filled in. *out is allocated (dshap_free). */
dshap_status h5io_read_f32(const h5file *f, const char *name, int rank, int64_t dims[], float **out);
dshap_status h5io_read_f64(const h5file *f, const char *name, int rank, int64_t dims[], double **out);
dshap_status h5io_read_i32(const h5file *f, const char *name, int rank, int64_t dims[], int32_t **out);
/* Read rows [row0, row0+nrows) along the first axis of a float dataset whose
 * shape was already checked; out has room for nrows * row_elems floats. */
dshap_status h5io_read_rows_f32(const h5file *f, const char *name, int64_t row0, int64_t nrows, float *out);
/* Variable- or fixed-length string dataset (1-D) → array of strings. */
dshap_status h5io_read_strings(const h5file *f, const char *name, int64_t *n, char ***out);
void h5io_free_strings(char **s, int64_t n);

dshap_status h5io_read_attr_str(const h5file *f, const char *obj, const char *name, char **out);
dshap_status h5io_read_attr_int(const h5file *f, const char *obj, const char *name, long long *out);
int h5io_has_attr(const h5file *f, const char *obj, const char *name);
/* 1-D integer attribute of at most `cap` entries; *n gets the count. */
dshap_status h5io_read_attr_i64s(const h5file *f, const char *obj, const char *name, int cap, int64_t *out, int *n);
dshap_status h5io_read_attr_f64(const h5file *f, const char *obj, const char *name, double *out);

/* Writers (serial; the parallel writer lives in mpi/). Groups in `name` are
 * created as needed. */
dshap_status h5io_write_f32(const h5file *f, const char *name, int rank, const int64_t dims[], const float *data);
dshap_status h5io_write_f64(const h5file *f, const char *name, int rank, const int64_t dims[], const double *data);
dshap_status h5io_write_i32(const h5file *f, const char *name, int rank, const int64_t dims[], const int32_t *data);
dshap_status h5io_write_i64(const h5file *f, const char *name, int rank, const int64_t dims[], const int64_t *data);
dshap_status h5io_write_strings(const h5file *f, const char *name, int64_t n, char *const *s);
dshap_status h5io_write_attr_str(const h5file *f, const char *obj, const char *name, const char *value);
dshap_status h5io_write_attr_int(const h5file *f, const char *obj, const char *name, long long value);
dshap_status h5io_write_attr_f64(const h5file *f, const char *obj, const char *name, double value);
dshap_status h5io_ensure_groups(const h5file *f, const char *name);

/* Output files appear under their final name only when complete: write to
 * a temporary sibling, then rename. */
void h5io_temp_name(const char *final_path, char *out, size_t cap);
/* Rename; on failure the temporary is removed. */
dshap_status h5io_commit(const char *tmp_path, const char *final_path);


#endif
