/* Grad-CAM (standard, counterfactual, person sum / first, and the published
 * "shapgcn" variant) against the PyTorch reference of
 * tests/reference/gen_study.py: hooks on the same module, float64, eval mode.
 * Tolerance: |dshap - ref| <= 2e-4 * max(|ref|) per map set (float32 engine). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/deeplift.h"
#include "io/h5io.h"
#include "study/gradcam.h"
#include "testlib.h"

static const char *cases[] = {"standard", "standard_neg", "standard_first", "shapgcn", "shapgcn_neg"};

static double worst_all = 0;

static void check_fixture(const char *dir, const char *name) {
    char path[1024], mpath[1024];
    snprintf(path, sizeof path, "%s/study/gradcam_%s.h5", dir, name);
    snprintf(mpath, sizeof mpath, "%s/study/gradcam_%s.model.h5", dir, name);
    h5file f;
    EXPECT_OK(h5io_open_read(&f, path, "dshap-gradcam-fixture", 1));
    dshap_model m;
    dshap_net net;
    EXPECT_OK(model_load(&m, mpath));
    EXPECT_OK(net_build(&net, &m));
    int rank;
    int64_t dx[8], dc[2] = {-1, -1};
    EXPECT_OK(h5io_shape(&f, "/x", &rank, dx));
    float *x = NULL;
    int32_t *cls32 = NULL;
    EXPECT_OK(h5io_read_f32(&f, "/x", rank, dx, &x));
    EXPECT_OK(h5io_read_i32(&f, "/classes", 2, dc, &cls32));
    int n = (int)dx[0], nk = (int)dc[1];
    int *cls = malloc(sizeof(int) * (size_t)(n * nk));
    for (int i = 0; i < n * nk; i++) cls[i] = cls32[i];
    char *layers_attr = NULL;
    EXPECT_OK(h5io_read_attr_str(&f, "/", "layers", &layers_attr));
    const char *layer[8];
    int nl = 0, node_ix[8];
    for (char *p = strtok(layers_attr, "\n"); p && nl < 8; p = strtok(NULL, "\n")) layer[nl++] = p;
    for (int l = 0; l < nl; l++) {
        node_ix[l] = gradcam_find_layer(&net, layer[l]);
        EXPECT(node_ix[l] >= 0, "%s: layer %s not found", name, layer[l]);
        if (node_ix[l] < 0) return;
        EXPECT_OK(gradcam_check_layer(&net, node_ix[l], layer[l]));
    }
    engine *e = NULL;
    engine_cfg cfg = {.max_inst = n, .max_ref = 1, .max_classes = nk, .memory_gib = 0.05,
                      .keep_nodes = node_ix, .n_keep = nl};
    float *logits = malloc(sizeof(float) * (size_t)(n * net.arch.num_class));
    EXPECT_OK(cpu_engine_ops.create(&e, &net, &cfg));
    EXPECT_OK(cpu_engine_ops.forward_inst(e, x, n, logits));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char g[64], *variant = NULL, *persons = NULL;
        long long negate = 0;
        snprintf(g, sizeof g, "/cam/%s", cases[c]);
        EXPECT_OK(h5io_read_attr_str(&f, g, "variant", &variant));
        EXPECT_OK(h5io_read_attr_str(&f, g, "persons", &persons));
        EXPECT_OK(h5io_read_attr_int(&f, g, "negate", &negate));
        gc_opts o = {!strcmp(variant, "standard") ? GC_STANDARD : GC_SHAPGCN, (int)negate,
                     !strcmp(persons, "sum") ? GC_PERSONS_SUM : GC_PERSONS_FIRST};
        float *maps[8];
        for (int l = 0; l < nl; l++) {
            const node *nd = &net.nodes[node_ix[l]];
            dshap_alloc_floats(&maps[l], (size_t)(n * nk * nd->T * nd->V), "maps");
        }
        /* a small gradient budget forces class sub-batches (1 class per backward) */
        EXPECT_OK(gradcam_block(&cpu_engine_ops, e, &net, n, node_ix, nl, nk, cls, &o, 1, maps, NULL));
        for (int l = 0; l < nl; l++) {
            const node *nd = &net.nodes[node_ix[l]];
            char ds[300];
            snprintf(ds, sizeof ds, "/cam/%s/%s", cases[c], layer[l]);
            int64_t d[4] = {n, nk, nd->T, nd->V};
            double *ref = NULL;
            EXPECT_OK(h5io_read_f64(&f, ds, 4, d, &ref));
            if (!ref) continue;
            int64_t cnt = (int64_t)n * nk * nd->T * nd->V;
            double rmax = 0, err = 0, nz = 0;
            for (int64_t e = 0; e < cnt; e++) {
                rmax = fmax(rmax, fabs(ref[e]));
                err = fmax(err, fabs(maps[l][e] - ref[e]));
                nz += ref[e] > 0;
            }
            double rel = err / fmax(rmax, 1e-30);
            worst_all = fmax(worst_all, rel);
            printf("%-5s %-15s %-40s max|ref| %9.3g  max err %9.3g  rel %8.2e  (%.0f%% > 0)\n", name, cases[c], layer[l],
                   rmax, err, rel, 100.0 * nz / cnt);
            EXPECT(rmax > 0, "%s %s %s: reference map is all zero (a useless case)", name, cases[c], layer[l]);
            EXPECT(rel <= 2e-4, "%s %s %s: max error %.3g relative to max %.3g", name, cases[c], layer[l], err, rmax);
            dshap_free(ref);
            dshap_free(maps[l]);
        }
        dshap_free(variant);
        dshap_free(persons);
    }
    /* Unknown layers and non-map layers are refused by name. */
    EXPECT(gradcam_find_layer(&net, "main_stream.no_such_layer") < 0, "unknown layer found");
    int cls_node = gradcam_find_layer(&net, "classifier.fc");
    EXPECT(cls_node >= 0 && gradcam_check_layer(&net, cls_node, "classifier.fc") != DSHAP_OK,
           "classifier.fc (no joint axis) accepted as a Grad-CAM layer");
    cpu_engine_ops.destroy(e);
    free(logits);
    free(cls);
    dshap_free(cls32);
    dshap_free(x);
    dshap_free(layers_attr);
    net_free(&net);
    model_free(&m);
    h5io_close(&f);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    check_fixture(dir, "ntu");
    check_fixture(dir, "cp29");
    printf("worst relative Grad-CAM error vs PyTorch: %.3g\n", worst_all);
    return tl_finish("test_study_gradcam");
}
