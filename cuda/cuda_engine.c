/* The CUDA engine (cuda_engine.h) over the node list: the forward and the
 * batched DeepLIFT backward of engine/cpu_engine.c, on one stream. */
#include "cuda/cuda_engine.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "engine/basis.h"
#include "cuda/deeplift_run_cuda.h"
#include "cuda/exec.h"
#include "cuda/op_table_cuda.h"
#include "cuda/op_table_nd_cuda.h"
#include "cuda/phi_cuda.h"

#define GIB 1073741824.0
#define RESERVE_BYTES ((int64_t)256 << 20) /* cuBLAS workspace, allocator slack */
#define AUTO_FRACTION 0.85

struct engine {
    const dshap_net *net;
    engine_cfg cfg;
    int device;
    char desc[256];
    cuda_stream s;
    int attached;
    unsigned char *keep;
    cuda_net cn;
    fwd_plan fp;
    dl_plan bp;
    cuda_acts inst, ref;
    float *work;            /* forward work arena */
    float *x_inst, *x_ref;  /* device copies: the rules read x − r at the input */
    float *hx_inst, *hx_ref;/* host copies: which person rows are equal (engine/rows.h) */
    unsigned char *same;    /* host (max_inst, max_ref, M) */
    int n_inst, n_ref;
    double *phi_full;       /* (max_inst, max_classes, F) */
    double *phi_out;        /* (max_inst, max_classes, G) of the reduced granularities */
    double *totals;         /* (max_inst, max_classes) */
    int *classes;           /* (max_inst, max_classes) */
    float *arena;           /* backward multipliers, max_pairs triples */
    int *rows, *rows_host;  /* row maps of every triple of a unit: device, host */
    int max_pairs;
    int64_t bytes;          /* all device memory this engine allocated */
};

/* Largest reduced (non-full) granularity per (instance, class). */
static int64_t max_reduced(const dshap_net *net) {
    const dshap_arch *a = &net->arch;
    int64_t V = a->layout->V, M = a->num_persons;
    int64_t cj = (int64_t)net->in_branches * net->in_C * V * M, fr = (int64_t)a->num_frames * V * M;
    return cj > fr ? cj : fr;
}

typedef struct {
    int64_t params, acts_inst, acts_ref, work, x, phi, out, scratch, rows, per_pair;
} mem_need;

static int64_t need_fixed(const mem_need *m) {
    return m->params + m->acts_inst + m->acts_ref + m->work + m->x + m->phi + m->out + m->scratch + m->rows +
           RESERVE_BYTES;
}

static int64_t row_ints(const dshap_net *net, int max_inst, int max_ref, int max_classes) {
    return batch_rows_ints((int64_t)max_inst * max_ref * max_classes, net->arch.num_persons);
}

static void need_for(const dshap_net *net, const fwd_plan *fp, const dl_plan *bp, int max_inst, int max_ref,
                     int max_classes, mem_need *m) {
    int64_t F = net_input_floats(net), nk = (int64_t)max_inst * max_classes;
    int64_t nmax = max_inst > max_ref ? max_inst : max_ref;
    m->params = cuda_net_bytes(net);
    m->acts_inst = 4 * fp->kept_per_sample * max_inst;
    m->acts_ref = 4 * fp->kept_per_sample * max_ref;
    m->work = 4 * fp->work_per_sample * nmax;
    m->x = 4 * F * (max_inst + max_ref);
    m->phi = 8 * nk * F;
    m->out = 8 * nk * max_reduced(net) + 8 * nk + 4 * nk;
    m->scratch = 4 * cuda_net_scratch_floats(net);
    m->rows = 4 * row_ints(net, max_inst, max_ref, max_classes);
    m->per_pair = 4 * bp->per_pair;
}

static dshap_status plans(const dshap_net *net, const engine_cfg *cfg, unsigned char **keep, fwd_plan *fp,
                          dl_plan *bp) {
    TRY(dshap_calloc((void **)keep, (size_t)net->n_nodes, 1, "keep mask"));
    deeplift_keep_mask(net, *keep);
    for (int j = 0; j < cfg->n_keep; j++) (*keep)[cfg->keep_nodes[j]] = 1;
    TRY(fwd_plan_make(fp, net, *keep));
    TRY(dl_plan_make(bp, net, -1));
    return DSHAP_OK;
}

dshap_status cuda_engine_estimate(const dshap_net *net, const engine_cfg *cfg, int64_t *fixed_bytes,
                                  int64_t *per_pair_bytes) {
    unsigned char *keep = NULL;
    fwd_plan fp = {0};
    dl_plan bp = {0};
    dshap_status st = plans(net, cfg, &keep, &fp, &bp);
    if (!st) {
        mem_need m;
        need_for(net, &fp, &bp, cfg->max_inst, cfg->max_ref, cfg->max_classes, &m);
        *fixed_bytes = need_fixed(&m);
        *per_pair_bytes = m.per_pair;
    }
    dshap_free(keep);
    fwd_plan_free(&fp);
    dl_plan_free(&bp);
    return st;
}

int cuda_engine_pairs(const engine *e) { return e->max_pairs; }

static void cuda_destroy(engine *e) {
    if (!e) return;
    if (e->s) cuda_stream_sync(e->s);
    if (e->attached) cuda_exec_detach(e->s);
    cuda_stream_free(e->s);
    cuda_acts_free(&e->inst);
    cuda_acts_free(&e->ref);
    cuda_net_free(&e->cn);
    cuda_release(e->work);
    cuda_release(e->x_inst);
    cuda_release(e->x_ref);
    cuda_release(e->phi_full);
    cuda_release(e->phi_out);
    cuda_release(e->totals);
    cuda_release(e->classes);
    cuda_release(e->arena);
    cuda_release(e->rows);
    dshap_free(e->rows_host);
    dshap_free(e->hx_inst);
    dshap_free(e->hx_ref);
    dshap_free(e->same);
    fwd_plan_free(&e->fp);
    dl_plan_free(&e->bp);
    dshap_free(e->keep);
    dshap_free(e);
}

/* The memory check: everything fixed plus at least one triple must fit the
 * free memory, else say what would (the largest chunk of references). */
static dshap_status check_fits(engine *e, const mem_need *m, size_t free_b, size_t total_b) {
    const engine_cfg *c = &e->cfg;
    int64_t fixed = need_fixed(m);
    int64_t total_pairs = (int64_t)c->max_inst * c->max_ref * c->max_classes;
    double budget = c->memory_gib > 0 ? c->memory_gib * GIB : AUTO_FRACTION * (double)total_b - (double)fixed;
    int64_t P = budget > 0 ? (int64_t)(budget / (double)m->per_pair) : 0;
    if (P > total_pairs) P = total_pairs;
    if (P > (1 << 30) / (e->net->arch.num_persons + 1)) P = (1 << 30) / (e->net->arch.num_persons + 1);
    if (P >= 1 && fixed + P * m->per_pair <= (int64_t)free_b) {
        e->max_pairs = (int)P;
        return DSHAP_OK;
    }
    if (P >= 1 && fixed + m->per_pair <= (int64_t)free_b) {
        int64_t fit = ((int64_t)free_b - fixed) / m->per_pair;
        FAIL(DSHAP_ENOMEM,
             "GPU %d (%s): the backward's %.2f GiB budget (%lld triples of %.1f MiB) does not fit the %.2f GiB free "
             "beside the fixed %.2f GiB; use --memory %.2f or less",
             e->device, e->desc, P * (double)m->per_pair / GIB, (long long)P, m->per_pair / 1048576.0, free_b / GIB,
             fixed / GIB, fit * (double)m->per_pair / GIB);
    }
    /* Not even one triple: the largest chunk (references per unit) that
     * fits; the need grows with the chunk, so bisect. */
    int best = 0, lo = 1, hi = c->max_ref - 1;
    while (lo <= hi) {
        int r = lo + (hi - lo) / 2;
        mem_need t;
        need_for(e->net, &e->fp, &e->bp, c->max_inst, r, c->max_classes, &t);
        if (need_fixed(&t) + t.per_pair <= (int64_t)free_b) best = r, lo = r + 1;
        else hi = r - 1;
    }
    char hint[160];
    if (best) snprintf(hint, sizeof hint, "the largest chunk that fits is --chunk %d", best);
    else snprintf(hint, sizeof hint, "no chunk fits with blocks of %d instances and %d classes; lower --block",
                  c->max_inst, c->max_classes);
    FAIL(DSHAP_ENOMEM,
         "GPU %d (%s) has %.2f GiB free but the CUDA engine needs %.2f GiB for a block of %d instances, a chunk of %d "
         "references and %d classes (activations %.2f + %.2f GiB, attribution partials %.2f GiB, one backward triple "
         "%.1f MiB); %s",
         e->device, e->desc, free_b / GIB, (fixed + m->per_pair) / GIB, c->max_inst, c->max_ref, c->max_classes,
         m->acts_inst / GIB, m->acts_ref / GIB, m->phi / GIB, m->per_pair / 1048576.0, hint);
}

static dshap_status cuda_create(engine **out, const dshap_net *net, const engine_cfg *cfg) {
    if (cfg->max_inst < 1 || cfg->max_ref < 1 || cfg->max_classes < 1)
        FAIL(DSHAP_EINVAL, "internal: CUDA engine sized for %d instances, %d references, %d classes", cfg->max_inst,
             cfg->max_ref, cfg->max_classes);
    TRY(walk_check_ops(net, &cuda_backend));
    TRY(cuda_nd_check(net));
    TRY(cuda_select(cfg->device));
    engine *e;
    TRY(dshap_calloc((void **)&e, 1, sizeof *e, "engine"));
    e->net = net;
    e->cfg = *cfg;
    e->device = cfg->device;
    dshap_status st = DSHAP_OK;
    char name[128] = "?", pci[64] = "?";
    size_t total_mem = 0, free_b = 0, total_b = 0;
    cuda_device_describe(cfg->device, name, sizeof name, &total_mem, pci, sizeof pci);
    snprintf(e->desc, sizeof e->desc, "cuda:%d %s (%s), %s", cfg->device, name, pci,
             cfg->allow_tf32 ? "TF32 GEMMs" : "FP32");
    CHECK(plans(net, cfg, &e->keep, &e->fp, &e->bp));
    mem_need m;
    need_for(net, &e->fp, &e->bp, cfg->max_inst, cfg->max_ref, cfg->max_classes, &m);
    CHECK(cuda_mem_info(&free_b, &total_b));
    CHECK(check_fits(e, &m, free_b, total_b));
    int64_t F = net_input_floats(net), nk = (int64_t)cfg->max_inst * cfg->max_classes;
    int64_t nmax = cfg->max_inst > cfg->max_ref ? cfg->max_inst : cfg->max_ref;
    CHECK(cuda_stream_new(&e->s));
    CHECK(cuda_exec_attach(e->s, cfg->allow_tf32, cuda_net_scratch_floats(net)));
    e->attached = 1;
    CHECK(cuda_net_upload(&e->cn, net, e->s));
    CHECK(cuda_acts_alloc(&e->inst, net, &e->fp, cfg->max_inst));
    CHECK(cuda_acts_alloc(&e->ref, net, &e->fp, cfg->max_ref));
    CHECK(cuda_alloc((void **)&e->work, sizeof(float) * (size_t)(e->fp.work_per_sample * nmax), "forward work"));
    CHECK(cuda_alloc((void **)&e->x_inst, sizeof(float) * (size_t)(F * cfg->max_inst), "instance block"));
    CHECK(cuda_alloc((void **)&e->x_ref, sizeof(float) * (size_t)(F * cfg->max_ref), "background chunk"));
    CHECK(cuda_alloc((void **)&e->phi_full, sizeof(double) * (size_t)(nk * F), "attribution partials"));
    CHECK(cuda_alloc((void **)&e->phi_out, sizeof(double) * (size_t)(nk * max_reduced(net)), "reduced partials"));
    CHECK(cuda_alloc((void **)&e->totals, sizeof(double) * (size_t)nk, "totals"));
    CHECK(cuda_alloc((void **)&e->classes, sizeof(int) * (size_t)nk, "classes"));
    CHECK(cuda_alloc((void **)&e->arena, sizeof(float) * (size_t)(e->bp.per_pair * e->max_pairs), "multipliers"));
    int64_t ri = row_ints(net, cfg->max_inst, cfg->max_ref, cfg->max_classes);
    CHECK(cuda_alloc((void **)&e->rows, sizeof(int) * (size_t)ri, "row maps"));
    CHECK(dshap_calloc((void **)&e->rows_host, (size_t)ri, sizeof(int), "row maps"));
    CHECK(dshap_alloc_floats(&e->hx_inst, (size_t)(F * cfg->max_inst), "instance block"));
    CHECK(dshap_alloc_floats(&e->hx_ref, (size_t)(F * cfg->max_ref), "background chunk"));
    CHECK(dshap_calloc((void **)&e->same, (size_t)cfg->max_inst * cfg->max_ref * net->arch.num_persons, 1,
                       "person row mask"));
    e->bytes = need_fixed(&m) - RESERVE_BYTES + m.per_pair * e->max_pairs;
done:
    if (st) cuda_destroy(e);
    else *out = e;
    return st;
}

static dshap_status forward(engine *e, cuda_acts *a, float *x_dev, float *x_host, int cap, const float *x, int n,
                            float *logits) {
    if (n > cap) FAIL(DSHAP_EINVAL, "internal: %d samples for an engine sized for %d", n, cap);
    memcpy(x_host, x, sizeof(float) * (size_t)(n * net_input_floats(e->net)));
    TRY(cuda_select(e->device));
    TRY(cuda_exec_tf32(e->s, 0)); /* forwards in FP32 (cuda/exec.h) */
    TRY(cuda_upload(x_dev, x, sizeof(float) * (size_t)(n * net_input_floats(e->net)), e->s));
    TRY(net_forward_cuda(&e->cn, &e->fp, a, e->work, x_dev, n, e->s));
    TRY(cuda_download(logits, a->y[e->net->out], sizeof(float) * (size_t)n * e->net->arch.num_class, e->s));
    return cuda_stream_sync(e->s);
}

static dshap_status cuda_forward_ref(engine *e, const float *x, int n, float *logits) {
    e->n_ref = n;
    return forward(e, &e->ref, e->x_ref, e->hx_ref, e->cfg.max_ref, x, n, logits);
}

static dshap_status cuda_forward_inst(engine *e, const float *x, int n, float *logits) {
    e->n_inst = n;
    return forward(e, &e->inst, e->x_inst, e->hx_inst, e->cfg.max_inst, x, n, logits);
}

/* The class-basis partials (engine/basis.h) on the device, combined on the
 * host into phi (n_i, n_k, G) and totals. */
static dshap_status basis_download(engine *e, const class_basis *cb, int n_k, const int *classes, int64_t G,
                                   double *phi, double *totals) {
    int64_t nb = (int64_t)e->n_inst * cb->C;
    double *red = NULL, *tot = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc((void **)&red, sizeof(double) * (size_t)(nb * G), "class-basis partials"));
    CHECK(dshap_alloc((void **)&tot, sizeof(double) * (size_t)nb, "class-basis totals"));
    CHECK(cuda_download(red, e->phi_out, sizeof(double) * (size_t)(nb * G), e->s));
    CHECK(cuda_download(tot, e->totals, sizeof(double) * (size_t)nb, e->s));
    CHECK(cuda_stream_sync(e->s));
    class_basis_combine(cb, classes, e->n_inst, n_k, G, red, phi);
    class_basis_combine(cb, classes, e->n_inst, n_k, 1, tot, totals);
done:
    dshap_free(red);
    dshap_free(tot);
    return st;
}

static dshap_status cuda_attribute(engine *e, rule_set rules, int n_k, const int *classes, const granularity *g,
                                   double *phi, double *totals) {
    if (n_k > e->cfg.max_classes)
        FAIL(DSHAP_EINVAL, "internal: %d classes for an engine sized for %d", n_k, e->cfg.max_classes);
    /* more classes than the classifier has inputs: seed those (engine/basis.h) */
    class_basis cb;
    int basis = !e->cfg.class_seeds && g->kind != STORE_FULL && class_basis_for(e->net, n_k, &cb);
    int n_run = basis ? cb.C : n_k;
    int64_t F = net_input_floats(e->net), G = gran_size(g), nk = (int64_t)e->n_inst * n_run;
    if (g->kind != STORE_FULL && G > max_reduced(e->net)) FAIL(DSHAP_EINVAL, "internal: granularity larger than planned");
    TRY(cuda_select(e->device));
    TRY(cuda_exec_tf32(e->s, 1)); /* TF32 in the backward only, when allowed */
    if (!basis) TRY(cuda_upload(e->classes, classes, sizeof(int) * (size_t)nk, e->s));
    TRY(cuda_zero(e->phi_full, sizeof(double) * (size_t)(nk * F), e->s));
    if (!e->cfg.all_rows)
        person_equal_mask(e->hx_inst, e->n_inst, e->hx_ref, e->n_ref, F, e->net->arch.num_persons, e->same);
    cuda_dl_job job = {.cn = &e->cn, .plan = &e->bp, .rules = rules, .inst = &e->inst, .x_inst = e->x_inst,
                       .n_i = e->n_inst, .ref = &e->ref, .x_ref = e->x_ref, .n_r = e->n_ref, .n_k = n_run,
                       .classes = basis ? NULL : e->classes, .seed_at = basis ? cb.node : 0,
                       .max_pairs = e->max_pairs, .arena = e->arena, .rows = e->rows, .rows_host = e->rows_host,
                       .same = e->cfg.all_rows ? NULL : e->same};
    TRY(deeplift_run_cuda(&job, e->phi_full, e->s));
    TRY(phi_totals_cuda(e->totals, e->phi_full, nk, F, e->s));
    const double *src = e->phi_full; /* full: φ as it is */
    if (g->kind != STORE_FULL) {
        TRY(gran_reduce_cuda(e->phi_out, e->phi_full, nk, g, e->s));
        src = e->phi_out;
    }
    if (basis) return basis_download(e, &cb, n_k, classes, G, phi, totals);
    TRY(cuda_download(phi, src, sizeof(double) * (size_t)(nk * G), e->s));
    TRY(cuda_download(totals, e->totals, sizeof(double) * (size_t)nk, e->s));
    return cuda_stream_sync(e->s);
}

/* Grad-CAM: the plain gradient (RULES_GRAD reads the instance side only)
 * down to node `at`, whose convolution the plan then leaves unfolded. */
static dshap_status cuda_gradient(engine *e, int at, int n_k, const int *classes, float *act, float *grad) {
    const dshap_net *net = e->net;
    const node *nd = &net->nodes[at];
    if (!e->keep[at]) FAIL(DSHAP_EINVAL, "internal: node %d (%s) is not kept by this engine", at, nd->name);
    if (n_k > e->cfg.max_classes)
        FAIL(DSHAP_EINVAL, "internal: %d classes for an engine sized for %d", n_k, e->cfg.max_classes);
    int64_t per = node_rows(net, nd, 1) * node_size(nd);
    int P = e->n_inst * n_k;
    dl_plan gp = {0};
    float *arena = e->arena, *own = NULL, *cap = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(cuda_select(e->device));
    CHECK(cuda_exec_tf32(e->s, 1)); /* a backward: TF32 where allowed */
    CHECK(dl_plan_make(&gp, net, at));
    /* the engine's multiplier arena, with as many triples as fit its size */
    int64_t fit = e->bp.per_pair * e->max_pairs / (gp.per_pair > 0 ? gp.per_pair : 1);
    int Pmax = (int)(fit < P ? fit : P);
    if (Pmax < 1) {
        Pmax = 1;
        CHECK(cuda_alloc((void **)&own, sizeof(float) * (size_t)gp.per_pair, "gradient multipliers"));
        arena = own;
    }
    CHECK(cuda_alloc((void **)&cap, sizeof(float) * (size_t)(P * per), "Grad-CAM gradient"));
    CHECK(cuda_upload(e->classes, classes, sizeof(int) * (size_t)P, e->s));
    cuda_dl_job job = {.cn = &e->cn, .plan = &gp, .rules = RULES_GRAD, .inst = &e->inst, .x_inst = e->x_inst,
                       .n_i = e->n_inst, .ref = &e->inst, .x_ref = e->x_inst, .n_r = 1, .n_k = n_k,
                       .classes = e->classes, .max_pairs = Pmax, .arena = arena, .rows = e->rows,
                       .rows_host = e->rows_host, .capture = at,
                       .captured = cap};
    CHECK(deeplift_run_cuda(&job, NULL, e->s));
    CHECK(cuda_download(grad, cap, sizeof(float) * (size_t)(P * per), e->s));
    CHECK(cuda_download(act, e->inst.y[at], sizeof(float) * (size_t)(e->n_inst * per), e->s));
    CHECK(cuda_stream_sync(e->s));
done:
    cuda_release(own);
    cuda_release(cap);
    dl_plan_free(&gp);
    return st;
}

static void cuda_describe(engine *e, char *buf, size_t cap, int64_t *peak_bytes) {
    snprintf(buf, cap, "%s", e->desc);
    *peak_bytes = e->bytes;
}

const engine_ops cuda_engine_ops = {"cuda",           cuda_create,    cuda_destroy,  cuda_forward_ref,
                                    cuda_forward_inst, cuda_attribute, cuda_gradient, cuda_describe};
