#include "engine/deeplift.h"

#include <string.h>

#include "core/mem.h"
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

int64_t net_max_node_floats(const dshap_net *net) {
    int64_t mx = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        int64_t s = node_rows(net, &net->nodes[i], 1) * node_size(&net->nodes[i]);
        if (s > mx) mx = s;
    }
    return mx;
}

/* Which rule a nonlinear node uses under a rule set (RULES.md). */
rule_kind deeplift_rule_for(const node *nd, rule_set rules) {
    if (rules == RULES_GRAD) return RULE_AT_INST;
    if (rules == RULES_EXACT) return nd->op == OP_ACT || nd->op == OP_SOFTMAX ? RULE_RESCALE : RULE_SHAPLEY;
    /* shap: rescale where shap has a handler for the nn.Module, else the
     * ordinary gradient read from the reference half of its batch */
    if (nd->shap_module && (nd->op == OP_ACT || nd->op == OP_SOFTMAX)) return RULE_RESCALE;
    return RULE_AT_REF;
}

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

typedef struct {
    const dl_job *job;
    int p0, P;            /* pairs [p0, p0 + P) of this sub-batch */
    int *xi_pp, *xr_pp;   /* (P·M) rows, per-person nodes */
    int *xi_ps, *xr_ps;   /* (P) rows, per-sample nodes */
    float **m;            /* per node multiplier buffer, NULL until touched */
    buf_pool pool;
} dl_state;

static dshap_status touch(dl_state *s, int i, float **out) {
    if (!s->m[i]) {
        const node *nd = &s->job->net->nodes[i];
        TRY(pool_get(&s->pool, node_rows(s->job->net, nd, s->P) * node_size(nd), 1, &s->m[i]));
    }
    *out = s->m[i];
    return DSHAP_OK;
}

/* φ[i, k] += Σ_rows m ⊙ (x_i − x_r) for one branch input node. */
static void accumulate_phi(dl_state *s, const node *nd, const float *m, double *phi) {
    const dl_job *job = s->job;
    int M = job->net->arch.num_persons, C = nd->C, T = nd->T, V = nd->V;
    int64_t TV = (int64_t)T * V, F = (int64_t)ARCH_BRANCHES * C * TV * M, CTV = (int64_t)C * TV;
    /* Parallel over elements; each element sums its rows in order. */
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < CTV; e++) {
        int64_t c = e / TV, tv = e % TV;
        for (int pp = 0; pp < s->P; pp++) {
            int p = s->p0 + pp;
            int kk = p % job->n_k, r = (p / job->n_k) % job->n_r, i = p / (job->n_k * job->n_r);
            const float *xi = job->x_inst + (int64_t)i * F, *xr = job->x_ref + (int64_t)r * F;
            double *ph = phi + ((int64_t)i * job->n_k + kk) * F;
            for (int mm = 0; mm < M; mm++) {
                int64_t f = (((int64_t)nd->branch * C + c) * TV + tv) * M + mm;
                ph[f] += (double)m[((int64_t)pp * M + mm) * CTV + e] * ((double)xi[f] - (double)xr[f]);
            }
        }
    }
}

/* An ADD of equal shapes, or a reshape, passes its multiplier on unchanged:
 * an input that has no multiplier yet takes over the buffer instead of
 * accumulating a copy into a zeroed one. Returns 1 when it did. */
static int steal(dl_state *s, int i, int in) {
    const node *a = &s->job->net->nodes[i], *b = &s->job->net->nodes[in];
    if (s->m[in] || !s->m[i] || node_size(a) != node_size(b) || a->per_person != b->per_person) return 0;
    s->m[in] = s->m[i];
    s->m[i] = NULL;
    return 1;
}

static dshap_status node_backward(dl_state *s, int i, double *phi) {
    const dl_job *job = s->job;
    const dshap_net *net = job->net;
    const node *nd = &net->nodes[i];
    const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    const float *my = s->m[i];
    int B = (int)node_rows(net, nd, s->P);
    pair_rows rows = nd->per_person ? (pair_rows){B, s->xi_pp, s->xr_pp} : (pair_rows){B, s->xi_ps, s->xr_ps};
    float *mx = NULL, *mx1 = NULL;
    if (nd->op == OP_RESHAPE && steal(s, i, nd->in[0])) return DSHAP_OK;
    if (nd->op == OP_ADD) {
        const node *b = &net->nodes[nd->in[1]];
        shape3 sy = shp(nd), sa = shp(in), sb = shp(b);
        int same_a = sa.C == sy.C && sa.T == sy.T && sa.V == sy.V, same_b = sb.C == sy.C && sb.T == sy.T && sb.V == sy.V;
        /* the buffer can go to one input only: accumulate into the other first */
        if (same_a && !s->m[nd->in[0]] && nd->in[0] != nd->in[1]) {
            TRY(touch(s, nd->in[1], &mx1));
            broadcast_backward_cpu(mx1, my, B, sy, sb);
            steal(s, i, nd->in[0]);
            return DSHAP_OK;
        }
        if (same_b && !s->m[nd->in[1]] && nd->in[0] != nd->in[1]) {
            TRY(touch(s, nd->in[0], &mx));
            broadcast_backward_cpu(mx, my, B, sy, sa);
            steal(s, i, nd->in[1]);
            return DSHAP_OK;
        }
    }
    if (nd->op != OP_INPUT && nd->op != OP_CONCAT) TRY(touch(s, nd->in[0], &mx));
    const net_acts *ai = job->inst, *ar = job->ref;
    switch (nd->op) {
    case OP_INPUT:
        if (phi) accumulate_phi(s, nd, my, phi);
        break;
    case OP_CONV:
        conv_backward_cpu(mx, my, nd->w, B, in->C, in->T, in->V, nd->C, nd->T, nd->k, nd->stride, nd->pad, nd->groups);
        break;
    case OP_AFFINE: affine_backward_cpu(mx, my, nd->scale, B, nd->C, nd->T * nd->V); break;
    case OP_GRAPH: graph_backward_cpu(mx, my, nd->G, B, nd->K, nd->C, nd->T, nd->V); break;
    case OP_ADD:
        TRY(touch(s, nd->in[1], &mx1));
        broadcast_backward_cpu(mx, my, B, shp(nd), shp(in));
        broadcast_backward_cpu(mx1, my, B, shp(nd), shp(&net->nodes[nd->in[1]]));
        break;
    case OP_MEAN: mean_backward_cpu(mx, my, B, shp(in), nd->axes); break;
    case OP_CONCAT: {
        int c0 = 0;
        for (int j = 0; j < nd->n_in; j++) {
            const node *part = &net->nodes[nd->in[j]];
            TRY(touch(s, nd->in[j], &mx));
            concat_backward_cpu(mx, my, B, nd->C, c0, part->C, nd->T * nd->V);
            c0 += part->C;
        }
        break;
    }
    case OP_GATHER: gather_backward_cpu(mx, my, nd->index, B, nd->C, nd->T, in->V, nd->V); break;
    case OP_PERSON_MEAN: person_mean_backward_cpu(mx, my, s->P, net->arch.num_persons, node_size(nd)); break;
    case OP_RESHAPE: copy_backward_cpu(mx, my, (int64_t)B * node_size(nd)); break;
    case OP_ACT:
        act_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], rows, node_size(nd), nd->act, deeplift_rule_for(nd, job->rules));
        break;
    case OP_SOFTMAX:
        softmax_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(nd), nd->axes,
                             deeplift_rule_for(nd, job->rules));
        break;
    case OP_MAX:
        max_deeplift_cpu(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(in), nd->axes,
                         deeplift_rule_for(nd, job->rules));
        break;
    case OP_MUL: {
        const node *in1 = &net->nodes[nd->in[1]];
        TRY(touch(s, nd->in[1], &mx1));
        mul_deeplift_cpu(mx, mx1, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[nd->in[1]], ar->y[nd->in[1]], rows,
                         shp(nd), shp(in), shp(in1), deeplift_rule_for(nd, job->rules));
        break;
    }
    case OP_COUNT: break;
    }
    return DSHAP_OK;
}

static dshap_status run_batch(dl_state *s, double *phi) {
    const dl_job *job = s->job;
    const dshap_net *net = job->net;
    int M = net->arch.num_persons, K = net->arch.num_class;
    for (int pp = 0; pp < s->P; pp++) {
        int p = s->p0 + pp;
        int r = (p / job->n_k) % job->n_r, i = p / (job->n_k * job->n_r);
        s->xi_ps[pp] = i;
        s->xr_ps[pp] = r;
        for (int mm = 0; mm < M; mm++) {
            s->xi_pp[pp * M + mm] = i * M + mm;
            s->xr_pp[pp * M + mm] = r * M + mm;
        }
    }
    /* Seed: ∂(logit of the explained class) = 1 */
    float *seed;
    TRY(touch(s, net->out, &seed));
    for (int pp = 0; pp < s->P; pp++) {
        int p = s->p0 + pp;
        int kk = p % job->n_k, i = p / (job->n_k * job->n_r);
        seed[(int64_t)pp * K + job->classes[i * job->n_k + kk]] = 1.0f;
    }
    for (int i = net->n_nodes - 1; i >= 0; i--) {
        if (!s->m[i]) continue; /* no path to the output */
        if (i == job->capture) { /* the multiplier at this node is complete: copy it out */
            const node *nd = &net->nodes[i];
            int64_t per = node_rows(net, nd, 1) * node_size(nd);
            memcpy(job->captured + (int64_t)s->p0 * per, s->m[i], sizeof(float) * (size_t)(s->P * per));
            break;
        }
        TRY(node_backward(s, i, phi));
        if (s->m[i]) pool_put(&s->pool, s->m[i]); /* NULL when an input took the buffer over */
        s->m[i] = NULL;
    }
    return DSHAP_OK;
}

dshap_status deeplift_run_cpu(const dl_job *job, double *phi, int64_t *peak_bytes) {
    const dshap_net *net = job->net;
    int M = net->arch.num_persons;
    int total = job->n_i * job->n_r * job->n_k;
    int Pmax = job->max_pairs > 0 ? job->max_pairs : 1;
    if (Pmax > total) Pmax = total;
    dl_state s = {job, 0, 0, NULL, NULL, NULL, NULL, NULL, {0}};
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&s.m, (size_t)net->n_nodes, sizeof(float *), "multiplier table"));
    CHECK(dshap_calloc((void **)&s.xi_pp, (size_t)Pmax * M, sizeof(int), "row map"));
    CHECK(dshap_calloc((void **)&s.xr_pp, (size_t)Pmax * M, sizeof(int), "row map"));
    CHECK(dshap_calloc((void **)&s.xi_ps, (size_t)Pmax, sizeof(int), "row map"));
    CHECK(dshap_calloc((void **)&s.xr_ps, (size_t)Pmax, sizeof(int), "row map"));
    for (int p0 = 0; p0 < total; p0 += Pmax) {
        s.p0 = p0;
        s.P = total - p0 < Pmax ? total - p0 : Pmax;
        CHECK(run_batch(&s, phi));
        for (int i = 0; i < net->n_nodes; i++) /* buffers left when the pass stopped at a capture */
            if (s.m[i]) {
                pool_put(&s.pool, s.m[i]);
                s.m[i] = NULL;
            }
    }
done:
    if (peak_bytes) *peak_bytes = s.pool.peak_bytes;
    pool_free(&s.pool);
    dshap_free(s.m);
    dshap_free(s.xi_pp);
    dshap_free(s.xr_pp);
    dshap_free(s.xi_ps);
    dshap_free(s.xr_ps);
    return st;
}

dshap_status gradient_at_node_cpu(const dshap_net *net, const net_acts *a, const float *x, int n, int at, int n_k,
                                  const int *classes, float *grad) {
    if (at < 0 || at >= net->n_nodes) FAIL(DSHAP_EINVAL, "internal: no node %d", at);
    /* One "reference" that is the instance itself: RULES_GRAD reads the instance side only. */
    dl_job job = {.net = net, .rules = RULES_GRAD, .inst = a, .x_inst = x, .n_i = n, .ref = a, .x_ref = x, .n_r = 1,
                  .n_k = n_k, .classes = classes, .max_pairs = 64, .capture = at, .captured = grad};
    return deeplift_run_cpu(&job, NULL, NULL);
}
