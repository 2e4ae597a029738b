/* Collective parallel-HDF5 input, the counterpart of pwrite: every rank opens
 * the file with the MPI-IO driver and reads its own rows of a dataset in one
 * collective call, so a file written on one rank count is read back on any
 * other (per-rank shares of /shap/values for downstream jobs, round-trip
 * tests). */
#ifndef DSHAP_PREAD_H
#define DSHAP_PREAD_H

#include "io/h5io.h"
#include "mpi/dist.h"

/* Collective open for reading (all ranks, MPI-IO driver, collective metadata
 * reads). Every rank returns the same status. Close with h5io_close. */
dshap_status pread_open(dist_ctx *d, h5file *f, const char *path);
/* Collective (every rank calls it, with its own range): rows [row0, row0 +
 * nrows) along the first axis of `name`, converted to mtype, into buf (rows
 * concatenated). nrows may be 0. A rank whose range is out of bounds still
 * takes part, reads nothing and returns the error. */
dshap_status pread_rows(const h5file *f, const char *name, hid_t mtype, int64_t row0, int64_t nrows, void *buf);

#endif
