#include "study/perturb.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
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
    if (net->general)
        FAIL(DSHAP_EINVAL, "%s: an imported model; name its adjacency constants with --edge-tensors PATTERN "
             "(dshap model info --constants lists them)", m->path ? m->path : "model");
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

int64_t edge_blocks(const dshap_param *p, int V) {
    int64_t vv = (int64_t)V * V;
    if (p->idata || p->rank < 2 || p->dims[p->rank - 1] != V || p->count % vv) return 0;
    return p->count / vv;
}

dshap_status edges_collect_named(edge_set *es, dshap_model *m, const dshap_net *net, const char *pattern) {
    memset(es, 0, sizeof *es);
    const char *path = m->path ? m->path : "model";
    int V = net->arch.layout->V, n = 0;
    if (!net->general)
        FAIL(DSHAP_EINVAL, "%s: --edge-tensors is for imported models; a ShapGCN model perturbs every SGC layer's E",
             path);
    for (int i = 0; i < m->n_params; i++) {
        const dshap_param *p = &m->params[i];
        if (fnmatch(pattern, p->name, 0)) continue;
        if (!edge_blocks(p, V)) {
            char shape[96];
            FAIL(DSHAP_EINVAL, "%s: --edge-tensors '%s' matches constant '%s' of shape %s (%s), not (..., %d, %d)", path,
                 pattern, p->name, fmt_shape(p->rank, p->dims, shape, sizeof shape), p->dtype, V, V);
        }
        n++;
    }
    if (!n)
        FAIL(DSHAP_EINVAL, "%s: --edge-tensors '%s' matches no constant (dshap model info --constants lists them)", path,
             pattern);
    dshap_status st = DSHAP_OK;
    es->general = 1;
    CHECK(dshap_calloc((void **)&es->E, (size_t)n, sizeof *es->E, "edges"));
    CHECK(dshap_calloc((void **)&es->orig, (size_t)n, sizeof *es->orig, "edges"));
    for (int i = 0; i < m->n_params; i++) {
        dshap_param *p = &m->params[i];
        if (fnmatch(pattern, p->name, 0)) continue;
        int j = es->n++;
        es->E[j] = p;
        CHECK(dshap_alloc_floats(&es->orig[j], (size_t)p->count, "edge copy"));
        memcpy(es->orig[j], p->data, sizeof(float) * (size_t)p->count);
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

/* Imported constants: the (j, j) entries of every (V, V) block, nonzero ones only. */
static void apply_general(edge_set *es, int V, const int *joints, int n_j, const perturb_opts *o) {
    for (int i = 0; i < es->n; i++) {
        float *E = es->E[i]->data;
        const float *E0 = es->orig[i];
        memcpy(E, E0, sizeof(float) * (size_t)es->E[i]->count);
        int64_t nb = edge_blocks(es->E[i], V), vv = (int64_t)V * V;
        for (int64_t b = 0; b < nb; b++) {
            float *Eb = E + b * vv;
            double delta = o->thresh * range0(Eb, V);
            for (int q = 0; q < n_j; q++) {
                int64_t e = (int64_t)joints[q] * V + joints[q];
                if (o->range == PR_SEQUENTIAL) delta = o->thresh * range0(Eb, V);
                if (E0[b * vv + e] != 0) Eb[e] = (float)perturb_value(Eb[e], delta, o);
            }
        }
    }
}

void edges_apply(edge_set *es, dshap_net *net, const int *joints, int n_j, const perturb_opts *o) {
    int V = net->arch.layout->V;
    if (es->general) {
        apply_general(es, V, joints, n_j, o);
        return;
    }
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
