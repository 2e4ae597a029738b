#include "mpi/pwrite.h"

#include <stdio.h>

dshap_status pwrite_create(dist_ctx *d, h5file *f, const char *tmp_path) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, d->comm, MPI_INFO_NULL);
    H5Pset_all_coll_metadata_ops(fapl, 1);
    H5Pset_coll_metadata_write(fapl, 1);
    dshap_status st = h5io_create(f, tmp_path, fapl);
    H5Pclose(fapl);
    return st;
}

static dshap_status write_sel(const h5file *f, const char *name, hid_t ftype, hid_t mtype, int rank, const int64_t *dims,
                              const row_set *rs, const void *buf, int only_root, int me) {
    TRY(h5io_ensure_groups(f, name));
    hsize_t d[H5IO_MAX_RANK], start[H5IO_MAX_RANK] = {0}, count[H5IO_MAX_RANK];
    for (int i = 0; i < rank; i++) d[i] = count[i] = (hsize_t)dims[i];
    hid_t fs = H5Screate_simple(rank, d, NULL);
    hid_t ds = H5Dcreate2(f->id, name, ftype, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0) {
        H5Sclose(fs);
        FAIL(DSHAP_EIO, "%s: cannot create dataset '%s'", f->path, name);
    }
    hsize_t total = 0;
    if (only_root) {
        if (me == 0) total = d[0];
        else H5Sselect_none(fs);
    } else {
        H5Sselect_none(fs);
        for (int r = 0; r < rs->n; r++) {
            if (!rs->rows[r]) continue;
            start[0] = (hsize_t)rs->row0[r];
            count[0] = (hsize_t)rs->rows[r];
            H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, NULL, count, NULL);
            total += count[0];
        }
    }
    hsize_t per = 1;
    for (int i = 1; i < rank; i++) per *= d[i];
    hsize_t mcount = total * per;
    hid_t ms = H5Screate_simple(1, &mcount, NULL);
    if (!total) H5Sselect_none(ms);
    hid_t dx = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dx, H5FD_MPIO_COLLECTIVE);
    herr_t w = H5Dwrite(ds, mtype, ms, fs, dx, total ? buf : NULL);
    H5Pclose(dx);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    if (w < 0) FAIL(DSHAP_EIO, "%s: collective write of '%s' failed", f->path, name);
    return DSHAP_OK;
}

dshap_status pwrite_rows(const h5file *f, const char *name, hid_t ftype, hid_t mtype, int rank,
                         const int64_t *dims, const row_set *rs, const void *buf) {
    return write_sel(f, name, ftype, mtype, rank, dims, rs, buf, 0, 0);
}

dshap_status pwrite_whole(dist_ctx *d, const h5file *f, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const int64_t *dims, const void *buf) {
    return write_sel(f, name, ftype, mtype, rank, dims, NULL, buf, 1, d->rank);
}

dshap_status pwrite_commit(dist_ctx *d, h5file *f, const char *tmp_path, const char *final_path, dshap_status st) {
    h5io_close(f);
    st = dist_agree(d, st);
    if (d->rank == 0) {
        if (st) remove(tmp_path);
        else st = h5io_commit(tmp_path, final_path);
    }
    int code = (int)st;
    MPI_Bcast(&code, 1, MPI_INT, 0, d->comm);
    if (code && !st) st = dshap_fail((dshap_status)code, __FILE__, __LINE__, "%s: rank 0 could not publish the output", final_path);
    return st;
}
