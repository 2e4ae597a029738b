/* The public API on ONNX models: dshap_model_import_onnx from memory,
 * dshap_model_load / dshap_model_load_memory telling ONNX from HDF5 by
 * content, the layout by V or explicit, the declared input shape, and the
 * importer's one-line messages as the status message. Values: the imported
 * ST-GCN reference model's logits against the float64 PyTorch model's
 * (tests/fixtures/onnx_models/stgcn.ref.h5 /logits) to 1e-4 of max |logit|,
 * the tolerance of tests/integration/test_onnx_models.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dshap/dshap.h"
#include "testlib.h"

static char dir[4096];

static unsigned char *slurp(const char *sub, const char *name, size_t *n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

/* Imports name with opts; on failure the message must hold want (then NULL). */
static dshap_model_t *import(const char *name, const dshap_import_options *opts, const char *want) {
    size_t n = 0;
    unsigned char *b = slurp("onnx", name, &n);
    EXPECT(b != NULL, "cannot read %s", name);
    dshap_model_t *m = NULL;
    dshap_status st = b ? dshap_model_import_onnx(b, n, opts, &m) : DSHAP_EIO;
    free(b);
    if (want) {
        const char *e = dshap_last_error();
        EXPECT(st != DSHAP_OK && !m && strstr(e, want) && strstr(e, "<ONNX model of ") == e && !strchr(e, '\n'),
               "%s: want '%s', got %d '%s'", name, want, st, st ? e : "");
        dshap_model_free(m);
        return NULL;
    }
    EXPECT(st == DSHAP_OK, "%s: %s", name, dshap_last_error());
    return m;
}

static void check_dims(const char *name, int rank, const int64_t *want, const int64_t *info5) {
    dshap_model_t *m = import(name, NULL, NULL);
    if (!m) return;
    int64_t d[5] = {0};
    int r = dshap_model_input_dims(m, d);
    EXPECT(r == rank && !memcmp(d, want, sizeof(int64_t) * (size_t)rank), "%s: input rank %d", name, r);
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    EXPECT(!memcmp(info.input_shape, info5, sizeof info.input_shape), "%s: info shape", name);
    dshap_model_free(m);
}

static void check_errors(void) {
    import("bad_convtranspose.onnx", NULL, ": node '/up/ConvTranspose' (ConvTranspose) is not supported; nearest: Conv");
    import("stgcn_v20.onnx", NULL, "input 'x' has V = 20 joints; no layout has that many (ntu25: 25, cp29: 29, cp19: 19)");
    import("stgcn_tiny_op13.onnx", &(dshap_import_options){.layout = "cp29"}, "has V = 25 joints; the cp29 layout has 29");
    dshap_model_t *m = NULL;
    size_t n = 0;
    unsigned char *b = slurp("onnx", "stgcn_tiny_op13.onnx", &n);
    dshap_status st = dshap_model_import_onnx(b, n, &(dshap_import_options){.layout = "ntu18"}, &m);
    EXPECT(st == DSHAP_EINVAL && !m && strstr(dshap_last_error(), "unknown layout 'ntu18' (ntu25, cp29, cp19)"), "%s",
           dshap_last_error());
    st = dshap_model_import_onnx(b, n, &(dshap_import_options){.layout = "cp19", .name = "tiny.onnx"}, &m);
    EXPECT(st != DSHAP_OK && !m && !strcmp(dshap_last_error(), "tiny.onnx: input 'x' has V = 25 joints; the cp19 layout has 19"),
           "named: %s", dshap_last_error());
    st = dshap_model_import_onnx(b, n / 2, NULL, &m); /* truncated */
    EXPECT(st != DSHAP_OK && !m && strstr(dshap_last_error(), "<ONNX model of "), "truncated: %s", dshap_last_error());
    free(b);
    char path[4200];
    snprintf(path, sizeof path, "%s/onnx/bad_convtranspose.onnx", dir);
    st = dshap_model_load(path, &m); /* by content: the message names the file */
    EXPECT(st != DSHAP_OK && !m && strstr(dshap_last_error(), path) == dshap_last_error() &&
               strstr(dshap_last_error(), "(ConvTranspose) is not supported"),
           "load: %s", dshap_last_error());
}

/* The reference ST-GCN three ways (file, memory, import with explicit
 * options): the same logits, bitwise, and the float64 model's to 1e-4. */
static void check_stgcn(void) {
    char path[4200], xp[4200], rp[4200];
    snprintf(path, sizeof path, "%s/onnx_models/stgcn.onnx", dir);
    snprintf(xp, sizeof xp, "%s/onnx_models/stgcn.x.h5", dir);
    snprintf(rp, sizeof rp, "%s/onnx_models/stgcn.ref.h5", dir);
    dshap_model_t *a = NULL, *b = NULL, *c = NULL;
    EXPECT_OK(dshap_model_load(path, &a));
    size_t n = 0;
    unsigned char *bytes = slurp("onnx_models", "stgcn.onnx", &n);
    EXPECT_OK(dshap_model_load_memory(bytes, n, &b));
    EXPECT_OK(dshap_model_import_onnx(bytes, n, &(dshap_import_options){.input = "x", .layout = "ntu25"}, &c));
    free(bytes);
    h5file fx, fr;
    float *x = NULL;
    double *want = NULL;
    int64_t xd[5] = {-1, 3, 12, 25, 2}, ld[2] = {2, 5};
    EXPECT_OK(h5io_open_any(&fx, xp));
    EXPECT_OK(h5io_read_f32(&fx, "x", 5, xd, &x));
    h5io_close(&fx);
    EXPECT_OK(h5io_open_any(&fr, rp));
    EXPECT_OK(h5io_read_f64(&fr, "logits", 2, ld, &want));
    h5io_close(&fr);
    if (a && b && c && x && want) {
        float la[10], lb[10], lc[10];
        EXPECT_OK(dshap_predict(a, x, 2, la));
        EXPECT_OK(dshap_predict(b, x, 2, lb));
        EXPECT_OK(dshap_predict(c, x, 2, lc));
        EXPECT(!memcmp(la, lb, sizeof la) && !memcmp(la, lc, sizeof la), "file, memory and import differ");
        double err = 0, top = 0;
        for (int i = 0; i < 10; i++) {
            err = fmax(err, fabs(la[i] - want[i]));
            top = fmax(top, fabs(want[i]));
        }
        EXPECT(err <= 1e-4 * top, "logits: max |diff| %g of max |logit| %g", err, top);
    }
    dshap_free(x);
    dshap_free(want);
    dshap_model_free(a);
    dshap_model_free(b);
    dshap_model_free(c);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    snprintf(dir, sizeof dir, "%s", argv[1]);
    EXPECT_OK(dshap_init());
    check_dims("actzoo_op13.onnx", 3, (int64_t[]){3, 8, 25}, (int64_t[]){1, 3, 8, 25, 1});
    check_dims("misc_op17.onnx", 4, (int64_t[]){3, 4, 25, 1}, (int64_t[]){1, 3, 4, 25, 1});
    check_dims("branches_op13.onnx", 5, (int64_t[]){4, 4, 5, 25, 2}, (int64_t[]){4, 4, 5, 25, 2});
    check_errors();
    check_stgcn();
    return tl_finish("api_onnx");
}
