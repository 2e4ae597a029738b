#include "cpu/nd_index.h"

#include <stdlib.h>
#include <string.h>

int64_t nd_numel(const nd_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}

void nd_strides(const nd_shape *s, int64_t *st) {
    int64_t m = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = m;
        m *= s->d[i];
    }
}

void nd_bcast_strides(const nd_shape *out, const nd_shape *s, int64_t *st) {
    int64_t own[NODE_MAX_RANK];
    nd_strides(s, own);
    for (int j = 0; j < out->rank; j++) {
        int i = j - (out->rank - s->rank);
        st[j] = i < 0 || s->d[i] == 1 ? 0 : own[i];
    }
}

int64_t *nd_offsets(const nd_shape *out, const int64_t *st, int64_t base) {
    int64_t n = nd_numel(out), idx[NODE_MAX_RANK] = {0}, o = base;
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!off) return NULL;
    for (int64_t e = 0; e < n; e++) {
        off[e] = o;
        for (int j = out->rank - 1; j >= 0; j--) { /* odometer step */
            o += st[j];
            if (++idx[j] < out->d[j]) break;
            o -= st[j] * out->d[j];
            idx[j] = 0;
        }
    }
    return off;
}

void nd_split(const nd_shape *s, int axis, int64_t *outer, int64_t *L, int64_t *inner) {
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= s->d[i];
    for (int i = axis + 1; i < s->rank; i++) *inner *= s->d[i];
    *L = s->d[axis];
}

void nd_clear_rows(float *m, int64_t B, int64_t n, int acc) {
    if (!acc) memset(m, 0, sizeof(float) * (size_t)(B * n));
}
