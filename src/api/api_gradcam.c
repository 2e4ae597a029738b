/* Public API: Grad-CAM at a named layer, as dshap gradcam computes it
 * (study/gradcam_job.c): blocks of samples forwarded once, the maps of
 * gradcam_block, the joint score the time mean of the map. */
#include <string.h>

#include "api/api.h"
#include "core/error.h"
#include "core/mem.h"
#include "study/gradcam.h"

static dshap_status find_layer(const dshap_model_t *m, const char *layer, int *node_index) {
    *node_index = gradcam_find_layer(&m->net, layer);
    if (*node_index < 0)
        FAIL(DSHAP_EINVAL, "%s: no layer '%s' (dshap model info %s --nodes lists them)", m->path, layer, m->path);
    return gradcam_check_layer(&m->net, *node_index, layer);
}

dshap_status dshap_gradcam_layer_shape(const dshap_model_t *m, const char *layer, int *T, int *V) {
    TRY(api_check_ptr(m, "dshap_gradcam_layer_shape", "model"));
    TRY(api_check_ptr(layer, "dshap_gradcam_layer_shape", "layer"));
    int at;
    gc_geom g;
    TRY(find_layer(m, layer, &at));
    TRY(gradcam_geom(&m->net, at, layer, &g));
    *T = g.T;
    *V = g.V;
    return DSHAP_OK;
}

dshap_status dshap_gradcam(const dshap_model_t *m, const char *layer, const float *x, int64_t n, int n_k,
                           const int32_t *classes, const dshap_gradcam_options *opts, float *map, float *joint) {
    const char *fn = "dshap_gradcam";
    TRY(api_check_ptr(m, fn, "model"));
    TRY(api_check_ptr(layer, fn, "layer"));
    TRY(api_check_ptr(x, fn, "x"));
    TRY(api_check_ptr(classes, fn, "classes"));
    TRY(api_check_ptr(map, fn, "map"));
    TRY(api_check_init());
    dshap_gradcam_options o;
    if (opts) o = *opts;
    else dshap_gradcam_options_default(&o);
    if (o.variant != DSHAP_GRADCAM_STANDARD && o.variant != DSHAP_GRADCAM_SHAPGCN)
        FAIL(DSHAP_EINVAL, "%s: unknown variant %d (standard or shapgcn)", fn, (int)o.variant);
    if (o.persons < DSHAP_PERSONS_SUM || o.persons > DSHAP_PERSONS_FIRST)
        FAIL(DSHAP_EINVAL, "%s: unknown person mode %d (sum, mean, first)", fn, (int)o.persons);
    if (o.block < 1) FAIL(DSHAP_EINVAL, "%s: block = %d, must be at least 1", fn, o.block);
    int K = m->net.arch.num_class;
    if (n < 1 || n > (1 << 30)) FAIL(DSHAP_EINVAL, "%s: n = %lld, needs 1 to 2^30 samples", fn, (long long)n);
    if (n_k < 1 || n_k > K) FAIL(DSHAP_EINVAL, "%s: n_k = %d classes per sample, needs 1 to %d", fn, n_k, K);
    TRY(api_check_classes(classes, n, n_k, K, fn));
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    TRY(api_check_finite(x, n, info.sample_size, fn, "x"));
    int at;
    TRY(find_layer(m, layer, &at));
    gc_geom g;
    TRY(gradcam_geom(&m->net, at, layer, &g));
    int64_t TV = (int64_t)g.T * g.V;
    gc_opts gc = {o.variant == DSHAP_GRADCAM_SHAPGCN ? GC_SHAPGCN : GC_STANDARD, o.negate,
                  o.persons == DSHAP_PERSONS_MEAN ? GC_PERSONS_MEAN
                  : o.persons == DSHAP_PERSONS_FIRST ? GC_PERSONS_FIRST : GC_PERSONS_SUM};
    int block = o.block < n ? o.block : (int)n;
    int64_t max_bytes = (int64_t)((o.memory_gib > 0 ? o.memory_gib : 1.0) * (1 << 30));
    engine_cfg cfg = {.max_inst = block, .max_ref = 1, .max_classes = n_k, .memory_gib = o.memory_gib,
                      .keep_nodes = &at, .n_keep = 1};
    engine *e = NULL;
    float *logits = NULL;
    int *cls = NULL;
    double seconds = 0;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc_floats(&logits, (size_t)block * K, "logits"));
    CHECK(dshap_calloc((void **)&cls, (size_t)block * n_k, sizeof *cls, "classes"));
    CHECK(cpu_engine_ops.create(&e, &m->net, &cfg));
    for (int64_t i0 = 0; i0 < n; i0 += block) {
        int nb = (int)(n - i0 < block ? n - i0 : block);
        CHECK(cpu_engine_ops.forward_inst(e, x + i0 * info.sample_size, nb, logits));
        for (int64_t j = 0; j < (int64_t)nb * n_k; j++) cls[j] = classes[i0 * n_k + j];
        float *maps_at[1] = {map + i0 * n_k * TV};
        CHECK(gradcam_block(&cpu_engine_ops, e, &m->net, nb, &at, 1, n_k, cls, &gc, max_bytes, maps_at, &seconds));
    }
    if (joint)
        for (int64_t i = 0; i < n * n_k; i++)
            for (int v = 0; v < g.V; v++) {
                double s = 0;
                for (int t = 0; t < g.T; t++) s += map[i * TV + (int64_t)t * g.V + v];
                joint[i * g.V + v] = (float)(s / g.T);
            }
done:
    if (e) cpu_engine_ops.destroy(e);
    dshap_free(logits);
    dshap_free(cls);
    return st;
}
