/* attributions.h5 (FORMATS.md), written collectively by all ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "jobs/explain_out.h"

#define ATTR_FORMAT "dshap-attributions"

static const char *const phase_names[PHASE_COUNT] = {"load", "background forward", "instance forward", "backward",
                                                     "reduce", "write"};

/* Root attributes; `devices` is every rank's device joined with ';' (the
 * caller gathered it before the collective phase). */
static dshap_status write_attrs(dist_ctx *d, const h5file *f, const explain_opts *o, const unit_ctx *uc, int R,
                                const char *devices) {
    const char *classes = o->classes == CLASSES_TRUE ? "true" : o->classes == CLASSES_PRED ? "pred"
                          : o->classes == CLASSES_ALL  ? "all"
                                                       : "list";
    TRY(h5io_write_attr_str(f, "/", "format", ATTR_FORMAT));
    TRY(h5io_write_attr_int(f, "/", "format_version", 1));
    TRY(h5io_write_attr_str(f, "/", "rules", o->rules == RULES_EXACT ? "exact" : "shap"));
    TRY(h5io_write_attr_int(f, "/", "n_background", R));
    TRY(h5io_write_attr_int(f, "/", "chunk", uc->chunk));
    TRY(h5io_write_attr_int(f, "/", "block", uc->block));
    if (!o->background_indices) TRY(h5io_write_attr_int(f, "/", "background_seed", (long long)o->background_seed));
    TRY(h5io_write_attr_str(f, "/", "classes", classes));
    TRY(h5io_write_attr_str(f, "/", "store", gran_name(o->store)));
    TRY(h5io_write_attr_str(f, "/", "persons", o->persons_each ? "each" : "sum"));
    TRY(h5io_write_attr_int(f, "/", "ranks", d->size));
    TRY(h5io_write_attr_str(f, "/", "backend", uc->ops->name));
    TRY(h5io_write_attr_str(f, "/", "devices", devices));
    TRY(h5io_write_attr_str(f, "/", "dshap_version", DSHAP_VERSION));
    TRY(h5io_write_attr_str(f, "/", "command_line", o->command_line ? o->command_line : ""));
    TRY(h5io_write_attr_str(f, "/", "model", o->model));
    TRY(h5io_write_attr_str(f, "/", "data", o->data));
    TRY(h5io_write_attr_str(f, "/", "background", o->background));
    return DSHAP_OK;
}

/* Every rank's device description, gathered (collective) and joined. */
static dshap_status gather_devices(dist_ctx *d, const unit_ctx *uc, char **joined) {
    char mine[256];
    int64_t peak;
    uc->ops->describe(uc->eng, mine, sizeof mine, &peak);
    char *all = NULL;
    dshap_status st = dshap_calloc((void **)&all, (size_t)d->size, sizeof mine, "device names");
    if (!st) st = dshap_calloc((void **)joined, (size_t)d->size, sizeof mine + 1, "device names");
    /* agree before the collective: a rank that could not allocate must not
     * leave the others waiting in MPI_Allgather */
    if ((st = dist_agree(d, st))) {
        dshap_free(all);
        return st;
    }
    MPI_Allgather(mine, sizeof mine, MPI_CHAR, all, sizeof mine, MPI_CHAR, d->comm);
    for (int r = 0; r < d->size; r++) {
        if (r) strcat(*joined, ";");
        strncat(*joined, all + (size_t)r * sizeof mine, sizeof mine - 1);
    }
    dshap_free(all);
    return DSHAP_OK;
}

/* Fixed-length strings: variable-length data cannot be written collectively. */
static dshap_status write_names(dist_ctx *d, const h5file *f, const inputs_src *data) {
    size_t len = 1;
    for (int64_t i = 0; i < data->N; i++)
        if (strlen(data->names[i]) + 1 > len) len = strlen(data->names[i]) + 1;
    char *buf = NULL;
    /* agreed: every rank enters the collective write below, or none does */
    dshap_status st = dist_agree(d, dshap_calloc((void **)&buf, (size_t)data->N, len, "names"));
    if (st) {
        dshap_free(buf);
        return st;
    }
    for (int64_t i = 0; i < data->N; i++) memcpy(buf + i * len, data->names[i], strlen(data->names[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    int64_t n = data->N;
    st = pwrite_whole(d, f, "/names", t, t, 1, &n, buf);
    H5Tclose(t);
    dshap_free(buf);
    return dist_agree(d, st);
}

static void print_timings(const double *all, int ranks, double total) {
    fprintf(stderr, "%-20s %12s %12s %8s\n", "phase", "max s", "mean s", "share");
    for (int p = 0; p < PHASE_COUNT; p++) {
        double mx = 0, mean = 0;
        for (int r = 0; r < ranks; r++) {
            double v = all[r * PHASE_COUNT + p];
            if (v > mx) mx = v;
            mean += v / ranks;
        }
        fprintf(stderr, "%-20s %12.3f %12.3f %7.1f%%\n", phase_names[p], mx, mean, 100 * mx / (total > 0 ? total : 1));
    }
}

/* Every step between collectives ends in dist_agree, so a rank that fails
 * (allocation, HDF5) takes all ranks to the cleanup together and none waits
 * in a collective the failing rank never enters. */
#define STEP(expr)                                 \
    do {                                           \
        if ((st = dist_agree(d, (expr)))) goto done; \
    } while (0)
/* for steps that agree themselves (before their own collective) */
#define STEP_AGREED(expr)            \
    do {                             \
        if ((st = (expr))) goto done; \
    } while (0)

dshap_status explain_write(dist_ctx *d, const explain_opts *o, const dshap_net *net, const inputs_src *data,
                           const unit_ctx *uc, const int64_t *bg_rows, int R, explain_result *res,
                           double timings[PHASE_COUNT], double t_write0) {
    int K = res->K, n_k = res->n_k;
    int64_t N = data->N;
    size_t cap = strlen(o->output) + 16; /* any length the system takes (explain checks PATH_MAX first) */
    char *tmp = NULL, *devices = NULL;
    h5file f = {H5I_INVALID_HID, NULL};
    double *all = NULL;
    float *phi0f = NULL;
    int64_t rows[2] = {0, 0}; /* person rows with equal inputs, all (every rank's units) */
    int created = 0;
    dshap_status st = DSHAP_OK;
    if (o->check_additivity > 0 && res->worst_residual > o->check_additivity)
        st = dshap_fail(DSHAP_ENUMERIC, __FILE__, __LINE__,
                        "additivity check failed: worst |residual| / max(1, |f(x) - phi0|) = %.3g > %g (no output written)",
                        res->worst_residual, o->check_additivity);
    if (!st) st = dshap_alloc((void **)&tmp, cap, "output name");
    if (!st) st = dshap_calloc((void **)&phi0f, (size_t)K, sizeof(float), "expected value");
    if (!st) st = dshap_calloc((void **)&all, (size_t)d->size * PHASE_COUNT, sizeof(double), "timings");
    STEP(st);
    STEP_AGREED(gather_devices(d, uc, &devices));
    h5io_temp_name(o->output, tmp, cap);
    f.path = tmp;
    STEP(pwrite_create(d, &f, tmp));
    created = 1;
    int64_t dims[8];
    int rank = gran_dataset_shape(&uc->gran, N, n_k, dims);
    int64_t dnk[2] = {N, n_k}, dnK[2] = {N, K}, dK = K, dR = R, dN = N;
    for (int k = 0; k < K; k++) phi0f[k] = (float)res->phi0[k];
    STEP(write_attrs(d, &f, o, uc, R, devices));
    STEP(pwrite_rows(&f, "/shap/values", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, dims, &res->rs, res->values));
    STEP(pwrite_rows(&f, "/shap/output", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dnK, &res->rs, res->output));
    STEP(pwrite_rows(&f, "/shap/residual", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dnk, &res->rs, res->residual));
    STEP(pwrite_rows(&f, "/shap/classes", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, dnk, &res->rs, res->classes));
    STEP(pwrite_whole(d, &f, "/shap/expected_value", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &dK, phi0f));
    STEP(pwrite_whole(d, &f, "/background/indices", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &dR, bg_rows));
    if (data->labels) STEP(pwrite_whole(d, &f, "/labels", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &dN, data->labels));
    if (data->names) STEP_AGREED(write_names(d, &f, data));
    /* Per-rank phase timings, gathered to rank 0 (write time is up to here). */
    timings[PHASE_WRITE] = dist_time() - t_write0;
    MPI_Gather(timings, PHASE_COUNT, MPI_DOUBLE, all, PHASE_COUNT, MPI_DOUBLE, 0, d->comm);
    int64_t dt[2] = {d->size, PHASE_COUNT};
    STEP(pwrite_whole(d, &f, "/timings", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dt, all));
    STEP(h5io_write_attr_str(&f, "/timings", "phases",
                             "load,background forward,instance forward,backward,reduce,write (seconds, rows = ranks)"));
    int64_t mine[2] = {uc->rows_same, uc->rows_total};
    MPI_Reduce(mine, rows, 2, MPI_INT64_T, MPI_SUM, 0, d->comm);
done:
    /* st is the same on every rank here (every step was agreed) */
    if (created) st = pwrite_commit(d, &f, tmp, o->output, st);
    if (!st && d->rank == 0) {
        double total = 0;
        for (int p = 0; p < PHASE_COUNT; p++) total += all[p];
        print_timings(all, d->size, total);
        if (rows[1])
            fprintf(stderr, "person rows with equal instance and reference inputs (phi exactly 0): %lld of %lld "
                            "(%.1f%%), %s\n", (long long)rows[0], (long long)rows[1], 100.0 * rows[0] / rows[1],
                    o->all_rows ? "computed (--all-rows)" : "left out of the backward");
        fprintf(stderr, "dshap explain: wrote %s (worst additivity residual %.2e)\n", o->output, res->worst_residual);
    }
    dshap_free(all);
    dshap_free(phi0f);
    dshap_free(devices);
    dshap_free(tmp);
    (void)net;
    return st;
}
