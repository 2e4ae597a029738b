#include "onnx/values.h"

#include <stdlib.h>
#include <string.h>

val *values_find(values *vs, const char *name) {
    for (int i = vs->n - 1; i >= 0; i--)
        if (!strcmp(vs->v[i]->name, name)) return vs->v[i];
    return NULL;
}

val *values_add(values *vs, const char *name) {
    if (vs->n == vs->cap) {
        int cap = vs->cap ? 2 * vs->cap : 256;
        val **p = realloc(vs->v, sizeof *p * (size_t)cap);
        if (!p) return NULL;
        vs->v = p;
        vs->cap = cap;
    }
    val *v = calloc(1, sizeof *v);
    char *copy = strdup(name);
    if (!v || !copy) {
        free(v);
        free(copy);
        return NULL;
    }
    vs->v[vs->n++] = v;
    v->name = copy;
    v->net = -1;
    v->ki = -1;
    return v;
}

void values_free(values *vs) {
    for (int i = 0; i < vs->n; i++) {
        free(vs->v[i]->name);
        free(vs->v[i]);
    }
    free(vs->v);
    vs->v = NULL;
    vs->n = vs->cap = 0;
}

int64_t shape_numel(int rank, const int64_t *d) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= d[i];
    return n;
}

int shape_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int64_t *out) {
    int r = ra > rb ? ra : rb;
    if (r > VAL_MAX_RANK) return -1;
    for (int i = 0; i < r; i++) {
        int64_t x = i - (r - ra) >= 0 ? a[i - (r - ra)] : 1, y = i - (r - rb) >= 0 ? b[i - (r - rb)] : 1;
        if (x != y && x != 1 && y != 1) return -1;
        out[i] = x == 1 ? y : x;
    }
    return r;
}

void values_set_const(values *vs, val *v, int i) {
    v->ki = i;
    v->k = &vs->m->params[i];
}

void values_rebind(values *vs) {
    for (int i = 0; i < vs->n; i++)
        if (vs->v[i]->ki >= 0) vs->v[i]->k = &vs->m->params[vs->v[i]->ki];
}
