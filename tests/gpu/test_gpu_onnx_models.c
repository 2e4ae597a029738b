/* The ONNX reference models (tests/fixtures/onnx_models: ST-GCN, CTR-GCN,
 * EfficientGCN-B0) imported and run by the CUDA engine against the CPU
 * engine on the same random inputs (2 instances × 3 references, classes
 * 0 and 1): logits ≤ 1e-5 of max |logit|, φ (frame store) and Σφ of both
 * rule sets ≤ 1e-4 of max |φ| (the GEMMs sum in another order). Their Conv,
 * pooling and BatchNormalization nodes keep the merged person axis in front
 * of the channels (engine/nd_lead.h), which both tables fold into rows; a
 * MaxPool with such an axis (CTR-GCN) is refused by the CUDA engine at
 * creation with one line, which is checked instead. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_engine.h"
#include "engine/deeplift.h"
#include "engine/engine.h"
#include "gpu_check.h"
#include "onnx/store.h"

enum { NI = 2, NR = 3, NK = 2 };

static void attribute(const engine_ops *ops, engine *e, rule_set rules, const granularity *g, double *phi,
                      double *tot) {
    static const int classes[NI * NK] = {0, 1, 0, 1};
    EXPECT_OK(ops->attribute(e, rules, NK, classes, g, phi, tot));
}

static engine *make(const engine_ops *ops, const dshap_net *net, const float *xi, const float *xr, float *li,
                    float *lr) {
    engine_cfg cfg = {.max_inst = NI, .max_ref = NR, .max_classes = NK, .memory_gib = 0.25};
    engine *e = NULL;
    if (ops->create(&e, net, &cfg)) return NULL;
    EXPECT_OK(ops->forward_ref(e, xr, NR, lr));
    EXPECT_OK(ops->forward_inst(e, xi, NI, li));
    return e;
}

static void check_model(const char *fixtures, const char *name, int cuda_refuses) {
    char path[4096];
    snprintf(path, sizeof path, "%s/onnx_models/%s.onnx", fixtures, name);
    dshap_model m = {0};
    dshap_net net = {0};
    dshap_status st = onnx_import(&m, path, NULL, layout_find("ntu25"));
    EXPECT(st == DSHAP_OK, "%s: import: %s", name, dshap_last_error());
    if (st) return;
    EXPECT_OK(net_build(&net, &m));
    const dshap_arch *a = &net.arch;
    int K = a->num_class;
    int64_t F = net_input_floats(&net);
    float *xi = malloc(sizeof(float) * (size_t)(NI * F)), *xr = malloc(sizeof(float) * (size_t)(NR * F));
    fill_normal(xi, NI * F, 11);
    fill_normal(xr, NR * F, 12);
    float li[2][NI * 64], lr[2][NR * 64];
    engine *ec = make(&cpu_engine_ops, &net, xi, xr, li[0], lr[0]);
    EXPECT(ec != NULL, "%s: cpu engine: %s", name, dshap_last_error());
    engine *eg = make(&cuda_engine_ops, &net, xi, xr, li[1], lr[1]);
    if (cuda_refuses) {
        EXPECT(!eg && strstr(dshap_last_error(), "MaxPool with a leading axis") &&
                   strstr(dshap_last_error(), "--backend cpu"),
               "%s: the CUDA engine must refuse its person-axis MaxPool in one line: %s", name, dshap_last_error());
        printf("  %-16s cuda refuses: %s\n", name, dshap_last_error());
    } else if (ec && eg && K <= 64) {
        double el = fmax(rel_to_max(li[1], li[0], NI * K, NULL), rel_to_max(lr[1], lr[0], NR * K, NULL));
        EXPECT(el <= 1e-5, "%s: logits differ by %.3g of max", name, el);
        granularity g = {STORE_FRAME, 0, net.in_branches, net.in_C, a->num_frames, a->layout->V, a->num_persons};
        int64_t G = gran_size(&g), n = (int64_t)NI * NK * G;
        double *pc = calloc((size_t)n, sizeof(double)), *pg = calloc((size_t)n, sizeof(double));
        double tc[NI * NK], tg[NI * NK];
        const char *rn[] = {"exact", "shap"};
        for (int rs = 0; rs < 2; rs++) {
            attribute(&cpu_engine_ops, ec, (rule_set)rs, &g, pc, tc);
            attribute(&cuda_engine_ops, eg, (rule_set)rs, &g, pg, tg);
            double ep = rel_to_max_d(pg, pc, n, NULL), et = rel_to_max_d(tg, tc, NI * NK, NULL);
            EXPECT(ep <= 1e-4 && et <= 1e-4, "%s %s: phi differs by %.3g, totals by %.3g of max", name, rn[rs], ep,
                   et);
            printf("  %-16s %-5s logits %.1e  phi %.1e  totals %.1e\n", name, rn[rs], el, ep, et);
        }
        free(pc), free(pg);
    }
    if (ec) cpu_engine_ops.destroy(ec);
    if (eg) cuda_engine_ops.destroy(eg);
    free(xi), free(xr);
    net_free(&net);
    model_free(&m);
}

int main(int argc, char **argv) {
    gpu_require("test_gpu_onnx_models");
    const char *fixtures = argc > 1 ? argv[1] : "tests/fixtures";
    check_model(fixtures, "stgcn", 0);
    check_model(fixtures, "efficientgcn_b0", 0);
    check_model(fixtures, "ctrgcn", 1);
    return tl_finish("test_gpu_onnx_models");
}
