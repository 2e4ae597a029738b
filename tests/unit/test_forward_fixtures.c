/* The CPU forward equals the float64 PyTorch reference (tests/reference,
 * fixtures in tests/fixtures/forward) on both published architectures and
 * six random ones: logits and every recorded module output, max |Δ| ≤
 * 1e-4·max(1, |ref|) per element; the first disagreeing node is named. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/forward.h"
#include "io/h5io.h"
#include "testlib.h"

#define TOL 1e-4

static void check_fixture(const char *dir, const char *name) {
    char fx[1024], mp[1024];
    snprintf(fx, sizeof fx, "%s/%s.h5", dir, name);
    snprintf(mp, sizeof mp, "%s/%s.model.h5", dir, name);
    dshap_model m;
    dshap_net net;
    h5file f;
    float *x;
    int64_t N;
    if (tl_open_fixture(name, mp, fx, &m, &net, &f, &x, &N)) return;
    const dshap_arch *a = &m.arch;
    net_acts acts;
    EXPECT_OK(acts_alloc(&acts, &net, N, NULL));
    EXPECT_OK(net_forward_cpu(&net, &acts, x, N));
    int64_t dl[2] = {N, a->num_class};
    double *logits = NULL;
    EXPECT_OK(h5io_read_f64(&f, "/logits", 2, dl, &logits));
    long long where;
    double err = tl_max_rel_err(acts.y[net.out], logits, N * a->num_class, &where);
    EXPECT(err <= TOL, "%s: logits differ by %.3g (element %lld)", name, err, where);
    int compared = 0, first_bad = -1;
    double worst = 0;
    for (int i = 0; i < net.n_nodes; i++) {
        const node *nd = &net.nodes[i];
        char path[256];
        snprintf(path, sizeof path, "/nodes/%s", nd->name);
        if (!nd->is_module || !h5io_exists(&f, path)) continue;
        int64_t shape[8];
        int rank;
        long long stride;
        double sum;
        EXPECT_OK(h5io_read_attr_i64s(&f, path, "full_shape", 8, shape, &rank));
        EXPECT_OK(h5io_read_attr_int(&f, path, "stride", &stride));
        EXPECT_OK(h5io_read_attr_f64(&f, path, "sum", &sum));
        int64_t count = 1;
        for (int r = 0; r < rank; r++) count *= shape[r];
        int64_t ours = node_rows(&net, nd, N) * node_size(nd);
        if (count != ours) continue; /* a broadcast gate kept unexpanded (PartAtt) */
        /* small outputs are stored whole (their own shape), large ones sampled */
        int srank;
        int64_t sd[8], ns = 1;
        double *ref = NULL;
        EXPECT_OK(h5io_shape(&f, path, &srank, sd));
        for (int r = 0; r < srank; r++) ns *= sd[r];
        EXPECT_OK(h5io_read_f64(&f, path, srank, sd, &ref));
        float *sampled = malloc(sizeof(float) * (size_t)ns);
        double s = 0;
        for (int64_t e = 0; e < ours; e++) s += acts.y[i][e];
        for (int64_t e = 0; e < ns; e++) sampled[e] = acts.y[i][e * stride];
        double e1 = tl_max_rel_err(sampled, ref, ns, &where);
        double abs_sum;
        EXPECT_OK(h5io_read_attr_f64(&f, path, "abs_sum", &abs_sum));
        double e2 = fabs(s - sum) / fmax(1.0, abs_sum);
        if ((e1 > TOL || e2 > TOL) && first_bad < 0) {
            first_bad = i;
            printf("  %s: sampled max rel err %.3g, whole-tensor sum err %.3g (sum %.6g vs %.6g)\n", nd->name, e1, e2, s,
                   sum);
        }
        if (e1 > worst) worst = e1;
        compared++;
        free(sampled);
        dshap_free(ref);
    }
    EXPECT(first_bad < 0, "%s: first disagreeing node: %d '%s'", name, first_bad,
           first_bad >= 0 ? net.nodes[first_bad].name : "");
    EXPECT(compared >= 20, "%s: only %d module outputs compared", name, compared);
    printf("%-30s logits %.2e, %3d module outputs, worst %.2e\n", name, err, compared, worst);
    dshap_free(logits);
    dshap_free(x);
    acts_free(&acts);
    h5io_close(&f);
    net_free(&net);
    model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_forward_fixtures FIXTURES_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/forward", argv[1]);
    int n = tl_each_fixture(dir, ".model.h5", check_fixture, dir);
    if (n < 0) return 1;
    EXPECT(n >= 8, "expected at least 8 forward fixtures, found %d", n);
    return tl_finish("test_forward_fixtures");
}
