/* The work units of an explain call and their sums on this process. */
#include <string.h>

#include "api/api_explain.h"
#include "core/error.h"
#include "core/mem.h"

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

dshap_status api_call_init(api_call *c, dshap_explainer_t *e, const float *x, int64_t n, int n_k,
                       const int32_t *classes) {
    const dshap_net *net = &e->m->net;
    memset(c, 0, sizeof *c);
    c->e = e;
    c->x = x;
    c->classes = classes;
    c->n = n;
    c->n_k = n_k;
    c->K = net->arch.num_class;
    c->g = explainer_gran(e);
    dshap_model_info info;
    dshap_model_get_info(e->m, &info);
    c->F = info.sample_size;
    c->G = gran_size(&c->g);
    c->block = e->o.block < n ? e->o.block : (int)n;
    c->chunk = e->o.chunk < e->R ? e->o.chunk : e->R;
    c->n_blocks = (n + c->block - 1) / c->block;
    c->n_chunks = (e->R + c->chunk - 1) / c->chunk;
    c->rules = e->o.rules == DSHAP_RULES_SHAP ? RULES_SHAP : RULES_EXACT;
    c->cur_chunk = -1;
    TRY(dshap_calloc((void **)&c->sum, (size_t)(n * n_k * c->G), sizeof(double), "attribution sums"));
    TRY(dshap_calloc((void **)&c->total, (size_t)(n * n_k), sizeof(double), "attribution totals"));
    TRY(dshap_alloc_floats(&c->logits_inst, (size_t)c->block * c->K, "logits"));
    TRY(dshap_alloc_floats(&c->logits_ref, (size_t)c->chunk * c->K, "logits"));
    TRY(dshap_alloc_floats(&c->logits, (size_t)(n * c->K), "logits"));
    TRY(dshap_calloc((void **)&c->cls, (size_t)c->block * n_k, sizeof(int), "classes"));
    TRY(dshap_calloc((void **)&c->explained, (size_t)(n * n_k), sizeof(int32_t), "classes"));
    engine_cfg cfg = {.max_inst = c->block, .max_ref = c->chunk, .max_classes = n_k, .memory_gib = e->o.memory_gib};
    return cpu_engine_ops.create(&c->eng, net, &cfg);
}

void api_call_free(api_call *c) {
    if (c->eng) cpu_engine_ops.destroy(c->eng);
    dshap_free(c->sum);
    dshap_free(c->total);
    dshap_free(c->logits_inst);
    dshap_free(c->logits_ref);
    dshap_free(c->logits);
    dshap_free(c->cls);
    dshap_free(c->explained);
    memset(c, 0, sizeof *c);
}

int api_call_block_rows(const api_call *c, int64_t b) {
    int64_t i0 = b * c->block;
    return (int)(c->n - i0 < c->block ? c->n - i0 : c->block);
}

void api_unit_layout(api_unit *u, const api_call *c, int nb) {
    int64_t nk = (int64_t)nb * c->n_k;
    u->phi = u->buf;
    u->tot = u->phi + nk * c->G;
    u->logits = u->tot + nk;
    u->cls = u->logits + (int64_t)nb * c->K;
    u->len = nk * c->G + nk + (int64_t)nb * c->K + nk;
}

dshap_status api_unit_alloc(api_unit *u, const api_call *c, int rows) {
    api_unit_layout(u, c, rows);
    u->buf = NULL;
    TRY(dshap_calloc((void **)&u->buf, (size_t)u->len, sizeof(double), "unit partials"));
    api_unit_layout(u, c, rows);
    return DSHAP_OK;
}

void api_unit_free(api_unit *u) {
    dshap_free(u->buf);
    memset(u, 0, sizeof *u);
}

/* The classes of block b: the caller's, or the first largest logit (as
 * dshap explain --classes pred), from this unit's instance forward. */
static void unit_classes(api_call *c, int64_t b, int nb) {
    int64_t i0 = b * c->block;
    for (int i = 0; i < nb; i++) {
        if (c->classes) {
            for (int kk = 0; kk < c->n_k; kk++) c->cls[i * c->n_k + kk] = c->classes[(i0 + i) * c->n_k + kk];
            continue;
        }
        const float *l = c->logits_inst + (int64_t)i * c->K;
        int best = 0;
        for (int k = 1; k < c->K; k++)
            if (l[k] > l[best]) best = k;
        c->cls[i] = best;
    }
}

dshap_status api_unit_compute(api_call *c, int64_t b, int64_t ch, api_unit *u) {
    const dshap_explainer_t *e = c->e;
    int nb = api_call_block_rows(c, b);
    api_unit_layout(u, c, nb);
    if (ch != c->cur_chunk) { /* references of this chunk: forward once per chunk */
        int r0 = (int)ch * c->chunk, nr = e->R - r0 < c->chunk ? e->R - r0 : c->chunk;
        TRY(cpu_engine_ops.forward_ref(c->eng, e->bg + (int64_t)r0 * c->F, nr, c->logits_ref));
        c->cur_chunk = ch;
    }
    TRY(cpu_engine_ops.forward_inst(c->eng, c->x + b * c->block * c->F, nb, c->logits_inst));
    unit_classes(c, b, nb);
    int64_t nk = (int64_t)nb * c->n_k;
    memset(u->phi, 0, sizeof(double) * (size_t)(nk * c->G));
    memset(u->tot, 0, sizeof(double) * (size_t)nk);
    TRY(cpu_engine_ops.attribute(c->eng, c->rules, c->n_k, c->cls, &c->g, u->phi, u->tot));
    for (int64_t j = 0; j < (int64_t)nb * c->K; j++) u->logits[j] = c->logits_inst[j];
    for (int64_t j = 0; j < nk; j++) u->cls[j] = c->cls[j];
    return DSHAP_OK;
}

void api_unit_add(api_call *c, int64_t b, int64_t ch, const api_unit *u) {
    int64_t i0 = b * c->block, nk = (int64_t)api_call_block_rows(c, b) * c->n_k;
    double *s = c->sum + i0 * c->n_k * c->G, *t = c->total + i0 * c->n_k;
    for (int64_t j = 0; j < nk * c->G; j++) s[j] += u->phi[j];
    for (int64_t j = 0; j < nk; j++) t[j] += u->tot[j];
    if (ch != 0) return;
    for (int64_t j = 0; j < nk / c->n_k * c->K; j++) c->logits[i0 * c->K + j] = (float)u->logits[j];
    for (int64_t j = 0; j < nk; j++) c->explained[i0 * c->n_k + j] = (int32_t)u->cls[j];
}

dshap_status api_call_progress(const api_call *c, int64_t done, int64_t total) {
    const dshap_options *o = &c->e->o;
    if (o->progress && o->progress(o->progress_user, done, total))
        FAIL(DSHAP_EINVAL, "dshap_explain: cancelled by the progress callback after %lld of %lld work units",
             (long long)done, (long long)total);
    return DSHAP_OK;
}

dshap_status api_call_run_local(api_call *c) {
    api_unit u = {0};
    TRY(api_unit_alloc(&u, c, c->block));
    dshap_status st = DSHAP_OK;
    int64_t done = 0, total = c->n_blocks * c->n_chunks;
    for (int64_t ch = 0; ch < c->n_chunks; ch++)
        for (int64_t b = 0; b < c->n_blocks; b++) {
            CHECK(api_unit_compute(c, b, ch, &u));
            api_unit_add(c, b, ch, &u);
            CHECK(api_call_progress(c, ++done, total));
        }
done:
    api_unit_free(&u);
    return st;
}

void api_call_finish(const api_call *c, int64_t i0, int64_t i1, float *values, float *output, float *residual) {
    const dshap_explainer_t *e = c->e;
    int n_k = c->n_k, K = c->K, full = c->g.kind == STORE_FULL;
    int64_t G = c->G;
    for (int64_t i = i0; i < i1; i++)
        for (int kk = 0; kk < n_k; kk++) {
            const double *p = c->sum + (i * n_k + kk) * G;
            for (int64_t j = 0; j < G; j++) {
                float v = (float)(p[j] / e->R);
                if (full) values[(i * c->F + j) * n_k + kk] = v;
                else values[(i * n_k + kk) * G + j] = v;
            }
            if (residual) { /* from the float total and the float logit */
                int cl = c->explained[i * n_k + kk];
                float tot = (float)(c->total[i * n_k + kk] / e->R);
                double delta = (double)c->logits[i * K + cl] - e->phi0[cl];
                residual[i * n_k + kk] = (float)((double)tot - delta);
            }
        }
    if (output) memcpy(output + i0 * K, c->logits + i0 * K, sizeof(float) * (size_t)((i1 - i0) * K));
}
