#include "jobs/explain_unit.h"

#include <string.h>

#include "core/mem.h"
#include "engine/rows.h"

dshap_status unit_result_alloc(unit_result *u, int n, int n_k, int K, int64_t G) {
    u->n = n;
    u->n_k = n_k;
    u->K = K;
    u->G = G;
    int64_t nk = (int64_t)n * n_k;
    u->len = nk * G + nk + K + (int64_t)n * K + nk;
    TRY(dshap_calloc((void **)&u->buf, (size_t)u->len, sizeof(double), "unit result"));
    u->phi = u->buf;
    u->total = u->phi + nk * G;
    u->ref_sum = u->total + nk;
    u->logits = u->ref_sum + K;
    u->classes = u->logits + (int64_t)n * K;
    return DSHAP_OK;
}

void unit_result_free(unit_result *u) {
    dshap_free(u->buf);
    memset(u, 0, sizeof *u);
}

dshap_status unit_ctx_init(unit_ctx *c, const explain_opts *o, const dshap_net *net, inputs_src *data, inputs_src *bg,
                           const int64_t *bg_rows, int R, int n_k) {
    memset(c, 0, sizeof *c);
    c->o = o;
    c->net = net;
    c->data = data;
    c->bg = bg;
    c->bg_rows = bg_rows;
    c->R = R;
    c->n_k = n_k;
    c->chunk = o->chunk < R ? o->chunk : R;
    c->n_chunks = (R + c->chunk - 1) / c->chunk;
    c->block = o->block > 0 ? o->block : 4;
    if (c->block > data->N) c->block = (int)data->N;
    c->n_blocks = (int)((data->N + c->block - 1) / c->block);
    c->cur_chunk = -1;
    const dshap_arch *a = &net->arch;
    int K = a->num_class;
    c->gran = (granularity){o->store, o->persons_each, net->in_branches, net->in_C, a->num_frames, a->layout->V,
                            a->num_persons};
    int64_t F = inputs_sample_size(data);
    c->ops = o->engine ? o->engine : &cpu_engine_ops;
    engine_cfg cfg = {.max_inst = c->block, .max_ref = c->chunk, .max_classes = n_k,
        .memory_gib = o->memory_gib, .device = o->device, .allow_tf32 = o->allow_tf32, .all_rows = o->all_rows,
        .class_seeds = o->class_seeds};
    TRY(c->ops->create(&c->eng, net, &cfg));
    TRY(dshap_alloc_floats(&c->x_inst, (size_t)(c->block * F), "instance block"));
    TRY(dshap_alloc_floats(&c->x_ref, (size_t)(c->chunk * F), "background chunk"));
    TRY(dshap_alloc_floats(&c->logits_inst, (size_t)c->block * K, "logits"));
    TRY(dshap_alloc_floats(&c->logits_ref, (size_t)c->chunk * K, "logits"));
    TRY(dshap_calloc((void **)&c->classes, (size_t)c->block * n_k, sizeof(int), "classes"));
    TRY(dshap_calloc((void **)&c->same, (size_t)c->block * c->chunk * a->num_persons, 1, "person row mask"));
    return DSHAP_OK;
}

void unit_ctx_free(unit_ctx *c) {
    if (c->eng) c->ops->destroy(c->eng);
    dshap_free(c->x_inst);
    dshap_free(c->x_ref);
    dshap_free(c->logits_inst);
    dshap_free(c->logits_ref);
    dshap_free(c->classes);
    dshap_free(c->same);
    memset(c, 0, sizeof *c);
}

static void pick_classes(const unit_ctx *c, int64_t i0, int n, const float *logits, int *cls) {
    const explain_opts *o = c->o;
    int K = c->net->arch.num_class;
    for (int i = 0; i < n; i++) {
        int *ci = cls + (int64_t)i * c->n_k;
        switch (o->classes) {
        case CLASSES_TRUE: ci[0] = c->data->labels[i0 + i]; break;
        case CLASSES_PRED: {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[(int64_t)i * K + k] > logits[(int64_t)i * K + best]) best = k;
            ci[0] = best;
            break;
        }
        case CLASSES_ALL:
            for (int k = 0; k < K; k++) ci[k] = k;
            break;
        case CLASSES_LIST: memcpy(ci, o->list, sizeof(int) * (size_t)o->n_list); break;
        }
    }
}

dshap_status unit_compute(unit_ctx *c, int b, int ch, unit_result *u) {
    int K = c->net->arch.num_class;
    int64_t i0 = (int64_t)b * c->block;
    int n = (int)(c->data->N - i0 < c->block ? c->data->N - i0 : c->block);
    int r0 = ch * c->chunk, nr = c->R - r0 < c->chunk ? c->R - r0 : c->chunk;
    double t0 = dist_time();
    if (ch != c->cur_chunk) { /* references of this chunk: forward once per rank and chunk */
        TRY(inputs_read_rows(c->bg, c->bg_rows + r0, nr, c->x_ref));
        TRY(c->ops->forward_ref(c->eng, c->x_ref, nr, c->logits_ref));
        c->cur_chunk = ch;
    }
    double t1 = dist_time();
    TRY(inputs_read(c->data, i0, n, c->x_inst));
    TRY(c->ops->forward_inst(c->eng, c->x_inst, n, c->logits_inst));
    double t2 = dist_time();
    pick_classes(c, i0, n, c->logits_inst, c->classes);
    TRY(c->ops->attribute(c->eng, c->o->rules, c->n_k, c->classes, &c->gran, u->phi, u->total));
    double t3 = dist_time();
    /* the engine leaves these rows out (engine/rows.h): counted for the report */
    int M = c->net->arch.num_persons;
    c->rows_same += person_equal_mask(c->x_inst, n, c->x_ref, nr, inputs_sample_size(c->data), M, c->same);
    c->rows_total += (int64_t)n * nr * M;
    for (int64_t ik = 0; ik < (int64_t)n * c->n_k; ik++) u->classes[ik] = c->classes[ik];
    for (int k = 0; k < K; k++) {
        double s = 0;
        for (int r = 0; r < nr; r++) s += c->logits_ref[(int64_t)r * K + k];
        u->ref_sum[k] = s;
    }
    for (int64_t e = 0; e < (int64_t)n * K; e++) u->logits[e] = c->logits_inst[e];
    c->t_bg_fwd += t1 - t0;
    c->t_inst_fwd += t2 - t1;
    c->t_backward += t3 - t2;
    return DSHAP_OK;
}
