/* NTU sample names, benchmark splits, the official skip lists and folder
 * listings (the bookkeeping around the importer). */
#include "data/ntu_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (len != NTU_NAME_LEN && !(len == NTU_NAME_LEN + 9 && strcmp(base + NTU_NAME_LEN, ".skeleton") == 0)) return 0;
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

int ntu_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

dshap_status strlist_add(strlist *l, const char *s, size_t len) {
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

void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The official lists have a short prose header; every line that is exactly a
 * sample name counts, the rest is ignored. */
dshap_status ntu_read_skip_list(const char *path, strlist *l) {
    FILE *fp = fopen(path, "r");
    if (!fp) FAIL(DSHAP_EIO, "%s: cannot open skip list (%s)", path, strerror(errno));
    char line[512];
    dshap_status st = DSHAP_OK;
    while (!st && fgets(line, sizeof line, fp)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strcspn(p, " \t\r\n");
        ntu_name nm;
        char name[NTU_NAME_LEN + 1];
        if (n != NTU_NAME_LEN) continue;
        memcpy(name, p, NTU_NAME_LEN);
        name[NTU_NAME_LEN] = '\0';
        if (ntu_name_parse(name, &nm)) st = strlist_add(l, name, NTU_NAME_LEN);
    }
    fclose(fp);
    if (!st && l->n == 0) FAIL(DSHAP_EFORMAT, "%s: no sample names (SsssCcccPpppRrrrAaaa) in the skip list", path);
    if (!st && l->n) qsort(l->v, l->n, sizeof *l->v, ntu_cmp_str);
    return st;
}

dshap_status ntu_list_dir(const char *dir, strlist *l, ntu_import_report *r) {
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
    if (!st && l->n) qsort(l->v, l->n, sizeof *l->v, ntu_cmp_str); /* an empty folder: no list to sort (qsort of NULL is UB) */
    return st;
}
