/* The CPU reference engine (engine.h) over the node list: streaming forward
 * with only the rule-relevant activations kept, batched DeepLIFT backward. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "engine/basis.h"
#include "engine/engine.h"
#include "engine/rows.h"
#include "cpu/op_table_cpu.h"

struct engine {
    const dshap_net *net;
    engine_cfg cfg;
    unsigned char *keep;
    net_acts inst, ref;
    float *x_inst, *x_ref;  /* copies: the rules read x − r at the input */
    int n_inst, n_ref;
    double *phi_full;       /* (max_inst, max_classes, F) */
    unsigned char *same;    /* (max_inst, max_ref, M): person rows left out */
    cpu_backward bw;
    float *arena;           /* backward multipliers, max_pairs triples */
    int max_pairs;
};

static void cpu_destroy(engine *e) {
    if (!e) return;
    acts_free(&e->inst);
    acts_free(&e->ref);
    dshap_free(e->keep);
    dshap_free(e->x_inst);
    dshap_free(e->x_ref);
    dshap_free(e->phi_full);
    dshap_free(e->same);
    dshap_free(e->arena);
    cpu_backward_free(&e->bw);
    dshap_free(e);
}

static dshap_status cpu_create(engine **out, const dshap_net *net, const engine_cfg *cfg) {
    TRY(walk_check_ops(net, &cpu_backend));
    engine *e;
    TRY(dshap_calloc((void **)&e, 1, sizeof *e, "engine"));
    e->net = net;
    e->cfg = *cfg;
    int64_t F = net_input_floats(net);
    dshap_status st = DSHAP_OK;
    CHECK(cpu_backward_make(&e->bw, net, -1));
    /* The multiplier arena is the plan's floats per triple times the sub-batch. */
    double budget = (cfg->memory_gib > 0 ? cfg->memory_gib : 2.0) * 1073741824.0;
    e->max_pairs = (int)(budget / (sizeof(float) * (double)e->bw.plan.per_pair));
    if (e->max_pairs < 1) e->max_pairs = 1;
    if (e->max_pairs > cfg->max_inst * cfg->max_ref * cfg->max_classes)
        e->max_pairs = cfg->max_inst * cfg->max_ref * cfg->max_classes;
    CHECK(dshap_alloc_floats(&e->arena, (size_t)(e->bw.plan.per_pair * e->max_pairs), "multipliers"));
    CHECK(dshap_calloc((void **)&e->keep, (size_t)net->n_nodes, 1, "keep mask"));
    deeplift_keep_mask(net, e->keep);
    for (int j = 0; j < cfg->n_keep; j++) e->keep[cfg->keep_nodes[j]] = 1;
    CHECK(acts_alloc(&e->inst, net, cfg->max_inst, e->keep));
    CHECK(acts_alloc(&e->ref, net, cfg->max_ref, e->keep));
    CHECK(dshap_alloc_floats(&e->x_inst, (size_t)(cfg->max_inst * F), "instance block"));
    CHECK(dshap_alloc_floats(&e->x_ref, (size_t)(cfg->max_ref * F), "background chunk"));
    CHECK(dshap_alloc((void **)&e->phi_full, sizeof(double) * (size_t)(cfg->max_inst * cfg->max_classes * F),
                      "attribution partials"));
    CHECK(dshap_calloc((void **)&e->same, (size_t)cfg->max_inst * cfg->max_ref * net->arch.num_persons, 1,
                       "person row mask"));
done:
    if (st) cpu_destroy(e);
    else *out = e;
    return st;
}

static dshap_status forward(engine *e, net_acts *a, float *keep_x, int cap, const float *x, int n, float *logits) {
    if (n > cap) FAIL(DSHAP_EINVAL, "internal: %d samples for an engine sized for %d", n, cap);
    memcpy(keep_x, x, sizeof(float) * (size_t)(n * net_input_floats(e->net)));
    TRY(net_forward_cpu(e->net, a, keep_x, n));
    memcpy(logits, a->y[e->net->out], sizeof(float) * (size_t)n * e->net->arch.num_class);
    return DSHAP_OK;
}

static dshap_status cpu_forward_ref(engine *e, const float *x, int n, float *logits) {
    e->n_ref = n;
    return forward(e, &e->ref, e->x_ref, e->cfg.max_ref, x, n, logits);
}

static dshap_status cpu_forward_inst(engine *e, const float *x, int n, float *logits) {
    e->n_inst = n;
    return forward(e, &e->inst, e->x_inst, e->cfg.max_inst, x, n, logits);
}

static dshap_status cpu_attribute(engine *e, rule_set rules, int n_k, const int *classes, const granularity *g,
                                  double *phi, double *totals) {
    if (n_k > e->cfg.max_classes) FAIL(DSHAP_EINVAL, "internal: %d classes for an engine sized for %d", n_k, e->cfg.max_classes);
    /* more classes than the classifier has inputs: seed those (engine/basis.h) */
    class_basis cb;
    int basis = !e->cfg.class_seeds && g->kind != STORE_FULL && class_basis_for(e->net, n_k, &cb);
    int n_run = basis ? cb.C : n_k;
    int64_t F = net_input_floats(e->net), G = gran_size(g), nk = (int64_t)e->n_inst * n_run;
    double *red = NULL, *tot = NULL;
    dshap_status st = DSHAP_OK;
    if (basis) {
        CHECK(dshap_alloc((void **)&red, sizeof(double) * (size_t)(nk * G), "class-basis partials"));
        CHECK(dshap_alloc((void **)&tot, sizeof(double) * (size_t)nk, "class-basis totals"));
    }
    memset(e->phi_full, 0, sizeof(double) * (size_t)(nk * F));
    if (!e->cfg.all_rows)
        person_equal_mask(e->x_inst, e->n_inst, e->x_ref, e->n_ref, F, e->net->arch.num_persons, e->same);
    dl_job job = {.net = e->net, .rules = rules, .inst = &e->inst, .x_inst = e->x_inst, .n_i = e->n_inst,
                  .ref = &e->ref, .x_ref = e->x_ref, .n_r = e->n_ref, .n_k = n_run, .classes = basis ? NULL : classes,
                  .seed_at = basis ? cb.node : 0, .max_pairs = e->max_pairs,
                  .same = e->cfg.all_rows ? NULL : e->same, .capture = -1, .bw = &e->bw, .arena = e->arena};
    CHECK(deeplift_run_cpu(&job, e->phi_full));
    for (int64_t ik = 0; ik < nk; ik++) {
        const double *p = e->phi_full + ik * F;
        double s = 0;
        for (int64_t f = 0; f < F; f++) s += p[f];
        (basis ? tot : totals)[ik] = s;
        gran_reduce(g, p, (basis ? red : phi) + ik * G);
    }
    if (basis) {
        class_basis_combine(&cb, classes, e->n_inst, n_k, G, red, phi);
        class_basis_combine(&cb, classes, e->n_inst, n_k, 1, tot, totals);
    }
done:
    dshap_free(red);
    dshap_free(tot);
    return st;
}

static dshap_status cpu_gradient(engine *e, int at, int n_k, const int *classes, float *act, float *grad) {
    const node *nd = &e->net->nodes[at];
    if (!e->keep[at]) FAIL(DSHAP_EINVAL, "internal: node %d (%s) is not kept by this engine", at, nd->name);
    memcpy(act, e->inst.y[at], sizeof(float) * (size_t)(node_rows(e->net, nd, e->n_inst) * node_size(nd)));
    return gradient_at_node_cpu(e->net, &e->inst, e->x_inst, e->n_inst, at, n_k, classes, grad, e->arena,
                                e->bw.plan.per_pair * e->max_pairs);
}

static void cpu_describe(engine *e, char *buf, size_t cap, int64_t *peak_bytes) {
    snprintf(buf, cap, "cpu");
    *peak_bytes = (e->bw.plan.per_pair * e->max_pairs + e->inst.floats + e->ref.floats) * (int64_t)sizeof(float);
}

const engine_ops cpu_engine_ops = {"cpu",         cpu_create,    cpu_destroy,  cpu_forward_ref,
                                   cpu_forward_inst, cpu_attribute, cpu_gradient, cpu_describe};
