#include "engine/granularity.h"

#include <string.h>


static const char *const names[] = {"joint", "channel-joint", "frame", "full"};
const char *gran_name(store_kind k) { return names[k]; }

int gran_parse(const char *s, store_kind *k) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *k = (store_kind)i;
            return 0;
        }
    return -1;
}

int64_t gran_size(const granularity *g) {
    int64_t m = g->persons_each ? g->M : 1;
    switch (g->kind) {
    case STORE_JOINT: return (int64_t)g->V * m;
    case STORE_CHANNEL_JOINT: return (int64_t)g->B * g->C * g->V * m;
    case STORE_FRAME: return (int64_t)g->T * g->V * m;
    case STORE_FULL: return (int64_t)g->B * g->C * g->T * g->V * g->M;
    }
    return 0;
}

void gran_reduce(const granularity *g, const double *phi, double *out) {
    int C = g->C, T = g->T, V = g->V, M = g->M, each = g->persons_each;
    int64_t n = gran_size(g);
    if (g->kind == STORE_FULL) {
        memcpy(out, phi, sizeof(double) * (size_t)n);
        return;
    }
    memset(out, 0, sizeof(double) * (size_t)n);
    for (int b = 0; b < g->B; b++)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++)
                for (int v = 0; v < V; v++)
                    for (int m = 0; m < M; m++) {
                        double x = phi[((((int64_t)b * C + c) * T + t) * V + v) * M + m];
                        int64_t o;
                        switch (g->kind) {
                        case STORE_JOINT: o = (int64_t)v; break;
                        case STORE_CHANNEL_JOINT: o = ((int64_t)b * C + c) * V + v; break;
                        default: o = (int64_t)t * V + v; break; /* frame */
                        }
                        out[each ? o * M + m : o] += x;
                    }
    if (g->kind != STORE_FRAME) /* the time mean of the study: I_v = Σ Σ mean_t φ */
        for (int64_t i = 0; i < n; i++) out[i] /= T;
}

int gran_dataset_shape(const granularity *g, int64_t N, int Kp, int64_t *dims) {
    int r = 0;
    if (g->kind == STORE_FULL) {
        dims[r++] = N;
        if (g->B > 1) dims[r++] = g->B;
        int64_t d[] = {g->C, g->T, g->V, g->M, Kp};
        memcpy(dims + r, d, sizeof d);
        return r + 5;
    }
    dims[r++] = N;
    dims[r++] = Kp;
    if (g->kind == STORE_CHANNEL_JOINT) {
        if (g->B > 1) dims[r++] = g->B;
        dims[r++] = g->C;
    }
    if (g->kind == STORE_FRAME) dims[r++] = g->T;
    dims[r++] = g->V;
    if (g->persons_each) dims[r++] = g->M;
    return r;
}
