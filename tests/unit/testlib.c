#include "testlib.h"

#include "core/rng.h"
#include "io/h5io.h"

#include <math.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

int tl_checks, tl_failures;

int tl_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, tl_checks - tl_failures, tl_failures);
    return tl_failures ? 1 : 0;
}

void tl_skip(const char *reason) {
    printf("SKIP: %s\n", reason);
    exit(77);
}

double tl_max_rel_err(const float *a, const double *b, long long n, long long *where) {
    double worst = 0;
    long long w = 0;
    for (long long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs(b[i]));
        if (!(d <= worst)) { /* NaN counts as worst */
            worst = isnan(d) ? INFINITY : d;
            w = i;
        }
    }
    if (where) *where = w;
    return worst;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int tl_list_fixtures(const char *dir, const char *suffix, char **names, int cap) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t ls = strlen(suffix);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        size_t len = strlen(e->d_name);
        if (len <= ls || strcmp(e->d_name + len - ls, suffix)) continue;
        /* "x.h5" must not also match "x.model.h5" */
        if (!strcmp(suffix, ".h5") && len > 9 && !strcmp(e->d_name + len - 9, ".model.h5")) continue;
        names[n++] = strndup(e->d_name, len - ls);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_name);
    return n;
}

void tl_free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
}

int tl_each_fixture(const char *dir, const char *suffix, void (*check)(const char *arg, const char *name),
                    const char *arg) {
    char *names[64];
    int n = tl_list_fixtures(dir, suffix, names, 64);
    if (n < 0) {
        fprintf(stderr, "no fixtures in %s\n", dir);
        return -1;
    }
    for (int i = 0; i < n; i++) check(arg, names[i]);
    tl_free_names(names, n);
    return n;
}

void tl_write_inputs(const char *path, const char *layout, int n, int C2, int T, int V, int M, int K, uint64_t seed) {
    h5file f;
    h5io_create(&f, path, H5P_DEFAULT);
    h5io_write_attr_str(&f, "/", "format", "dshap-inputs");
    h5io_write_attr_int(&f, "/", "format_version", 1);
    h5io_write_attr_str(&f, "/", "layout", layout);
    int64_t dims[6] = {n, 4, C2, T, V, M}, cnt = (int64_t)n * 4 * C2 * T * V * M;
    float *x = malloc(sizeof(float) * (size_t)cnt);
    int32_t *y = malloc(sizeof(int32_t) * (size_t)n);
    rng_t r;
    rng_seed(&r, seed);
    for (int64_t i = 0; i < cnt; i++) x[i] = (float)(0.5 * rng_normal(&r));
    for (int i = 0; i < n; i++) y[i] = i % K;
    h5io_write_f32(&f, "/x", 6, dims, x);
    int64_t dn = n;
    h5io_write_i32(&f, "/y", 1, &dn, y);
    h5io_close(&f);
    free(x);
    free(y);
}

int tl_open_fixture(const char *name, const char *model_path, const char *data_path, dshap_model *m, dshap_net *net,
                    h5file *f, float **x, int64_t *N) {
    dshap_status st = model_load(m, model_path);
    if (!st && (st = net_build(net, m))) model_free(m);
    EXPECT(st == DSHAP_OK, "%s: %s", name, dshap_last_error());
    if (st) return 1;
    const dshap_arch *a = &m->arch;
    int64_t dx[6] = {-1, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    *x = NULL;
    if ((st = h5io_open_any(f, data_path)) == DSHAP_OK && (st = h5io_read_f32(f, "/x", 6, dx, x)) != DSHAP_OK)
        h5io_close(f);
    EXPECT(st == DSHAP_OK, "%s: %s", name, dshap_last_error());
    if (st) {
        net_free(net);
        model_free(m);
        return 1;
    }
    *N = dx[0];
    return 0;
}
