/* The shared graph walkers on a hand-built net: a whole-sample model input
 * (OP_INPUT, branch −1) → tanh → a 1×1 convolution over the F input floats
 * (a linear classifier of 3 classes). Under the exact rules the rescale
 * multiplier of tanh is Δy/Δx, so φ_e of class k for instance x and
 * reference r is exactly w[k, e]·(tanh x_e − tanh r_e): checked per element
 * against that, computed here in double (|err| ≤ 1e-5·(1 + |φ|)), and
 * Σ_e φ against Σ_r f_k(x) − f_k(r) from the forward (≤ 1e-4 relative),
 * over sub-batches of 4 triples. Also: the capability check names the
 * backend, node and op of a node a table without that op (and, in a CUDA
 * build, the CUDA table) has no kernel for; the CPU table has every op. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "core/rng.h"
#include "cpu/op_table_cpu.h"
#ifdef DSHAP_HAVE_CUDA
#include "cuda/op_table_cuda.h"
#endif
#include "engine/deeplift.h"
#include "engine/layout.h"
#include "testlib.h"

#define K 3

static node *add_node(dshap_net *net, op_kind op, const char *name, int in0, int C) {
    node *nd = &net->nodes[net->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->n_in = in0 >= 0;
    nd->in[0] = in0;
    nd->C = C, nd->T = 1, nd->V = 1;
    return nd;
}

int main(void) {
    node nodes[3];
    dshap_net net = {.nodes = nodes, .cap_nodes = 3, .in_branches = 1, .in_C = 2};
    net.arch.layout = layout_find("cp19");
    net.arch.num_frames = 2, net.arch.num_persons = 2, net.arch.num_class = K;
    const int F = (int)net_input_floats(&net), n_i = 2, n_r = 3;
    add_node(&net, OP_INPUT, "input", -1, F)->branch = -1;
    add_node(&net, OP_ACT, "tanh", 0, F)->act = ACT_TANH;
    node *fc = add_node(&net, OP_CONV, "fc", 1, K);
    float *w = malloc(sizeof(float) * K * F), b[K] = {0.3f, -0.2f, 0.1f};
    float *x = malloc(sizeof(float) * n_i * F), *r = malloc(sizeof(float) * n_r * F);
    rng_t g;
    rng_seed(&g, 5);
    for (int e = 0; e < K * F; e++) w[e] = (float)(0.2 * rng_normal(&g));
    for (int e = 0; e < n_i * F; e++) x[e] = (float)rng_normal(&g);
    for (int e = 0; e < n_r * F; e++) r[e] = (float)rng_normal(&g);
    fc->w = w, fc->b = b, fc->k = 1, fc->stride = 1, fc->groups = 1;
    net.out = 2;

    net_acts ai, ar;
    EXPECT_OK(acts_alloc(&ai, &net, n_i, NULL));
    EXPECT_OK(acts_alloc(&ar, &net, n_r, NULL));
    EXPECT_OK(net_forward_cpu(&net, &ai, x, n_i));
    EXPECT_OK(net_forward_cpu(&net, &ar, r, n_r));
    /* the forward: logits = b + w · tanh(x), and the input node is x itself */
    double worst = 0;
    for (int s = 0; s < n_i; s++)
        for (int k = 0; k < K; k++) {
            double f = b[k];
            for (int e = 0; e < F; e++) f += (double)w[k * F + e] * tanh((double)x[s * F + e]);
            worst = fmax(worst, fabs(f - ai.y[net.out][s * K + k]));
        }
    EXPECT(worst < 1e-5, "logits differ from b + w·tanh(x) by %.3g", worst);
    EXPECT(memcmp(ai.y[0], x, sizeof(float) * (size_t)(n_i * F)) == 0, "branch -1 input is not the sample as it is");

    double *phi = calloc((size_t)n_i * K * F, sizeof(double));
    dl_job job = {.net = &net, .rules = RULES_EXACT, .inst = &ai, .x_inst = x, .n_i = n_i, .ref = &ar, .x_ref = r,
                  .n_r = n_r, .n_k = K, .max_pairs = 4, .capture = -1};
    EXPECT_OK(deeplift_run_cpu(&job, phi));
    double worst_e = 0, worst_sum = 0;
    for (int s = 0; s < n_i; s++)
        for (int k = 0; k < K; k++) {
            const double *p = phi + ((int64_t)s * K + k) * F;
            double sum = 0, df = 0;
            for (int e = 0; e < F; e++) {
                double want = 0;
                for (int q = 0; q < n_r; q++)
                    want += (double)w[k * F + e] * (tanh((double)x[s * F + e]) - tanh((double)r[q * F + e]));
                worst_e = fmax(worst_e, fabs(p[e] - want) / (1 + fabs(want)));
                sum += p[e];
            }
            for (int q = 0; q < n_r; q++) df += ai.y[net.out][s * K + k] - ar.y[net.out][q * K + k];
            worst_sum = fmax(worst_sum, fabs(sum - df) / fmax(1.0, fabs(df)));
        }
    EXPECT(worst_e < 1e-5, "phi differs from w·(tanh x − tanh r) by %.3g (relative)", worst_e);
    EXPECT(worst_sum < 1e-4, "sum of phi differs from the logit differences by %.3g (relative)", worst_sum);

    /* an op a backend's table has no kernel for: one line naming backend,
     * op and node (the CPU has every op; a table without Transpose) */
    nodes[1].op = OP_TRANSPOSE;
    snprintf(nodes[1].name, sizeof nodes[1].name, "blocks.0/Transpose_3");
    op_impl partial_ops[OP_COUNT];
    memcpy(partial_ops, cpu_op_table, sizeof partial_ops);
    partial_ops[OP_TRANSPOSE] = (op_impl){NULL, NULL};
    backend_impl partial = cpu_backend;
    partial.name = "partial";
    partial.ops = partial_ops;
    EXPECT(walk_check_ops(&net, &cpu_backend) == DSHAP_OK, "the CPU table lacks Transpose");
    dshap_status st = walk_check_ops(&net, &partial);
    EXPECT(st == DSHAP_EINVAL, "a Transpose node passed the capability check of a table without it");
    EXPECT(strstr(dshap_last_error(), "the partial backend has no kernel for Transpose (node 'blocks.0/Transpose_3')"),
           "capability message: %s", dshap_last_error());
#ifdef DSHAP_HAVE_CUDA
    EXPECT(walk_check_ops(&net, &cuda_backend) == DSHAP_EINVAL, "a Transpose node passed the CUDA capability check");
    EXPECT(strstr(dshap_last_error(), "the cuda backend has no kernel for Transpose (node 'blocks.0/Transpose_3'); "
                                      "run with --backend cpu"),
           "capability message: %s", dshap_last_error());
#endif

    acts_free(&ai);
    acts_free(&ar);
    free(phi), free(w), free(x), free(r);
    return tl_finish("test_walker");
}
