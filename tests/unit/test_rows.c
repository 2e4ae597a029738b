/* Person rows with equal inputs (engine/rows.h):
 *  - person_equal_mask and batch_rows_fill on hand-made cases;
 *  - the CPU engine gives bitwise the same φ and totals with those rows left
 *    out as with every row computed (engine_cfg.all_rows), for every rule
 *    set, on a small NTU model where some (instance, reference, person) slices
 *    are equal and others are not;
 *  - Grad-CAM's gradient (every row needed) is unchanged by the mask. */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "engine/engine.h"
#include "engine/rows.h"
#include "testlib.h"

static void test_mask(void) {
    /* F = 6, M = 2: persons interleaved (person = f % 2) */
    float xi[6] = {1, 0, 2, 0, 3, 0};
    float xr[3 * 6] = {1, 0, 2, 0, 3, 0,     /* ref 0: both persons equal */
                       1, 0, 2, 5, 3, 0,     /* ref 1: person 1 differs in one value */
                       1, -0.0f, 2, 0, 4, 0}; /* ref 2: person 0 differs; -0 equals 0 (x − r = 0) */
    unsigned char same[6];
    int64_t n = person_equal_mask(xi, 1, xr, 3, 6, 2, same);
    unsigned char want[6] = {1, 1, 1, 0, 0, 1};
    EXPECT(n == 4 && !memcmp(same, want, 6), "mask %d%d%d%d%d%d (%lld equal), expected 110001 (4)", same[0], same[1],
           same[2], same[3], same[4], same[5], (long long)n);

    /* triples p = (i·n_r + r)·n_k + k with n_r = 3, n_k = 2: p = 1..4 are
     * (r0, k1), (r1, k0), (r1, k1), (r2, k0) */
    int buf[64];
    batch_rows r;
    batch_rows_carve(&r, buf, 4, 2);
    EXPECT(batch_rows_ints(4, 2) == 40, "batch_rows_ints(4, 2) = %lld", (long long)batch_rows_ints(4, 2));
    batch_rows_fill(&r, same, 1, 4, 3, 2, 2);
    int slot[8] = {-1, -1, -1, 0, -1, 1, 0 + 2, -1}; /* r2: person 0 live (row 2), person 1 equal */
    int xi_pp[3] = {1, 1, 0}, xr_pp[3] = {3, 3, 4}, pair[3] = {1, 2, 3}, xr_ps[4] = {0, 1, 1, 2};
    EXPECT(r.B == 3, "live rows %d, expected 3", r.B);
    EXPECT(!memcmp(r.slot, slot, sizeof slot), "slots %d %d %d %d %d %d %d %d", r.slot[0], r.slot[1], r.slot[2],
           r.slot[3], r.slot[4], r.slot[5], r.slot[6], r.slot[7]);
    EXPECT(!memcmp(r.xi_pp, xi_pp, sizeof xi_pp) && !memcmp(r.xr_pp, xr_pp, sizeof xr_pp) &&
               !memcmp(r.pair, pair, sizeof pair),
           "maps of the live rows: xi %d %d %d, xr %d %d %d, pair %d %d %d", r.xi_pp[0], r.xi_pp[1], r.xi_pp[2],
           r.xr_pp[0], r.xr_pp[1], r.xr_pp[2], r.pair[0], r.pair[1], r.pair[2]);
    EXPECT(!memcmp(r.xr_ps, xr_ps, sizeof xr_ps) && r.xi_ps[0] == 0 && r.xi_ps[3] == 0, "sample rows");
    batch_rows_fill(&r, NULL, 1, 4, 3, 2, 2);
    EXPECT(r.B == 8 && r.slot[7] == 7 && r.pair[7] == 3 && r.xr_pp[7] == 5, "without a mask every row is live");
}

static void fill(float *x, int64_t n, uint64_t seed) {
    rng_t r;
    rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(0.5 * rng_normal(&r));
}

/* Person m of sample a (of xa) takes person m of sample b (of xb). */
static void copy_person(float *xa, int a, const float *xb, int b, int64_t F, int M, int m) {
    for (int64_t f = m; f < F; f += M) xa[(int64_t)a * F + f] = xb[(int64_t)b * F + f];
}

static void attribute(engine_cfg cfg, const dshap_net *net, const float *xi, const float *xr, rule_set rules,
                      const int *classes, const granularity *g, double *phi, double *tot) {
    engine *e = NULL;
    float logits[8 * 60];
    EXPECT_OK(cpu_engine_ops.create(&e, net, &cfg));
    if (!e) return;
    EXPECT_OK(cpu_engine_ops.forward_ref(e, xr, cfg.max_ref, logits));
    EXPECT_OK(cpu_engine_ops.forward_inst(e, xi, cfg.max_inst, logits));
    EXPECT_OK(cpu_engine_ops.attribute(e, rules, cfg.max_classes, classes, g, phi, tot));
    cpu_engine_ops.destroy(e);
}

static void test_engine(const char *fixtures) {
    char path[4096], *json = NULL;
    snprintf(path, sizeof path, "%s/archs/small_ntu.json", fixtures);
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL, "cannot open %s", path);
    if (!f) return;
    json = calloc(1 << 16, 1);
    size_t len = fread(json, 1, (1 << 16) - 1, f);
    fclose(f);
    json[len] = 0;
    dshap_model m = {0};
    dshap_net net;
    EXPECT_OK(arch_from_json(&m.arch, json, path));
    free(json);
    EXPECT_OK(net_init_random(&net, &m, 7));
    const dshap_arch *a = &net.arch;
    int n_i = 2, n_r = 3, n_k = 2, M = a->num_persons;
    int64_t F = (int64_t)ARCH_BRANCHES * 2 * a->in_channels * a->num_frames * a->layout->V * M;
    float *xi = malloc(sizeof(float) * (size_t)(n_i * F)), *xr = malloc(sizeof(float) * (size_t)(n_r * F));
    fill(xi, n_i * F, 1);
    fill(xr, n_r * F, 2);
    copy_person(xi, 0, xr, 0, F, M, 1); /* instance 0, person 1 = reference 0's and 2's */
    copy_person(xr, 2, xr, 0, F, M, 1);
    copy_person(xi, 1, xr, 1, F, M, 0); /* instance 1, person 0 = reference 1's */
    unsigned char same[2 * 3 * 2];
    EXPECT(person_equal_mask(xi, n_i, xr, n_r, F, M, same) == 3, "3 equal person rows expected");
    int classes[4] = {0, 59, 7, 7};
    granularity g = {STORE_FULL, 1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, M};
    int64_t n = (int64_t)n_i * n_k * gran_size(&g);
    double *p_skip = calloc((size_t)n, sizeof(double)), *p_all = calloc((size_t)n, sizeof(double));
    double t_skip[4], t_all[4];
    const char *names[] = {"exact", "shap", "grad"};
    for (int rs = 0; rs < 3; rs++) {
        /* a budget of 3 triples per sub-batch: rows left out in several sub-batches */
        engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = n_k, .memory_gib = 1e-3};
        attribute(cfg, &net, xi, xr, (rule_set)rs, classes, &g, p_skip, t_skip);
        cfg.all_rows = 1;
        attribute(cfg, &net, xi, xr, (rule_set)rs, classes, &g, p_all, t_all);
        EXPECT(!memcmp(p_skip, p_all, sizeof(double) * (size_t)n) && !memcmp(t_skip, t_all, sizeof t_all),
               "rules %s: phi with equal person rows left out differs from phi with every row", names[rs]);
        double mx = 0;
        for (int64_t j = 0; j < n; j++) mx = mx > p_all[j] ? mx : p_all[j];
        EXPECT(mx > 0, "rules %s: phi is all zero (the comparison would be empty)", names[rs]);
    }
    free(p_skip), free(p_all), free(xi), free(xr);
    net_free(&net);
    model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_rows FIXTURES_DIR\n");
        return 2;
    }
    test_mask();
    test_engine(argv[1]);
    return tl_finish("test_rows");
}
