#include "cuda/forward_cuda.h"

#include <string.h>

#include "core/mem.h"
#include "cuda/op_table_cuda.h"

dshap_status cuda_acts_alloc(cuda_acts *a, const dshap_net *net, const fwd_plan *p, int64_t n) {
    memset(a, 0, sizeof *a);
    a->n = n;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&a->y, (size_t)net->n_nodes, sizeof(float *), "activation table"));
    CHECK(cuda_alloc((void **)&a->arena, sizeof(float) * (size_t)(p->kept_per_sample * n), "activations"));
done:
    if (st) cuda_acts_free(a);
    return st;
}

void cuda_acts_free(cuda_acts *a) {
    cuda_release(a->arena);
    dshap_free(a->y);
    memset(a, 0, sizeof *a);
}

dshap_status net_forward_cuda(const cuda_net *cn, const fwd_plan *p, cuda_acts *a, float *work, const float *x,
                              int64_t n, cuda_stream s) {
    if (n > a->n) FAIL(DSHAP_EINVAL, "internal: forward of %lld samples into room for %lld", (long long)n, (long long)a->n);
    a->n_used = n;
    cuda_ctx ctx = {cn, s};
    fwd_walk w = {.net = cn->net, .b = &cuda_backend, .be = &ctx, .plan = p, .y = a->y, .kept = a->arena, .work = work};
    return walk_forward(&w, x, n);
}
