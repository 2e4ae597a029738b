/* An imported-style general graph through the CUDA driver (op table,
 * forward plan, backward walker): a whole-sample input viewed as (8, 19) →
 * 1-D Conv (k 3, pad 1) → MaxPool (k 3, stride 2, pad 1) → LeakyRelu →
 * Transpose → MatMul with a constant → Softmax → Mul of the Transpose's
 * output and the Softmax's (two activations) → ReduceSum over axis 0 (the
 * 6 logits). Checked:
 *  - the device forward's logits against the CPU kernels (cpu/ops_nd.h)
 *    run node by node on the host: ≤ 1e-5 of max |logit| (the conv's and
 *    matmul's GEMMs sum in another order);
 *  - φ of the exact rules (two instances × three references × six classes,
 *    sub-batches of four triples) sums to delta: Σ_e φ_e of (i, k) equals
 *    Σ_r f_k(x_i) − f_k(x_r) from the device forward, to 1e-4 of
 *    max(1, |Σ_r Δf|) (every rule used is additive: rescale, Shapley
 *    product, DeepLIFT max, the softmax rule, transposes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ops_nd.h"
#include "cuda/deeplift_run_cuda.h"
#include "cuda/forward_cuda.h"
#include "cuda/op_table_cuda.h"
#include "cuda/net_cuda.h"
#include "engine/dl_plan.h"
#include "engine/layout.h"
#include "engine/rows.h"
#include "gpu_check.h"

enum { NN = 9, K = 6, NI = 2, NR = 3 };

static cuda_stream S;

static nd_shape shape2(int64_t a, int64_t b) { return (nd_shape){2, {a, b}}; }

/* The graph above; w (6, 8, 3), b (6), k (6, 6) are the caller's. */
static void build(dshap_net *net, node *nodes, const float *w, const float *b, const float *k) {
    memset(nodes, 0, sizeof(node) * NN);
    *net = (dshap_net){.nodes = nodes, .n_nodes = NN, .cap_nodes = NN, .out = NN - 1, .in_branches = 1, .in_C = 2,
                       .general = 1};
    net->arch.layout = layout_find("cp19");
    net->arch.num_frames = 2, net->arch.num_persons = 2, net->arch.num_class = K;
    const nd_shape shapes[NN] = {shape2(8, 19), shape2(6, 19), shape2(6, 10), shape2(6, 10), shape2(10, 6),
                                 shape2(10, 6), shape2(10, 6), shape2(10, 6), {1, {6}}};
    const op_kind ops[NN] = {OP_INPUT, OP_CONVND, OP_POOL,       OP_ACT,    OP_TRANSPOSE,
                             OP_MATMUL, OP_SOFTMAX_ND, OP_BINARY, OP_REDUCE};
    for (int i = 0; i < NN; i++) {
        node *nd = &nodes[i];
        nd->op = ops[i], nd->shape = shapes[i];
        nd->n_in = i > 0, nd->in[0] = i - 1;
        nd->C = (int)(nd->shape.d[0] * (nd->shape.rank > 1 ? nd->shape.d[1] : 1)), nd->T = nd->V = 1;
        snprintf(nd->name, sizeof nd->name, "node%d", i);
    }
    nodes[0].branch = -1;
    node *conv = &nodes[1], *pool = &nodes[2];
    conv->nsp = 1, conv->kernel[0] = 3, conv->strides[0] = 1, conv->dilations[0] = 1, conv->pads[0] = conv->pads[1] = 1;
    conv->groups = 1, conv->w = w, conv->b = b;
    pool->nsp = 1, pool->kernel[0] = 3, pool->strides[0] = 2, pool->dilations[0] = 1, pool->pads[0] = pool->pads[1] = 1;
    pool->pool = 1;
    nodes[3].act = ACT_LEAKY_RELU, nodes[3].alpha = 0.1f;
    nodes[4].perm[0] = 1, nodes[4].perm[1] = 0;
    nodes[5].kdata = k, nodes[5].kshape = shape2(6, 6);
    nodes[6].axis = 1;
    nodes[7].n_in = 2, nodes[7].in[0] = 4, nodes[7].in[1] = 6, nodes[7].binop = BIN_MUL;
    nodes[8].n_axes = 1, nodes[8].axes_nd[0] = 0;
}

/* The logits of n samples by the CPU kernels, node by node. */
static float *cpu_logits(const dshap_net *net, const float *x, int64_t n) {
    const nd_forward_fn fwd[NN] = {NULL,              convnd_forward_nd,  pool_forward_nd,
                                   act_forward_nd,    transpose_forward_nd, matmul_forward_nd,
                                   softmax_forward_nd, binary_forward_nd, reduce_forward_nd};
    float *y[NN] = {NULL};
    y[0] = malloc(sizeof(float) * (size_t)(n * 152));
    memcpy(y[0], x, sizeof(float) * (size_t)(n * 152));
    for (int i = 1; i < NN; i++) {
        const node *nd = &net->nodes[i];
        nd_shape sx[NODE_MAX_IN];
        const float *xs[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) sx[j] = net->nodes[nd->in[j]].shape, xs[j] = y[nd->in[j]];
        y[i] = malloc(sizeof(float) * (size_t)(n * nd->C));
        EXPECT(fwd[i](y[i], xs, sx, nd, n) == 0, "CPU forward of node %d failed", i);
    }
    for (int i = 0; i < NN - 1; i++) free(y[i]);
    return y[NN - 1];
}

int main(void) {
    gpu_require("test_gpu_graph_nd");
    cpu_backend_init();
    float w[6 * 8 * 3], b[6], k[36];
    fill_normal(w, 6 * 8 * 3, 21);
    fill_normal(b, 6, 22);
    fill_normal(k, 36, 23);
    node nodes[NN];
    dshap_net net;
    build(&net, nodes, w, b, k);
    int F = (int)net_input_floats(&net), P = NI * NR * K;
    EXPECT(F == 152, "the input is %d floats, not 8 x 19", F);
    float *x = malloc(sizeof(float) * (size_t)((NI + NR) * F));
    fill_normal(x, (int64_t)(NI + NR) * F, 24);
    S = gpu_stream(0, cuda_net_scratch_floats(&net));

    cuda_net cn;
    fwd_plan fp;
    dl_plan bp;
    cuda_acts gai, gar;
    EXPECT_OK(walk_check_ops(&net, &cuda_backend));
    EXPECT_OK(cuda_net_upload(&cn, &net, S));
    EXPECT_OK(fwd_plan_make(&fp, &net, NULL));
    EXPECT_OK(dl_plan_make(&bp, &net, -1));
    EXPECT_OK(cuda_acts_alloc(&gai, &net, &fp, NI));
    EXPECT_OK(cuda_acts_alloc(&gar, &net, &fp, NR));
    float *dxi = gpu_floats(x, (int64_t)NI * F), *dxr = gpu_floats(x + (int64_t)NI * F, (int64_t)NR * F);
    EXPECT_OK(net_forward_cuda(&cn, &fp, &gai, NULL, dxi, NI, S));
    EXPECT_OK(net_forward_cuda(&cn, &fp, &gar, NULL, dxr, NR, S));
    float *li = host_floats(gai.y[net.out], NI * K), *lr = host_floats(gar.y[net.out], NR * K);
    float *want = cpu_logits(&net, x, NI + NR);
    double e_i = rel_to_max(li, want, NI * K, NULL), e_r = rel_to_max(lr, want + NI * K, NR * K, NULL);
    EXPECT(e_i <= 1e-5 && e_r <= 1e-5, "logits: %.3g (instances), %.3g (references) of max |logit|", e_i, e_r);

    float *arena = gpu_floats(NULL, bp.per_pair * 4);
    int64_t n_rows = batch_rows_ints(P, net.arch.num_persons);
    int *rows_host = calloc((size_t)n_rows, sizeof(int)), *rows = gpu_ints(rows_host, n_rows);
    double *phi, *ph = malloc(sizeof(double) * NI * K * F);
    EXPECT_OK(cuda_alloc((void **)&phi, sizeof(double) * (size_t)(NI * K * F), "phi"));
    EXPECT_OK(cuda_zero(phi, sizeof(double) * (size_t)(NI * K * F), S));
    cuda_dl_job job = {.cn = &cn, .plan = &bp, .rules = RULES_EXACT, .inst = &gai, .x_inst = dxi, .n_i = NI,
                       .ref = &gar, .x_ref = dxr, .n_r = NR, .n_k = K, .max_pairs = 4, .arena = arena, .rows = rows,
                       .rows_host = rows_host};
    EXPECT_OK(deeplift_run_cuda(&job, phi, S));
    EXPECT_OK(cuda_download(ph, phi, sizeof(double) * (size_t)(NI * K * F), S));
    EXPECT_OK(cuda_stream_sync(S));
    double worst = 0;
    for (int i = 0; i < NI; i++)
        for (int kk = 0; kk < K; kk++) {
            double sum = 0, df = 0;
            for (int e = 0; e < F; e++) sum += ph[((int64_t)i * K + kk) * F + e];
            for (int r = 0; r < NR; r++) df += (double)li[i * K + kk] - lr[r * K + kk];
            worst = fmax(worst, fabs(sum - df) / fmax(1.0, fabs(df)));
        }
    printf("  logits %.2e / %.2e of max, summation to delta %.2e\n", e_i, e_r, worst);
    EXPECT(worst <= 1e-4, "sum of phi differs from the logit differences by %.3g (relative)", worst);

    free(li), free(lr), free(want), free(rows_host), free(ph), free(x);
    cuda_release(phi);
    gpu_free(arena), gpu_free(rows), gpu_free(dxi), gpu_free(dxr);
    cuda_acts_free(&gai), cuda_acts_free(&gar);
    fwd_plan_free(&fp), dl_plan_free(&bp), cuda_net_free(&cn);
    gpu_stream_done();
    return tl_finish("test_gpu_graph_nd");
}
