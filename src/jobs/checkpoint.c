#include "jobs/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC 0x54504b4350414853ull /* "SHAPCKPT" */
#define CKPT_VERSION 1

typedef struct {
    uint64_t magic, version, fingerprint;
    int64_t unit, len;
} ckpt_header;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
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

static void clear_dir(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *e;
    char p[4200];
    while ((e = readdir(dd)))
        if (!strncmp(e->d_name, "unit-", 5)) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            remove(p);
        }
    closedir(dd);
}

dshap_status ckpt_open(dist_ctx *d, checkpoint *c, const explain_opts *o, int R, int n_k, int block, int chunk) {
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s.ckpt", o->output);
    c->resume = o->resume;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv_file(h, o->model);
    h = fnv_file(h, o->data);
    h = fnv_file(h, o->background);
    h = fnv_file(h, o->background_indices ? o->background_indices : "");
    int64_t params[] = {R, n_k, block, chunk, (int64_t)o->background_seed, o->classes, o->rules, o->store,
                        o->persons_each, o->n_list};
    h = fnv(h, params, sizeof params);
    h = fnv(h, o->list, sizeof(int) * (size_t)o->n_list);
    c->fingerprint = h;
    dshap_status st = DSHAP_OK;
    if (d->rank == 0) {
        if (!c->resume) clear_dir(c->dir);
        if (mkdir(c->dir, 0755) != 0 && errno != EEXIST)
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot create the checkpoint folder (%s)", c->dir,
                            strerror(errno));
    }
    return dist_agree(d, st);
}

static void unit_path(const checkpoint *c, int64_t u, char *out, size_t cap) {
    snprintf(out, cap, "%s/unit-%08lld.bin", c->dir, (long long)u);
}

dshap_status ckpt_load(checkpoint *c, int64_t u, unit_result *r, int *loaded) {
    *loaded = 0;
    if (!c->resume) return DSHAP_OK;
    char p[4200];
    unit_path(c, u, p, sizeof p);
    FILE *f = fopen(p, "rb");
    if (!f) return DSHAP_OK;
    ckpt_header h;
    int ok = fread(&h, sizeof h, 1, f) == 1;
    if (ok && (h.magic != CKPT_MAGIC || h.version != CKPT_VERSION || h.unit != u || h.len != r->len)) ok = 0;
    if (ok && h.fingerprint != c->fingerprint) {
        fclose(f);
        FAIL(DSHAP_EINVAL, "%s: the checkpoint belongs to another job (different files or parameters); "
                           "remove it or run without --resume", c->dir);
    }
    if (ok) ok = fread(r->buf, sizeof(double), (size_t)r->len, f) == (size_t)r->len;
    fclose(f);
    if (!ok) FAIL(DSHAP_EFORMAT, "%s: damaged checkpoint unit; remove the folder or run without --resume", p);
    *loaded = 1;
    c->loaded++;
    return DSHAP_OK;
}

dshap_status ckpt_save(checkpoint *c, int64_t u, const unit_result *r) {
    char p[4200], tmp[4300];
    unit_path(c, u, p, sizeof p);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) FAIL(DSHAP_EIO, "%s: cannot write checkpoint (%s)", tmp, strerror(errno));
    ckpt_header h = {CKPT_MAGIC, CKPT_VERSION, c->fingerprint, u, r->len};
    size_t want = sizeof h + sizeof(double) * (size_t)r->len;
    ssize_t w1 = write(fd, &h, sizeof h);
    ssize_t w2 = write(fd, r->buf, sizeof(double) * (size_t)r->len);
    int ok = w1 == (ssize_t)sizeof h && w2 >= 0 && (size_t)(w1 + w2) == want && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, p) != 0) {
        remove(tmp);
        FAIL(DSHAP_EIO, "%s: writing the checkpoint failed (disk full?)", p);
    }
    c->saved++;
    return DSHAP_OK;
}

void ckpt_remove(dist_ctx *d, checkpoint *c) {
    MPI_Barrier(d->comm);
    if (d->rank == 0) {
        clear_dir(c->dir);
        rmdir(c->dir);
    }
}
