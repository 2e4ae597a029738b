#include "io/h5rows.h"

#include <errno.h>
#include <string.h>

static hid_t file_type(h5rows_kind k) {
    if (k == H5ROWS_F32) return H5Tcopy(H5T_IEEE_F32LE);
    if (k == H5ROWS_I32) return H5Tcopy(H5T_STD_I32LE);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

dshap_status h5rows_create(h5rows *r, const h5file *f, const char *name, h5rows_kind kind, int row_rank,
                           const int64_t row_dims[], int64_t chunk_rows) {
    memset(r, 0, sizeof *r);
    r->ds = H5I_INVALID_HID;
    r->file = f->path;
    r->name = name;
    r->kind = kind;
    r->rank = row_rank + 1;
    if (r->rank > H5IO_MAX_RANK) FAIL(DSHAP_EINVAL, "%s: '%s' has too many axes", f->path, name);
    TRY(h5io_ensure_groups(f, name));
    hsize_t maxd[H5IO_MAX_RANK], chunk[H5IO_MAX_RANK];
    r->dims[0] = 0;
    maxd[0] = H5S_UNLIMITED;
    chunk[0] = (hsize_t)(chunk_rows > 0 ? chunk_rows : 1);
    for (int i = 0; i < row_rank; i++) r->dims[i + 1] = maxd[i + 1] = chunk[i + 1] = (hsize_t)row_dims[i];
    hid_t sp = H5Screate_simple(r->rank, r->dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, r->rank, chunk);
    hid_t t = file_type(kind);
    errno = 0;
    r->ds = H5Dcreate2(f->id, name, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int err = errno;
    H5Tclose(t);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (r->ds < 0) return h5io_write_failed(f, "creating dataset", name, err);
    return DSHAP_OK;
}

dshap_status h5rows_append(h5rows *r, int64_t n, const void *data) {
    if (n <= 0) return DSHAP_OK;
    hsize_t start[H5IO_MAX_RANK] = {0}, count[H5IO_MAX_RANK];
    memcpy(count, r->dims, sizeof count);
    start[0] = r->dims[0];
    count[0] = (hsize_t)n;
    r->dims[0] += (hsize_t)n;
    h5file f = {.id = H5I_INVALID_HID, .path = r->file};
    errno = 0;
    if (H5Dset_extent(r->ds, r->dims) < 0) return h5io_write_failed(&f, "extending", r->name, errno);
    hid_t fs = H5Dget_space(r->ds);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(r->rank, count, NULL);
    hid_t mt = r->kind == H5ROWS_F32 ? H5Tcopy(H5T_NATIVE_FLOAT) : r->kind == H5ROWS_I32 ? H5Tcopy(H5T_NATIVE_INT32)
                                                                                      : file_type(H5ROWS_STR);
    herr_t e = H5Dwrite(r->ds, mt, ms, fs, H5P_DEFAULT, data);
    int err = errno;
    H5Tclose(mt);
    H5Sclose(ms);
    H5Sclose(fs);
    if (e < 0) return h5io_write_failed(&f, "writing rows of", r->name, err);
    return DSHAP_OK;
}

dshap_status h5rows_finish(h5rows *r) {
    if (r->ds < 0) return DSHAP_OK;
    errno = 0;
    herr_t e = H5Dclose(r->ds);
    r->ds = H5I_INVALID_HID;
    h5file f = {.id = H5I_INVALID_HID, .path = r->file};
    if (e < 0) return h5io_write_failed(&f, "writing", r->name, errno);
    return DSHAP_OK;
}

void h5rows_close(h5rows *r) {
    if (r->ds >= 0) H5Dclose(r->ds);
    r->ds = H5I_INVALID_HID;
}
