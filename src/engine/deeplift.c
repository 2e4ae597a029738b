#include "engine/deeplift.h"

#include <string.h>

#include "core/mem.h"
#include "cpu/op_table_cpu.h"
#include "engine/op_info.h"

void deeplift_keep_mask(const dshap_net *net, unsigned char *keep) {
    memset(keep, 0, (size_t)net->n_nodes);
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        int k = op_keeps(nd);
        if (k & KEEP_IN0) keep[nd->in[0]] = 1;
        if (k & KEEP_IN1 && nd->n_in > 1) keep[nd->in[1]] = 1;
        if (k & KEEP_OUT) keep[i] = 1;
    }
}

/* Which rule a nonlinear node uses under a rule set (RULES.md). */
rule_kind deeplift_rule_for(const node *nd, rule_set rules) {
    if (rules == RULES_GRAD) return RULE_AT_INST;
    int rescale = op_info_of(nd->op)->rescale;
    if (rules == RULES_EXACT) return rescale ? RULE_RESCALE : RULE_SHAPLEY;
    /* shap: its handler where it has one for the nn.Module (rescale at
     * activations and softmax, its max rule at max pooling), else the
     * ordinary gradient read from the reference half of its batch */
    if (nd->shap_module && (rescale || (nd->op == OP_POOL && nd->pool))) return RULE_SHAP_RESCALE;
    return RULE_AT_REF;
}

dshap_status cpu_backward_make(cpu_backward *b, const dshap_net *net, int keep) {
    memset(b, 0, sizeof *b);
    TRY(dl_plan_make(&b->plan, net, keep));
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&b->w_fold, (size_t)net->n_nodes, sizeof(float *), "folded weights"));
    for (int c = 0; c < net->n_nodes; c++)
        if (b->plan.folded[c]) CHECK(conv_fold_weights(net, c, &b->w_fold[c]));
done:
    if (st) cpu_backward_free(b);
    return st;
}

void cpu_backward_free(cpu_backward *b) {
    if (b->w_fold)
        for (int c = 0; c < b->plan.n_nodes; c++) dshap_free(b->w_fold[c]);
    dshap_free(b->w_fold);
    dl_plan_free(&b->plan);
    memset(b, 0, sizeof *b);
}

dshap_status deeplift_run_cpu(const dl_job *job, double *phi) {
    const dshap_net *net = job->net;
    int total = job->n_i * job->n_r * job->n_k;
    int Pmax = job->max_pairs > 0 ? job->max_pairs : 1;
    if (Pmax > total) Pmax = total;
    cpu_backward own = {0};
    const cpu_backward *bw = job->bw;
    float *arena = job->arena;
    int *row_maps = NULL;
    dshap_status st = DSHAP_OK;
    if (!bw) {
        CHECK(cpu_backward_make(&own, net, job->capture));
        bw = &own;
    }
    if (!arena) CHECK(dshap_alloc_floats(&arena, (size_t)(bw->plan.per_pair * Pmax), "multipliers"));
    CHECK(dshap_calloc((void **)&row_maps, (size_t)batch_rows_ints(total, net->arch.num_persons), sizeof(int),
                       "row maps"));
    bwd_walk w = {.net = net, .b = &cpu_backend, .be = bw->w_fold, .plan = &bw->plan, .rules = job->rules,
                  .yi = job->inst->y, .x_inst = job->x_inst, .n_i = job->n_i, .yr = job->ref->y, .x_ref = job->x_ref,
                  .n_r = job->n_r, .n_k = job->n_k, .classes = job->classes, .seed_at = job->seed_at,
                  .max_pairs = Pmax, .arena = arena, .rows = row_maps, .rows_host = row_maps, .same = job->same,
                  .capture = job->capture, .captured = job->capture >= 0 ? job->captured : NULL,
                  .trace = job->trace, .trace_ctx = job->trace_ctx};
    CHECK(walk_backward(&w, phi));
done:
    if (arena != job->arena) dshap_free(arena);
    cpu_backward_free(&own);
    dshap_free(row_maps);
    return st;
}

dshap_status gradient_at_node_cpu(const dshap_net *net, const net_acts *a, const float *x, int n, int at, int n_k,
                                  const int *classes, float *grad, float *arena, int64_t arena_floats) {
    if (at < 0 || at >= net->n_nodes) FAIL(DSHAP_EINVAL, "internal: no node %d", at);
    cpu_backward b;
    TRY(cpu_backward_make(&b, net, at));
    /* In the caller's arena as many triples as fit (as the CUDA engine's
     * gradient); else 64 per sub-batch in one of its own. */
    int64_t fit = arena ? arena_floats / (b.plan.per_pair > 0 ? b.plan.per_pair : 1) : 0;
    if (fit > (1 << 20)) fit = 1 << 20;
    /* One "reference" that is the instance itself: RULES_GRAD reads the instance side only. */
    dl_job job = {.net = net, .rules = RULES_GRAD, .inst = a, .x_inst = x, .n_i = n, .ref = a, .x_ref = x, .n_r = 1,
                  .n_k = n_k, .classes = classes, .max_pairs = fit >= 1 ? (int)fit : 64, .capture = at,
                  .captured = grad, .bw = &b, .arena = fit >= 1 ? arena : NULL};
    dshap_status st = deeplift_run_cpu(&job, NULL);
    cpu_backward_free(&b);
    return st;
}
