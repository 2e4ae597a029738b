#include "cuda/nccl_link.h"

#ifdef DSHAP_HAVE_NCCL
#include <dlfcn.h>
#include <nccl.h>
#include <stdlib.h>

#include "core/mem.h"
#include "cuda/device.h"

/* libnccl is opened at run time: one binary runs on GPU nodes without NCCL
 * (partials then travel over MPI) and needs no NCCL to start. */
static struct {
    int tried, ok;
    ncclResult_t (*get_unique_id)(ncclUniqueId *);
    ncclResult_t (*comm_init_rank)(ncclComm_t *, int, ncclUniqueId, int);
    ncclResult_t (*send)(const void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*recv)(void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*comm_destroy)(ncclComm_t);
    const char *(*error_string)(ncclResult_t);
} lib;

int nccl_link_available(void) {
    if (lib.tried) return lib.ok;
    lib.tried = 1;
    void *h = dlopen("libnccl.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!h) h = dlopen("libnccl.so", RTLD_NOW | RTLD_GLOBAL);
    if (!h) return 0;
    *(void **)&lib.get_unique_id = dlsym(h, "ncclGetUniqueId");
    *(void **)&lib.comm_init_rank = dlsym(h, "ncclCommInitRank");
    *(void **)&lib.send = dlsym(h, "ncclSend");
    *(void **)&lib.recv = dlsym(h, "ncclRecv");
    *(void **)&lib.comm_destroy = dlsym(h, "ncclCommDestroy");
    *(void **)&lib.error_string = dlsym(h, "ncclGetErrorString");
    lib.ok = lib.get_unique_id && lib.comm_init_rank && lib.send && lib.recv && lib.comm_destroy && lib.error_string;
    return lib.ok;
}

struct nccl_link {
    ncclComm_t comm;
    cuda_stream s;
    double *stage; /* device */
    int64_t cap;   /* doubles */
};

#define NCCL_TRY(call)                                                                              \
    do {                                                                                            \
        ncclResult_t r_ = (call);                                                                   \
        if (r_ != ncclSuccess) FAIL(DSHAP_EDEVICE, "NCCL: %s: %s", #call, lib.error_string(r_)); \
    } while (0)

dshap_status nccl_link_open(nccl_link **out, MPI_Comm comm, int rank, int size) {
    if (!nccl_link_available()) FAIL(DSHAP_EDEVICE, "NCCL: libnccl.so.2 cannot be loaded");
    /* rank 0's id and whether it got one: the others must not wait for an id that never comes */
    struct {
        int ok;
        ncclUniqueId id;
    } msg = {0};
    ncclResult_t r0 = ncclSuccess;
    if (rank == 0) msg.ok = (r0 = lib.get_unique_id(&msg.id)) == ncclSuccess;
    if (MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, 0, comm) != MPI_SUCCESS)
        FAIL(DSHAP_EMPI, "broadcasting the NCCL id failed");
    if (!msg.ok)
        FAIL(DSHAP_EDEVICE, "NCCL: rank 0 could not create a communicator id%s%s", rank == 0 ? ": " : "",
             rank == 0 ? lib.error_string(r0) : "");
    ncclUniqueId id = msg.id;
    nccl_link *l;
    TRY(dshap_calloc((void **)&l, 1, sizeof *l, "NCCL link"));
    dshap_status st = cuda_stream_new(&l->s);
    if (st) {
        free(l);
        return st;
    }
    ncclResult_t r = lib.comm_init_rank(&l->comm, size, id, rank);
    if (r != ncclSuccess) {
        cuda_stream_free(l->s);
        free(l);
        FAIL(DSHAP_EDEVICE, "NCCL: creating the communicator of %d ranks failed: %s", size, lib.error_string(r));
    }
    *out = l;
    return DSHAP_OK;
}

static dshap_status reserve(nccl_link *l, int64_t count) {
    if (count <= l->cap) return DSHAP_OK;
    cuda_release(l->stage);
    l->stage = NULL;
    l->cap = 0;
    TRY(cuda_alloc((void **)&l->stage, sizeof(double) * (size_t)count, "NCCL staging buffer"));
    l->cap = count;
    return DSHAP_OK;
}

/* Large partials (--store full) go in pieces: the staging buffer stays small
 * next to the engine's memory. Both ends cut the same pieces. */
#define PIECE ((int64_t)1 << 23) /* doubles: 64 MiB */

dshap_status nccl_link_send(nccl_link *l, const double *host, int64_t count, int peer) {
    TRY(reserve(l, count < PIECE ? count : PIECE));
    for (int64_t o = 0; o < count; o += PIECE) {
        int64_t n = count - o < PIECE ? count - o : PIECE;
        TRY(cuda_upload(l->stage, host + o, sizeof(double) * (size_t)n, l->s));
        NCCL_TRY(lib.send(l->stage, (size_t)n, ncclDouble, peer, l->comm, l->s));
        TRY(cuda_stream_sync(l->s));
    }
    return DSHAP_OK;
}

dshap_status nccl_link_recv(nccl_link *l, double *host, int64_t count, int peer) {
    TRY(reserve(l, count < PIECE ? count : PIECE));
    for (int64_t o = 0; o < count; o += PIECE) {
        int64_t n = count - o < PIECE ? count - o : PIECE;
        NCCL_TRY(lib.recv(l->stage, (size_t)n, ncclDouble, peer, l->comm, l->s));
        TRY(cuda_download(host + o, l->stage, sizeof(double) * (size_t)n, l->s));
        TRY(cuda_stream_sync(l->s));
    }
    return DSHAP_OK;
}

void nccl_link_close(nccl_link *l) {
    if (!l) return;
    lib.comm_destroy(l->comm);
    cuda_release(l->stage);
    cuda_stream_free(l->s);
    free(l);
}
#endif
