#include "engine/dl_plan.h"

#include <string.h>

#include "core/mem.h"
#include "engine/memplan.h"
#include "engine/op_info.h"

int conv_fold_target(const dshap_net *net, int c) {
    if (net->nodes[c].op != OP_CONV || c == net->out) return -1;
    int reader = -1, readers = 0;
    for (int i = c + 1; i < net->n_nodes; i++)
        for (int j = 0; j < net->nodes[i].n_in; j++)
            if (net->nodes[i].in[j] == c) readers++, reader = i;
    if (readers != 1 || net->nodes[reader].op != OP_AFFINE) return -1;
    return reader;
}

/* diag(scale of the BN that reads conv c) · w, on the host. */
dshap_status conv_fold_weights(const dshap_net *net, int c, float **out) {
    const node *nd = &net->nodes[c], *bn = &net->nodes[conv_fold_target(net, c)];
    int64_t per = (int64_t)(net->nodes[nd->in[0]].C / nd->groups) * nd->k;
    TRY(dshap_alloc_floats(out, (size_t)(nd->C * per), "folded weights"));
    for (int co = 0; co < nd->C; co++)
        for (int64_t e = 0; e < per; e++) (*out)[co * per + e] = nd->w[co * per + e] * bn->scale[co];
    return DSHAP_OK;
}

void dl_plan_free(dl_plan *p) {
    dshap_free(p->reach);
    dshap_free(p->acc);
    dshap_free(p->alias);
    dshap_free(p->skip);
    dshap_free(p->folded);
    dshap_free(p->store);
    dshap_free(p->off);
    memset(p, 0, sizeof *p);
}

static int same_shape(const dshap_net *net, int a, int b) {
    const node *x = &net->nodes[a], *y = &net->nodes[b];
    return x->C == y->C && x->T == y->T && x->V == y->V && x->per_person == y->per_person;
}

/* Same floats per sample: a reshape's input can share its buffer. */
static int same_floats(const dshap_net *net, int a, int b) {
    const node *x = &net->nodes[a], *y = &net->nodes[b];
    return node_rows(net, x, 1) * node_size(x) == node_rows(net, y, 1) * node_size(y);
}

/* Inputs whose multiplier node i's backward writes, in the order it writes them. */
static int targets(const node *nd, int *t) {
    int n = op_bwd_count(nd);
    for (int j = 0; j < n; j++) t[j] = nd->in[j];
    return n;
}

/* Whether node i's first target may take its buffer (op_info's alias rule). */
static int takes_buffer(const dshap_net *net, int i, const int *t, int nt) {
    switch (op_info_of(net->nodes[i].op)->alias) {
    case ALIAS_SAME_SHAPE: return nt > 1 && t[0] != t[1] && same_shape(net, t[0], i);
    case ALIAS_SAME_FLOATS: return same_floats(net, t[0], i);
    case ALIAS_NONE: break;
    }
    return 0;
}

dshap_status dl_plan_make(dl_plan *p, const dshap_net *net, int keep) {
    memset(p, 0, sizeof *p);
    int nn = p->n_nodes = net->n_nodes;
    int64_t *start = NULL, *end = NULL, *size = NULL, *off = NULL;
    unsigned char *written = NULL;
    int *fold_src = NULL; /* per BN: the convolution folded into it */
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&p->reach, (size_t)nn, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&p->acc, (size_t)nn * NODE_MAX_IN, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&p->alias, (size_t)nn * NODE_MAX_IN, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&p->skip, (size_t)nn, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&p->folded, (size_t)nn, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&p->store, (size_t)nn, sizeof(int), "backward plan"));
    CHECK(dshap_calloc((void **)&p->off, (size_t)nn, sizeof(int64_t), "backward plan"));
    CHECK(dshap_calloc((void **)&written, (size_t)nn, 1, "backward plan"));
    CHECK(dshap_calloc((void **)&fold_src, (size_t)nn, sizeof(int), "backward plan"));
    CHECK(dshap_calloc((void **)&start, (size_t)nn, sizeof(int64_t), "backward plan"));
    CHECK(dshap_calloc((void **)&end, (size_t)nn, sizeof(int64_t), "backward plan"));
    CHECK(dshap_calloc((void **)&size, (size_t)nn, sizeof(int64_t), "backward plan"));
    CHECK(dshap_calloc((void **)&off, (size_t)nn, sizeof(int64_t), "backward plan"));
    for (int i = 0; i < nn; i++) {
        start[i] = -1;
        p->store[i] = i;
        fold_src[i] = -1;
    }
    for (int c = 0; c < nn; c++) {
        int j = c == keep ? -1 : conv_fold_target(net, c);
        if (j >= 0) fold_src[j] = c;
    }
    /* Steps τ = nn − 1 − i run the nodes backwards; the seed fills the
     * logits' multiplier before step 0. A buffer lives from its first write
     * to the last step of a node it holds. */
    p->reach[net->out] = 1;
    written[net->out] = 1;
    start[net->out] = 0;
    for (int i = nn - 1; i >= 0; i--) {
        if (!p->reach[i]) continue;
        const node *nd = &net->nodes[i];
        int s = p->store[i];
        if (end[s] < nn - 1 - i) end[s] = nn - 1 - i;
        if (fold_src[i] >= 0) { /* the BN's convolution reads this buffer */
            int c = fold_src[i];
            p->skip[i] = 1;
            p->folded[c] = 1;
            p->reach[c] = 1;
            p->store[c] = s;
            written[c] = 1;
            continue;
        }
        int t[NODE_MAX_IN], nt = targets(nd, t);
        for (int j = 0; j < nt; j++) {
            p->reach[t[j]] = 1;
            if (j == 0 && !written[t[0]] && takes_buffer(net, i, t, nt)) {
                p->alias[i * NODE_MAX_IN] = 1;
                p->store[t[0]] = s;
                written[t[0]] = 1;
                continue;
            }
            p->acc[i * NODE_MAX_IN + j] = written[t[j]];
            if (!written[t[j]]) start[t[j]] = nn - 1 - i;
            written[t[j]] = 1;
        }
    }
    for (int i = 0; i < nn; i++)
        if (p->reach[i] && p->store[i] == i) size[i] = plan_round(node_rows(net, &net->nodes[i], 1) * node_size(&net->nodes[i]));
    CHECK(plan_intervals(nn, start, end, size, off, &p->per_pair));
    for (int i = 0; i < nn; i++) p->off[i] = p->reach[i] ? off[p->store[i]] : -1;
done:
    dshap_free(written);
    dshap_free(fold_src);
    dshap_free(start);
    dshap_free(end);
    dshap_free(size);
    dshap_free(off);
    if (st) dl_plan_free(p);
    return st;
}

