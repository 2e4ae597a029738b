/* The forward walker (walk.h) and its storage plan. */
#include "engine/walk.h"

#include <string.h>

#include "core/mem.h"
#include "engine/memplan.h"
#include "engine/op_info.h"

dshap_status walk_check_ops(const dshap_net *net, const backend_impl *b) {
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        const op_impl *o = &b->ops[nd->op];
        if (!o->backward || (!o->forward && !op_info_of(nd->op)->fwd_alias))
            FAIL(DSHAP_EINVAL, "the %s backend has no kernel for %s (node '%s')%s%s", b->name, op_name(nd->op),
                 nd->name, b->hint ? "; " : "", b->hint ? b->hint : "");
    }
    return DSHAP_OK;
}

static int64_t per_sample(const dshap_net *net, int i) {
    const node *nd = &net->nodes[i];
    return plan_round(node_rows(net, nd, 1) * node_size(nd));
}

void fwd_plan_free(fwd_plan *p) {
    dshap_free(p->keep);
    dshap_free(p->owner);
    dshap_free(p->kept_off);
    dshap_free(p->work_off);
    memset(p, 0, sizeof *p);
}

dshap_status fwd_plan_make(fwd_plan *p, const dshap_net *net, const unsigned char *keep) {
    memset(p, 0, sizeof *p);
    int nn = p->n_nodes = net->n_nodes;
    int64_t *start = NULL, *end = NULL, *size = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&p->keep, (size_t)nn, 1, "forward plan"));
    CHECK(dshap_calloc((void **)&p->owner, (size_t)nn, sizeof(int), "forward plan"));
    CHECK(dshap_calloc((void **)&p->kept_off, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&p->work_off, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&start, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&end, (size_t)nn, sizeof(int64_t), "forward plan"));
    CHECK(dshap_calloc((void **)&size, (size_t)nn, sizeof(int64_t), "forward plan"));
    for (int i = 0; i < nn; i++) {
        int o = i;
        while (op_info_of(net->nodes[o].op)->fwd_alias) o = net->nodes[o].in[0];
        p->owner[i] = o;
        end[i] = i;
    }
    for (int i = 0; i < nn; i++) /* a kept alias keeps the storage it aliases */
        if (!keep || keep[i] || i == net->out) p->keep[p->owner[i]] = 1;
    for (int i = 0; i < nn; i++) /* last reader of each storage owner */
        for (int j = 0; j < net->nodes[i].n_in; j++) {
            int o = p->owner[net->nodes[i].in[j]];
            if (end[o] < i) end[o] = i;
        }
    for (int i = 0; i < nn; i++)
        if (p->owner[i] != i && end[p->owner[i]] < end[i]) end[p->owner[i]] = end[i];
    for (int i = 0; i < nn; i++) {
        p->kept_off[i] = p->work_off[i] = -1;
        start[i] = -1;
        if (p->owner[i] != i) continue;
        if (p->keep[i]) {
            p->kept_off[i] = p->kept_per_sample;
            p->kept_per_sample += per_sample(net, i);
        } else {
            start[i] = i;
            size[i] = per_sample(net, i);
        }
    }
    CHECK(plan_intervals(nn, start, end, size, p->work_off, &p->work_per_sample));
done:
    dshap_free(start);
    dshap_free(end);
    dshap_free(size);
    if (st) fwd_plan_free(p);
    return st;
}

/* Every node's storage for a forward of n samples. */
static void place(const fwd_walk *w, int64_t n) {
    const fwd_plan *p = w->plan;
    for (int i = 0; i < p->n_nodes; i++) {
        int o = p->owner[i];
        if (o != i) w->y[i] = w->y[o];
        else if (p->keep[i]) w->y[i] = w->kept + p->kept_off[i] * n;
        else w->y[i] = w->work + p->work_off[i] * n;
    }
}

static dshap_status node_forward(const fwd_walk *w, int i, const float *x, int64_t n) {
    const node *nd = &w->net->nodes[i];
    fwd_fn f = w->b->ops[nd->op].forward;
    if (!f) return DSHAP_OK; /* aliases its input (walk_check_ops passed) */
    fwd_call c = {.net = w->net, .i = i, .y = w->y[i], .input = x, .n = (int)n,
                  .B = (int)node_rows(w->net, nd, n), .be = w->be};
    for (int j = 0; j < nd->n_in; j++) c.x[j] = w->y[nd->in[j]];
    return f(&c);
}

dshap_status walk_forward(const fwd_walk *w, const float *x, int64_t n) {
    place(w, n);
    for (int i = 0; i < w->net->n_nodes; i++) TRY(node_forward(w, i, x, n));
    for (int i = 0; i < w->net->n_nodes; i++) /* what lived in the work arena is gone */
        if (!w->plan->keep[w->plan->owner[i]]) w->y[i] = NULL;
    return DSHAP_OK;
}

dshap_status walk_forward_node(const fwd_walk *w, int i, const float *x, int64_t n) {
    if (!w->plan->keep[w->plan->owner[i]])
        FAIL(DSHAP_EINVAL, "internal: node %d is not kept (single-node forward needs keep-all)", i);
    place(w, n);
    return node_forward(w, i, x, n);
}
