/* libdshap over MPI ranks (dshap_explainer_set_mpi_comm): on every rank,
 * the distributed dshap_explain / dshap_explain_predicted fill the caller's
 * buffers with the bytes of the same call without a communicator (computed
 * here first, on each rank alone), for two stores and work units that
 * cross ranks; failures (a bad class on every rank or on one rank
 * only, ranks with different instance counts, a progress callback that
 * cancels on one rank) return the same status and message on every rank,
 * and the explainer still gives the one-process bytes afterwards.
 * usage: mpirun -np N api_mpi MODEL.h5 */
#include <dshap/dshap.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails, rank, size;
#define EXPECT(c, ...)                                                     \
    do {                                                                   \
        if (!(c)) {                                                        \
            fprintf(stderr, "api_mpi: rank %d: FAIL: ", rank);             \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            fails++;                                                       \
        }                                                                  \
    } while (0)

typedef struct {
    float *values, *output, *residual;
    int32_t classes[64];
} result;

static float *floats(int64_t n) { return calloc((size_t)n, sizeof(float)); }

static void result_alloc(result *r, int64_t n_values, int64_t n, int n_k, int K) {
    r->values = floats(n_values);
    r->output = floats(n * K);
    r->residual = floats(n * n_k);
}

static void result_free(result *r) {
    free(r->values);
    free(r->output);
    free(r->residual);
}

static void expect_same(const result *a, const result *b, int64_t n_values, int64_t n, int n_k, int K,
                        const char *what) {
    EXPECT(!memcmp(a->values, b->values, sizeof(float) * (size_t)n_values), "%s: values differ from one process", what);
    EXPECT(!memcmp(a->output, b->output, sizeof(float) * (size_t)(n * K)), "%s: output differs", what);
    EXPECT(!memcmp(a->residual, b->residual, sizeof(float) * (size_t)(n * n_k)), "%s: residual differs", what);
    EXPECT(!memcmp(a->classes, b->classes, sizeof(int32_t) * (size_t)(n * n_k)), "%s: classes differ", what);
}

/* The status and message every rank got must be rank 0's, and a failure. */
static void expect_agreed(dshap_status st, const char *what, const char *needle) {
    char msg[1024] = {0}, first[1024];
    snprintf(msg, sizeof msg, "%s", st ? dshap_last_error() : "");
    memcpy(first, msg, sizeof msg);
    int code = (int)st, first_code = code;
    MPI_Bcast(first, sizeof first, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(&first_code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    EXPECT(st == DSHAP_EINVAL, "%s: status %d, expected DSHAP_EINVAL", what, (int)st);
    EXPECT(code == first_code && !strcmp(msg, first), "%s: '%s' here, rank 0 has '%s'", what, msg, first);
    EXPECT(strstr(msg, needle) != NULL, "%s: message '%s' lacks '%s'", what, msg, needle);
    if (rank == 0) printf("api_mpi: %s -> %s\n", what, msg);
}

static int cancel_at_second(void *user, int64_t done, int64_t total) { return *(int *)user && done >= 2; }

/* The one-process bytes, then the distributed ones, for classes (NULL: predicted). */
static void check_store(dshap_model_t *m, const float *bg, int R, const float *x, int64_t n, dshap_store store,
                        int n_k, const int32_t *classes, const char *what) {
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    int K = info.num_class;
    dshap_options o;
    dshap_options_default(&o);
    o.store = store;
    o.chunk = 2;
    o.block = 2;
    dshap_explainer_t *e = NULL;
    EXPECT(dshap_explainer_create(m, bg, R, &o, &e) == DSHAP_OK, "create: %s", dshap_last_error());
    if (!e) return;
    int64_t n_values = n * n_k * dshap_explainer_store_size(e);
    result one, dist;
    result_alloc(&one, n_values, n, n_k, K);
    result_alloc(&dist, n_values, n, n_k, K);
    dshap_status st;
    if (classes) {
        memcpy(one.classes, classes, sizeof(int32_t) * (size_t)(n * n_k));
        memcpy(dist.classes, classes, sizeof(int32_t) * (size_t)(n * n_k));
        st = dshap_explain(e, x, n, n_k, classes, one.values, one.output, one.residual);
    } else {
        st = dshap_explain_predicted(e, x, n, one.classes, one.values, one.output, one.residual);
    }
    EXPECT(st == DSHAP_OK, "%s: one process: %s", what, dshap_last_error());
    MPI_Comm world = MPI_COMM_WORLD;
    EXPECT(dshap_explainer_set_mpi_comm(e, &world) == DSHAP_OK, "set comm: %s", dshap_last_error());
    memset(dist.values, 0xff, sizeof(float) * (size_t)n_values);
    if (classes) st = dshap_explain(e, x, n, n_k, classes, dist.values, dist.output, dist.residual);
    else st = dshap_explain_predicted(e, x, n, dist.classes, dist.values, dist.output, dist.residual);
    EXPECT(st == DSHAP_OK, "%s: %d ranks: %s", what, size, dshap_last_error());
    expect_same(&one, &dist, n_values, n, n_k, K, what);
    double s = 0;
    for (int64_t j = 0; j < n_values; j++) s += fabs(one.values[j]);
    EXPECT(s > 0, "%s: all attributions are zero", what);
    if (rank == 0) printf("api_mpi: %s: %d ranks give the one-process bytes (sum |phi| %.6g)\n", what, size, s);
    dshap_explainer_free(e);
    result_free(&one);
    result_free(&dist);
}

static void check_errors(dshap_model_t *m, const float *bg, int R, const float *x, int64_t n) {
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    int K = info.num_class;
    dshap_options o;
    dshap_options_default(&o);
    o.chunk = 2;
    o.block = 1;
    int cancel = 0;
    o.progress = cancel_at_second;
    o.progress_user = &cancel;
    dshap_explainer_t *e = NULL;
    EXPECT(dshap_explainer_create(m, bg, R, &o, &e) == DSHAP_OK, "create: %s", dshap_last_error());
    if (!e) return;
    MPI_Comm world = MPI_COMM_WORLD;
    EXPECT(dshap_explainer_set_mpi_comm(e, &world) == DSHAP_OK, "set comm: %s", dshap_last_error());
    int64_t G = dshap_explainer_store_size(e);
    float *values = floats(n * G), *ref = floats(n * G);
    int32_t cls[64];
    for (int i = 0; i < n; i++) cls[i] = i % K;
    EXPECT(dshap_explain(e, x, n, 1, cls, ref, NULL, NULL) == DSHAP_OK, "explain: %s", dshap_last_error());
    cls[1] = K;
    expect_agreed(dshap_explain(e, x, n, 1, cls, values, NULL, NULL), "a bad class on every rank", "out of range");
    cls[1] = rank == size - 1 ? -1 : 1 % K;
    expect_agreed(dshap_explain(e, x, n, 1, cls, values, NULL, NULL), "a bad class on the last rank", "out of range");
    cls[1] = 1 % K;
    if (size > 1)
        expect_agreed(dshap_explain(e, x, rank ? n - 1 : n, 1, cls, values, NULL, NULL), "different n on the ranks",
                      "different arguments");
    cancel = rank == size - 1;
    expect_agreed(dshap_explain(e, x, n, 1, cls, values, NULL, NULL), "a cancel on the last rank", "cancelled");
    cancel = 0;
    EXPECT(dshap_explain(e, x, n, 1, cls, values, NULL, NULL) == DSHAP_OK, "after the errors: %s", dshap_last_error());
    EXPECT(!memcmp(values, ref, sizeof(float) * (size_t)(n * G)), "after the errors: values differ");
    dshap_explainer_free(e);
    free(values);
    free(ref);
}

int main(int argc, char **argv) {
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2) {
        MPI_Finalize();
        return 2;
    }
    dshap_model_t *m = NULL;
    EXPECT(dshap_init() == DSHAP_OK, "init: %s", dshap_last_error());
    EXPECT(dshap_model_load(argv[1], &m) == DSHAP_OK, "load: %s", dshap_last_error());
    if (m) {
        dshap_model_info info;
        dshap_model_get_info(m, &info);
        int K = info.num_class, R = 5, n = 3;
        int64_t S = info.sample_size;
        float *bg = floats(R * S), *x = floats(n * S);
        for (int64_t i = 0; i < R * S; i++) bg[i] = (float)(0.5 * sin(0.37 * (double)i));
        for (int64_t i = 0; i < n * S; i++) x[i] = (float)(0.5 * cos(0.11 * (double)i));
        int32_t cls[10];
        for (int i = 0; i < 2 * n; i++) cls[i] = (3 * i + 1) % K;
        /* 2 blocks x 3 chunks: units cross ranks for 2 and 3 ranks */
        check_store(m, bg, R, x, n, DSHAP_STORE_CHANNEL_JOINT, 2, cls, "channel-joint, 2 classes");
        check_store(m, bg, R, x, n, DSHAP_STORE_FULL, 1, NULL, "full, predicted class");
        check_errors(m, bg, R, x, n);
        free(bg);
        free(x);
        dshap_model_free(m);
    }
    int all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("api_mpi: %d ranks: %s\n", size, all ? "FAIL" : "ok");
    MPI_Finalize();
    return all ? 1 : 0;
}
