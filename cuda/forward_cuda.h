/* Streaming forward over the node list on the device (twin of
 * engine/forward.c): the kept outputs live in the side's own arena, the
 * others in a shared work arena planned once from their lifetimes. */
#ifndef DSHAP_FORWARD_CUDA_H
#define DSHAP_FORWARD_CUDA_H

#include "cuda/net_cuda.h"

typedef struct {
    int n_nodes;
    unsigned char *keep;   /* per node: output kept (owner storage) */
    int *owner;            /* reshapes alias their input's storage */
    int64_t *kept_off;     /* floats per sample, in the kept arena; -1 if not kept */
    int64_t kept_per_sample;
    int64_t *work_off;     /* floats per sample, in the work arena; -1 if kept */
    int64_t work_per_sample;
} cuda_fwd_plan;

typedef struct {
    int64_t n;             /* capacity (samples) */
    int64_t n_used;
    float **y;             /* per node: device output; NULL where not kept after a forward */
    float *arena;          /* kept outputs (n samples) */
} cuda_acts;

/* keep: per node (NULL keeps every node; the logits are always kept). */
dshap_status cuda_fwd_plan_make(cuda_fwd_plan *p, const dshap_net *net, const unsigned char *keep);
void cuda_fwd_plan_free(cuda_fwd_plan *p);

dshap_status cuda_acts_alloc(cuda_acts *a, const dshap_net *net, const cuda_fwd_plan *p, int64_t n);
void cuda_acts_free(cuda_acts *a);

/* x: device (n, 4, 2C, T, V, M); work: device, >= p->work_per_sample·n floats. */
dshap_status net_forward_cuda(const cuda_net *cn, const cuda_fwd_plan *p, cuda_acts *a, float *work, const float *x,
                              int64_t n, cuda_stream s);

#endif
