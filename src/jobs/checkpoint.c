#include "jobs/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC 0x54504b4350414853ull /* "SHAPCKPT" */
#define CKPT_VERSION 2
#define CKPT_JOB_FILE "job"

typedef struct {
    uint64_t magic, version, fingerprint;
    int64_t unit, len;
    uint64_t checksum; /* of the fields above and the payload */
} ckpt_header;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* A 64-bit check word over 8-byte words (payloads are MBs: a byte-wise hash
 * would cost more than reading them). Any flipped bit changes one word,
 * which the multiply-rotate mix spreads over the whole state. */
static uint64_t mix_words(uint64_t h, const void *p, size_t n_words) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n_words; i++) {
        uint64_t w;
        memcpy(&w, b + 8 * i, 8);
        h ^= w * 0x9e3779b97f4a7c15ull;
        h = (h << 31 | h >> 33) * 0xbf58476d1ce4e5b9ull;
    }
    return h ^ (h >> 29);
}

static uint64_t unit_checksum(const ckpt_header *h, const double *payload, int64_t len) {
    uint64_t s = mix_words(0x243f6a8885a308d3ull, h, offsetof(ckpt_header, checksum) / 8);
    return mix_words(s, payload, (size_t)len);
}

/* A file's identity for the fingerprint: its name, size and mtime. */
static uint64_t fnv_file(uint64_t h, const char *path) {
    struct stat s;
    h = fnv(h, path, strlen(path) + 1);
    if (path[0] && stat(path, &s) == 0) {
        h = fnv(h, &s.st_size, sizeof s.st_size);
        h = fnv(h, &s.st_mtim.tv_sec, sizeof s.st_mtim.tv_sec);
    }
    return h;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *unit_path(const checkpoint *c, int64_t u, const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "unit-%08lld.bin%s", (long long)u, suffix);
    return join(c->dir, name);
}

/* The unit files and the job file (nothing else is ours to remove). */
static void clear_dir(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *e;
    while ((e = readdir(dd)))
        if (!strncmp(e->d_name, "unit-", 5) || !strcmp(e->d_name, CKPT_JOB_FILE)) {
            char *p = join(dir, e->d_name);
            if (p) remove(p);
            free(p);
        }
    closedir(dd);
}

static int write_all(const char *path, const void *a, size_t na, const void *b, size_t nb) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 0;
    int ok = write(fd, a, na) == (ssize_t)na && (!nb || write(fd, b, nb) == (ssize_t)nb) && fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

/* Rank 0: refuse another job's folder, (re)write the job file. */
static dshap_status job_file(const checkpoint *c) {
    char *p = join(c->dir, CKPT_JOB_FILE);
    if (!p) FAIL(DSHAP_ENOMEM, "%s: out of memory", c->dir);
    uint64_t rec[3] = {CKPT_MAGIC, c->fingerprint, 0}, got[3];
    rec[2] = mix_words(1, rec, 2);
    dshap_status st = DSHAP_OK;
    FILE *f = c->resume ? fopen(p, "rb") : NULL;
    if (f) {
        int ok = fread(got, sizeof got, 1, f) == 1 && got[0] == CKPT_MAGIC && got[2] == mix_words(1, got, 2);
        fclose(f);
        if (ok && got[1] != c->fingerprint)
            st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__,
                            "%s: the checkpoint belongs to another job (different files or parameters); remove it or "
                            "run without --resume", c->dir);
        else if (!ok)
            fprintf(stderr, "dshap explain: warning: %s is damaged; each unit is checked on its own\n", p);
    }
    if (!st && !write_all(p, rec, sizeof rec, NULL, 0))
        st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot write the checkpoint's job file (%s)", p,
                        strerror(errno));
    free(p);
    return st;
}

dshap_status ckpt_open(dist_ctx *d, checkpoint *c, const explain_opts *o, const char *backend, int R, int n_k,
                       int block, int chunk) {
    memset(c, 0, sizeof *c);
    size_t n = strlen(o->output) + sizeof ".ckpt";
    c->dir = malloc(n);
    if (!c->dir) return dist_agree(d, dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "%s: out of memory", o->output));
    snprintf(c->dir, n, "%s.ckpt", o->output);
    c->resume = o->resume;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv_file(h, o->model);
    h = fnv_file(h, o->data);
    h = fnv_file(h, o->background);
    h = fnv_file(h, o->background_indices ? o->background_indices : "");
    int64_t params[] = {R, n_k, block, chunk, (int64_t)o->background_seed, o->classes, o->rules, o->store,
                        o->persons_each, o->n_list, o->allow_tf32, o->class_seeds, CKPT_VERSION};
    h = fnv(h, params, sizeof params);
    h = fnv(h, o->list, sizeof(int) * (size_t)o->n_list);
    h = fnv(h, backend, strlen(backend) + 1);
    h = fnv(h, DSHAP_VERSION, sizeof DSHAP_VERSION);
    c->fingerprint = h;
    dshap_status st = DSHAP_OK;
    if (d->rank == 0) {
        if (!c->resume) clear_dir(c->dir);
        if (mkdir(c->dir, 0755) != 0 && errno != EEXIST)
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot create the checkpoint folder (%s)", c->dir,
                            strerror(errno));
        if (!st) st = job_file(c);
    }
    return dist_agree(d, st);
}

/* Why unit file f cannot be used, or NULL when r now holds its payload. */
static const char *read_unit(FILE *f, const checkpoint *c, int64_t u, unit_result *r) {
    ckpt_header h;
    if (fread(&h, sizeof h, 1, f) != 1) return "shorter than its header";
    if (h.magic != CKPT_MAGIC) return "not a dshap checkpoint unit";
    if (h.version != CKPT_VERSION) return "written by another checkpoint version";
    if (h.len != r->len) return "of another size than this job's unit";
    if (fread(r->buf, sizeof(double), (size_t)r->len, f) != (size_t)r->len) return "truncated";
    if (fgetc(f) != EOF) return "longer than its payload";
    if (unit_checksum(&h, r->buf, r->len) != h.checksum) return "checksum mismatch (damaged)";
    if (h.unit != u) return "holds another unit";
    if (h.fingerprint != c->fingerprint) return "of another job";
    return NULL;
}

dshap_status ckpt_load(checkpoint *c, int64_t u, unit_result *r, int *loaded) {
    *loaded = 0;
    if (!c->resume) return DSHAP_OK;
    char *p = unit_path(c, u, "");
    if (!p) FAIL(DSHAP_ENOMEM, "%s: out of memory", c->dir);
    FILE *f = fopen(p, "rb");
    if (f) {
        const char *why = read_unit(f, c, u, r);
        fclose(f);
        if (why) {
            /* the buffer may hold part of the bad payload: the caller recomputes it whole */
            fprintf(stderr, "dshap explain: warning: %s: %s; recomputing this work unit\n", p, why);
            c->rejected++;
        } else {
            *loaded = 1;
            c->loaded++;
        }
    }
    free(p);
    return DSHAP_OK;
}

dshap_status ckpt_save(checkpoint *c, int64_t u, const unit_result *r) {
    char *p = unit_path(c, u, ""), *tmp = unit_path(c, u, ".tmp");
    dshap_status st = DSHAP_OK;
    if (!p || !tmp) {
        st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "%s: out of memory", c->dir);
    } else {
        ckpt_header h = {CKPT_MAGIC, CKPT_VERSION, c->fingerprint, u, r->len, 0};
        h.checksum = unit_checksum(&h, r->buf, r->len);
        if (!write_all(tmp, &h, sizeof h, r->buf, sizeof(double) * (size_t)r->len) || rename(tmp, p) != 0) {
            int e = errno;
            remove(tmp);
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: writing the checkpoint failed (%s)", p, strerror(e));
        } else {
            c->saved++;
        }
    }
    free(p);
    free(tmp);
    return st;
}

void ckpt_remove(dist_ctx *d, checkpoint *c) {
    MPI_Barrier(d->comm);
    if (d->rank == 0 && c->dir) {
        clear_dir(c->dir);
        rmdir(c->dir);
    }
}

void ckpt_close(checkpoint *c) {
    free(c->dir);
    c->dir = NULL;
}
