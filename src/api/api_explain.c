/* Public API: explainers. The computation is dshap explain's: work units
 * (instance block x background chunk) in the same chunk-major order, chunk
 * partials summed in chunk order in double, then divided by R and rounded to
 * float32 as jobs/explain_combine.c does, so the bytes equal the CLI's for
 * the same inputs, chunk and rules (api_units.c; over MPI ranks api_mpi.c). */
#include <string.h>

#include "api/api_explain.h"
#include "core/error.h"
#include "core/mem.h"

static dshap_status check_options(const dshap_options *o, const char *fn) {
    if (o->rules != DSHAP_RULES_EXACT && o->rules != DSHAP_RULES_SHAP)
        FAIL(DSHAP_EINVAL, "%s: unknown rule set %d (DSHAP_RULES_EXACT or DSHAP_RULES_SHAP)", fn, (int)o->rules);
    if (o->store < DSHAP_STORE_JOINT || o->store > DSHAP_STORE_FULL)
        FAIL(DSHAP_EINVAL, "%s: unknown store %d (joint, channel-joint, frame, full)", fn, (int)o->store);
    if (o->chunk < 1) FAIL(DSHAP_EINVAL, "%s: chunk = %d, must be at least 1", fn, o->chunk);
    if (o->block < 1) FAIL(DSHAP_EINVAL, "%s: block = %d, must be at least 1", fn, o->block);
    if (o->memory_gib < 0) FAIL(DSHAP_EINVAL, "%s: memory_gib = %g, must not be negative", fn, o->memory_gib);
    if (o->threads < 0) FAIL(DSHAP_EINVAL, "%s: threads = %d, must not be negative", fn, o->threads);
    return DSHAP_OK;
}

static engine_cfg make_cfg(const dshap_explainer_t *e, int block, int chunk, int n_k) {
    return (engine_cfg){.max_inst = block, .max_ref = chunk, .max_classes = n_k, .memory_gib = e->o.memory_gib};
}

/* φ0 as explain_combine: per chunk Σ_r f(r) from zero, the chunk sums added in order, / R. */
static dshap_status expected_value(dshap_explainer_t *e) {
    const dshap_net *net = &e->m->net;
    int K = net->arch.num_class, chunk = e->o.chunk < e->R ? e->o.chunk : e->R;
    dshap_model_info info;
    dshap_model_get_info(e->m, &info);
    int64_t F = info.sample_size;
    engine_cfg cfg = make_cfg(e, 1, chunk, 1);
    engine *eng = NULL;
    float *lg = NULL;
    TRY(dshap_calloc((void **)&e->phi0, (size_t)K, sizeof(double), "expected value"));
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc_floats(&lg, (size_t)chunk * K, "logits"));
    CHECK(cpu_engine_ops.create(&eng, net, &cfg));
    for (int r0 = 0; r0 < e->R; r0 += chunk) {
        int nr = e->R - r0 < chunk ? e->R - r0 : chunk;
        CHECK(cpu_engine_ops.forward_ref(eng, e->bg + (int64_t)r0 * F, nr, lg));
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int r = 0; r < nr; r++) s += lg[(int64_t)r * K + k];
            e->phi0[k] += s;
        }
    }
    for (int k = 0; k < K; k++) e->phi0[k] /= e->R;
done:
    if (eng) cpu_engine_ops.destroy(eng);
    dshap_free(lg);
    return st;
}

dshap_status dshap_explainer_create(const dshap_model_t *m, const float *background, int64_t n_background,
                                    const dshap_options *opts, dshap_explainer_t **out) {
    const char *fn = "dshap_explainer_create";
    TRY(api_check_ptr(m, fn, "model"));
    TRY(api_check_ptr(background, fn, "background"));
    TRY(api_check_ptr(out, fn, "out"));
    *out = NULL;
    TRY(api_check_init());
    dshap_options o;
    if (opts) o = *opts;
    else dshap_options_default(&o);
    TRY(check_options(&o, fn));
    if (n_background < 1 || n_background > (1 << 30))
        FAIL(DSHAP_EINVAL, "%s: n_background = %lld, needs 1 to 2^30 references", fn, (long long)n_background);
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    TRY(api_check_finite(background, n_background, info.sample_size, fn, "background"));
    dshap_explainer_t *e;
    TRY(dshap_calloc((void **)&e, 1, sizeof *e, "explainer"));
    e->m = m;
    e->o = o;
    e->R = (int)n_background;
    dshap_status st = dshap_alloc_floats(&e->bg, (size_t)(n_background * info.sample_size), "background");
    if (!st) {
        memcpy(e->bg, background, sizeof(float) * (size_t)(n_background * info.sample_size));
        int prev = api_threads_set(o.threads);
        st = expected_value(e);
        api_threads_restore(o.threads, prev);
    }
    if (st) {
        dshap_explainer_free(e);
        return st;
    }
    *out = e;
    return DSHAP_OK;
}

void dshap_explainer_free(dshap_explainer_t *e) {
    if (!e) return;
    api_mpi_release(e);
    dshap_free(e->bg);
    dshap_free(e->phi0);
    dshap_free(e);
}

void dshap_explainer_set_progress(dshap_explainer_t *e, dshap_progress_fn fn, void *user) {
    e->o.progress = fn;
    e->o.progress_user = user;
}

void dshap_explainer_expected_value(const dshap_explainer_t *e, double *phi0) {
    memcpy(phi0, e->phi0, sizeof(double) * (size_t)e->m->net.arch.num_class);
}

/* The call's arguments; `given` the explained classes (NULL: predicted,
 * into `picked`). */
static dshap_status check_call(const dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *given,
                               const int32_t *picked, const float *values, const char *fn) {
    TRY(api_check_ptr(x, fn, "x"));
    TRY(api_check_ptr(values, fn, "values"));
    TRY(api_check_ptr(given ? given : picked, fn, "classes"));
    TRY(api_check_init());
    int K = e->m->net.arch.num_class;
    if (n < 1 || n > (1 << 30)) FAIL(DSHAP_EINVAL, "%s: n = %lld, needs 1 to 2^30 instances", fn, (long long)n);
    if (n_k < 1 || n_k > K) FAIL(DSHAP_EINVAL, "%s: n_k = %d classes per instance, needs 1 to %d", fn, n_k, K);
    if (given) TRY(api_check_classes(given, n, n_k, K, fn));
    dshap_model_info info;
    dshap_model_get_info(e->m, &info);
    return api_check_finite(x, n, info.sample_size, fn, "x");
}

/* What every rank of a distributed call must share: the counts, which
 * buffers are given, the options that shape the units, and the classes. */
static int call_signature(const dshap_explainer_t *e, int64_t n, int n_k, const int32_t *given, const float *output,
                          const float *residual, int64_t *sig) {
    uint64_t h = 0; /* the classes, hashed (unsigned: wraps) */
    if (given)
        for (int64_t j = 0; j < n * n_k; j++) h = h * 1000003u + (uint32_t)given[j];
    int64_t v[] = {n, n_k, given != NULL, output != NULL, residual != NULL, e->R, e->o.chunk, e->o.block,
                   (int64_t)e->o.rules * 8 + (int64_t)e->o.store * 2 + (e->o.persons_each != 0), (int64_t)(h >> 1)};
    memcpy(sig, v, sizeof v);
    return (int)(sizeof v / sizeof v[0]);
}

static dshap_status explain(dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *given,
                            int32_t *picked, float *values, float *output, float *residual, const char *fn) {
    TRY(api_check_ptr(e, fn, "explainer"));
    dshap_status st = check_call(e, x, n, n_k, given, picked, values, fn);
    if (e->distributed) {
        int64_t sig[16];
        int n_sig = st ? 0 : call_signature(e, n, n_k, given, output, residual, sig);
        st = api_mpi_agree(e, st, sig, n_sig, fn);
    }
    if (st) return st;
    api_call c;
    int prev = api_threads_set(e->o.threads);
    st = api_call_init(&c, e, x, n, n_k, given);
    if (e->distributed) st = api_mpi_agree(e, st, NULL, 0, fn);
    if (!st && api_mpi_size(e) > 1) {
        st = api_mpi_run(&c, values, output, residual);
    } else if (!st) {
        st = api_call_run_local(&c);
        if (e->distributed) st = api_mpi_agree(e, st, NULL, 0, fn);
        if (!st) api_call_finish(&c, 0, n, values, output, residual);
    }
    if (!st && picked) memcpy(picked, c.explained, sizeof(int32_t) * (size_t)n);
    api_threads_restore(e->o.threads, prev);
    api_call_free(&c);
    return st;
}

dshap_status dshap_explain(dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *classes,
                           float *values, float *output, float *residual) {
    return explain(e, x, n, n_k, classes, NULL, values, output, residual, "dshap_explain");
}

dshap_status dshap_explain_predicted(dshap_explainer_t *e, const float *x, int64_t n, int32_t *classes, float *values,
                                     float *output, float *residual) {
    return explain(e, x, n, 1, NULL, classes, values, output, residual, "dshap_explain_predicted");
}
