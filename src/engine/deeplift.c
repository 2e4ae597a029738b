#include "engine/deeplift.h"

#include <string.h>

#include "core/mem.h"
#include "engine/dl_plan.h"
#include "engine/rows.h"
#include "cpu/backward_cpu.h"
#include "cpu/deeplift_cpu.h"

void deeplift_keep_mask(const dshap_net *net, unsigned char *keep) {
    memset(keep, 0, (size_t)net->n_nodes);
    for (int i = 0; i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        switch (nd->op) {
        case OP_ACT: keep[nd->in[0]] = 1; break;
        case OP_SOFTMAX:
        case OP_MAX: keep[nd->in[0]] = keep[i] = 1; break;
        case OP_MUL: keep[nd->in[0]] = keep[nd->in[1]] = 1; break;
        default: break;
        }
    }
}

/* Which rule a nonlinear node uses under a rule set (RULES.md). */
rule_kind deeplift_rule_for(const node *nd, rule_set rules) {
    if (rules == RULES_GRAD) return RULE_AT_INST;
    if (rules == RULES_EXACT) return nd->op == OP_ACT || nd->op == OP_SOFTMAX ? RULE_RESCALE : RULE_SHAPLEY;
    /* shap: rescale where shap has a handler for the nn.Module, else the
     * ordinary gradient read from the reference half of its batch */
    if (nd->shap_module && (nd->op == OP_ACT || nd->op == OP_SOFTMAX)) return RULE_SHAP_RESCALE;
    return RULE_AT_REF;
}

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

typedef struct {
    const dl_job *job;
    const dl_plan *plan;
    float *const *w_fold;
    float *arena;
    int p0, P;            /* pairs [p0, p0 + P) of this sub-batch */
    batch_rows rows;      /* its live person rows and sample rows */
} dl_state;

static float *mult(const dl_state *s, int i) { return s->arena + s->plan->off[i] * s->P; }

/* φ[i, k] += Σ_rows m ⊙ (x_i − x_r) for one branch input node. */
static void accumulate_phi(dl_state *s, const node *nd, const float *m, double *phi) {
    const dl_job *job = s->job;
    const batch_rows *rw = &s->rows;
    int M = job->net->arch.num_persons, C = nd->C, T = nd->T, V = nd->V;
    int64_t TV = (int64_t)T * V, F = (int64_t)ARCH_BRANCHES * C * TV * M, CTV = (int64_t)C * TV;
    /* Parallel over elements; each element sums its live rows in (triple,
     * person) order (a left-out row would add exactly ±0). */
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < CTV; e++) {
        int64_t c = e / TV, tv = e % TV;
        for (int j = 0; j < rw->B; j++) {
            int p = s->p0 + rw->pair[j], mm = rw->xi_pp[j] % M;
            int kk = p % job->n_k, r = (p / job->n_k) % job->n_r, i = p / (job->n_k * job->n_r);
            int64_t f = (((int64_t)nd->branch * C + c) * TV + tv) * M + mm;
            double *ph = phi + ((int64_t)i * job->n_k + kk) * F;
            ph[f] += (double)m[(int64_t)j * CTV + e] *
                     ((double)job->x_inst[(int64_t)i * F + f] - (double)job->x_ref[(int64_t)r * F + f]);
        }
    }
}

/* One node's backward into its inputs' multipliers (mirror of the CUDA
 * driver's node_backward). */
static void node_backward(dl_state *s, int i, double *phi) {
    const dl_job *job = s->job;
    const dshap_net *net = job->net;
    const node *nd = &net->nodes[i];
    const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    const unsigned char *acc = s->plan->acc + (int64_t)i * NODE_MAX_IN;
    const float *my = mult(s, i);
    int B = batch_rows_of(&s->rows, nd, s->P);
    pair_rows rows = nd->per_person ? (pair_rows){B, s->rows.xi_pp, s->rows.xr_pp}
                                    : (pair_rows){B, s->rows.xi_ps, s->rows.xr_ps};
    float *mx = nd->op != OP_INPUT && nd->op != OP_CONCAT ? mult(s, nd->in[0]) : NULL;
    float *mx1 = nd->op == OP_ADD || nd->op == OP_MUL ? mult(s, nd->in[1]) : NULL;
    const net_acts *ai = job->inst, *ar = job->ref;
    if (s->plan->skip[i]) return; /* a BN folded into its convolution */
    switch (nd->op) {
    case OP_INPUT:
        if (phi) accumulate_phi(s, nd, my, phi);
        break;
    case OP_CONV: /* folded: my is the BN's multiplier, the weights carry its scale */
        conv_backward_cpu(mx, my, s->plan->folded[i] ? s->w_fold[i] : nd->w, B, in->C, in->T, in->V, nd->C, nd->T, nd->k,
                          nd->stride, nd->pad, nd->groups, acc[0]);
        break;
    case OP_AFFINE: affine_backward_cpu(mx, my, nd->scale, B, nd->C, nd->T * nd->V, acc[0]); break;
    case OP_GRAPH: graph_backward_cpu(mx, my, nd->G, B, nd->K, nd->C, nd->T, nd->V, acc[0]); break;
    case OP_ADD: /* aliased: the first input already holds this buffer */
        if (!s->plan->alias[(int64_t)i * NODE_MAX_IN]) broadcast_backward_cpu(mx, my, B, shp(nd), shp(in), acc[0]);
        broadcast_backward_cpu(mx1, my, B, shp(nd), shp(&net->nodes[nd->in[1]]), acc[1]);
        break;
    case OP_MEAN: mean_backward_cpu(mx, my, B, shp(in), nd->axes, acc[0]); break;
    case OP_CONCAT: {
        int c0 = 0;
        for (int j = 0; j < nd->n_in; j++) {
            const node *part = &net->nodes[nd->in[j]];
            concat_backward_cpu(mult(s, nd->in[j]), my, B, nd->C, c0, part->C, nd->T * nd->V, acc[j]);
            c0 += part->C;
        }
        break;
    }
    case OP_GATHER: gather_backward_cpu(mx, my, nd->index, B, nd->C, nd->T, in->V, nd->V, acc[0]); break;
    case OP_PERSON_MEAN:
        person_mean_backward_cpu(mx, my, s->rows.pair, s->rows.B, net->arch.num_persons, node_size(nd), acc[0]);
        break;
    case OP_RESHAPE: /* aliased: the input already holds this buffer */
        if (!s->plan->alias[(int64_t)i * NODE_MAX_IN]) copy_backward_cpu(mx, my, (int64_t)B * node_size(nd), acc[0]);
        break;
    case OP_ACT:
        act_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], rows, node_size(nd), nd->act,
                         deeplift_rule_for(nd, job->rules), acc[0]);
        break;
    case OP_SOFTMAX:
        softmax_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(nd), nd->axes,
                             deeplift_rule_for(nd, job->rules), acc[0]);
        break;
    case OP_MAX:
        max_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(in), nd->axes,
                         deeplift_rule_for(nd, job->rules), acc[0]);
        break;
    case OP_MUL:
        mul_deeplift_cpu(mx, mx1, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[nd->in[1]], ar->y[nd->in[1]], rows,
                         shp(nd), shp(in), shp(&net->nodes[nd->in[1]]), deeplift_rule_for(nd, job->rules), acc[0], acc[1]);
        break;
    case OP_COUNT: break;
    }
}

static dshap_status run_batch(dl_state *s, double *phi) {
    const dl_job *job = s->job;
    const dshap_net *net = job->net;
    int top = job->seed_at ? job->seed_at : net->out, K = (int)node_size(&net->nodes[top]);
    batch_rows_fill(&s->rows, job->same, s->p0, s->P, job->n_r, job->n_k, net->arch.num_persons);
    /* Seed: ∂(logit of the explained class, or channel of the seeded node) = 1 */
    float *seed = mult(s, top);
    memset(seed, 0, sizeof(float) * (size_t)s->P * K);
    for (int pp = 0; pp < s->P; pp++) {
        int p = s->p0 + pp;
        int kk = p % job->n_k, i = p / (job->n_k * job->n_r);
        seed[(int64_t)pp * K + (job->classes ? job->classes[i * job->n_k + kk] : kk)] = 1.0f;
    }
    for (int i = top; i >= 0; i--) {
        if (!s->plan->reach[i]) continue;
        if (i == job->capture) { /* the multiplier at this node is complete: copy it out */
            const node *nd = &net->nodes[i];
            int64_t per = node_rows(net, nd, 1) * node_size(nd); /* every row is live: same is NULL */
            memcpy(job->captured + (int64_t)s->p0 * per, mult(s, i), sizeof(float) * (size_t)(s->P * per));
            break;
        }
        if (job->trace && !s->plan->folded[i]) {
            const node *nd = &net->nodes[i];
            TRY(job->trace(job->trace_ctx, i, s->p0, mult(s, i), (int64_t)batch_rows_of(&s->rows, nd, s->P) * node_size(nd)));
        }
        node_backward(s, i, phi);
    }
    return DSHAP_OK;
}

dshap_status cpu_backward_make(cpu_backward *b, const dshap_net *net, int keep) {
    memset(b, 0, sizeof *b);
    TRY(dl_plan_make(&b->plan, net, keep));
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&b->w_fold, (size_t)net->n_nodes, sizeof(float *), "folded weights"));
    for (int c = 0; c < net->n_nodes; c++)
        if (b->plan.folded[c]) CHECK(conv_fold_weights(net, c, &b->w_fold[c]));
done:
    if (st) cpu_backward_free(b);
    return st;
}

void cpu_backward_free(cpu_backward *b) {
    if (b->w_fold)
        for (int c = 0; c < b->plan.n_nodes; c++) dshap_free(b->w_fold[c]);
    dshap_free(b->w_fold);
    dl_plan_free(&b->plan);
    memset(b, 0, sizeof *b);
}

dshap_status deeplift_run_cpu(const dl_job *job, double *phi) {
    const dshap_net *net = job->net;
    int M = net->arch.num_persons;
    int total = job->n_i * job->n_r * job->n_k;
    int Pmax = job->max_pairs > 0 ? job->max_pairs : 1;
    if (Pmax > total) Pmax = total;
    cpu_backward own = {0};
    const cpu_backward *bw = job->bw;
    dl_state s = {.job = job, .arena = job->arena};
    float *arena = NULL;
    int *row_maps = NULL;
    dshap_status st = DSHAP_OK;
    if (!bw) {
        CHECK(cpu_backward_make(&own, net, job->capture));
        bw = &own;
    }
    s.plan = &bw->plan;
    s.w_fold = bw->w_fold;
    if (!s.arena) {
        CHECK(dshap_alloc_floats(&arena, (size_t)(bw->plan.per_pair * Pmax), "multipliers"));
        s.arena = arena;
    }
    if (job->capture >= 0 && job->same) CHECK_FAIL(DSHAP_EINVAL, "internal: a captured multiplier needs every row");
    CHECK(dshap_calloc((void **)&row_maps, (size_t)batch_rows_ints(Pmax, M), sizeof(int), "row maps"));
    batch_rows_carve(&s.rows, row_maps, Pmax, M);
    for (int p0 = 0; p0 < total; p0 += Pmax) {
        s.p0 = p0;
        s.P = total - p0 < Pmax ? total - p0 : Pmax;
        CHECK(run_batch(&s, phi));
    }
done:
    dshap_free(arena);
    cpu_backward_free(&own);
    dshap_free(row_maps);
    return st;
}

dshap_status gradient_at_node_cpu(const dshap_net *net, const net_acts *a, const float *x, int n, int at, int n_k,
                                  const int *classes, float *grad, float *arena, int64_t arena_floats) {
    if (at < 0 || at >= net->n_nodes) FAIL(DSHAP_EINVAL, "internal: no node %d", at);
    cpu_backward b;
    TRY(cpu_backward_make(&b, net, at));
    /* In the caller's arena as many triples as fit (as the CUDA engine's
     * gradient); else 64 per sub-batch in one of its own. */
    int64_t fit = arena ? arena_floats / (b.plan.per_pair > 0 ? b.plan.per_pair : 1) : 0;
    if (fit > (1 << 20)) fit = 1 << 20;
    /* One "reference" that is the instance itself: RULES_GRAD reads the instance side only. */
    dl_job job = {.net = net, .rules = RULES_GRAD, .inst = a, .x_inst = x, .n_i = n, .ref = a, .x_ref = x, .n_r = 1,
                  .n_k = n_k, .classes = classes, .max_pairs = fit >= 1 ? (int)fit : 64, .capture = at,
                  .captured = grad, .bw = &b, .arena = fit >= 1 ? arena : NULL};
    dshap_status st = deeplift_run_cpu(&job, NULL);
    cpu_backward_free(&b);
    return st;
}
