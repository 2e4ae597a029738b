/* The backward walker (walk.h): sub-batches of triples, each seeded at the
 * top node and run down to the model inputs through the backend's op
 * table, in the buffers of the backward plan. */
#include "engine/walk.h"

#include <string.h>

#include "core/mem.h"
#include "engine/deeplift.h"
#include "engine/op_info.h"

typedef struct {
    const bwd_walk *w;
    int p0, P;
    batch_rows rows; /* in the backend's memory; B as the host's */
} sub_batch;

static float *mult(const sub_batch *s, int i) { return s->w->arena + s->w->plan->off[i] * s->P; }

static dshap_status node_backward(const sub_batch *s, int i, double *phi) {
    const bwd_walk *w = s->w;
    const dl_plan *pl = w->plan;
    const node *nd = &w->net->nodes[i];
    int B = batch_rows_of(&s->rows, nd, s->P);
    bwd_call c = {.net = w->net, .i = i, .my = mult(s, i), .acc = pl->acc + (int64_t)i * NODE_MAX_IN,
                  .alias0 = pl->alias[(int64_t)i * NODE_MAX_IN], .folded = pl->folded[i], .B = B,
                  .rows = nd->per_person ? (pair_rows){B, s->rows.xi_pp, s->rows.xr_pp}
                                         : (pair_rows){B, s->rows.xi_ps, s->rows.xr_ps},
                  .br = &s->rows, .rule = deeplift_rule_for(nd, w->rules), .yi = w->yi, .yr = w->yr, .phi = phi,
                  .x_inst = w->x_inst, .x_ref = w->x_ref, .p0 = s->p0, .P = s->P, .n_r = w->n_r, .n_k = w->n_k,
                  .be = w->be};
    for (int j = 0; j < op_bwd_count(nd); j++) c.mx[j] = mult(s, nd->in[j]);
    return w->b->ops[nd->op].backward(&c);
}

/* One sub-batch: its seed, then every node from the top down to the inputs. */
static dshap_status run_batch(const sub_batch *s, double *phi) {
    const bwd_walk *w = s->w;
    const dshap_net *net = w->net;
    int top = w->seed_at ? w->seed_at : net->out;
    TRY(w->b->seed(w->be, mult(s, top), w->classes, s->p0, s->P, w->n_r, w->n_k, (int)node_size(&net->nodes[top])));
    for (int i = top; i >= 0; i--) {
        if (!w->plan->reach[i]) continue;
        const node *nd = &net->nodes[i];
        if (w->captured && i == w->capture) { /* complete here: copy it out, stop */
            int64_t per = node_rows(net, nd, 1) * node_size(nd); /* every row is live */
            return w->b->copy(w->be, w->captured + (int64_t)s->p0 * per, mult(s, i),
                              sizeof(float) * (size_t)(s->P * per));
        }
        if (w->trace && !w->plan->folded[i]) /* a folded conv's buffer holds its BN's multiplier */
            TRY(w->trace(w->trace_ctx, i, s->p0, mult(s, i), (int64_t)batch_rows_of(&s->rows, nd, s->P) * node_size(nd)));
        if (!w->plan->skip[i]) TRY(node_backward(s, i, phi)); /* skipped: a BN folded into its convolution */
    }
    return DSHAP_OK;
}

/* The maps of the sub-batch from triple p0: host and backend copies. */
static void batch_at(const bwd_walk *w, int p0, int P, batch_rows *host, batch_rows *dev) {
    int M = w->net->arch.num_persons;
    int64_t off = batch_rows_ints(p0, M);
    batch_rows_carve(host, w->rows_host + off, P, M);
    batch_rows_carve(dev, w->rows + off, P, M);
}

dshap_status walk_backward(const bwd_walk *w, double *phi) {
    int M = w->net->arch.num_persons;
    int total = w->n_i * w->n_r * w->n_k;
    if (total <= 0) return DSHAP_OK;
    int Pmax = w->max_pairs > 0 ? w->max_pairs : 1;
    if (Pmax > total) Pmax = total;
    if (w->captured && w->same) FAIL(DSHAP_EINVAL, "internal: a captured multiplier needs every row");
    /* every sub-batch's row maps in one upload: no host step inside the pass */
    int n_batches = (total + Pmax - 1) / Pmax, *live;
    TRY(dshap_calloc((void **)&live, (size_t)n_batches, sizeof(int), "row counts"));
    batch_rows h, d;
    for (int b = 0; b < n_batches; b++) {
        int p0 = b * Pmax, P = total - p0 < Pmax ? total - p0 : Pmax;
        batch_at(w, p0, P, &h, &d);
        batch_rows_fill(&h, w->same, p0, P, w->n_r, w->n_k, M);
        live[b] = h.B;
    }
    dshap_status st = DSHAP_OK;
    if (w->b->upload) st = w->b->upload(w->be, w->rows, w->rows_host, sizeof(int) * (size_t)batch_rows_ints(total, M));
    for (int b = 0; b < n_batches && !st; b++) {
        sub_batch s = {w, b * Pmax, total - b * Pmax < Pmax ? total - b * Pmax : Pmax, {0}};
        batch_at(w, s.p0, s.P, &h, &s.rows);
        s.rows.B = live[b];
        st = run_batch(&s, phi);
    }
    dshap_free(live);
    return st;
}
