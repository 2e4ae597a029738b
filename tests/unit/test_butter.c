/* Butterworth design and zero-phase filtering against scipy (fixture
 * features/butter.h5 from tests/reference/gen_features.py):
 * - butter(N, Wn, output='sos') and sosfilt_zi to 1e-12 (absolute below 1,
 *   relative above; the near-zero a1 terms are ~1e-17 rounding residue);
 * - sosfiltfilt with default padlen, and padlen = n-1 for short signals,
 *   to 1e-10 relative to the signal's scale. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/butter.h"
#include "io/h5io.h"
#include "testlib.h"

static double max_err(const double *a, const double *b, long long n, double scale) {
    double w = 0;
    for (long long i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]) / fmax(scale, fabs(b[i]));
        if (!(d <= w)) w = isnan(d) ? INFINITY : d;
    }
    return w;
}

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    char **list = op;
    for (int i = 0; i < 32; i++)
        if (!list[i]) {
            list[i] = strdup(name);
            break;
        }
    return 0;
}

static void list_group(const h5file *f, const char *group, char *names[32]) {
    memset(names, 0, 32 * sizeof *names);
    hid_t g = H5Gopen2(f->id, group, H5P_DEFAULT);
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, visit, names);
    H5Gclose(g);
}

static void check_designs(const h5file *f) {
    char *names[32];
    list_group(f, "/design", names);
    int n = 0;
    for (int i = 0; names[i]; i++, n++) {
        char path[256];
        long long order;
        double *sos = NULL, *zi = NULL, wn;
        snprintf(path, sizeof path, "/design/%s", names[i]);
        EXPECT_OK(h5io_read_attr_int(f, path, "order", &order));
        hid_t a = H5Aopen_by_name(f->id, path, "wn", H5P_DEFAULT, H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_DOUBLE, &wn);
        H5Aclose(a);
        int64_t d[2] = {order / 2, 6}, dz[2] = {order / 2, 2};
        snprintf(path, sizeof path, "/design/%s/sos", names[i]);
        EXPECT_OK(h5io_read_f64(f, path, 2, d, &sos));
        snprintf(path, sizeof path, "/design/%s/zi", names[i]);
        EXPECT_OK(h5io_read_f64(f, path, 2, dz, &zi));
        butter_sos b;
        EXPECT_OK(butter_lowpass(&b, (int)order, wn));
        EXPECT(b.n_sections == order / 2, "%s: %d sections", names[i], b.n_sections);
        EXPECT(b.padlen == 3 * (order + 1), "%s: padlen %d", names[i], b.padlen);
        double e_sos = max_err(&b.sos[0][0], sos, order / 2 * 6, 1.0);
        double e_zi = max_err(&b.zi[0][0], zi, order, 1.0);
        printf("butter(%lld, %g): max error sos %.3g, zi %.3g\n", order, wn, e_sos, e_zi);
        EXPECT(e_sos <= 1e-12, "%s: sos differs from scipy by %.3g", names[i], e_sos);
        EXPECT(e_zi <= 1e-12, "%s: sosfilt_zi differs from scipy by %.3g", names[i], e_zi);
        free(names[i]);
        dshap_free(sos);
        dshap_free(zi);
    }
    EXPECT(n >= 5, "only %d designs in the fixture", n);
}

static void check_filtfilt(const h5file *f) {
    butter_sos b;
    EXPECT_OK(butter_lowpass(&b, 8, 0.5));
    char *names[32];
    list_group(f, "/filtfilt", names);
    double worst = 0;
    for (int i = 0; names[i]; i++) {
        char path[256];
        long long padlen;
        double *x = NULL, *y = NULL;
        int64_t d = -1;
        snprintf(path, sizeof path, "/filtfilt/%s", names[i]);
        EXPECT_OK(h5io_read_attr_int(f, path, "padlen", &padlen));
        snprintf(path, sizeof path, "/filtfilt/%s/x", names[i]);
        EXPECT_OK(h5io_read_f64(f, path, 1, &d, &x));
        snprintf(path, sizeof path, "/filtfilt/%s/y", names[i]);
        EXPECT_OK(h5io_read_f64(f, path, 1, &d, &y));
        int n = (int)d, e = padlen < 0 ? b.padlen : (int)padlen;
        double *out = malloc(sizeof(double) * n), *work = malloc(sizeof(double) * (n + 2 * e));
        butter_filtfilt(&b, (int)padlen, x, n, out, work);
        double scale = 0;
        for (int t = 0; t < n; t++) scale = fmax(scale, fabs(y[t]));
        double err = max_err(out, y, n, scale);
        printf("sosfiltfilt n = %4d padlen %2d: max error %.3g (relative to max |y| = %.3g)\n", n, e, err, scale);
        EXPECT(err <= 1e-10, "%s: sosfiltfilt differs from scipy by %.3g", names[i], err);
        worst = fmax(worst, err);
        /* In place (y aliasing x) must give the same result. */
        butter_filtfilt(&b, (int)padlen, x, n, x, work);
        EXPECT(memcmp(x, out, sizeof(double) * n) == 0, "%s: in-place filtering differs", names[i]);
        free(out);
        free(work);
        free(names[i]);
        dshap_free(x);
        dshap_free(y);
    }
    printf("sosfiltfilt: worst %.3g\n", worst);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_butter FIXTURES");
    char path[4096];
    snprintf(path, sizeof path, "%s/features/butter.h5", argv[1]);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (tl_failures) return tl_finish("test_butter");
    check_designs(&f);
    check_filtfilt(&f);
    butter_sos b;
    EXPECT(butter_lowpass(&b, 7, 0.5) == DSHAP_EINVAL, "odd order accepted");
    EXPECT(butter_lowpass(&b, 8, 1.0) == DSHAP_EINVAL, "cutoff 1 accepted");
    h5io_close(&f);
    return tl_finish("test_butter");
}
