#include "io/data_write.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "io/outpath.h"

/* Rows of /x are one chunk each (C·T·V·M floats, 180 KiB for NTU): a reader
 * fetching one sample touches one chunk. Scalars go 4096 to a chunk. */
#define SCALAR_CHUNK 4096

static void rows_invalid(data_writer *w) {
    w->x.ds = w->y.ds = w->length.ds = w->name.ds = w->group.ds = H5I_INVALID_HID;
}

static void close_all(data_writer *w) {
    h5rows_close(&w->x);
    h5rows_close(&w->y);
    h5rows_close(&w->length);
    h5rows_close(&w->name);
    h5rows_close(&w->group);
    h5io_close(&w->f);
}

dshap_status data_writer_open(data_writer *w, const char *path, int C, int T, int V, int M, int with_group) {
    memset(w, 0, sizeof *w);
    rows_invalid(w);
    w->f.id = H5I_INVALID_HID;
    w->path = path;
    w->C = C;
    w->T = T;
    w->V = V;
    w->M = M;
    w->with_group = with_group;
    h5io_temp_name(path, w->tmp, sizeof w->tmp);
    TRY(h5io_create(&w->f, w->tmp, H5P_DEFAULT));
    int64_t row[4] = {C, T, V, M};
    dshap_status st = DSHAP_OK;
    CHECK(h5rows_create(&w->x, &w->f, "/x", H5ROWS_F32, 4, row, 1));
    CHECK(h5rows_create(&w->y, &w->f, "/y", H5ROWS_I32, 0, NULL, SCALAR_CHUNK));
    CHECK(h5rows_create(&w->length, &w->f, "/length", H5ROWS_I32, 0, NULL, SCALAR_CHUNK));
    CHECK(h5rows_create(&w->name, &w->f, "/name", H5ROWS_STR, 0, NULL, SCALAR_CHUNK));
    if (with_group) CHECK(h5rows_create(&w->group, &w->f, "/group", H5ROWS_I32, 0, NULL, SCALAR_CHUNK));
done:
    if (st) data_writer_abort(w);
    return st;
}

dshap_status data_writer_append(data_writer *w, int64_t n, const float *x, const int32_t *y, const int32_t *length,
                                char *const *name, const int32_t *group) {
    TRY(h5rows_append(&w->x, n, x));
    TRY(h5rows_append(&w->y, n, y));
    TRY(h5rows_append(&w->length, n, length));
    TRY(h5rows_append(&w->name, n, name));
    if (w->with_group) TRY(h5rows_append(&w->group, n, group));
    w->n += n;
    return DSHAP_OK;
}

dshap_status h5io_write_attr_strings(const h5file *f, const char *name, const char *const *v, int n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL); /* n = 0: an empty list, not a null attribute */
    if (H5Aexists(f->id, name) > 0) H5Adelete(f->id, name);
    errno = 0;
    hid_t a = H5Acreate2(f->id, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    dshap_status st = DSHAP_OK;
    herr_t w = a >= 0 && n > 0 ? H5Awrite(a, t, v) : 0;
    int err = errno;
    herr_t c = a >= 0 ? H5Aclose(a) : -1;
    if (a < 0 || w < 0 || c < 0) st = h5io_write_failed(f, "writing attribute", name, err ? err : errno);
    H5Sclose(sp);
    H5Tclose(t);
    return st;
}

dshap_status data_writer_commit(data_writer *w, const data_attrs *a) {
    dshap_status st = DSHAP_OK;
    CHECK(h5io_write_attr_str(&w->f, "/", "format", DATA_FORMAT));
    CHECK(h5io_write_attr_int(&w->f, "/", "format_version", DATA_FORMAT_VERSION));
    CHECK(h5io_write_attr_str(&w->f, "/", "layout", a->layout));
    CHECK(h5io_write_attr_str(&w->f, "/", "benchmark", a->benchmark ? a->benchmark : "none"));
    CHECK(h5io_write_attr_str(&w->f, "/", "split", a->split ? a->split : "all"));
    CHECK(h5io_write_attr_str(&w->f, "/", "source", a->source ? a->source : ""));
    CHECK(h5io_write_attr_strings(&w->f, "transforms", a->transforms, a->n_transforms));
    h5rows *rows[] = {&w->x, &w->y, &w->length, &w->name, &w->group};
    for (int i = 0; i < 5; i++) CHECK(h5rows_finish(rows[i]));
    st = h5io_finish(&w->f, w->tmp, w->path);
    w->tmp[0] = '\0'; /* committed, or removed by h5io_finish */
    if (st) goto done;
    return DSHAP_OK;
done:
    data_writer_abort(w);
    return st;
}

void data_writer_abort(data_writer *w) {
    if (w->tmp[0]) h5io_release_space(&w->f);
    close_all(w);
    if (w->tmp[0]) outpath_temp_remove(w->tmp);
}
