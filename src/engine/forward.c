#include "engine/forward.h"

#include <string.h>

#include "core/mem.h"
#include "cpu/op_table_cpu.h"
#include "cpu/ops_cpu.h"
#include "engine/op_info.h"

int64_t acts_bytes_per_sample(const dshap_net *net, const unsigned char *keep) {
    int64_t f = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (!op_info_of(nd->op)->fwd_alias && (!keep || keep[i] || i == net->out)) f += node_rows(net, nd, 1) * node_size(nd);
    }
    return f * (int64_t)sizeof(float);
}

dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n, const unsigned char *keep) {
    cpu_backend_init(); /* idempotent; results must not depend on BLAS threads */
    memset(a, 0, sizeof *a);
    a->n = n;
    dshap_status st = DSHAP_OK;
    CHECK(walk_check_ops(net, &cpu_backend));
    CHECK(dshap_calloc((void **)&a->y, (size_t)net->n_nodes, sizeof(float *), "activation table"));
    CHECK(fwd_plan_make(&a->plan, net, keep));
    a->floats = (a->plan.kept_per_sample + a->plan.work_per_sample) * n;
    CHECK(dshap_alloc_floats(&a->arena, (size_t)(a->plan.kept_per_sample * n), "activations"));
    CHECK(dshap_alloc_floats(&a->work, (size_t)(a->plan.work_per_sample * n), "forward work"));
done:
    if (st) acts_free(a);
    return st;
}

void acts_free(net_acts *a) {
    dshap_free(a->arena);
    dshap_free(a->work);
    dshap_free(a->y);
    fwd_plan_free(&a->plan);
    memset(a, 0, sizeof *a);
}

static fwd_walk walk_of(const dshap_net *net, net_acts *a) {
    return (fwd_walk){.net = net, .b = &cpu_backend, .plan = &a->plan, .y = a->y, .kept = a->arena, .work = a->work};
}

dshap_status net_forward_node_cpu(const dshap_net *net, net_acts *a, int i, const float *x, int64_t n) {
    if (n > a->n) FAIL(DSHAP_EINVAL, "internal: forward of %lld samples into room for %lld", (long long)n, (long long)a->n);
    fwd_walk w = walk_of(net, a);
    return walk_forward_node(&w, i, x, n);
}

dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x, int64_t n) {
    if (n > a->n) FAIL(DSHAP_EINVAL, "internal: forward of %lld samples into room for %lld", (long long)n, (long long)a->n);
    a->n_used = n;
    fwd_walk w = walk_of(net, a);
    return walk_forward(&w, x, n);
}
