#include "onnx/values.h"

#include <stdlib.h>
#include <string.h>

val *values_find(values *vs, const char *name) {
    for (int i = vs->n - 1; i >= 0; i--)
        if (!strcmp(vs->v[i].name, name)) return &vs->v[i];
    return NULL;
}

val *values_add(values *vs, const char *name) {
    if (vs->n == vs->cap) {
        int cap = vs->cap ? 2 * vs->cap : 256;
        val *p = realloc(vs->v, sizeof *p * (size_t)cap);
        if (!p) return NULL;
        vs->v = p;
        vs->cap = cap;
    }
    val *v = &vs->v[vs->n++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->net = -1;
    return v;
}

void values_free(values *vs) {
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
