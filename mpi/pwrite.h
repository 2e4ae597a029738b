/* Collective parallel-HDF5 output: every rank writes its own rows of each
 * dataset in one collective call (H5FD_MPIO_COLLECTIVE), the file is written
 * under a temporary name and renamed by rank 0 once complete. */
#ifndef DSHAP_PWRITE_H
#define DSHAP_PWRITE_H

#include "io/h5io.h"
#include "mpi/dist.h"

typedef struct {
    int n;          /* row ranges this rank writes (ascending) */
    int64_t *row0;
    int64_t *rows;
} row_set;

/* Collective create (all ranks, MPI-IO driver). */
dshap_status pwrite_create(dist_ctx *d, h5file *f, const char *tmp_path);
/* Collective: create `name` (rank, dims; first axis = rows) and write this
 * rank's row ranges from buf (rows concatenated in order). */
dshap_status pwrite_rows(const h5file *f, const char *name, hid_t ftype, hid_t mtype, int rank,
                         const int64_t *dims, const row_set *rs, const void *buf);
/* Collective: a small dataset whose contents every rank holds; rank 0 writes. */
dshap_status pwrite_whole(dist_ctx *d, const h5file *f, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const int64_t *dims, const void *buf);
/* Collective close; rank 0 renames tmp → final; all ranks see the result. */
dshap_status pwrite_commit(dist_ctx *d, h5file *f, const char *tmp_path, const char *final_path, dshap_status st);

#endif
