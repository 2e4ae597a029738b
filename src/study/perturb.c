#include "study/perturb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

void edges_free(edge_set *es) {
    if (es->orig)
        for (int i = 0; i < es->n; i++) dshap_free(es->orig[i]);
    dshap_free(es->orig);
    dshap_free(es->E);
    dshap_free(es->A);
    dshap_free(es->node);
    memset(es, 0, sizeof *es);
}

dshap_status edges_collect(edge_set *es, dshap_model *m, dshap_net *net) {
    memset(es, 0, sizeof *es);
    int n = 0;
    for (int i = 0; i < net->n_nodes; i++) n += net->nodes[i].op == OP_GRAPH;
    if (!n) FAIL(DSHAP_EINVAL, "%s: the network has no SGC layer to perturb", m->path ? m->path : "model");
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&es->E, (size_t)n, sizeof *es->E, "edges"));
    CHECK(dshap_calloc((void **)&es->A, (size_t)n, sizeof *es->A, "edges"));
    CHECK(dshap_calloc((void **)&es->orig, (size_t)n, sizeof *es->orig, "edges"));
    CHECK(dshap_calloc((void **)&es->node, (size_t)n, sizeof *es->node, "edges"));
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        if (nd->op != OP_GRAPH) continue;
        char key[256];
        snprintf(key, sizeof key, "%s.edge", nd->params);
        dshap_param *E = model_find(m, key);
        snprintf(key, sizeof key, "%s.A", nd->params);
        dshap_param *A = model_find(m, key);
        if (!E || !A || E->count != A->count || E->count != (int64_t)nd->K * nd->V * nd->V)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: no matching '%s.edge' / '.A' for SGC layer %s", m->path ? m->path : "model",
                       nd->params, nd->params);
        int j = es->n++;
        es->E[j] = E;
        es->A[j] = A;
        es->node[j] = i;
        CHECK(dshap_alloc_floats(&es->orig[j], (size_t)E->count, "edge copy"));
        memcpy(es->orig[j], E->data, sizeof(float) * (size_t)E->count);
    }
done:
    if (st) edges_free(es);
    return st;
}

double perturb_value(double e, double delta, const perturb_opts *o) {
    switch (o->mode) {
    case PM_AMPLIFY: return e > 0 ? e + delta : e - delta;
    case PM_TOWARD_ZERO:
        if (o->no_sign_switch) return e > 0 ? fmax(e - delta, PERTURB_EPS) : fmin(e + delta, -PERTURB_EPS);
        return e > 0 ? e - delta : e + delta;
    case PM_ZERO_OUT: return PERTURB_EPS;
    }
    return e;
}

static double range0(const float *E, int V) {
    float lo = E[0], hi = E[0];
    for (int e = 1; e < V * V; e++) {
        if (E[e] < lo) lo = E[e];
        if (E[e] > hi) hi = E[e];
    }
    return fabs((double)hi - (double)lo);
}

void edges_apply(edge_set *es, dshap_net *net, const int *joints, int n_j, const perturb_opts *o) {
    int V = net->arch.layout->V;
    for (int i = 0; i < es->n; i++) {
        float *E = es->E[i]->data;
        memcpy(E, es->orig[i], sizeof(float) * (size_t)es->E[i]->count);
        double delta = o->thresh * range0(E, V);
        for (int q = 0; q < n_j; q++) {
            int j = joints[q];
            if (o->range == PR_SEQUENTIAL) delta = o->thresh * range0(E, V);
            E[(int64_t)j * V + j] = (float)perturb_value(E[(int64_t)j * V + j], delta, o);
        }
        node *nd = &net->nodes[es->node[i]];
        const float *A = es->A[i]->data;
        for (int64_t e = 0; e < es->E[i]->count; e++) nd->G[e] = A[e] * E[e];
    }
}

typedef struct {
    double v;
    int j;
} scored;

static int by_desc(const void *pa, const void *pb) {
    const scored *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->j - b->j;
}
static int by_asc(const void *pa, const void *pb) {
    const scored *a = pa, *b = pb;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return a->j - b->j;
}

int select_top(const double *score, int V, int k, int *out) {
    scored s[64];
    int n = 0;
    for (int v = 0; v < V; v++)
        if (score[v] > 0) s[n++] = (scored){score[v], v};
    qsort(s, (size_t)n, sizeof *s, by_desc);
    if (n > k) n = k;
    for (int i = 0; i < n; i++) out[i] = s[i].j;
    return n;
}

int select_bottom(const double *score, int V, int k, int *out) {
    scored s[64];
    for (int v = 0; v < V; v++) s[v] = (scored){score[v], v};
    qsort(s, (size_t)V, sizeof *s, by_asc);
    int n = k < V ? k : V;
    for (int i = 0; i < n; i++) out[i] = s[i].j;
    return n;
}
