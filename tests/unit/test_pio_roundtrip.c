/* Parallel-HDF5 round trip: an attributions file written by the explain job
 * on 3 ranks (collective writes, block rows owned round robin) is read back
 * with collective per-rank reads (mpi/pread) on 1 and on 2 ranks, with row
 * shares unlike the writer's; every row equals the serial read of the same
 * file and the file of a 1-rank run, bit for bit.
 *
 * The test drives itself: without --role it makes the inputs and runs
 *   mpirun -np 1 SELF --role write DIR np1.h5    (reference)
 *   mpirun -np 3 SELF --role write DIR np3.h5
 *   mpirun -np 1 SELF --role read DIR             and -np 2
 * and counts the roles' exit statuses. Skips where mpirun is missing. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mem.h"
#include "engine/net.h"
#include "io/h5io.h"
#include "jobs/explain.h"
#include "mpi/pread.h"
#include "testlib.h"

enum { N = 7, NBG = 30, C2 = 4, T = 10, V = 29, M = 1, K = 3 };

static int setup(const char *dir) {
    char p[600];
    const char *json =
        "{\"act\": \"relu\", \"att_lay\": \"stja\", \"conv_lay\": \"Sep\", \"init_lay\": 16, \"expand_ratio\": 1,"
        " \"reduct_ratio\": 2, \"blocks_in\": 1, \"depth_in\": 1, \"stride_in\": 2, \"scale_in\": 1, \"temp_win_in\": 3,"
        " \"graph_dist_in\": 1, \"blocks_main\": 1, \"depth_main\": 1, \"stride_main\": 1, \"scale_main\": 1,"
        " \"temp_win_main\": 3, \"graph_dist_main\": 1, \"num_class\": 3, \"layout\": \"cp29\", \"in_channels\": 2,"
        " \"num_frames\": 10, \"num_persons\": 1}";
    dshap_model m = {0};
    dshap_net net;
    snprintf(p, sizeof p, "%s/model.h5", dir);
    if (arch_from_json(&m.arch, json, "test") || net_init_random(&net, &m, 11) || model_save(&m, p)) {
        fprintf(stderr, "setup: %s\n", dshap_last_error());
        return 1;
    }
    net_free(&net);
    model_free(&m);
    snprintf(p, sizeof p, "%s/data.h5", dir);
    tl_write_inputs(p, "cp29", N, C2, T, V, M, K, 1);
    snprintf(p, sizeof p, "%s/bg.h5", dir);
    tl_write_inputs(p, "cp29", NBG, C2, T, V, M, K, 2);
    return 0;
}

static int role_write(const char *dir, const char *name) {
    dist_ctx d;
    if (dist_init(&d, NULL, NULL)) return 1;
    char model[600], data[600], bg[600], out[600];
    snprintf(model, sizeof model, "%s/model.h5", dir);
    snprintf(data, sizeof data, "%s/data.h5", dir);
    snprintf(bg, sizeof bg, "%s/bg.h5", dir);
    snprintf(out, sizeof out, "%s/%s", dir, name);
    explain_opts o = {.model = model, .data = data, .background = bg, .output = out, .n_background = 11,
                      .background_seed = 3, .chunk = 3, .block = 2, .classes = CLASSES_ALL, .rules = RULES_EXACT,
                      .store = STORE_CHANNEL_JOINT}; /* (N, K, C, V): several axes per row */
    dshap_status st = explain_run(&d, &o);
    if (st && d.rank == 0) fprintf(stderr, "write %s on %d ranks: %s\n", name, d.size, dshap_last_error());
    dist_finalize(&d);
    return st ? 1 : 0;
}

typedef struct {
    const char *name;
    hid_t mtype;
    size_t elem;
} ds_spec;

/* Rows [lo, hi) of `name` read collectively from the parallel-opened file
 * must equal the same rows of the serial reads of `same` (this file) and
 * `ref` (the 1-rank run). Returns the number of mismatches. */
static int check_dataset(dist_ctx *d, const h5file *par, const h5file *same, const h5file *ref, const ds_spec *s) {
    int rank, bad = 0;
    int64_t dims[H5IO_MAX_RANK], dref[H5IO_MAX_RANK];
    if (h5io_shape(par, s->name, &rank, dims) || h5io_shape(ref, s->name, &rank, dref)) {
        fprintf(stderr, "rank %d: %s: %s\n", d->rank, s->name, dshap_last_error());
        return 1;
    }
    int64_t per = 1, lo, hi;
    for (int i = 1; i < rank; i++) per *= dims[i];
    for (int i = 0; i < rank; i++)
        if (dims[i] != dref[i]) bad = 1;
    /* Uneven shares on purpose: rank r reads [N·r/size, N·(r+1)/size). */
    dist_share(dims[0], d->rank, d->size, &lo, &hi);
    size_t bytes = (size_t)((hi - lo) * per) * s->elem + 1;
    char *mine = malloc(bytes), *a = NULL, *b = NULL;
    if (pread_rows(par, s->name, s->mtype, lo, hi - lo, mine)) {
        fprintf(stderr, "rank %d: %s\n", d->rank, dshap_last_error());
        bad = 1;
    }
    /* Serial reads of the whole dataset (small) as the references. */
    hid_t h[2] = {same->id, ref->id};
    char **dst[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        size_t all = (size_t)(dims[0] * per) * s->elem + 1;
        *dst[k] = malloc(all);
        hid_t ds = H5Dopen2(h[k], s->name, H5P_DEFAULT);
        if (ds < 0 || H5Dread(ds, s->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *dst[k]) < 0) bad = 1;
        if (ds >= 0) H5Dclose(ds);
    }
    size_t off = (size_t)(lo * per) * s->elem, n = (size_t)((hi - lo) * per) * s->elem;
    if (!bad && (memcmp(mine, a + off, n) || memcmp(mine, b + off, n))) {
        fprintf(stderr, "rank %d of %d: %s rows %lld..%lld differ (%s)\n", d->rank, d->size, s->name, (long long)lo,
                (long long)hi, memcmp(mine, a + off, n) ? "from the serial read" : "from the 1-rank run");
        bad = 1;
    }
    free(mine);
    free(a);
    free(b);
    return bad;
}

static int role_read(const char *dir) {
    dist_ctx d;
    if (dist_init(&d, NULL, NULL)) return 1;
    char p3[600], p1[600];
    snprintf(p3, sizeof p3, "%s/np3.h5", dir);
    snprintf(p1, sizeof p1, "%s/np1.h5", dir);
    h5file par = {H5I_INVALID_HID, p3}, same = {H5I_INVALID_HID, p3}, ref = {H5I_INVALID_HID, p1};
    int bad = 0;
    if (pread_open(&d, &par, p3) || h5io_open_any(&same, p3) || h5io_open_any(&ref, p1)) {
        fprintf(stderr, "rank %d: %s\n", d.rank, dshap_last_error());
        bad = 1;
    } else {
        const ds_spec specs[] = {{"/shap/values", H5T_NATIVE_FLOAT, 4},     {"/shap/output", H5T_NATIVE_FLOAT, 4},
                                 {"/shap/residual", H5T_NATIVE_FLOAT, 4},   {"/shap/classes", H5T_NATIVE_INT32, 4},
                                 {"/shap/expected_value", H5T_NATIVE_FLOAT, 4}, {"/background/indices", H5T_NATIVE_INT64, 8}};
        for (int i = 0; i < 6; i++) bad += check_dataset(&d, &par, &same, &ref, &specs[i]);
        /* A rank asking for rows beyond the end gets an error; the others are not left waiting. */
        float x;
        dshap_status s = pread_rows(&par, "/shap/output", H5T_NATIVE_FLOAT, d.rank == 0 ? N : 0, d.rank == 0 ? 1 : 0, &x);
        if (d.rank == 0 && (s != DSHAP_EINVAL || !strstr(dshap_last_error(), "out of range"))) bad++;
        if (d.rank != 0 && s != DSHAP_OK) bad++;
    }
    h5io_close(&par);
    h5io_close(&same);
    h5io_close(&ref);
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_SUM, d.comm);
    if (d.rank == 0) printf("read np3.h5 on %d ranks: %d mismatches\n", d.size, bad);
    dist_finalize(&d);
    return bad ? 1 : 0;
}

static int sh(const char *self, int np, const char *args) {
    char cmd[2048];
    /* A hang in a collective becomes a failure, not a stuck test. */
    snprintf(cmd, sizeof cmd, "timeout 120 mpirun -np %d '%s' %s", np, self, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

int main(int argc, char **argv) {
    if (argc > 3 && !strcmp(argv[1], "--role") && !strcmp(argv[2], "write")) return role_write(argv[3], argv[4]);
    if (argc > 3 && !strcmp(argv[1], "--role") && !strcmp(argv[2], "read")) return role_read(argv[3]);
    if (system("command -v mpirun >/dev/null 2>&1") != 0) tl_skip("mpirun not found");
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
    setenv("OMP_NUM_THREADS", "1", 0);
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    char self[PATH_MAX], dir[] = "/tmp/dshap_pio_XXXXXX", args[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || !mkdtemp(dir)) return 1;
    self[n] = '\0';
    if (setup(dir)) return 1;
    snprintf(args, sizeof args, "--role write %s np1.h5 2>/dev/null", dir);
    EXPECT(sh(self, 1, args) == 0, "write on 1 rank");
    snprintf(args, sizeof args, "--role write %s np3.h5 2>/dev/null", dir);
    EXPECT(sh(self, 3, args) == 0, "write on 3 ranks");
    snprintf(args, sizeof args, "--role read %s", dir);
    EXPECT(sh(self, 1, args) == 0, "read back on 1 rank");
    EXPECT(sh(self, 2, args) == 0, "read back on 2 ranks");
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    if (system(args)) fprintf(stderr, "could not remove %s\n", dir);
    return tl_finish("pio roundtrip");
}
