#include "mpi/pread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

dshap_status pread_open(dist_ctx *d, h5file *f, const char *path) {
    h5io_quiet();
    f->path = path;
    f->id = H5I_INVALID_HID;
    /* Agree before the collective open, so one rank that cannot see the file does not hang the rest. */
    dshap_status st = DSHAP_OK;
    if (access(path, R_OK) != 0) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot open (%s)", path, strerror(errno));
    else if (H5Fis_hdf5(path) <= 0) st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: not an HDF5 file", path);
    TRY(dist_agree(d, st));
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, d->comm, MPI_INFO_NULL);
    H5Pset_all_coll_metadata_ops(fapl, 1);
    f->id = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f->id < 0) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: HDF5 could not open the file (MPI-IO)", path);
    st = dist_agree(d, st);
    if (st && f->id >= 0) h5io_close(f);
    return st;
}

dshap_status pread_rows(const h5file *f, const char *name, hid_t mtype, int64_t row0, int64_t nrows, void *buf) {
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    if (ds < 0) FAIL(DSHAP_EFORMAT, "%s: missing dataset '%s'", f->path, name);
    hid_t fs = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(fs);
    hsize_t d[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(fs, d, NULL);
    dshap_status st = DSHAP_OK;
    if (r < 1 || row0 < 0 || nrows < 0 || (hsize_t)(row0 + nrows) > d[0])
        st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "%s: rows %lld..%lld of '%s' out of range (%lld rows)",
                        f->path, (long long)row0, (long long)(row0 + nrows), name, r >= 1 ? (long long)d[0] : 0LL);
    hsize_t per = 1;
    for (int i = 0; i < r; i++) {
        count[i] = d[i];
        if (i) per *= d[i];
    }
    hsize_t m = st || !nrows ? 1 : (hsize_t)nrows * per;
    hid_t ms = H5Screate_simple(1, &m, NULL);
    if (st || !nrows) {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    } else {
        start[0] = (hsize_t)row0;
        count[0] = (hsize_t)nrows;
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    }
    hid_t dx = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dx, H5FD_MPIO_COLLECTIVE);
    /* Every rank takes part in the collective read, even one with nothing (or an error) to read. */
    herr_t rd = H5Dread(ds, mtype, ms, fs, dx, st || !nrows ? NULL : buf);
    H5Pclose(dx);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    if (!st && rd < 0) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: collective read of '%s' failed", f->path, name);
    return st;
}
