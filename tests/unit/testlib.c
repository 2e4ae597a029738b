#include "testlib.h"

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
