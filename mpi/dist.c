#include "mpi/dist.h"
#include "mpi/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

dshap_status dist_init(dist_ctx *d, int *argc, char ***argv) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        /* Open MPI 4.1's 'lockedfile' shared-file-pointer component formats
         * the file name into a fixed 256-byte buffer when MPI_File_open (so
         * H5Fcreate with MPI-IO) probes it: an output path of about 240
         * characters aborts the job. dshap never uses shared file pointers,
         * so that component is left out unless the user chose otherwise. */
        setenv("OMPI_MCA_sharedfp", "^lockedfile", 0);
        int provided;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            FAIL(DSHAP_EMPI, "MPI initialisation failed");
    }
    d->comm = MPI_COMM_WORLD;
    MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
    MPI_Comm local;
    MPI_Comm_split_type(d->comm, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &d->local_rank);
    MPI_Comm_size(local, &d->local_size);
    MPI_Comm_free(&local);
    if (gethostname(d->host, sizeof d->host) != 0) snprintf(d->host, sizeof d->host, "?");
    d->host[sizeof d->host - 1] = '\0';
    d->watch = NULL;
    if (d->local_size < d->size) return watch_start(d->comm, d->rank, d->size, d->local_rank, d->host, &d->watch);
    return DSHAP_OK;
}

void dist_finalize(dist_ctx *d) {
    int fin = 0;
    watch_stop(d->watch);
    d->watch = NULL;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

dshap_status dist_agree(dist_ctx *d, dshap_status st) {
    int mine = st != DSHAP_OK ? d->rank : d->size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm);
    if (first == d->size) return DSHAP_OK;
    /* Share the failing rank's message and status with everyone. */
    char msg[1024];
    int code = (int)st;
    snprintf(msg, sizeof msg, "%s", st ? dshap_last_error() : "");
    MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, d->comm);
    MPI_Bcast(&code, 1, MPI_INT, first, d->comm);
    if (d->size == 1) return (dshap_status)code;
    return dshap_fail((dshap_status)code, __FILE__, __LINE__, "rank %d: %s", first, msg);
}

dshap_status dist_fail(dist_ctx *d, dshap_status st) {
    if (d->size == 1) return st;
    fprintf(stderr, "dshap: error: rank %d (%s): %s\n", d->rank, d->host, dshap_last_error());
    fflush(stderr);
    MPI_Abort(d->comm, st ? (int)st : 1);
    exit(1);
}

void dist_share(int64_t n, int rank, int size, int64_t *lo, int64_t *hi) {
    *lo = n * rank / size;
    *hi = n * (rank + 1) / size;
}

double dist_time(void) { return MPI_Wtime(); }

int dist_owner(int64_t i, int64_t n, int size) {
    for (int r = 0; r < size; r++) {
        int64_t lo, hi;
        dist_share(n, r, size, &lo, &hi);
        if (i < hi) return r;
    }
    return size - 1;
}
