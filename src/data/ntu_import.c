/* The import pipeline: list and classify the files (serial, cheap), then
 * parse + preprocess chunks of CHUNK files in parallel (OpenMP when built
 * with it; files are independent), then report and append each chunk in
 * name order (serial), so the output does not depend on the thread count and
 * memory stays at CHUNK samples whatever the number of files. */
#include "data/ntu_import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "data/ntu_files.h"
#include "data/ntu_prep.h"
#include "io/data_write.h"
#include "io/outpath.h"

#define CHUNK 64             /* files in flight: ~23 MiB for 300 frames */
#define MAX_LOGGED_SKIPS 50  /* per-file lines; the per-reason counts cover the rest */

typedef struct { /* one file's outcome, filled by a worker thread */
    const char *file;
    dshap_status st;
    sk_reason reason; /* SK_NREASONS: well-formed but no body */
    char msg[512];
    int frames, max_bodies, hist[SK_MAX_BODIES + 1];
    int32_t label;
    double bytes;
} slot;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Parse and preprocess one file into x (3, T, 25, 2); thread-safe. */
static void load_one(const ntu_import_opts *o, slot *sl, sk_sample *s, float *x) {
    char path[4096];
    ntu_name nm;
    snprintf(path, sizeof path, "%s/%s", o->dir, sl->file);
    ntu_name_parse(sl->file, &nm);
    sl->label = nm.action - 1;
    sl->reason = SK_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sl->st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot open (%s)", sl->file, strerror(errno));
        sl->reason = SK_EIO;
    } else {
        struct stat sb;
        if (fstat(fileno(fp), &sb) == 0) sl->bytes = (double)sb.st_size;
        sl->st = skeleton_read(fp, sl->file, s);
        sl->reason = s->reason;
        fclose(fp);
        if (!sl->st && s->hist[0] == s->frames) {
            sl->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: no body in any of its %d frames", sl->file, s->frames);
            sl->reason = SK_NREASONS;
        }
    }
    if (sl->st) {
        snprintf(sl->msg, sizeof sl->msg, "%s", dshap_last_error());
        return;
    }
    sl->frames = s->frames;
    sl->max_bodies = s->max_bodies;
    memcpy(sl->hist, s->hist, sizeof sl->hist);
    if (!o->raw) ntu_preprocess(s->xyz, o->frames, s->frames, s->hist[2] > 0);
    ntu_to_ctvm(s->xyz, o->frames, x);
}

typedef struct {
    slot sl[CHUNK];
    float *xyz;  /* (CHUNK, 2, T, 25, 3) parser buffers */
    float *x;    /* (CHUNK, 3, T, 25, 2) samples */
    int32_t y[CHUNK], len[CHUNK];
    char *names[CHUNK];
} chunk_t;

/* Count, log and append one processed chunk (in name order). */
static dshap_status commit_chunk(const ntu_import_opts *o, ntu_import_report *r, chunk_t *c, int n, data_writer *w) {
    size_t per = (size_t)3 * o->frames * SK_JOINTS * SK_SLOTS;
    int k = 0;
    for (int i = 0; i < n; i++) {
        slot *sl = &c->sl[i];
        r->bytes += sl->bytes;
        if (sl->st) {
            if (sl->st == DSHAP_ENOMEM) FAIL(DSHAP_ENOMEM, "%s", sl->msg);
            r->skipped++;
            if (sl->reason == SK_NREASONS) r->no_body++;
            else r->by_reason[sl->reason]++;
            if (o->log && r->skipped <= MAX_LOGGED_SKIPS)
                fprintf(o->log, "%simport-ntu: skipped %s\n", isatty(fileno(o->log)) ? "\r" : "", sl->msg);
            if (o->log && r->skipped == MAX_LOGGED_SKIPS + 1)
                fprintf(o->log, "import-ntu: (further skipped files are only counted)\n");
            continue;
        }
        if (k != i) memcpy(c->x + (size_t)k * per, c->x + (size_t)i * per, sizeof(float) * per);
        c->y[k] = sl->label;
        c->len[k] = sl->frames < o->frames ? sl->frames : o->frames; /* valid frames of the T stored */
        snprintf(c->names[k], NTU_NAME_LEN + 1, "%s", sl->file);
        r->imported++;
        r->frames_total += sl->frames;
        if (sl->max_bodies > r->max_bodies) r->max_bodies = sl->max_bodies;
        for (int b = 0; b <= SK_MAX_BODIES; b++) r->frames_with[b] += sl->hist[b];
        k++;
    }
    return data_writer_append(w, k, c->x, c->y, c->len, c->names, NULL);
}

static void progress(const ntu_import_opts *o, const ntu_import_report *r, size_t done, size_t total, double t0,
                     double *last, int final) {
    if (!o->log) return;
    double t = now();
    int tty = isatty(fileno(o->log));
    if (!final && t - *last < (tty ? 0.2 : 10.0)) return;
    *last = t;
    fprintf(o->log, "%simport-ntu: %zu/%zu files of the split, %ld imported, %ld skipped, %.0f files/s%s",
            tty ? "\r" : "", done, total, r->imported, r->skipped, done / (t - t0 > 1e-9 ? t - t0 : 1e-9),
            tty && !final ? "" : "\n");
    fflush(o->log);
}

/* Keep the files of the split, counting the others. */
static void classify(const ntu_import_opts *o, const strlist *files, const strlist *skip, ntu_import_report *r,
                     const char **split, size_t *n_split) {
    int want_train = strcmp(o->split, "train") == 0;
    *n_split = 0;
    for (size_t i = 0; i < files->n; i++) {
        const char *file = files->v[i];
        char stem[NTU_NAME_LEN + 1];
        const char *key = stem;
        snprintf(stem, sizeof stem, "%s", file);
        ntu_name nm;
        if (!ntu_name_parse(file, &nm)) {
            r->bad_name++;
            if (o->log) fprintf(o->log, "import-ntu: ignored %s: name is not SsssCcccPpppRrrrAaaa.skeleton\n", file);
        } else if (nm.action > NTU_CLASSES) {
            r->bad_name++;
            if (o->log)
                fprintf(o->log, "import-ntu: ignored %s: action A%03d is beyond the %d classes of the %s benchmark\n", file,
                        nm.action, NTU_CLASSES, o->benchmark);
        } else if (skip->n && bsearch(&key, skip->v, skip->n, sizeof *skip->v, ntu_cmp_str)) {
            r->skip_listed++;
        } else if (ntu_is_train(&nm, o->benchmark) != want_train) {
            r->other_split++;
        } else {
            split[(*n_split)++] = file;
        }
    }
    r->read = (long)*n_split;
}

dshap_status ntu_import(const ntu_import_opts *o, ntu_import_report *r) {
    memset(r, 0, sizeof *r);
    double t0 = now(), last = t0;
    strlist files = {0}, skip = {0};
    const char **split = NULL;
    chunk_t *c = NULL;
    data_writer w;
    int opened = 0;
    size_t n_split = 0, per = (size_t)3 * o->frames * SK_JOINTS * SK_SLOTS;
    dshap_status st = DSHAP_OK;
    if (o->skip_list) CHECK(ntu_read_skip_list(o->skip_list, &skip));
    CHECK(ntu_list_dir(o->dir, &files, r));
    CHECK(dshap_calloc((void **)&split, files.n + 1, sizeof *split, "file list"));
    classify(o, &files, &skip, r, split, &n_split);
    CHECK(dshap_calloc((void **)&c, 1, sizeof *c, "import chunk"));
    CHECK(dshap_alloc_floats(&c->xyz, (size_t)CHUNK * per, "skeleton buffers"));
    CHECK(dshap_alloc_floats(&c->x, (size_t)CHUNK * per, "sample buffers"));
    for (int i = 0; i < CHUNK; i++) CHECK(dshap_alloc((void **)&c->names[i], NTU_NAME_LEN + 1, "names"));
    /* every file of the split imported: the largest output, checked first */
    CHECK(outpath_check_space(o->out, (double)n_split * (double)per * sizeof(float)));
    CHECK(data_writer_open(&w, o->out, 3, o->frames, SK_JOINTS, SK_SLOTS, 0));
    opened = 1;
    for (size_t i0 = 0; i0 < n_split; i0 += CHUNK) {
        int n = n_split - i0 < CHUNK ? (int)(n_split - i0) : CHUNK;
#pragma omp parallel for schedule(dynamic, 1)
        for (int i = 0; i < n; i++) {
            sk_sample s = {.T_max = o->frames, .xyz = c->xyz + (size_t)i * per};
            memset(&c->sl[i], 0, sizeof c->sl[i]);
            c->sl[i].file = split[i0 + i];
            load_one(o, &c->sl[i], &s, c->x + (size_t)i * per);
        }
        CHECK(commit_chunk(o, r, c, n, &w));
        progress(o, r, i0 + n, n_split, t0, &last, 0);
    }
    progress(o, r, n_split, n_split, t0, &last, 1);
    if (r->imported == 0)
        CHECK_FAIL(DSHAP_EFORMAT,
                   "%s: no sample imported for %s/%s (%ld .skeleton files, %ld read, %ld skipped, %ld ignored for their "
                   "name or an action beyond A%03d, %ld of the other split)",
                   o->dir, o->benchmark, o->split, r->listed, r->read, r->skipped, r->bad_name, NTU_CLASSES,
                   r->other_split);
    data_attrs a = {.layout = "ntu25", .benchmark = o->benchmark, .split = o->split, .source = o->dir,
                    .transforms = o->raw ? NULL : ntu_transforms, .n_transforms = o->raw ? 0 : NTU_TRANSFORMS_N};
    opened = 0;
    CHECK(data_writer_commit(&w, &a));
done:
    if (opened) data_writer_abort(&w);
    if (c) {
        for (int i = 0; i < CHUNK; i++) dshap_free(c->names[i]);
        dshap_free(c->xyz);
        dshap_free(c->x);
    }
    dshap_free(c);
    dshap_free(split);
    strlist_free(&files);
    strlist_free(&skip);
    r->seconds = now() - t0;
    return st;
}
