#include "data/npy_import.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "io/data_write.h"
#include "io/npy.h"

#define BATCH 32

static dshap_status check_vector(const npy_file *f, int64_t N, const char *what) {
    if (f->rank != 1 || f->shape[0] != N) {
        char got[96];
        FAIL(DSHAP_EFORMAT, "%s: %s have shape %s, expected (%lld,) to match X", f->path, what,
             fmt_shape(f->rank, f->shape, got, sizeof got), (long long)N);
    }
    if (f->kind != 'i') FAIL(DSHAP_EFORMAT, "%s: %s must be int32 or int64, found %s", f->path, what, npy_dtype_name(f));
    return DSHAP_OK;
}

dshap_status npy_import(const npy_import_opts *a, int64_t *n_out, int64_t *n_empty) {
    *n_out = *n_empty = 0;
    npy_file X = {0}, Y = {0}, G = {0};
    data_writer w;
    int opened = 0;
    float *x = NULL;
    int32_t y[BATCH], len[BATCH], g[BATCH];
    char *names[BATCH] = {0};
    dshap_status st = DSHAP_OK;
    CHECK(npy_open(&X, a->x));
    CHECK(npy_open(&Y, a->y));
    if (a->g) CHECK(npy_open(&G, a->g));
    if (X.kind != 'f') CHECK_FAIL(DSHAP_EFORMAT, "%s: joints must be float32 or float64, found %s", a->x, npy_dtype_name(&X));
    if (X.rank != 5 || X.shape[1] != a->L->C || X.shape[3] != a->L->V || X.shape[2] < 1 || X.shape[4] < 1) {
        char got[96];
        CHECK_FAIL(DSHAP_EFORMAT, "%s: shape %s, expected (N, %d, T, %d, M) for layout %s", a->x,
                   fmt_shape(X.rank, X.shape, got, sizeof got), a->L->C, a->L->V, a->L->name);
    }
    int64_t N = X.shape[0];
    int C = (int)X.shape[1], T = (int)X.shape[2], V = (int)X.shape[3], M = (int)X.shape[4];
    if (N < 1) CHECK_FAIL(DSHAP_EFORMAT, "%s: holds no samples", a->x);
    CHECK(check_vector(&Y, N, "labels"));
    if (a->g) CHECK(check_vector(&G, N, "group ids"));
    size_t per = (size_t)C * T * V * M;
    CHECK(dshap_alloc_floats(&x, per * BATCH, "sample batch"));
    for (int i = 0; i < BATCH; i++) CHECK(dshap_alloc((void **)&names[i], 64, "names"));
    CHECK(data_writer_open(&w, a->out, C, T, V, M, a->g != NULL));
    opened = 1;
    const char *base = strrchr(a->x, '/') ? strrchr(a->x, '/') + 1 : a->x;
    for (int64_t i0 = 0; i0 < N; i0 += BATCH) {
        int b = N - i0 < BATCH ? (int)(N - i0) : BATCH;
        CHECK(npy_read_f32(&X, (int64_t)per * b, x));
        CHECK(npy_read_i32(&Y, b, y));
        if (a->g) CHECK(npy_read_i32(&G, b, g));
        for (int j = 0; j < b; j++) {
            const float *s = x + j * per;
            if (y[j] < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: label %d of sample %lld is negative", a->y, y[j], (long long)(i0 + j));
            len[j] = 0;
            for (size_t k = 0; k < per; k++) {
                if (!isfinite(s[k]))
                    CHECK_FAIL(DSHAP_ENUMERIC, "%s: sample %lld contains NaN or Inf", a->x, (long long)(i0 + j));
                /* (C, T, V, M): frame index of element k */
                int t = (int)((k / ((size_t)V * M)) % (size_t)T);
                if (s[k] != 0 && t + 1 > len[j]) len[j] = t + 1;
            }
            *n_empty += len[j] == 0;
            snprintf(names[j], 64, "%s#%lld", base, (long long)(i0 + j));
        }
        CHECK(data_writer_append(&w, b, x, y, len, names, a->g ? g : NULL));
    }
    data_attrs at = {.layout = a->L->name, .benchmark = a->benchmark ? a->benchmark : "npy",
                     .split = a->split ? a->split : "all", .source = a->x};
    opened = 0;
    CHECK(data_writer_commit(&w, &at));
    *n_out = N;
done:
    if (opened) data_writer_abort(&w);
    npy_close(&X);
    npy_close(&Y);
    npy_close(&G);
    dshap_free(x);
    for (int i = 0; i < BATCH; i++) dshap_free(names[i]);
    return st;
}
