/* A model whose input is the raw joints (one branch of C = raw C channels,
 * as an imported ST-GCN): data.h5 rows are its first T frames as stored,
 * inputs.h5 may hold (N, C, T, V, M) or (N, 1, C, T, V, M), a four-branch
 * inputs.h5 is refused; the one-branch granularities reduce (C, T, V, M)
 * exactly as the hand-computed sums. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/granularity.h"
#include "io/data_write.h"
#include "io/inputs.h"
#include "testlib.h"

enum { N = 3, C = 3, TR = 7, T = 5, V = 25, M = 2 };

static float raw_value(int64_t i) { return (float)sin(0.37 * (double)i) * 2.0f; }

static void write_data(const char *path) {
    static float x[N * C * TR * V * M];
    for (int64_t i = 0; i < (int64_t)N * C * TR * V * M; i++) x[i] = raw_value(i);
    int32_t y[N] = {0, 1, 2}, len[N] = {TR, TR, TR};
    char *names[N] = {"a", "b", "c"};
    data_writer w;
    EXPECT_OK(data_writer_open(&w, path, C, TR, V, M, 0));
    EXPECT_OK(data_writer_append(&w, N, x, y, len, names, NULL));
    data_attrs at = {.layout = "ntu25", .benchmark = "synth", .split = "all", .source = "test_inputs_raw"};
    EXPECT_OK(data_writer_commit(&w, &at));
}

static void one_branch_net(dshap_net *net) {
    memset(net, 0, sizeof *net);
    if (arch_builtin(&net->arch, "ntu-xview")) tl_skip("no built-in ntu-xview architecture");
    net->arch.num_frames = T;
    net->arch.num_persons = M;
    net->in_branches = 1;
    net->in_C = C;
}

static void check_data_rows(const char *path, const dshap_net *net) {
    inputs_src s;
    EXPECT_OK(inputs_open(&s, path, net));
    EXPECT(s.B == 1 && s.C == C && s.T == T && !s.features, "one-branch raw input: B %d C %d T %d features %d", s.B,
           s.C, s.T, s.features);
    EXPECT(inputs_sample_size(&s) == (int64_t)C * T * V * M, "sample size %lld", (long long)inputs_sample_size(&s));
    static float x[N * C * T * V * M];
    EXPECT_OK(inputs_read(&s, 0, N, x));
    int bad = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++)
                for (int e = 0; e < V * M; e++) {
                    float want = raw_value((((int64_t)n * C + c) * TR + t) * V * M + e);
                    bad += x[(((int64_t)n * C + c) * T + t) * V * M + e] != want;
                }
    EXPECT(bad == 0, "%d values differ from the stored first %d frames", bad, T);
    inputs_close(&s);
}

static void check_inputs_shapes(const dshap_net *net) {
    char p4[] = "/tmp/dshap_inraw4_XXXXXX";
    int fd = mkstemp(p4);
    close(fd);
    tl_write_inputs(p4, "ntu25", 2, C, T, V, M, 60, 7); /* (N, 4, C, T, V, M): a four-branch file */
    inputs_src s;
    EXPECT(inputs_open(&s, p4, net) == DSHAP_EFORMAT, "a four-branch inputs.h5 must be refused for a one-branch model");
    EXPECT(strstr(dshap_last_error(), "the model needs (N, 1, 3, 5, 25, 2)") != NULL, "message: %s", dshap_last_error());
    dshap_net four = *net;
    four.in_branches = ARCH_BRANCHES;
    EXPECT_OK(inputs_open(&s, p4, &four));
    if (s.f.id >= 0) inputs_close(&s);
    remove(p4);
}

static void check_granularity(void) {
    /* phi(c, t, v, m) = 1000c + 100t + v + 0.5m on (C, T, V, M) */
    static double phi[C * T * V * M], out[C * T * V * M];
    for (int c = 0; c < C; c++)
        for (int t = 0; t < T; t++)
            for (int v = 0; v < V; v++)
                for (int m = 0; m < M; m++) phi[((c * T + t) * V + v) * M + m] = 1000.0 * c + 100.0 * t + v + 0.5 * m;
    granularity g = {STORE_JOINT, 0, 1, C, T, V, M};
    EXPECT(gran_size(&g) == V, "joint size %lld", (long long)gran_size(&g));
    gran_reduce(&g, phi, out);
    /* Σ_c Σ_m mean_t: M·(1000·3) + C·M·100·mean(t) + C·M·v + C·0.5·(0+1) */
    for (int v = 0; v < V; v++) {
        double want = M * 1000.0 * (0 + 1 + 2) + C * M * 100.0 * 2.0 + (double)C * M * v + C * 0.5;
        EXPECT(fabs(out[v] - want) < 1e-9, "joint %d: %.12g, hand %.12g", v, out[v], want);
    }
    g.kind = STORE_CHANNEL_JOINT;
    EXPECT(gran_size(&g) == C * V, "channel-joint size %lld", (long long)gran_size(&g));
    int64_t dims[8];
    g.kind = STORE_FULL;
    int r = gran_dataset_shape(&g, 4, 2, dims);
    EXPECT(r == 6 && dims[0] == 4 && dims[1] == C && dims[2] == T && dims[3] == V && dims[4] == M && dims[5] == 2,
           "full layout of a one-branch model is shap's (N, C, T, V, M, K'): rank %d", r);
    g.B = ARCH_BRANCHES;
    r = gran_dataset_shape(&g, 4, 2, dims);
    EXPECT(r == 7 && dims[1] == ARCH_BRANCHES, "four-branch full layout keeps (N, 4, C, T, V, M, K'): rank %d", r);
}

int main(void) {
    dshap_net net;
    one_branch_net(&net);
    char path[] = "/tmp/dshap_inraw_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    remove(path);
    write_data(path);
    check_data_rows(path, &net);
    dshap_net four = net;
    four.in_branches = ARCH_BRANCHES;
    four.in_C = 2 * C;
    inputs_src s;
    EXPECT_OK(inputs_open(&s, path, &four)); /* the same data.h5 feeds a feature model */
    EXPECT(s.features == 1 && inputs_sample_size(&s) == (int64_t)ARCH_BRANCHES * 2 * C * T * V * M, "feature model");
    if (s.f.id >= 0) inputs_close(&s);
    dshap_net odd = net;
    odd.in_C = 5;
    EXPECT(inputs_open(&s, path, &odd) == DSHAP_EFORMAT, "raw joints of 3 channels for a 5-channel input");
    remove(path);
    check_inputs_shapes(&net);
    check_granularity();
    return tl_finish("test_inputs_raw");
}
