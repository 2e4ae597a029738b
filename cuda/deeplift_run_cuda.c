#include "cuda/deeplift_run_cuda.h"

#include <string.h>

#include "core/mem.h"
#include "cuda/backward_cuda.h"
#include "cuda/deeplift_cuda.h"
#include "cuda/phi_cuda.h"

static shape3 shp(const node *nd) { return (shape3){nd->C, nd->T, nd->V}; }

typedef struct {
    const cuda_dl_job *job;
    int p0, P;
    batch_rows rows; /* device maps; B from the host's */
    cuda_stream s;
} dl_batch;

static float *mult(const dl_batch *b, int i) { return b->job->arena + b->job->plan->off[i] * b->P; }

static dshap_status node_backward(const dl_batch *bt, int i, double *phi) {
    const cuda_dl_job *job = bt->job;
    const dshap_net *net = job->cn->net;
    const node *nd = &net->nodes[i];
    const cuda_params *pr = &job->cn->p[i];
    const node *in = nd->n_in ? &net->nodes[nd->in[0]] : NULL;
    const unsigned char *acc = job->plan->acc + (int64_t)i * NODE_MAX_IN;
    const float *my = mult(bt, i);
    int B = batch_rows_of(&bt->rows, nd, bt->P);
    pair_rows rows = nd->per_person ? (pair_rows){B, bt->rows.xi_pp, bt->rows.xr_pp}
                                    : (pair_rows){B, bt->rows.xi_ps, bt->rows.xr_ps};
    float *mx = nd->op != OP_INPUT && nd->op != OP_CONCAT ? mult(bt, nd->in[0]) : NULL;
    float *mx1 = nd->op == OP_ADD || nd->op == OP_MUL ? mult(bt, nd->in[1]) : NULL;
    const cuda_acts *ai = job->inst, *ar = job->ref;
    cuda_stream s = bt->s;
    int M = net->arch.num_persons;
    if (job->plan->skip[i]) return DSHAP_OK; /* a BN folded into its convolution */
    switch (nd->op) {
    case OP_INPUT:
        if (!phi) return DSHAP_OK;
        return accumulate_phi_cuda(phi, my, bt->rows.slot, job->x_inst, job->x_ref, bt->p0, bt->P, job->n_r,
                                   job->n_k, nd->branch, nd->C, nd->T, nd->V, M, s);
    case OP_CONV: /* folded: my is the BN's multiplier, the weights carry its scale */
        return conv_backward_cuda(mx, my, job->plan->folded[i] ? pr->w_fold : pr->w, B, in->C, in->T, in->V, nd->C,
                                  nd->T, nd->k, nd->stride, nd->pad, nd->groups, acc[0], s);
    case OP_AFFINE: return affine_backward_cuda(mx, my, pr->scale, B, nd->C, nd->T * nd->V, acc[0], s);
    case OP_GRAPH: return graph_backward_cuda(mx, my, pr->G, B, nd->K, nd->C, nd->T, nd->V, acc[0], s);
    case OP_ADD: /* aliased: the first input already holds this buffer */
        if (!job->plan->alias[(int64_t)i * NODE_MAX_IN]) TRY(broadcast_backward_cuda(mx, my, B, shp(nd), shp(in), acc[0], s));
        return broadcast_backward_cuda(mx1, my, B, shp(nd), shp(&net->nodes[nd->in[1]]), acc[1], s);
    case OP_MEAN: return mean_backward_cuda(mx, my, B, shp(in), nd->axes, acc[0], s);
    case OP_CONCAT: {
        int c0 = 0;
        for (int j = 0; j < nd->n_in; j++) {
            const node *part = &net->nodes[nd->in[j]];
            TRY(concat_backward_cuda(mult(bt, nd->in[j]), my, B, nd->C, c0, part->C, nd->T * nd->V, acc[j], s));
            c0 += part->C;
        }
        return DSHAP_OK;
    }
    case OP_GATHER: return gather_backward_cuda(mx, my, pr->index, B, nd->C, nd->T, in->V, nd->V, acc[0], s);
    case OP_PERSON_MEAN: return person_mean_backward_cuda(mx, my, bt->rows.pair, bt->rows.B, M, node_size(nd), acc[0], s);
    case OP_RESHAPE: /* aliased: the input already holds this buffer */
        if (job->plan->alias[(int64_t)i * NODE_MAX_IN]) return DSHAP_OK;
        return copy_backward_cuda(mx, my, (int64_t)B * node_size(nd), acc[0], s);
    case OP_ACT:
        return act_deeplift_cuda(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], rows, node_size(nd), nd->act,
                                 deeplift_rule_for(nd, job->rules), acc[0], s);
    case OP_SOFTMAX:
        return softmax_deeplift_cuda(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(nd),
                                     nd->axes, deeplift_rule_for(nd, job->rules), acc[0], s);
    case OP_MAX:
        return max_deeplift_cuda(mx, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[i], ar->y[i], rows, shp(in),
                                 nd->axes, deeplift_rule_for(nd, job->rules), acc[0], s);
    case OP_MUL:
        return mul_deeplift_cuda(mx, mx1, my, ai->y[nd->in[0]], ar->y[nd->in[0]], ai->y[nd->in[1]], ar->y[nd->in[1]],
                                 rows, shp(nd), shp(in), shp(&net->nodes[nd->in[1]]), deeplift_rule_for(nd, job->rules), acc[0],
                                 acc[1], s);
    case OP_COUNT: break;
    }
    return DSHAP_OK;
}

/* One sub-batch: its seed, then every node down to the inputs. */
static dshap_status run_batch(dl_batch *bt, double *phi) {
    const cuda_dl_job *job = bt->job;
    const dshap_net *net = job->cn->net;
    cuda_stream s = bt->s;
    int top = job->seed_at ? job->seed_at : net->out;
    TRY(seed_cuda(mult(bt, top), job->classes, bt->p0, bt->P, job->n_r, job->n_k, (int)node_size(&net->nodes[top]), s));
    for (int i = top; i >= 0; i--) {
        if (!job->plan->reach[i]) continue;
        const node *nd = &net->nodes[i];
        if (job->captured && i == job->capture) { /* complete here: copy it out, stop */
            int64_t per = node_rows(net, nd, 1) * node_size(nd); /* every row is live */
            return cuda_copy(job->captured + (int64_t)bt->p0 * per, mult(bt, i), sizeof(float) * (size_t)(bt->P * per),
                             s);
        }
        if (job->trace && !job->plan->folded[i]) /* a folded conv's buffer holds its BN's multiplier */
            TRY(job->trace(job->trace_ctx, i, bt->p0, mult(bt, i),
                           (int64_t)batch_rows_of(&bt->rows, nd, bt->P) * node_size(nd)));
        TRY(node_backward(bt, i, phi));
    }
    return DSHAP_OK;
}

/* Sub-batch b of the pass: triples [p0, p0 + P), its maps at p0's offset. */
static void batch_at(const cuda_dl_job *job, int p0, int Pmax, int total, batch_rows *host, batch_rows *dev) {
    int M = job->cn->net->arch.num_persons, P = total - p0 < Pmax ? total - p0 : Pmax;
    int64_t off = batch_rows_ints(p0, M);
    batch_rows_carve(host, job->rows_host + off, P, M);
    batch_rows_carve(dev, job->rows + off, P, M);
}

dshap_status deeplift_run_cuda(const cuda_dl_job *job, double *phi, cuda_stream s) {
    int M = job->cn->net->arch.num_persons;
    int total = job->n_i * job->n_r * job->n_k;
    if (total <= 0) return DSHAP_OK; /* nothing to run (as the CPU driver's empty loop) */
    int Pmax = job->max_pairs > 0 ? job->max_pairs : 1;
    if (Pmax > total) Pmax = total;
    if (job->captured && job->same) FAIL(DSHAP_EINVAL, "internal: a captured multiplier needs every row");
    /* every sub-batch's row maps in one upload: no host step inside the pass */
    int n_batches = (total + Pmax - 1) / Pmax, *live;
    TRY(dshap_calloc((void **)&live, (size_t)n_batches, sizeof(int), "row counts"));
    batch_rows h, d;
    for (int b = 0; b < n_batches; b++) {
        int p0 = b * Pmax;
        batch_at(job, p0, Pmax, total, &h, &d);
        batch_rows_fill(&h, job->same, p0, total - p0 < Pmax ? total - p0 : Pmax, job->n_r, job->n_k, M);
        live[b] = h.B;
    }
    dshap_status st = cuda_upload(job->rows, job->rows_host, sizeof(int) * (size_t)batch_rows_ints(total, M), s);
    for (int b = 0; b < n_batches && !st; b++) {
        int p0 = b * Pmax;
        dl_batch bt = {job, p0, total - p0 < Pmax ? total - p0 : Pmax, {0}, s};
        batch_at(job, p0, Pmax, total, &h, &bt.rows);
        bt.rows.B = live[b];
        st = run_batch(&bt, phi);
    }
    dshap_free(live);
    return st;
}
