#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "onnx/lowering.h"

dshap_status og_copy_node(og_graph *g, const og_node *n) {
    og_node *c = og_add_node(g, n->name, n->op, n->n_in, n->n_out);
    if (!c) FAIL(DSHAP_ENOMEM, "out of memory");
    for (int i = 0; i < n->n_in; i++)
        if (!(c->in[i] = strdup(n->in[i]))) FAIL(DSHAP_ENOMEM, "out of memory");
    for (int i = 0; i < n->n_out; i++)
        if (!(c->out[i] = strdup(n->out[i]))) FAIL(DSHAP_ENOMEM, "out of memory");
    for (int i = 0; i < n->n_attr; i++) {
        const og_attr *a = &n->attr[i];
        og_attr *b = og_add_attr(c, a->name, a->type);
        if (!b) FAIL(DSHAP_ENOMEM, "out of memory");
        b->i = a->i, b->f = a->f, b->n = a->n;
        if (a->s && !(b->s = strdup(a->s))) FAIL(DSHAP_ENOMEM, "out of memory");
        if (a->ints && !(b->ints = malloc(sizeof(int64_t) * (size_t)(a->n + 1)))) FAIL(DSHAP_ENOMEM, "out of memory");
        if (a->floats && !(b->floats = malloc(sizeof(float) * (size_t)(a->n + 1)))) FAIL(DSHAP_ENOMEM, "out of memory");
        if (a->ints) memcpy(b->ints, a->ints, sizeof(int64_t) * (size_t)a->n);
        if (a->floats) memcpy(b->floats, a->floats, sizeof(float) * (size_t)a->n);
    }
    return DSHAP_OK;
}

dshap_status walk_node(lowering *lw, const og_node *n) {
    for (int i = 0; i < n->n_out; i++)
        if (values_find(&lw->vs, n->out[i]))
            FAIL(DSHAP_EFORMAT, "%s: node '%s' (%s) writes '%s', which is already defined", lw->path, n->name, n->op,
                 n->out[i]);
    int folded;
    TRY(fold_node(&lw->vs, n, &folded));
    if (folded) return DSHAP_OK;
    TRY(lower_node(lw, n));
    return og_copy_node(&lw->out, n);
}

/* The model input: (N, C, T, V), (N, C, T, V, M) or ShapGCN's (N, 4, 2C, T, V, M). */
static dshap_status lower_input(lowering *lw, const og_graph *g) {
    dshap_net *net = lw->net;
    const dshap_layout *L = net->arch.layout;
    int r = g->in_rank;
    const int64_t *d = g->in_dims;
    if (r < 4 || r > 6)
        FAIL(DSHAP_EFORMAT, "%s: input '%s' has rank %d; expected (N, C, T, V), (N, C, T, V, M) or (N, 4, 2C, T, V, M)",
             lw->path, g->input, r);
    for (int i = 1; i < r; i++)
        if (d[i] < 1 || d[i] > (1 << 20))
            FAIL(DSHAP_EFORMAT, "%s: input '%s' axis %d has no fixed size (only the batch axis may vary)", lw->path,
                 g->input, i);
    int o = r == 6;
    net->in_branches = o ? (int)d[1] : 1;
    net->in_C = (int)d[1 + o];
    net->arch.num_frames = (int)d[2 + o];
    net->arch.num_persons = r == 4 ? 1 : (int)d[4 + o];
    if (d[3 + o] != L->V)
        FAIL(DSHAP_EFORMAT, "%s: input '%s' has V = %lld joints; the %s layout has %d", lw->path, g->input,
             (long long)d[3 + o], L->name, L->V);
    int64_t full[VAL_MAX_RANK] = {1};
    memcpy(full + 1, d + 1, sizeof(int64_t) * (size_t)(r - 1));
    og_node in = {.name = g->input, .op = "Input"};
    node *nd = lw_emit(lw, &in, OP_INPUT, 0, NULL, g->input, r, full);
    if (nd) nd->branch = -1;
    return lw->st;
}

/* Drop the constants nothing lowered reads (folded away, or unused). */
static void drop_unused(dshap_model *m) {
    int k = 0;
    for (int i = 0; i < m->n_params; i++) {
        dshap_param *p = &m->params[i];
        if (p->used) m->params[k++] = *p;
        else {
            free(p->name);
            dshap_free(p->data);
            dshap_free(p->idata);
        }
    }
    m->n_params = k;
}

dshap_status onnx_lower(dshap_net *net, og_graph *g, dshap_model *m, const char *path) {
    memset(net, 0, sizeof *net);
    net->arch = m->arch;
    net->general = 1;
    lowering lw0 = {.vs = {.path = path, .m = m, .net = net}, .net = net, .m = m, .path = path, .opset = g->opset};
    lowering *lw = &lw0;
    dshap_status st = DSHAP_OK;
    char *skip = calloc((size_t)g->n_nodes + 1, 1);
    if (!skip) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
    for (int i = 0; i < m->n_params; i++) {
        dshap_param *p = &m->params[i];
        val *v = values_add(&lw->vs, p->name);
        if (!v) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        p->used = 0;
        values_set_const(&lw->vs, v, i);
        v->rank = p->rank;
        memcpy(v->d, p->dims, sizeof(int64_t) * (size_t)p->rank);
    }
    CHECK(lower_input(lw, g));
    for (int i = 0; i < g->n_nodes; i++) {
        if (skip[i]) continue;
        int done;
        CHECK(rewrite_node(lw, g, i, skip, &done));
        if (!done) CHECK(walk_node(lw, &g->nodes[i]));
    }
    val *y = values_find(&lw->vs, g->output);
    if (!y || y->k) CHECK_FAIL(DSHAP_EFORMAT, "%s: the graph output '%s' is not computed from the input", path, g->output);
    if (y->rank != 2 || y->d[0] != 1)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: the graph output '%s' must be (N, K) logits; it has rank %d", path, g->output,
                   y->rank);
    net->out = y->net;
    net->arch.num_class = (int)y->d[1];
    m->arch = net->arch;
    lw->out.input = strdup(g->input);
    lw->out.output = strdup(g->output);
    if (!lw->out.input || !lw->out.output) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
    lw->out.in_rank = g->in_rank;
    memcpy(lw->out.in_dims, g->in_dims, sizeof g->in_dims);
    lw->out.opset = g->opset;
done:
    values_free(&lw->vs);
    free(skip);
    if (st) {
        og_free(&lw->out);
        net_free(net);
        return st;
    }
    drop_unused(m);
    og_free(g);
    *g = lw->out;
    return DSHAP_OK;
}
