/* Public API: explainers. The computation is dshap explain's on one rank:
 * work units (instance block x background chunk) in the same chunk-major
 * order, chunk partials summed in chunk order in double, then divided by R
 * and rounded to float32 as jobs/explain_combine.c does, so the bytes equal
 * the CLI's for the same inputs, chunk and rules. */
#include <string.h>

#include "api/api.h"
#include "core/error.h"
#include "core/mem.h"
#include "engine/engine.h"

struct dshap_explainer_t {
    const dshap_model_t *m;
    dshap_options o;
    float *bg;    /* (R, sample) */
    int R;
    double *phi0; /* (K) */
};

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

static granularity explainer_gran(const dshap_explainer_t *e) {
    const dshap_net *net = &e->m->net;
    const dshap_arch *a = &net->arch;
    static const store_kind kinds[] = {STORE_JOINT, STORE_CHANNEL_JOINT, STORE_FRAME, STORE_FULL};
    return (granularity){kinds[e->o.store], e->o.persons_each, net->in_branches, net->in_C, a->num_frames,
                         a->layout->V, a->num_persons};
}

int64_t dshap_explainer_store_size(const dshap_explainer_t *e) {
    granularity g = explainer_gran(e);
    return gran_size(&g);
}

typedef struct {
    double *sum, *total; /* (n, n_k, G), (n, n_k): Σ over chunks of the unit partials */
    double *phi, *tot;   /* one unit's partial */
    float *logits_inst, *logits_ref, *logits; /* (block, K), (chunk, K), (n, K) */
    int *cls;            /* (block, n_k) */
} explain_bufs;

static void bufs_free(explain_bufs *b) {
    dshap_free(b->sum);
    dshap_free(b->total);
    dshap_free(b->phi);
    dshap_free(b->tot);
    dshap_free(b->logits_inst);
    dshap_free(b->logits_ref);
    dshap_free(b->logits);
    dshap_free(b->cls);
}

/* classes NULL: n_k = 1 and the predicted class of each instance, taken from
 * its forward in chunk 0 (the first largest logit, as dshap explain --classes
 * pred), written to picked (n). */
static dshap_status run_units(dshap_explainer_t *e, engine *eng, const float *x, int64_t n, int n_k,
                              const int32_t *classes, int32_t *picked, const granularity *g, explain_bufs *b) {
    const dshap_net *net = &e->m->net;
    int K = net->arch.num_class;
    int block = e->o.block < n ? e->o.block : (int)n, chunk = e->o.chunk < e->R ? e->o.chunk : e->R;
    int64_t F = (int64_t)g->B * g->C * g->T * g->V * g->M, G = gran_size(g);
    int64_t n_blocks = (n + block - 1) / block, n_chunks = (e->R + chunk - 1) / chunk;
    int64_t done = 0, total = n_blocks * n_chunks;
    rule_set rules = e->o.rules == DSHAP_RULES_SHAP ? RULES_SHAP : RULES_EXACT;
    for (int64_t ch = 0; ch < n_chunks; ch++) {
        int r0 = (int)ch * chunk, nr = e->R - r0 < chunk ? e->R - r0 : chunk;
        TRY(cpu_engine_ops.forward_ref(eng, e->bg + (int64_t)r0 * F, nr, b->logits_ref));
        for (int64_t bl = 0; bl < n_blocks; bl++) {
            int64_t i0 = bl * block;
            int nb = (int)(n - i0 < block ? n - i0 : block);
            TRY(cpu_engine_ops.forward_inst(eng, x + i0 * F, nb, b->logits_inst));
            if (!classes && ch == 0)
                for (int i = 0; i < nb; i++) {
                    const float *l = b->logits_inst + (int64_t)i * K;
                    int best = 0;
                    for (int k = 1; k < K; k++)
                        if (l[k] > l[best]) best = k;
                    picked[i0 + i] = best;
                }
            const int32_t *src = classes ? classes : picked;
            for (int64_t ik = 0; ik < (int64_t)nb * n_k; ik++) b->cls[ik] = src[i0 * n_k + ik];
            memset(b->phi, 0, sizeof(double) * (size_t)((int64_t)nb * n_k * G));
            memset(b->tot, 0, sizeof(double) * (size_t)((int64_t)nb * n_k));
            TRY(cpu_engine_ops.attribute(eng, rules, n_k, b->cls, g, b->phi, b->tot));
            double *s = b->sum + i0 * n_k * G, *t = b->total + i0 * n_k;
            for (int64_t j = 0; j < (int64_t)nb * n_k * G; j++) s[j] += b->phi[j];
            for (int64_t j = 0; j < (int64_t)nb * n_k; j++) t[j] += b->tot[j];
            if (ch == 0) memcpy(b->logits + i0 * K, b->logits_inst, sizeof(float) * (size_t)nb * K);
            done++;
            if (e->o.progress && e->o.progress(e->o.progress_user, done, total))
                FAIL(DSHAP_EINVAL, "dshap_explain: cancelled by the progress callback after %lld of %lld work units",
                     (long long)done, (long long)total);
        }
    }
    return DSHAP_OK;
}

static dshap_status explain(dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *classes,
                            int32_t *picked, float *values, float *output, float *residual, const char *fn) {
    TRY(api_check_ptr(e, fn, "explainer"));
    TRY(api_check_ptr(x, fn, "x"));
    TRY(api_check_ptr(values, fn, "values"));
    TRY(api_check_init());
    const dshap_net *net = &e->m->net;
    int K = net->arch.num_class;
    if (n < 1 || n > (1 << 30)) FAIL(DSHAP_EINVAL, "%s: n = %lld, needs 1 to 2^30 instances", fn, (long long)n);
    if (n_k < 1 || n_k > K) FAIL(DSHAP_EINVAL, "%s: n_k = %d classes per instance, needs 1 to %d", fn, n_k, K);
    if (classes) TRY(api_check_classes(classes, n, n_k, K, fn));
    granularity g = explainer_gran(e);
    int64_t F = (int64_t)g.B * g.C * g.T * g.V * g.M, G = gran_size(&g);
    TRY(api_check_finite(x, n, F, fn, "x"));
    int block = e->o.block < n ? e->o.block : (int)n, chunk = e->o.chunk < e->R ? e->o.chunk : e->R;
    explain_bufs b = {0};
    engine *eng = NULL;
    int prev = api_threads_set(e->o.threads);
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&b.sum, (size_t)(n * n_k * G), sizeof(double), "attribution sums"));
    CHECK(dshap_calloc((void **)&b.total, (size_t)(n * n_k), sizeof(double), "attribution totals"));
    CHECK(dshap_calloc((void **)&b.phi, (size_t)((int64_t)block * n_k * G), sizeof(double), "unit attributions"));
    CHECK(dshap_calloc((void **)&b.tot, (size_t)block * n_k, sizeof(double), "unit totals"));
    CHECK(dshap_alloc_floats(&b.logits_inst, (size_t)block * K, "logits"));
    CHECK(dshap_alloc_floats(&b.logits_ref, (size_t)chunk * K, "logits"));
    CHECK(dshap_alloc_floats(&b.logits, (size_t)(n * K), "logits"));
    CHECK(dshap_calloc((void **)&b.cls, (size_t)block * n_k, sizeof(int), "classes"));
    engine_cfg cfg = make_cfg(e, block, chunk, n_k);
    CHECK(cpu_engine_ops.create(&eng, net, &cfg));
    CHECK(run_units(e, eng, x, n, n_k, classes, picked, &g, &b));
    if (!classes) classes = picked;
    /* As explain_combine: φ = (float)(Σ / R); the residual from the float
     * total and the float logit. */
    int full = g.kind == STORE_FULL;
    for (int64_t i = 0; i < n; i++)
        for (int kk = 0; kk < n_k; kk++) {
            const double *p = b.sum + (i * n_k + kk) * G;
            for (int64_t j = 0; j < G; j++) {
                float v = (float)(p[j] / e->R);
                if (full) values[(i * F + j) * n_k + kk] = v;
                else values[(i * n_k + kk) * G + j] = v;
            }
            if (residual) {
                int c = classes[i * n_k + kk];
                float tot = (float)(b.total[i * n_k + kk] / e->R);
                double delta = (double)b.logits[i * K + c] - e->phi0[c];
                residual[i * n_k + kk] = (float)((double)tot - delta);
            }
        }
    if (output) memcpy(output, b.logits, sizeof(float) * (size_t)(n * K));
done:
    api_threads_restore(e->o.threads, prev);
    if (eng) cpu_engine_ops.destroy(eng);
    bufs_free(&b);
    return st;
}

dshap_status dshap_explain(dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *classes,
                           float *values, float *output, float *residual) {
    TRY(api_check_ptr(classes, "dshap_explain", "classes"));
    return explain(e, x, n, n_k, classes, NULL, values, output, residual, "dshap_explain");
}

dshap_status dshap_explain_predicted(dshap_explainer_t *e, const float *x, int64_t n, int32_t *classes, float *values,
                                     float *output, float *residual) {
    TRY(api_check_ptr(classes, "dshap_explain_predicted", "classes"));
    return explain(e, x, n, 1, NULL, classes, values, output, residual, "dshap_explain_predicted");
}
