#include "onnx/graph.h"

#include <stdlib.h>
#include <string.h>

static void attr_free(og_attr *a) {
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
}

void og_free(og_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        og_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_in; j++) free(n->in[j]);
        for (int j = 0; j < n->n_out; j++) free(n->out[j]);
        for (int j = 0; j < n->n_attr; j++) attr_free(&n->attr[j]);
        free(n->in);
        free(n->out);
        free(n->attr);
        free(n->name);
        free(n->op);
    }
    free(g->nodes);
    free(g->input);
    free(g->output);
    memset(g, 0, sizeof *g);
}

og_node *og_add_node(og_graph *g, const char *name, const char *op, int n_in, int n_out) {
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
        og_node *p = realloc(g->nodes, sizeof *p * (size_t)cap);
        if (!p) return NULL;
        g->nodes = p;
        g->cap_nodes = cap;
    }
    og_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = strdup(name);
    n->op = strdup(op);
    n->in = calloc((size_t)n_in + 1, sizeof *n->in);
    n->out = calloc((size_t)n_out + 1, sizeof *n->out);
    if (!n->name || !n->op || !n->in || !n->out) {
        free(n->name);
        free(n->op);
        free(n->in);
        free(n->out);
        return NULL;
    }
    n->n_in = n_in;
    n->n_out = n_out;
    g->n_nodes++;
    return n;
}

og_attr *og_add_attr(og_node *n, const char *name, og_attr_type type) {
    og_attr *p = realloc(n->attr, sizeof *p * (size_t)(n->n_attr + 1));
    if (!p) return NULL;
    n->attr = p;
    og_attr *a = &p[n->n_attr];
    memset(a, 0, sizeof *a);
    if (!(a->name = strdup(name))) return NULL;
    a->type = type;
    n->n_attr++;
    return a;
}

const og_attr *og_attr_find(const og_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++)
        if (!strcmp(n->attr[i].name, name)) return &n->attr[i];
    return NULL;
}

int64_t og_attr_int(const og_node *n, const char *name, int64_t dflt) {
    const og_attr *a = og_attr_find(n, name);
    return a && a->type == OA_INT ? a->i : dflt;
}

float og_attr_float(const og_node *n, const char *name, float dflt) {
    const og_attr *a = og_attr_find(n, name);
    if (a && a->type == OA_FLOAT) return a->f;
    return a && a->type == OA_INT ? (float)a->i : dflt;
}
