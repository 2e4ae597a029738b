#include "testlib.h"

#include <math.h>
#include <stdlib.h>

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
