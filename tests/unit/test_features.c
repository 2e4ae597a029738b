/* J/V/B/A features against the float64 numpy/scipy reference of MODEL.md
 * (tests/reference/gen_features.py): synthetic motion for every layout (with
 * an absent second person, zero bones and axis-aligned bones), a short T that
 * needs the reduced filter padlen, and a real preprocessed NTU sample.
 * Tolerance 1e-5 relative (|a−b| / max(1, |b|)) on every channel, bone angles
 * included: features are computed in double, so arccos near ±1 only sees the
 * final float32 rounding. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "data/features.h"
#include "io/h5io.h"
#include "testlib.h"

#define TOL 1e-5

static const char *branch_name[4] = {"J", "V", "B", "A"};

/* Compare (n, 4, 2C, T, V, M) branch by branch, first and second channel
 * halves apart (the angle channels are B's second half). */
static double compare(const char *what, const float *got, const float *want, int64_t n, int C, int T, int V, int M) {
    size_t half = (size_t)C * T * V * M;
    double worst = 0;
    for (int b = 0; b < 4; b++)
        for (int h = 0; h < 2; h++) {
            double e = 0;
            for (int64_t i = 0; i < n; i++) {
                size_t off = ((size_t)i * 4 + b) * 2 * half + h * half;
                for (size_t j = 0; j < half; j++) {
                    double d = fabs((double)got[off + j] - want[off + j]) / fmax(1.0, fabs(want[off + j]));
                    if (!(d <= e)) e = isnan(d) ? INFINITY : d;
                }
            }
            printf("%-22s %s[%s]: max rel error %.3g\n", what, branch_name[b], h ? "C:2C" : "0:C", e);
            EXPECT(e <= TOL, "%s: branch %s channels %s differ by %.3g", what, branch_name[b], h ? "C:2C" : "0:C", e);
            worst = fmax(worst, e);
        }
    return worst;
}

static void check_group(const h5file *f, const char *g) {
    char path[256], *layout = NULL;
    long long T;
    snprintf(path, sizeof path, "/%s", g);
    EXPECT_OK(h5io_read_attr_str(f, path, "layout", &layout));
    EXPECT_OK(h5io_read_attr_int(f, path, "T", &T));
    if (!layout) return;
    const dshap_layout *L = layout_find(layout);
    EXPECT(L != NULL, "unknown layout %s", layout);
    int64_t dr[5] = {-1, -1, -1, -1, -1}, df[6] = {-1, 4, -1, T, -1, -1};
    float *raw = NULL, *want = NULL, *got = NULL;
    snprintf(path, sizeof path, "/%s/raw", g);
    EXPECT_OK(h5io_read_f32(f, path, 5, dr, &raw));
    snprintf(path, sizeof path, "/%s/features", g);
    EXPECT_OK(h5io_read_f32(f, path, 6, df, &want));
    if (L && raw && want) {
        int C = (int)dr[1], Traw = (int)dr[2], M = (int)dr[4];
        EXPECT_OK(dshap_alloc_floats(&got, (size_t)(df[0] * df[1] * df[2] * df[3] * df[4] * df[5]), "features"));
        EXPECT_OK(features_compute(got, raw, dr[0], L, C, Traw, (int)T, M));
        char what[64];
        snprintf(what, sizeof what, "%s (T = %lld)", g, T);
        compare(what, got, want, dr[0], C, (int)T, L->V, M);
    }
    dshap_free(raw);
    dshap_free(want);
    dshap_free(got);
    dshap_free(layout);
}

static void check_real(const char *fixtures) {
    char path[4096];
    snprintf(path, sizeof path, "%s/features/ntu_real.h5", fixtures);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (f.id < 0) return;
    const char *g = "/files/S017C003P020R002A054";
    int64_t dx[4] = {3, 300, 25, 2}, df[5] = {4, 6, 150, 25, 2};
    float *x = NULL, *want = NULL, *got = NULL;
    snprintf(path, sizeof path, "%s/x", g);
    EXPECT_OK(h5io_read_f32(&f, path, 4, dx, &x));
    snprintf(path, sizeof path, "%s/features150", g);
    EXPECT_OK(h5io_read_f32(&f, path, 5, df, &want));
    EXPECT_OK(dshap_alloc_floats(&got, 4 * 6 * 150 * 25 * 2, "features"));
    if (x && want && got) {
        EXPECT_OK(features_compute(got, x, 1, layout_find("ntu25"), 3, 300, 150, 2));
        compare("NTU A054 (T = 150)", got, want, 1, 3, 150, 25, 2);
    }
    dshap_free(x);
    dshap_free(want);
    dshap_free(got);
    h5io_close(&f);
}

/* MODEL.md's stated values: an absent second person has bone angles π/2. */
static void check_absent_person(void) {
    const dshap_layout *L = layout_find("ntu25");
    float raw[3 * 30 * 25 * 2] = {0}, *out = NULL;
    for (int c = 0; c < 3; c++)
        for (int t = 0; t < 30; t++)
            for (int v = 0; v < 25; v++) raw[((c * 30 + t) * 25 + v) * 2] = (float)(0.1 * v + 0.01 * t + c);
    EXPECT_OK(dshap_alloc_floats(&out, 4 * 6 * 30 * 25 * 2, "features"));
    EXPECT_OK(features_compute(out, raw, 1, L, 3, 30, 30, 2));
    int bad = 0;
    for (int c = 3; c < 6; c++)
        for (int t = 0; t < 30; t++)
            for (int v = 0; v < 25; v++)
                bad += fabsf(out[(((2 * 6 + c) * 30 + t) * 25 + v) * 2 + 1] - (float)(M_PI / 2)) > 0;
    EXPECT(bad == 0, "%d angle values of the absent person are not pi/2", bad);
    /* V and A: the last two frames stay zero. */
    for (int b = 1; b < 4; b += 2)
        for (int c = 0; c < 6; c++)
            for (int t = 28; t < 30; t++)
                for (int v = 0; v < 25; v++) bad += out[(((b * 6 + c) * 30 + t) * 25 + v) * 2] != 0;
    EXPECT(bad == 0, "%d values of the last two V/A frames are not zero", bad);
    EXPECT(features_compute(out, raw, 1, L, 3, 30, 31, 2) == DSHAP_EINVAL, "T > stored frames accepted");
    EXPECT(features_padlen(150) == 27 && features_padlen(28) == 27 && features_padlen(27) == 26 && features_padlen(1) == 0,
           "padlen rule");
    dshap_free(out);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_features FIXTURES");
    char path[4096];
    snprintf(path, sizeof path, "%s/features/synth_features.h5", argv[1]);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (f.id >= 0) {
        const char *groups[] = {"ntu25", "ntu25_short", "cp29", "cp19"};
        for (int i = 0; i < 4; i++) check_group(&f, groups[i]);
        h5io_close(&f);
    }
    check_real(argv[1]);
    check_absent_person();
    return tl_finish("test_features");
}
