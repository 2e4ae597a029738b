/* The real NTU samples in ../shared/data/ntu (skipped, exit 77, when absent):
 * - every file parses with the frame count, largest body count, body-count
 *   histogram and number of distinct body ids of its PROVENANCE.md row;
 * - the preprocessed /x equals the numpy reference of FORMATS.md
 *   (fixtures/features/ntu_real.h5: float64 sum and sum of squares of the
 *   whole array to 1e-9 relative, four frames of every file and three whole
 *   files to 1e-6 absolute);
 * - `ntu_import` of the folder puts each file in the right split (X-View by
 *   camera, X-Sub by performer) with label = action − 1, length = frames,
 *   and the same /x. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "data/ntu_import.h"
#include "data/ntu_prep.h"
#include "data/skeleton.h"
#include "io/data_file.h"
#include "testlib.h"

#define T_MAX 300
#define MAX_FILES 64

typedef struct {
    char name[32];
    int frames, max_bodies, ids, hist[SK_MAX_BODIES + 1];
} prov_row;

/* Rows of the PROVENANCE.md table: | file | repo | path | commit | bytes |
 * frames | max bodies | histogram ("2 bodies x74", comma separated) | ids | … */
static int read_provenance(const char *path, prov_row *rows) {
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, fp) && n < MAX_FILES) {
        if (strncmp(line, "| S", 3) != 0 || !strstr(line, ".skeleton |")) continue;
        char *col[16];
        int nc = 0;
        for (char *p = strtok(line, "|"); p && nc < 16; p = strtok(NULL, "|")) col[nc++] = p;
        if (nc < 9) continue;
        prov_row *r = &rows[n];
        memset(r, 0, sizeof *r);
        sscanf(col[0], " %31[^. ]", r->name);
        r->frames = atoi(col[5]);
        r->max_bodies = atoi(col[6]);
        r->ids = atoi(col[8]);
        for (char *p = col[7]; (p = strstr(p, "bodies x")); p += 8) {
            char *q = p - 2;
            while (q > col[7] && q[-1] >= '0' && q[-1] <= '9') q--;
            int k = atoi(q), count = atoi(p + 8);
            if (k >= 0 && k <= SK_MAX_BODIES) r->hist[k] = count;
        }
        n++;
    }
    fclose(fp);
    return n;
}

static double rel(double a, double b) { return fabs(a - b) / fmax(1.0, fabs(b)); }

/* Parse, preprocess and compare one file with the reference. */
static void check_file(const char *dir, const prov_row *row, const h5file *ref, sk_sample *s, float *x) {
    char path[4096], file[64], g[96];
    snprintf(file, sizeof file, "%s.skeleton", row->name);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "rb");
    EXPECT(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    EXPECT_OK(skeleton_read(fp, file, s));
    fclose(fp);
    EXPECT(s->frames == row->frames, "%s: %d frames, PROVENANCE.md says %d", file, s->frames, row->frames);
    EXPECT(s->max_bodies == row->max_bodies, "%s: max %d bodies, PROVENANCE.md says %d", file, s->max_bodies, row->max_bodies);
    EXPECT(s->n_ids == row->ids, "%s: %d distinct body ids, PROVENANCE.md says %d", file, s->n_ids, row->ids);
    for (int k = 0; k <= SK_MAX_BODIES; k++)
        EXPECT(s->hist[k] == row->hist[k], "%s: %d frames with %d bodies, PROVENANCE.md says %d", file, s->hist[k], k, row->hist[k]);
    ntu_preprocess(s->xyz, T_MAX, s->frames, s->hist[2] > 0);
    ntu_to_ctvm(s->xyz, T_MAX, x);
    size_t n = (size_t)3 * T_MAX * 25 * 2;
    double sum = 0, sumsq = 0, want_sum = 0, want_sumsq = 0;
    for (size_t i = 0; i < n; i++) sum += x[i], sumsq += (double)x[i] * x[i];
    snprintf(g, sizeof g, "/files/%s", row->name);
    hid_t a = H5Aopen_by_name(ref->id, g, "sum", H5P_DEFAULT, H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &want_sum);
    H5Aclose(a);
    a = H5Aopen_by_name(ref->id, g, "sumsq", H5P_DEFAULT, H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &want_sumsq);
    H5Aclose(a);
    EXPECT(rel(sum, want_sum) <= 1e-9 && rel(sumsq, want_sumsq) <= 1e-9, "%s: sum %.17g / %.17g, reference %.17g / %.17g",
           file, sum, sumsq, want_sum, want_sumsq);
    static const int frames[4] = {0, 1, 37, 299};
    int64_t ds[4] = {3, 4, 25, 2};
    float *slices = NULL;
    snprintf(path, sizeof path, "%s/slices", g);
    EXPECT_OK(h5io_read_f32(ref, path, 4, ds, &slices));
    double worst = 0;
    for (int c = 0; slices && c < 3; c++)
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 50; j++)
                worst = fmax(worst, fabs(x[((size_t)c * T_MAX + frames[k]) * 50 + j] - slices[(c * 4 + k) * 50 + j]));
    snprintf(path, sizeof path, "%s/x", g);
    if (h5io_exists(ref, path)) {
        int64_t dx[4] = {3, T_MAX, 25, 2};
        float *full = NULL;
        EXPECT_OK(h5io_read_f32(ref, path, 4, dx, &full));
        for (size_t i = 0; full && i < n; i++) worst = fmax(worst, fabs(x[i] - full[i]));
        dshap_free(full);
    }
    printf("%s: %3d frames, max %d bodies, %d ids; preprocessed max |diff| %.3g\n", file, s->frames, s->max_bodies,
           s->n_ids, worst);
    EXPECT(worst <= 1e-6, "%s: preprocessed /x differs from the reference by %.3g", file, worst);
    dshap_free(slices);
}

/* Import one split and check names, labels, lengths, and /x against the
 * per-file result already computed. */
static void check_import(const char *dir, const char *tmp, const char *bench, const char *split, int want_n) {
    char out[4096];
    snprintf(out, sizeof out, "%s/%s_%s.h5", tmp, bench, split);
    ntu_import_opts o = {.dir = dir, .out = out, .benchmark = bench, .split = split, .frames = T_MAX};
    ntu_import_report r;
    EXPECT_OK(ntu_import(&o, &r));
    EXPECT(r.imported == want_n && r.skipped == 0 && r.read == want_n, "%s/%s: imported %ld of %ld read (want %d)", bench,
           split, r.imported, r.read, want_n);
    h5file f;
    EXPECT_OK(h5io_open_read(&f, out, DATA_FORMAT, DATA_FORMAT_VERSION));
    if (f.id < 0) return;
    data_info info;
    EXPECT_OK(data_file_info(&f, &info));
    EXPECT(info.N == want_n && info.C == 3 && info.T == T_MAX && info.V == 25 && info.M == 2, "%s/%s: /x shape", bench, split);
    int64_t n = 0, d = info.N;
    char **names = NULL;
    int32_t *y = NULL, *len = NULL;
    EXPECT_OK(h5io_read_strings(&f, "/name", &n, &names));
    EXPECT_OK(h5io_read_i32(&f, "/y", 1, &d, &y));
    EXPECT_OK(h5io_read_i32(&f, "/length", 1, &d, &len));
    for (int64_t i = 0; names && y && len && i < n; i++) {
        ntu_name nm;
        EXPECT(ntu_name_parse(names[i], &nm), "bad name %s", names[i]);
        EXPECT(ntu_is_train(&nm, bench) == !strcmp(split, "train"), "%s in the wrong %s split", names[i], bench);
        EXPECT(y[i] == nm.action - 1, "%s: label %d", names[i], y[i]);
        EXPECT(len[i] > 0 && len[i] <= T_MAX, "%s: length %d", names[i], len[i]);
    }
    h5io_free_strings(names, n);
    dshap_free(y);
    dshap_free(len);
    h5io_close(&f);
    remove(out);
}

int main(int argc, char **argv) {
    if (argc < 3) tl_skip("usage: test_ntu_real FIXTURES SHARED");
    char dir[4096], path[4096];
    snprintf(dir, sizeof dir, "%s/data/ntu", argv[2]);
    snprintf(path, sizeof path, "%s/PROVENANCE.md", dir);
    prov_row rows[MAX_FILES];
    int n = read_provenance(path, rows);
    if (n < 0) tl_skip("no ../shared/data/ntu (the real NTU samples are not in this checkout)");
    EXPECT(n >= 16, "only %d rows in %s", n, path);
    h5file ref;
    snprintf(path, sizeof path, "%s/features/ntu_real.h5", argv[1]);
    EXPECT_OK(h5io_open_any(&ref, path));
    sk_sample s = {.T_max = T_MAX};
    s.xyz = malloc(sizeof(float) * SK_SLOTS * T_MAX * 75);
    float *x = malloc(sizeof(float) * 3 * T_MAX * 50);
    for (int i = 0; ref.id >= 0 && i < n; i++) check_file(dir, &rows[i], &ref, &s, x);
    h5io_close(&ref);
    char tmp[] = "/tmp/dshap_ntu_XXXXXX";
    if (mkdtemp(tmp)) {
        int train_view = 0, train_sub = 0;
        for (int i = 0; i < n; i++) {
            ntu_name nm;
            ntu_name_parse(rows[i].name, &nm);
            train_view += ntu_is_train(&nm, "xview");
            train_sub += ntu_is_train(&nm, "xsub");
        }
        EXPECT(train_view == 6 && train_sub == 11, "split sizes %d (xview) %d (xsub)", train_view, train_sub);
        check_import(dir, tmp, "xview", "train", train_view);
        check_import(dir, tmp, "xview", "eval", n - train_view);
        check_import(dir, tmp, "xsub", "train", train_sub);
        check_import(dir, tmp, "xsub", "eval", n - train_sub);
        rmdir(tmp);
    }
    free(s.xyz);
    free(x);
    return tl_finish("test_ntu_real");
}
