/* Import round trips through files written here:
 * - synth → NTU .skeleton text (half CRLF, exponent notation) → import-ntu
 *   --raw gives the synthetic joints bit for bit; with the transforms it gives
 *   ntu_preprocess of them;
 * - .npy (float32/float64 joints, int32/int64 labels and groups, header
 *   versions 1 and 2) → import-npy gives the arrays back; unsupported files
 *   give one clear error and leave no output behind;
 * - a folder of the malformed corpus (renamed to NTU names) plus one good
 *   file: one sample imported, every other file skipped and counted under the
 *   MANIFEST's reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "data/npy_import.h"
#include "data/ntu_import.h"
#include "data/ntu_prep.h"
#include "data/skeleton_write.h"
#include "data/synth.h"
#include "io/data_file.h"
#include "testlib.h"

static char tmp[] = "/tmp/dshap_rt_XXXXXX";

typedef struct {
    int64_t N;
    float *x;
    int32_t *y, *len, *group;
    char **names;
    int64_t n_names;
    data_info info;
} loaded;

static void load(const char *path, loaded *l) {
    memset(l, 0, sizeof *l);
    h5file f;
    EXPECT_OK(h5io_open_read(&f, path, DATA_FORMAT, DATA_FORMAT_VERSION));
    if (f.id < 0) return;
    EXPECT_OK(data_file_info(&f, &l->info));
    l->N = l->info.N;
    int64_t dx[5] = {-1, -1, -1, -1, -1}, d = l->N;
    EXPECT_OK(h5io_read_f32(&f, "/x", 5, dx, &l->x));
    EXPECT_OK(h5io_read_i32(&f, "/y", 1, &d, &l->y));
    EXPECT_OK(h5io_read_i32(&f, "/length", 1, &d, &l->len));
    EXPECT_OK(h5io_read_strings(&f, "/name", &l->n_names, &l->names));
    if (h5io_exists(&f, "/group")) EXPECT_OK(h5io_read_i32(&f, "/group", 1, &d, &l->group));
    h5io_close(&f);
}

static void unload(loaded *l) {
    dshap_free(l->x);
    dshap_free(l->y);
    dshap_free(l->len);
    dshap_free(l->group);
    h5io_free_strings(l->names, l->n_names);
}

static void skeleton_roundtrip(void) {
    synth_opts o = {.L = layout_find("ntu25"), .K = 5, .T = 48, .M = 2, .seed = 11};
    const int n = 9;
    char dir[256], path[512], out[512];
    snprintf(dir, sizeof dir, "%s/skel", tmp);
    mkdir(dir, 0777);
    size_t per = (size_t)3 * o.T * 25 * 2;
    float *x = malloc(sizeof(float) * per * n);
    int labels[9];
    for (int i = 0; i < n; i++) {
        char name[32];
        labels[i] = synth_sample(&o, i, x + i * per);
        synth_name(&o, i, labels[i], name, sizeof name);
        snprintf(path, sizeof path, "%s/%s.skeleton", dir, name);
        FILE *fp = fopen(path, "wb");
        EXPECT_OK(skeleton_write(fp, path, x + i * per, o.T, o.M, 72057594037927936LL + i, i & 1));
        fclose(fp);
    }
    for (int raw = 1; raw >= 0; raw--) {
        snprintf(out, sizeof out, "%s/rt%d.h5", tmp, raw);
        /* X-Sub train and eval together cover every file. */
        long total = 0;
        for (int split = 0; split < 2; split++) {
            ntu_import_opts io = {.dir = dir, .out = out, .benchmark = "xsub", .split = split ? "eval" : "train",
                                  .frames = o.T, .raw = raw};
            ntu_import_report r;
            dshap_status st = ntu_import(&io, &r);
            if (st) {
                EXPECT(r.imported == 0, "import failed: %s", dshap_last_error());
                continue;
            }
            total += r.imported;
            loaded l;
            load(out, &l);
            int bad = 0;
            for (int64_t j = 0; j < l.N && l.x; j++) {
                int i = -1;
                for (int k = 0; k < n; k++) {
                    char name[32];
                    synth_name(&o, k, labels[k], name, sizeof name);
                    if (!strcmp(name, l.names[j])) i = k;
                }
                EXPECT(i >= 0, "unexpected sample %s", l.names[j]);
                if (i < 0) continue;
                EXPECT(l.y[j] == labels[i] && l.len[j] == o.T, "%s: label %d length %d", l.names[j], l.y[j], l.len[j]);
                float *want = x + i * per, *got = l.x + j * per;
                float s[2 * 48 * 75], prep[3 * 48 * 50];
                if (!raw) { /* the same sample through ntu_preprocess directly */
                    for (int m = 0; m < 2; m++)
                        for (int t = 0; t < o.T; t++)
                            for (int v = 0; v < 25; v++)
                                for (int c = 0; c < 3; c++)
                                    s[((m * o.T + t) * 25 + v) * 3 + c] = want[((c * o.T + t) * 25 + v) * 2 + m];
                    ntu_preprocess(s, o.T, o.T, 1);
                    ntu_to_ctvm(s, o.T, prep);
                    want = prep;
                }
                for (size_t k = 0; k < per; k++) bad += got[k] != want[k];
            }
            EXPECT(bad == 0, "%s import: %d values differ from the synthetic samples", raw ? "raw" : "transformed", bad);
            unload(&l);
        }
        EXPECT(total == n, "imported %ld of %d files", total, n);
        printf("skeleton round trip (%s): %ld files, exact\n", raw ? "raw" : "transformed", total);
        remove(out);
    }
    free(x);
}

/* Write a .npy file: version 1 header (2-byte length) or, for names ending
 * in "64.npy", version 2 (4-byte length); padded to 64 bytes. */
static void write_npy(const char *path, const char *descr, const int64_t *shape, int rank, const void *data, size_t bytes) {
    int v2 = strlen(path) > 6 && !strcmp(path + strlen(path) - 6, "64.npy"), pre_len = v2 ? 12 : 10;
    char h[256], dims[128] = "";
    for (int i = 0; i < rank; i++) {
        char d[24];
        snprintf(d, sizeof d, "%lld,%s", (long long)shape[i], rank > 1 && i < rank - 1 ? " " : "");
        strcat(dims, d);
    }
    if (rank > 1) dims[strlen(dims) - 1] = '\0';
    int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    int total = (pre_len + n + 1 + 63) / 64 * 64;
    while (pre_len + n < total - 1) h[n++] = ' ';
    h[n++] = '\n';
    FILE *fp = fopen(path, "wb");
    unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)(v2 ? 2 : 1), 0, (unsigned char)(n & 255),
                             (unsigned char)(n >> 8), 0, 0};
    fwrite(pre, 1, (size_t)pre_len, fp);
    fwrite(h, 1, (size_t)n, fp);
    fwrite(data, 1, bytes, fp);
    fclose(fp);
}

static void npy_roundtrip(void) {
    const dshap_layout *L = layout_find("cp29");
    int64_t N = 37, shape[5] = {37, 2, 30, 29, 1}, per = 2 * 30 * 29;
    float *x = malloc(sizeof(float) * N * per);
    double *x64 = malloc(sizeof(double) * N * per);
    int64_t y64[37], g64[37];
    int32_t y32[37];
    for (int64_t i = 0; i < N * per; i++) x64[i] = x[i] = (float)sin(0.37 * i) * 0.5f;
    for (int64_t k = 0; k < per; k++) x[5 * per + k] = x64[5 * per + k] = 0; /* an all-zero sample */
    for (int64_t t = 20; t < 30; t++) /* sample 6: frames 20.. are zero → length 20 */
        for (int c = 0; c < 2; c++)
            for (int v = 0; v < 29; v++) x[6 * per + (c * 30 + t) * 29 + v] = x64[6 * per + (c * 30 + t) * 29 + v] = 0;
    for (int i = 0; i < N; i++) y64[i] = y32[i] = i % 2, g64[i] = i / 4;
    char px[512], px64[512], py[512], py32[512], pg[512], out[512], part[600];
    snprintf(px, sizeof px, "%s/x.npy", tmp);
    snprintf(px64, sizeof px64, "%s/x64.npy", tmp);
    snprintf(py, sizeof py, "%s/y.npy", tmp);
    snprintf(py32, sizeof py32, "%s/y32.npy", tmp);
    snprintf(pg, sizeof pg, "%s/g.npy", tmp);
    snprintf(out, sizeof out, "%s/npy.h5", tmp);
    write_npy(px, "<f4", shape, 5, x, sizeof(float) * N * per);
    write_npy(px64, "<f8", shape, 5, x64, sizeof(double) * N * per);
    write_npy(py, "<i8", shape, 1, y64, sizeof y64);
    write_npy(py32, "<i4", shape, 1, y32, sizeof y32);
    write_npy(pg, "<i8", shape, 1, g64, sizeof g64);
    const char *xs[2] = {px, px64}, *ys[2] = {py32, py};
    for (int k = 0; k < 2; k++) {
        npy_import_opts o = {.x = xs[k], .y = ys[k], .g = k ? pg : NULL, .out = out, .L = L};
        int64_t n = 0, empty = 0;
        EXPECT_OK(npy_import(&o, &n, &empty));
        EXPECT(n == N && empty == 1, "npy import: %lld samples, %lld empty", (long long)n, (long long)empty);
        loaded l;
        load(out, &l);
        EXPECT(l.N == N && l.x && memcmp(l.x, x, sizeof(float) * N * per) == 0, "npy round trip: /x differs");
        for (int i = 0; l.y && l.len && i < N; i++) {
            EXPECT(l.y[i] == i % 2, "label %d", i);
            EXPECT(l.len[i] == (i == 5 ? 0 : i == 6 ? 20 : 30), "sample %d: length %d", i, l.len[i]);
        }
        EXPECT(k ? l.group && l.group[9] == 2 : !l.group, "group ids");
        EXPECT(l.names && !strcmp(l.names[3], k ? "x64.npy#3" : "x.npy#3"), "names");
        unload(&l);
        remove(out);
    }
    /* Refusals: one line naming the file, nothing left behind. */
    write_npy(py, "<f2", shape, 1, y64, sizeof y64 / 4);
    npy_import_opts bad = {.x = px, .y = py, .out = out, .L = L};
    int64_t n, e;
    EXPECT(npy_import(&bad, &n, &e) == DSHAP_EFORMAT, "float16 labels accepted");
    EXPECT(strstr(dshap_last_error(), "y.npy") && strstr(dshap_last_error(), "'<f2'") && !strchr(dshap_last_error(), '\n'),
           "message: %s", dshap_last_error());
    printf("npy refusal: %s\n", dshap_last_error());
    bad.y = py32;
    bad.L = layout_find("ntu25");
    EXPECT(npy_import(&bad, &n, &e) == DSHAP_EFORMAT && strstr(dshap_last_error(), "ntu25"), "layout mismatch accepted");
    printf("npy refusal: %s\n", dshap_last_error());
    snprintf(part, sizeof part, "%s.part", out);
    EXPECT(access(out, F_OK) != 0 && access(part, F_OK) != 0, "a failed import left a file behind");
    free(x);
    free(x64);
}

static void bad_corpus(const char *fixtures) {
    char dir[256], src[4096], dst[600], line[512], out[512];
    long want[SK_NREASONS] = {0};
    static const char *reasons[SK_NREASONS] = {"OK", "IO", "TRUNC", "TOKENS", "NUMBER", "RANGE",
                                               "FRAMES", "BODIES", "JOINTS", "TRAILING", "LINE"};
    snprintf(dir, sizeof dir, "%s/bad", tmp);
    mkdir(dir, 0777);
    snprintf(src, sizeof src, "%s/skeleton_bad/MANIFEST", fixtures);
    FILE *m = fopen(src, "r");
    EXPECT(m != NULL, "no MANIFEST");
    if (!m) return;
    int n = 0;
    while (fgets(line, sizeof line, m)) {
        char file[256], why[32];
        if (line[0] == '#' || sscanf(line, "%255s %31s", file, why) != 2) continue;
        for (int k = 0; k < SK_NREASONS; k++) want[k] += !strcmp(reasons[k], why);
        snprintf(src, sizeof src, "%s/skeleton_bad/%s", fixtures, file);
        snprintf(dst, sizeof dst, "%s/S001C002P001R001A%03d.skeleton", dir, ++n);
        char *target = realpath(src, NULL);
        EXPECT(target && symlink(target, dst) == 0, "symlink %s", dst);
        free(target);
    }
    fclose(m);
    snprintf(src, sizeof src, "%s/skeleton_good/S001C002P001R001A006.skel.txt", fixtures);
    snprintf(dst, sizeof dst, "%s/S001C002P001R002A001.skeleton", dir);
    char *abs = realpath(src, NULL);
    EXPECT(abs && symlink(abs, dst) == 0, "symlink good file");
    free(abs);
    snprintf(out, sizeof out, "%s/bad.h5", tmp);
    ntu_import_opts o = {.dir = dir, .out = out, .benchmark = "xview", .split = "train", .frames = 300};
    ntu_import_report r;
    EXPECT_OK(ntu_import(&o, &r));
    EXPECT(r.imported == 1 && r.skipped == n, "imported %ld, skipped %ld of %d malformed", r.imported, r.skipped, n);
    for (int k = 1; k < SK_NREASONS; k++)
        EXPECT(r.by_reason[k] == want[k], "reason %s: %ld skipped, MANIFEST has %ld", reasons[k], r.by_reason[k], want[k]);
    printf("malformed corpus: %ld skipped by reason, 1 imported\n", r.skipped);
    remove(out);
}

int main(int argc, char **argv) {
    if (argc < 2) tl_skip("usage: test_data_roundtrip FIXTURES");
    if (!mkdtemp(tmp)) tl_skip("cannot create a temporary folder");
    skeleton_roundtrip();
    npy_roundtrip();
    bad_corpus(argv[1]);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return tl_finish("test_data_roundtrip");
}
