#include "data/ntu_import.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "data/ntu_prep.h"
#include "io/data_write.h"

#define NAME_LEN 20          /* SsssCcccPpppRrrrAaaa */
#define BATCH 16             /* samples buffered before an HDF5 append */
#define MAX_LOGGED_SKIPS 50  /* per-file lines; the per-reason counts cover the rest */

static const int xsub_train[] = {1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38};

static int field(const char *p, char tag) {
    if (p[0] != tag) return -1;
    int v = 0;
    for (int i = 1; i <= 3; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int ntu_name_parse(const char *file, ntu_name *n) {
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len != NAME_LEN && !(len == NAME_LEN + 9 && strcmp(base + NAME_LEN, ".skeleton") == 0)) return 0;
    n->setup = field(base, 'S');
    n->camera = field(base + 4, 'C');
    n->performer = field(base + 8, 'P');
    n->replication = field(base + 12, 'R');
    n->action = field(base + 16, 'A');
    return n->setup > 0 && n->camera > 0 && n->performer > 0 && n->replication > 0 && n->action > 0;
}

int ntu_is_train(const ntu_name *n, const char *benchmark) {
    if (strcmp(benchmark, "xview") == 0) return n->camera == 2 || n->camera == 3;
    for (size_t i = 0; i < sizeof xsub_train / sizeof xsub_train[0]; i++)
        if (n->performer == xsub_train[i]) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

static dshap_status strlist_add(strlist *l, const char *s, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) FAIL(DSHAP_ENOMEM, "out of memory listing files");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strndup(s, len))) FAIL(DSHAP_ENOMEM, "out of memory listing files");
    l->n++;
    return DSHAP_OK;
}

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The official lists have a short prose header; every line that is exactly a
 * sample name counts, the rest is ignored. */
static dshap_status read_skip_list(const char *path, strlist *l) {
    FILE *fp = fopen(path, "r");
    if (!fp) FAIL(DSHAP_EIO, "%s: cannot open skip list (%s)", path, strerror(errno));
    char line[512];
    dshap_status st = DSHAP_OK;
    while (!st && fgets(line, sizeof line, fp)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strcspn(p, " \t\r\n");
        ntu_name nm;
        char name[NAME_LEN + 1];
        if (n != NAME_LEN) continue;
        memcpy(name, p, NAME_LEN);
        name[NAME_LEN] = '\0';
        if (ntu_name_parse(name, &nm)) st = strlist_add(l, name, NAME_LEN);
    }
    fclose(fp);
    if (!st && l->n == 0) FAIL(DSHAP_EFORMAT, "%s: no sample names (SsssCcccPpppRrrrAaaa) in the skip list", path);
    if (!st) qsort(l->v, l->n, sizeof *l->v, cmp_str);
    return st;
}

static dshap_status list_dir(const char *dir, strlist *l, ntu_import_report *r) {
    DIR *d = opendir(dir);
    if (!d) FAIL(DSHAP_EIO, "%s: cannot open folder (%s)", dir, strerror(errno));
    struct dirent *e;
    dshap_status st = DSHAP_OK;
    while (!st && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 9 && strcmp(e->d_name + n - 9, ".skeleton") == 0) {
            st = strlist_add(l, e->d_name, n);
            r->listed++;
        } else if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            r->ignored++;
        }
    }
    closedir(d);
    if (!st) qsort(l->v, l->n, sizeof *l->v, cmp_str);
    return st;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
    data_writer w;
    int T;
    float *batch; /* (BATCH, 3, T, 25, 2) */
    int32_t y[BATCH], len[BATCH];
    char *names[BATCH];
    int n;
} batch_t;

static dshap_status flush(batch_t *b) {
    dshap_status st = data_writer_append(&b->w, b->n, b->batch, b->y, b->len, b->names, NULL);
    for (int i = 0; i < b->n; i++) free(b->names[i]);
    b->n = 0;
    return st;
}

static void progress(const ntu_import_opts *o, const ntu_import_report *r, size_t done, size_t total, double t0,
                     double *last, int final) {
    if (!o->log) return;
    double t = now();
    int tty = isatty(fileno(o->log));
    if (!final && (tty ? t - *last < 0.2 : done % 1000 != 0)) return;
    *last = t;
    fprintf(o->log, "%simport-ntu: %zu/%zu files, %ld imported, %ld skipped, %.0f files/s%s", tty ? "\r" : "", done,
            total, r->imported, r->skipped, done / (t - t0 > 1e-9 ? t - t0 : 1e-9), tty && !final ? "" : "\n");
    fflush(o->log);
}

/* Parse one file of the split; on success append it to the batch. */
static dshap_status import_one(const ntu_import_opts *o, ntu_import_report *r, batch_t *b, const char *file,
                               const ntu_name *nm, sk_sample *s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->dir, file);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        s->reason = SK_EIO;
        FAIL(DSHAP_EIO, "%s: cannot open (%s)", file, strerror(errno));
    }
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0) r->bytes += (double)sb.st_size;
    dshap_status st = skeleton_read(fp, file, s);
    fclose(fp);
    TRY(st);
    if (s->hist[0] == s->frames) {
        s->reason = SK_NREASONS; /* well-formed, no body: counted apart */
        FAIL(DSHAP_EFORMAT, "%s: no body in any of its %d frames", file, s->frames);
    }
    if (!o->raw) ntu_preprocess(s->xyz, b->T, s->frames, s->hist[2] > 0);
    size_t per = (size_t)3 * b->T * SK_JOINTS * SK_SLOTS;
    ntu_to_ctvm(s->xyz, b->T, b->batch + (size_t)b->n * per);
    b->y[b->n] = nm->action - 1;
    b->len[b->n] = s->frames;
    if (!(b->names[b->n] = strndup(file, NAME_LEN))) FAIL(DSHAP_ENOMEM, "out of memory");
    b->n++;
    r->imported++;
    r->frames_total += s->frames;
    if (s->max_bodies > r->max_bodies) r->max_bodies = s->max_bodies;
    for (int k = 0; k <= SK_MAX_BODIES; k++) r->frames_with[k] += s->hist[k];
    return b->n == BATCH ? flush(b) : DSHAP_OK;
}

dshap_status ntu_import(const ntu_import_opts *o, ntu_import_report *r) {
    memset(r, 0, sizeof *r);
    double t0 = now(), last = t0;
    strlist files = {0}, skip = {0};
    batch_t b = {.T = o->frames};
    b.w.f.id = H5I_INVALID_HID;
    sk_sample s = {.T_max = o->frames};
    int opened = 0;
    dshap_status st = DSHAP_OK;
    if (o->skip_list) CHECK(read_skip_list(o->skip_list, &skip));
    CHECK(list_dir(o->dir, &files, r));
    CHECK(dshap_alloc_floats(&s.xyz, (size_t)SK_SLOTS * o->frames * SK_JOINTS * 3, "skeleton buffer"));
    CHECK(dshap_alloc_floats(&b.batch, (size_t)BATCH * 3 * o->frames * SK_JOINTS * SK_SLOTS, "sample batch"));
    CHECK(data_writer_open(&b.w, o->out, 3, o->frames, SK_JOINTS, SK_SLOTS, 0));
    opened = 1;
    int want_train = strcmp(o->split, "train") == 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *file = files.v[i];
        char stem[NAME_LEN + 1];
        const char *key = stem;
        snprintf(stem, sizeof stem, "%s", file);
        ntu_name nm;
        if (!ntu_name_parse(file, &nm)) {
            r->bad_name++;
            if (o->log) fprintf(o->log, "import-ntu: skipped %s: name is not SsssCcccPpppRrrrAaaa.skeleton\n", file);
        } else if (skip.n && bsearch(&key, skip.v, skip.n, sizeof *skip.v, cmp_str)) {
            r->skip_listed++;
        } else if (ntu_is_train(&nm, o->benchmark) != want_train) {
            r->other_split++;
        } else {
            r->read++;
            dshap_status fs = import_one(o, r, &b, file, &nm, &s);
            if (fs == DSHAP_ENOMEM || (fs && s.reason == SK_OK)) CHECK(fs); /* output or memory trouble: stop */
            if (fs) {
                r->skipped++;
                if (s.reason == SK_NREASONS) r->no_body++;
                else r->by_reason[s.reason]++;
                if (o->log && r->skipped <= MAX_LOGGED_SKIPS)
                    fprintf(o->log, "%simport-ntu: skipped %s\n", isatty(fileno(o->log)) ? "\r" : "", dshap_last_error());
                if (o->log && r->skipped == MAX_LOGGED_SKIPS + 1)
                    fprintf(o->log, "import-ntu: (further skipped files are only counted)\n");
            }
        }
        progress(o, r, i + 1, files.n, t0, &last, 0);
    }
    if (b.n) CHECK(flush(&b));
    progress(o, r, files.n, files.n, t0, &last, 1);
    if (r->imported == 0)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: no sample imported for %s/%s (%ld .skeleton files, %ld read, %ld skipped)",
                   o->dir, o->benchmark, o->split, r->listed, r->read, r->skipped);
    data_attrs a = {.layout = "ntu25", .benchmark = o->benchmark, .split = o->split, .source = o->dir,
                    .transforms = o->raw ? NULL : ntu_transforms, .n_transforms = o->raw ? 0 : NTU_TRANSFORMS_N};
    opened = 0;
    CHECK(data_writer_commit(&b.w, &a));
done:
    if (opened) data_writer_abort(&b.w);
    for (int i = 0; i < b.n; i++) free(b.names[i]);
    dshap_free(s.xyz);
    dshap_free(b.batch);
    strlist_free(&files);
    strlist_free(&skip);
    r->seconds = now() - t0;
    return st;
}
