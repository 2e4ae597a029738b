/* Streaming forward over the node list on the device: the shared walker
 * (engine/walk.h) with the CUDA op table. The kept outputs live in the
 * side's own arena, the others in a shared work arena (fwd_plan). */
#ifndef DSHAP_FORWARD_CUDA_H
#define DSHAP_FORWARD_CUDA_H

#include "cuda/net_cuda.h"
#include "engine/walk.h"

typedef struct {
    int64_t n;             /* capacity (samples) */
    int64_t n_used;
    float **y;             /* per node: device output; NULL where not kept after a forward */
    float *arena;          /* kept outputs (n samples) */
} cuda_acts;

dshap_status cuda_acts_alloc(cuda_acts *a, const dshap_net *net, const fwd_plan *p, int64_t n);
void cuda_acts_free(cuda_acts *a);

/* x: device (n, F), F = net_input_floats; work: device, >= p->work_per_sample·n floats. */
dshap_status net_forward_cuda(const cuda_net *cn, const fwd_plan *p, cuda_acts *a, float *work, const float *x,
                              int64_t n, cuda_stream s);

#endif
