/* .skeleton parser and NTU preprocessing on the committed corpora:
 * - skeleton_good/: edge cases the real samples lack (0-body frames at the
 *   start and in the middle, 3 bodies, energy swap, changing body counts,
 *   CRLF + exponents + tabs, one frame, all-zero joints): counts and raw slots
 *   must equal the numpy reader's, the preprocessed /x the numpy reference
 *   (tests/reference/gen_features.py) to 1e-6;
 * - skeleton_bad/: every file fails with the MANIFEST's reason and one line
 *   "<file>:<line>: <problem>";
 * - the same content with LF and CRLF line ends parses identically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "data/ntu_prep.h"
#include "data/skeleton.h"
#include "io/h5io.h"
#include "testlib.h"

#define T_MAX 300

static const char *reason_names[SK_NREASONS] = {"OK", "IO", "TRUNC", "TOKENS", "NUMBER", "RANGE",
                                                "FRAMES", "BODIES", "JOINTS", "TRAILING", "LINE"};

static dshap_status parse_path(const char *dir, const char *file, sk_sample *s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "rb");
    if (!fp) return dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot open", path);
    dshap_status st = skeleton_read(fp, file, s);
    fclose(fp);
    return st;
}

static void check_good(const char *fixtures, sk_sample *s) {
    static const char *names[] = {"S001C002P001R001A001", "S001C002P001R001A002", "S001C002P001R001A003",
                                  "S001C002P001R001A004", "S001C002P001R001A005", "S001C002P001R001A006",
                                  "S001C002P001R001A007"};
    char dir[4096], path[4096];
    snprintf(dir, sizeof dir, "%s/skeleton_good", fixtures);
    snprintf(path, sizeof path, "%s/reference.h5", dir);
    h5file f;
    EXPECT_OK(h5io_open_any(&f, path));
    if (f.id < 0) return;
    float *x = malloc(sizeof(float) * 3 * T_MAX * 25 * 2);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char file[64], g[64];
        long long frames, maxb, ids, hist[7];
        snprintf(file, sizeof file, "%s.skel.txt", names[i]);
        snprintf(g, sizeof g, "/%s", names[i]);
        EXPECT_OK(parse_path(dir, file, s));
        EXPECT_OK(h5io_read_attr_int(&f, g, "frames", &frames));
        EXPECT_OK(h5io_read_attr_int(&f, g, "max_bodies", &maxb));
        EXPECT_OK(h5io_read_attr_int(&f, g, "distinct_ids", &ids));
        hid_t a = H5Aopen_by_name(f.id, g, "hist", H5P_DEFAULT, H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_LLONG, hist);
        H5Aclose(a);
        EXPECT(s->frames == frames, "%s: %d frames, reference %lld", file, s->frames, frames);
        EXPECT(s->max_bodies == maxb, "%s: max bodies %d, reference %lld", file, s->max_bodies, maxb);
        EXPECT(s->n_ids == ids, "%s: %d distinct body ids, reference %lld", file, s->n_ids, ids);
        for (int k = 0; k < 7; k++) EXPECT(s->hist[k] == hist[k], "%s: %d frames with %d bodies, reference %lld", file, s->hist[k], k, hist[k]);
        /* Raw slots (2, frames, 25, 3) must equal numpy's float(token) → float32. */
        int64_t dr[4] = {2, frames, 25, 3}, dx[4] = {3, T_MAX, 25, 2};
        float *raw = NULL, *want = NULL;
        snprintf(path, sizeof path, "%s/raw", g);
        EXPECT_OK(h5io_read_f32(&f, path, 4, dr, &raw));
        snprintf(path, sizeof path, "%s/x", g);
        EXPECT_OK(h5io_read_f32(&f, path, 4, dx, &want));
        if (!raw || !want) continue;
        int bad = 0;
        for (int m = 0; m < 2; m++)
            for (long long t = 0; t < frames; t++)
                for (int k = 0; k < 75; k++)
                    bad += s->xyz[((size_t)m * T_MAX + t) * 75 + k] != raw[((size_t)m * frames + t) * 75 + k];
        EXPECT(bad == 0, "%s: %d raw values differ from numpy's", file, bad);
        ntu_preprocess(s->xyz, T_MAX, s->frames, s->hist[2] > 0);
        ntu_to_ctvm(s->xyz, T_MAX, x);
        double worst = 0;
        for (size_t k = 0; k < (size_t)3 * T_MAX * 50; k++) worst = fmax(worst, fabs((double)x[k] - want[k]));
        printf("%s: preprocessed max |diff| %.3g\n", file, worst);
        EXPECT(worst <= 1e-6, "%s: preprocessing differs from the reference by %.3g", file, worst);
        dshap_free(raw);
        dshap_free(want);
    }
    free(x);
    h5io_close(&f);
}

static void check_bad(const char *fixtures, sk_sample *s) {
    char dir[4096], path[4096], line[512];
    snprintf(dir, sizeof dir, "%s/skeleton_bad", fixtures);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *m = fopen(path, "r");
    EXPECT(m != NULL, "cannot open %s", path);
    if (!m) return;
    int n = 0;
    while (fgets(line, sizeof line, m)) {
        char file[256], want[32];
        if (line[0] == '#' || sscanf(line, "%255s %31s", file, want) != 2) continue;
        n++;
        dshap_clear_error();
        dshap_status st = parse_path(dir, file, s);
        const char *msg = dshap_last_error();
        EXPECT(st == DSHAP_EFORMAT, "%s: parsed with status %d (expected a format error)", file, st);
        EXPECT(!strcmp(reason_names[s->reason], want), "%s: reason %s, MANIFEST says %s (%s)", file,
               reason_names[s->reason], want, msg);
        EXPECT(strncmp(msg, file, strlen(file)) == 0 && msg[strlen(file)] == ':', "%s: message does not start with the file name: %s", file, msg);
        EXPECT(strchr(msg, '\n') == NULL && strchr(msg, '\r') == NULL, "%s: message spans lines", file);
        EXPECT(s->line > 0, "%s: no line number", file);
        printf("  %-38s %-8s %s\n", file, reason_names[s->reason], msg);
    }
    fclose(m);
    EXPECT(n >= 20, "only %d malformed files in the corpus", n);
}

/* LF and CRLF copies of one file must give identical samples. */
static void check_line_ends(const char *fixtures, sk_sample *s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/skeleton_good/S001C002P001R001A005.skel.txt", fixtures);
    FILE *fp = fopen(path, "rb");
    EXPECT(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    char *crlf = malloc(1 << 20), *lf = malloc(1 << 20);
    size_t n = fread(crlf, 1, (1 << 20) - 1, fp), k = 0;
    fclose(fp);
    for (size_t i = 0; i < n; i++)
        if (crlf[i] != '\r') lf[k++] = crlf[i];
    EXPECT(k < n, "the CRLF fixture has no CR");
    float *a = malloc(sizeof(float) * 2 * T_MAX * 75);
    FILE *m1 = fmemopen(crlf, n, "rb"), *m2 = fmemopen(lf, k, "rb");
    EXPECT_OK(skeleton_read(m1, "crlf", s));
    memcpy(a, s->xyz, sizeof(float) * 2 * T_MAX * 75);
    int frames = s->frames;
    EXPECT_OK(skeleton_read(m2, "lf", s));
    EXPECT(frames == s->frames && memcmp(a, s->xyz, sizeof(float) * 2 * T_MAX * 75) == 0, "CRLF and LF parse differently");
    fclose(m1);
    fclose(m2);
    free(a);
    free(crlf);
    free(lf);
}

/* The parser's number conversion (a fast path for short significands) must
 * give exactly (float)strtod(token) for any decimal token: random tokens with
 * 1..18 digits, any point position, optional exponents -40..40. */
static void check_numbers(sk_sample *s) {
    rng_t r;
    rng_seed(&r, 42);
    char *text = malloc(1 << 16);
    char tok[75][48];
    int bad = 0, total = 0;
    for (int rep = 0; rep < 400; rep++) {
        int n = snprintf(text, 1 << 16, "1\n1\n72057594037931101 0 1 1 1 1 0 0 0 2\n25\n");
        for (int j = 0; j < 25; j++) {
            for (int c = 0; c < 3; c++) {
                char *t = tok[j * 3 + c];
                int nd = 1 + (int)rng_below(&r, 18), point = (int)rng_below(&r, (uint64_t)nd + 2), k = 0;
                if (rng_below(&r, 2)) t[k++] = rng_below(&r, 2) ? '-' : '+';
                for (int d = 0; d < nd; d++) {
                    if (d == point) t[k++] = '.';
                    t[k++] = (char)('0' + rng_below(&r, 10));
                }
                if (point == nd && rng_below(&r, 2)) t[k++] = '.';
                if (rng_below(&r, 3) == 0) k += sprintf(t + k, "%c%d", rng_below(&r, 2) ? 'E' : 'e', (int)rng_below(&r, 81) - 40);
                t[k] = '\0';
                if (!isfinite((float)strtod(t, NULL))) strcpy(t, "1.5");
            }
            n += snprintf(text + n, (1 << 16) - n, "%s %s %s 1 1 1 1 0 0 0 0 2\n", tok[j * 3], tok[j * 3 + 1], tok[j * 3 + 2]);
        }
        FILE *fp = fmemopen(text, (size_t)n, "rb");
        EXPECT_OK(skeleton_read(fp, "numbers", s));
        fclose(fp);
        for (int i = 0; i < 75; i++, total++) {
            float want = (float)strtod(tok[i], NULL);
            if (memcmp(&want, &s->xyz[i], sizeof want) != 0) {
                if (bad++ < 5) fprintf(stderr, "token %s: parsed %.9g, strtod %.9g\n", tok[i], s->xyz[i], want);
            }
        }
    }
    EXPECT(bad == 0, "%d of %d tokens convert differently from strtod", bad, total);
    printf("number conversion: %d random tokens, %d differ from (float)strtod\n", total, bad);
    free(text);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_skeleton FIXTURES");
    sk_sample s = {.T_max = T_MAX};
    s.xyz = malloc(sizeof(float) * SK_SLOTS * T_MAX * SK_JOINTS * 3);
    check_good(argv[1], &s);
    check_bad(argv[1], &s);
    check_line_ends(argv[1], &s);
    check_numbers(&s);
    free(s.xyz);
    return tl_finish("test_skeleton");
}
