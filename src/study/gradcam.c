#include "study/gradcam.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "engine/deeplift.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int gradcam_find_layer(const dshap_net *net, const char *name) {
    int found = -1;
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].is_module && strcmp(net->nodes[i].name, name) == 0) found = i;
    if (found >= 0) return found;
    for (int i = 0; i < net->n_nodes; i++)
        if (strcmp(net->nodes[i].name, name) == 0) found = i;
    return found;
}

dshap_status gradcam_geom(const dshap_net *net, int i, const char *name, gc_geom *g) {
    const node *nd = &net->nodes[i];
    int V = net->arch.layout->V, M = net->arch.num_persons;
    const nd_shape *s = &nd->shape;
    if (!s->rank) {
        if (nd->V != V || nd->T < 1 || nd->C < 1)
            FAIL(DSHAP_EINVAL,
                 "layer '%s' has output (C, T, V) = (%d, %d, %d); Grad-CAM needs a (C, T', V) map over the %d joints",
                 name, nd->C, nd->T, nd->V, V);
        *g = (gc_geom){(int)node_rows(net, nd, 1), nd->C, nd->T, nd->V};
        return DSHAP_OK;
    }
    int lead = s->rank == 4 && s->d[0] == M;
    if ((s->rank != 3 && !lead) || s->d[s->rank - 1] != V)
        FAIL(DSHAP_EINVAL,
             "layer '%s' has per-sample output shape of rank %d (last axis %lld); Grad-CAM needs (C, T', V) or "
             "(M, C, T', V) = (%d, C, T', V) over the %d joints",
             name, s->rank, (long long)s->d[s->rank - 1], M, V);
    *g = (gc_geom){lead ? M : 1, (int)s->d[lead], (int)s->d[lead + 1], V};
    return DSHAP_OK;
}

dshap_status gradcam_check_layer(const dshap_net *net, int i, const char *name) {
    gc_geom g;
    return gradcam_geom(net, i, name, &g);
}

/* One person row: map (T, V) of this row's Grad-CAM. */
static void map_row(const gc_opts *o, int C, int T, int V, const float *A, const float *G, double *m) {
    int64_t TV = (int64_t)T * V;
    double sign = o->negate ? -1.0 : 1.0;
    if (o->variant == GC_STANDARD) {
        for (int64_t e = 0; e < TV; e++) m[e] = 0;
        for (int c = 0; c < C; c++) {
            const float *g = G + c * TV, *ac = A + c * TV;
            double alpha = 0;
            for (int64_t e = 0; e < TV; e++) alpha += g[e];
            alpha = sign * alpha / (double)TV;
            for (int64_t e = 0; e < TV; e++) m[e] += alpha * ac[e];
        }
        for (int64_t e = 0; e < TV; e++) m[e] = m[e] > 0 ? m[e] : 0;
        return;
    }
    /* The published _compute_grad: G /= rms(G) + 1e-8; pooled[v] = mean_(c,t) G;
     * the (V,1,1,1) * (1,C,T,V) broadcast then sums the node weights into one
     * scalar s = sum_v pooled[v]; cam = ReLU(s * mean_c A); (cam - min) / (max + 1e-8). */
    int64_t F = (int64_t)C * TV;
    double ss = 0;
    for (int64_t e = 0; e < F; e++) ss += (double)G[e] * G[e];
    double rms = sqrt(ss / (double)F) + 1e-8;
    double s = 0;
    for (int64_t e = 0; e < F; e++) s += G[e];
    s = sign * (s / rms) / ((double)C * T); /* sum over v of mean over (c, t) */
    for (int64_t e = 0; e < TV; e++) m[e] = 0;
    for (int c = 0; c < C; c++)
        for (int64_t e = 0; e < TV; e++) m[e] += A[c * TV + e];
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t e = 0; e < TV; e++) {
        double v = s * (m[e] / C);
        m[e] = v > 0 ? v : 0;
        if (m[e] < lo) lo = m[e];
        if (m[e] > hi) hi = m[e];
    }
    for (int64_t e = 0; e < TV; e++) m[e] = (m[e] - lo) / (hi + 1e-8);
}

void gradcam_map(const gc_opts *o, int rows, int C, int T, int V, const float *A, const float *G, double *map) {
    int64_t TV = (int64_t)T * V, F = (int64_t)C * TV;
    int use = o->persons == GC_PERSONS_FIRST ? 1 : rows;
    double row[TV];
    for (int64_t e = 0; e < TV; e++) map[e] = 0;
    for (int r = 0; r < use; r++) {
        map_row(o, C, T, V, A + r * F, G + r * F, row);
        for (int64_t e = 0; e < TV; e++) map[e] += row[e];
    }
    if (o->persons == GC_PERSONS_MEAN)
        for (int64_t e = 0; e < TV; e++) map[e] /= use;
}

dshap_status gradcam_block(const engine_ops *ops, engine *e, const dshap_net *net, int n, const int *layers,
                           int n_layers, int n_k, const int *classes, const gc_opts *o, int64_t max_bytes,
                           float **maps, double *layer_seconds) {
    dshap_status st = DSHAP_OK;
    float *grad = NULL, *act = NULL;
    int *sub = NULL;
    double *m = NULL;
    for (int l = 0; l < n_layers; l++) {
        double t0 = now_s();
        gc_geom g;
        CHECK(gradcam_geom(net, layers[l], net->nodes[layers[l]].name, &g));
        int rows = g.rows;
        int64_t F = (int64_t)g.C * g.T * g.V, TV = (int64_t)g.T * g.V;
        int64_t per_class = (int64_t)n * rows * F * (int64_t)sizeof(float);
        int kk = (int)(max_bytes / (per_class > 0 ? per_class : 1));
        if (kk < 1) kk = 1;
        if (kk > n_k) kk = n_k;
        CHECK(dshap_alloc_floats(&grad, (size_t)((int64_t)n * kk * rows * F), "Grad-CAM gradient"));
        CHECK(dshap_alloc_floats(&act, (size_t)((int64_t)n * rows * F), "Grad-CAM activation"));
        CHECK(dshap_calloc((void **)&sub, (size_t)n * kk, sizeof *sub, "classes"));
        CHECK(dshap_calloc((void **)&m, (size_t)TV, sizeof *m, "map"));
        for (int k0 = 0; k0 < n_k; k0 += kk) {
            int nk = n_k - k0 < kk ? n_k - k0 : kk;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < nk; k++) sub[i * nk + k] = classes[i * n_k + k0 + k];
            CHECK(ops->gradient(e, layers[l], nk, sub, act, grad));
            for (int i = 0; i < n; i++) {
                const float *A = act + (int64_t)i * rows * F;
                for (int k = 0; k < nk; k++) {
                    const float *G = grad + ((int64_t)i * nk + k) * rows * F;
                    gradcam_map(o, rows, g.C, g.T, g.V, A, G, m);
                    float *out = maps[l] + ((int64_t)i * n_k + k0 + k) * TV;
                    for (int64_t e2 = 0; e2 < TV; e2++) out[e2] = (float)m[e2];
                }
            }
        }
        dshap_free(grad);
        dshap_free(act);
        dshap_free(sub);
        dshap_free(m);
        grad = act = NULL;
        sub = NULL;
        m = NULL;
        if (layer_seconds) layer_seconds[l] += now_s() - t0;
    }
done:
    dshap_free(grad);
    dshap_free(act);
    dshap_free(sub);
    dshap_free(m);
    return st;
}
