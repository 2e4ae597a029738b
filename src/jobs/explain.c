/* The explain job: validate, distribute work units over ranks, compute,
 * combine chunk partials in chunk order on each block's owner, write. */
#include "jobs/explain.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "io/outpath.h"
#include "jobs/checkpoint.h"
#include "mpi/placement.h"
#include "jobs/explain_out.h"
#include "jobs/explain_unit.h"
#include "jobs/progress.h"


static dshap_status validate(const explain_opts *o, const dshap_net *net, const inputs_src *data, int *n_k) {
    int K = net->arch.num_class;
    switch (o->classes) {
    case CLASSES_TRUE:
        if (!data->labels) FAIL(DSHAP_EINVAL, "%s: --classes true needs labels ('/y'), the file has none", o->data);
        *n_k = 1;
        break;
    case CLASSES_PRED: *n_k = 1; break;
    case CLASSES_ALL: *n_k = K; break;
    case CLASSES_LIST:
        for (int i = 0; i < o->n_list; i++)
            if (o->list[i] < 0 || o->list[i] >= K)
                FAIL(DSHAP_EINVAL, "--classes: class %d is out of range for a model with %d classes (0..%d)", o->list[i], K,
                     K - 1);
        *n_k = o->n_list;
        break;
    }
    if (o->chunk < 1) FAIL(DSHAP_EINVAL, "--chunk must be at least 1");
    return xfer_check(o->transport, o->engine != NULL && o->gpu >= 0);
}

/* The output location, before any work: the names the job will create
 * (OUT.part, OUT.ckpt/unit-NNNNNNNN.bin.tmp) must fit the system's limits,
 * OUT must not be a directory and its folder must be writable. */
static dshap_status check_output(const char *out) {
    size_t n = strlen(out);
    const char *slash = strrchr(out, '/'), *base = slash ? slash + 1 : out;
    if (n + sizeof "/unit-00000000.bin.tmp" + sizeof ".ckpt" >= PATH_MAX)
        FAIL(DSHAP_EINVAL, "-o: the output path (%zu characters, '%.40s...') is too long: with its checkpoint names it "
                           "must stay under PATH_MAX = %d", n, out, PATH_MAX);
    if (!*base) FAIL(DSHAP_EINVAL, "%s: -o names a directory, not a file", out);
    if (strlen(base) + sizeof ".ckpt" - 1 > NAME_MAX)
        FAIL(DSHAP_EINVAL, "%s: the file name is %zu characters; with the '.ckpt' suffix it must stay within %d", out,
             strlen(base), NAME_MAX);
    struct stat s;
    if (stat(out, &s) == 0 && S_ISDIR(s.st_mode)) FAIL(DSHAP_EINVAL, "%s: -o names a directory, not a file", out);
    char *dir = slash ? strndup(out, (size_t)(slash - out) + (slash == out)) : strdup(".");
    if (!dir) FAIL(DSHAP_ENOMEM, "%s: out of memory checking the output folder", out);
    int ok = stat(dir, &s) == 0 && S_ISDIR(s.st_mode), can = ok && access(dir, W_OK | X_OK) == 0;
    free(dir);
    if (!ok) FAIL(DSHAP_EIO, "%s: the output folder does not exist", out);
    if (!can) FAIL(DSHAP_EIO, "%s: the output folder is not writable", out);
    return DSHAP_OK;
}

/* What the job will write next to OUT: the values in float and, in the
 * checkpoint folder, every unit's partials in double, plus room for HDF5's
 * metadata. A full disk is refused here, before the work, since a parallel
 * HDF5 file that fails to flush cannot be closed cleanly. */
static double output_bytes(const unit_ctx *uc, int64_t N, int n_k) {
    double per = (double)N * n_k * (double)gran_size(&uc->gran);
    return per * sizeof(float) + per * sizeof(double) * uc->n_chunks + 131072.0;
}

/* The failure's message, plus where the finished work units wait. */
static dshap_status keep_message(const checkpoint *ck, dshap_status st) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", dshap_last_error());
    return dshap_fail(st, __FILE__, __LINE__, "%s (interrupted: the finished work units stay in %s; rerun with --resume "
                      "to reuse them)", msg, ck->dir);
}

dshap_status explain_run(dist_ctx *d, const explain_opts *o) {
    double t_start = dist_time();
    dshap_model m = {0};
    dshap_net net = {0};
    inputs_src data = {0}, bg = {0};
    int64_t *bg_rows = NULL;
    int R = 0, n_k = 0;
    unit_ctx uc = {0};
    unit_result *mine = NULL;
    int64_t my_lo = 0, my_hi = 0;
    explain_result res = {0};
    checkpoint ck = {0};
    int ck_ours = 0, keep_ck = 0; /* the folder is this job's; a failure from here leaves resumable units */
    data.f.id = bg.f.id = H5I_INVALID_HID;

    /* Phase 1: every rank loads and validates; failures agreed collectively. */
    dshap_status st = d->rank == 0 ? check_output(o->output) : DSHAP_OK;
    if (!st) st = model_load(&m, o->model);
    if (!st) st = net_build(&net, &m);
    if (!st) st = inputs_open(&data, o->data, &net);
    if (!st) st = inputs_open(&bg, o->background, &net);
    if (!st) st = validate(o, &net, &data, &n_k);
    if (!st && d->rank == 0) st = inputs_check_finite(&data);
    if (!st && d->rank == 0) st = inputs_check_finite(&bg);
    if (!st) st = background_select(o->background, bg.N, o->n_background, o->background_seed, o->background_indices, &bg_rows, &R);
    if (!st) st = unit_ctx_init(&uc, o, &net, &data, &bg, bg_rows, R, n_k);
    if (!st && d->rank == 0) st = outpath_check_space(o->output, output_bytes(&uc, data.N, n_k));
    if ((st = dist_agree(d, st))) goto done;
    /* Log lines after validation, so bad input still gets exactly one line. */
    if (o->backend_note && o->backend_note[0] && d->rank == 0) fprintf(stderr, "dshap explain: %s\n", o->backend_note);
    if (o->bind) {
        char line[512];
        if ((st = placement_apply(d, o->bind, o->gpu, line, sizeof line))) goto done;
        if ((st = placement_report(d, line))) goto done;
    }
    if ((st = ckpt_open(d, &ck, o, uc.ops->name, R, n_k, uc.block, uc.chunk))) goto done;
    ck_ours = 1;
    double t_load = dist_time() - t_start;

    int64_t n_units = (int64_t)uc.n_blocks * uc.n_chunks;
    dist_share(n_units, d->rank, d->size, &my_lo, &my_hi);
    if (d->rank == 0)
        fprintf(stderr,
                "dshap explain: %lld instances x %d references (%d chunks of %d) x %d classes, rules %s, %d rank%s, "
                "%lld work units\n",
                (long long)data.N, R, uc.n_chunks, uc.chunk, n_k,
                o->rules == RULES_EXACT ? "exact" : "shap", d->size, d->size > 1 ? "s" : "", (long long)n_units);

    /* Phase 2: compute this rank's units. */
    keep_ck = 1;
    if (my_hi > my_lo) {
        if ((st = dshap_calloc((void **)&mine, (size_t)(my_hi - my_lo), sizeof *mine, "unit results"))) {
            st = dist_fail(d, st);
            goto done;
        }
    }
    progress pr;
    progress_start(&pr, my_hi - my_lo, o->progress && d->rank == 0);
    for (int64_t u = my_lo; u < my_hi; u++) {
        int ch = (int)(u / uc.n_blocks), b = (int)(u % uc.n_blocks);
        int n = (int)(data.N - (int64_t)b * uc.block < uc.block ? data.N - (int64_t)b * uc.block : uc.block);
        unit_result *ur = &mine[u - my_lo];
        int loaded = 0;
        st = unit_result_alloc(ur, n, n_k, m.arch.num_class, gran_size(&uc.gran));
        if (!st) st = ckpt_load(&ck, u, ur, &loaded);
        if (!st && !loaded) st = unit_compute(&uc, b, ch, ur);
        if (!st && !loaded) st = ckpt_save(&ck, u, ur);
        if (st) {
            if (d->size > 1) st = keep_message(&ck, st); /* dist_fail ends the job: no cleanup comes */
            st = dist_fail(d, st);
            goto done;
        }
        progress_step(&pr, u - my_lo + 1);
    }
    progress_end(&pr);

    /* Phase 3: combine partials on the block owners, in chunk order. */
    double t_reduce0 = dist_time();
    st = explain_combine(d, o, &uc, mine, my_lo, my_hi, n_units, &res);
    if (st) {
        st = dist_fail(d, st);
        goto done;
    }
    double t_reduce = dist_time() - t_reduce0;
    /* a failed additivity check is the result, not an interruption: rerunning
     * gives the same, so its units are not kept */
    if (o->check_additivity > 0 && res.worst_residual > o->check_additivity) keep_ck = 0;

    /* Phase 4: one collective write. */
    double t_write0 = dist_time();
    double timings[PHASE_COUNT] = {t_load, uc.t_bg_fwd, uc.t_inst_fwd, uc.t_backward, t_reduce, 0};
    st = explain_write(d, o, &net, &data, &uc, bg_rows, R, &res, timings, t_write0);
    if (!st) {
        long long counts[3] = {ck.loaded, ck.saved, ck.rejected}, sums[3];
        MPI_Reduce(counts, sums, 3, MPI_LONG_LONG, MPI_SUM, 0, d->comm);
        if (d->rank == 0 && o->resume)
            fprintf(stderr, "dshap explain: resumed %lld work units from the checkpoint, computed %lld (%lld rejected "
                            "and recomputed)\n", sums[0], sums[1], sums[2]);
        ckpt_remove(d, &ck);
    }
done:
    /* Every rank is here together (failures up to here were agreed, or
     * dist_fail ended the job); a failed run keeps its checkpoint only when
     * it was interrupted with finished units to reuse, and says so. */
    if (st && ck_ours) {
        long long have = ck.saved + ck.loaded, all = 0;
        MPI_Allreduce(&have, &all, 1, MPI_LONG_LONG, MPI_SUM, d->comm);
        if (keep_ck && all > 0) st = keep_message(&ck, st);
        else ckpt_remove(d, &ck);
    }
    ckpt_close(&ck);
    explain_result_free(&res);
    if (mine)
        for (int64_t u = my_lo; u < my_hi; u++) unit_result_free(&mine[u - my_lo]);
    free(mine);
    unit_ctx_free(&uc);
    free(bg_rows);
    inputs_close(&data);
    inputs_close(&bg);
    net_free(&net);
    model_free(&m);
    return st;
}
