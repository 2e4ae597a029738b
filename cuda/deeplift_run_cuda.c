#include "cuda/deeplift_run_cuda.h"

#include "cuda/op_table_cuda.h"

dshap_status deeplift_run_cuda(const cuda_dl_job *job, double *phi, cuda_stream s) {
    cuda_ctx ctx = {job->cn, s};
    bwd_walk w = {.net = job->cn->net, .b = &cuda_backend, .be = &ctx, .plan = job->plan, .rules = job->rules,
                  .yi = job->inst->y, .x_inst = job->x_inst, .n_i = job->n_i, .yr = job->ref->y,
                  .x_ref = job->x_ref, .n_r = job->n_r, .n_k = job->n_k, .classes = job->classes,
                  .seed_at = job->seed_at, .max_pairs = job->max_pairs, .arena = job->arena, .rows = job->rows,
                  .rows_host = job->rows_host, .same = job->same, .capture = job->captured ? job->capture : -1,
                  .captured = job->captured, .trace = job->trace, .trace_ctx = job->trace_ctx};
    return walk_backward(&w, phi);
}
