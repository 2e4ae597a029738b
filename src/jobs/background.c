#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/rng.h"
#include "jobs/explain.h"

static dshap_status read_indices(const char *file, int64_t N, int64_t **rows, int *n_out) {
    FILE *f = fopen(file, "r");
    if (!f) FAIL(DSHAP_EIO, "%s: cannot open background index file", file);
    int cap = 128, n = 0;
    int64_t *r = malloc(sizeof *r * (size_t)cap);
    char tok[64];
    dshap_status st = DSHAP_OK;
    while (!st && fscanf(f, "%63s", tok) == 1) {
        char *end;
        errno = 0;
        long long v = strtoll(tok, &end, 10);
        if (errno || *end || v < 0 || v >= N) {
            st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s' is not a row index in [0, %lld)", file, tok,
                            (long long)N);
            break;
        }
        for (int i = 0; i < n; i++)
            if (r[i] == v) st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: index %lld is listed twice", file, v);
        if (n == cap) r = realloc(r, sizeof *r * (size_t)(cap *= 2));
        r[n++] = v;
    }
    fclose(f);
    if (!st && n == 0) st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: no background indices", file);
    if (st) {
        free(r);
        return st;
    }
    *rows = r;
    *n_out = n;
    return DSHAP_OK;
}

dshap_status background_select(const char *bg_path, int64_t N, int n, uint64_t seed, const char *file, int64_t **rows,
                               int *n_out) {
    if (file) return read_indices(file, N, rows, n_out);
    if (n < 1) FAIL(DSHAP_EINVAL, "--n-background must be at least 1");
    if (n > N) FAIL(DSHAP_EINVAL, "--n-background %d: %s has only %lld samples", n, bg_path, (long long)N);
    int64_t *perm;
    TRY(dshap_calloc((void **)&perm, (size_t)N, sizeof *perm, "background permutation"));
    for (int64_t i = 0; i < N; i++) perm[i] = i;
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int64_t j = i + (int64_t)rng_below(&r, (uint64_t)(N - i));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    *rows = perm;
    *n_out = n;
    return DSHAP_OK;
}
