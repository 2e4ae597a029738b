#include "data/featurize.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "data/features.h"
#include "io/data_file.h"
#include "io/h5rows.h"
#include "io/inputs.h"
#include "io/labels.h"
#include "io/outpath.h"

#define BLOCK 16

/* Copy the optional per-sample datasets (labels, names, groups). */
static dshap_status copy_meta(const h5file *in, const h5file *out, int64_t N) {
    if (h5io_exists(in, "/y")) {
        int64_t d = N;
        int32_t *y = NULL;
        TRY(labels_read(in, "/y", d, 0, INT32_MAX, "a class label", &y));
        dshap_status st = h5io_write_i32(out, "/y", 1, &d, y);
        dshap_free(y);
        TRY(st);
    }
    if (h5io_exists(in, "/group")) {
        int64_t d = N;
        int32_t *g = NULL;
        TRY(labels_read(in, "/group", d, INT32_MIN, INT32_MAX, "a group id", &g));
        dshap_status st = h5io_write_i32(out, "/group", 1, &d, g);
        dshap_free(g);
        TRY(st);
    }
    if (h5io_exists(in, "/name")) {
        int64_t n = 0;
        char **names = NULL;
        TRY(h5io_read_strings(in, "/name", &n, &names));
        dshap_status st = n == N ? h5io_write_strings(out, "/name", n, names)
                                 : dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '/name' has %lld entries for %lld samples",
                                              in->path, (long long)n, (long long)N);
        h5io_free_strings(names, n);
        TRY(st);
    }
    return DSHAP_OK;
}

dshap_status featurize_file(const char *data_path, int T, const char *out_path, featurize_report *r) {
    h5file in = {.id = H5I_INVALID_HID}, out = {.id = H5I_INVALID_HID};
    h5rows x = {.ds = H5I_INVALID_HID};
    float *raw = NULL, *feat = NULL;
    char tmp[4096];
    data_info info;
    h5io_temp_name(out_path, tmp, sizeof tmp);
    TRY(h5io_open_read(&in, data_path, DATA_FORMAT, DATA_FORMAT_VERSION));
    dshap_status st = DSHAP_OK;
    int created = 0;
    CHECK(data_file_info(&in, &info));
    const dshap_layout *L = layout_find(info.layout);
    if (T < 1 || T > info.T) CHECK_FAIL(DSHAP_EINVAL, "%s: --frames %d, but the file stores %d frames", data_path, T, info.T);
    if (info.N < 1) CHECK_FAIL(DSHAP_EFORMAT, "%s: holds no samples", data_path);
    *r = (featurize_report){.N = info.N, .C = info.C, .T_raw = info.T, .T = T, .V = info.V, .M = info.M};
    snprintf(r->layout, sizeof r->layout, "%s", info.layout);
    size_t raw_per = (size_t)info.C * info.T * info.V * info.M;
    size_t feat_per = (size_t)ARCH_BRANCHES * 2 * info.C * T * info.V * info.M;
    CHECK(dshap_alloc_floats(&raw, raw_per * BLOCK, "raw joints"));
    CHECK(dshap_alloc_floats(&feat, feat_per * BLOCK, "features"));
    /* the whole output before the work: a file declaring absurdly many
     * samples is refused here instead of filling the disk */
    CHECK(outpath_check_space(out_path, (double)info.N * (double)feat_per * sizeof(float)));
    CHECK(h5io_create(&out, tmp, H5P_DEFAULT));
    created = 1;
    int64_t row[5] = {ARCH_BRANCHES, 2 * info.C, T, info.V, info.M};
    CHECK(h5rows_create(&x, &out, "/x", H5ROWS_F32, 5, row, 1));
    for (int64_t i0 = 0; i0 < info.N; i0 += BLOCK) {
        int64_t n = info.N - i0 < BLOCK ? info.N - i0 : BLOCK;
        CHECK(h5io_read_rows_f32(&in, "/x", i0, n, raw));
        for (size_t k = 0; k < (size_t)n * raw_per; k++)
            if (!isfinite(raw[k]))
                CHECK_FAIL(DSHAP_ENUMERIC, "%s: sample %lld contains NaN or Inf", data_path, (long long)(i0 + k / raw_per));
        CHECK(features_compute(feat, raw, n, L, info.C, info.T, T, info.M));
        CHECK(h5rows_append(&x, n, feat));
    }
    CHECK(h5rows_finish(&x));
    CHECK(copy_meta(&in, &out, info.N));
    CHECK(h5io_write_attr_str(&out, "/", "format", INPUTS_FORMAT));
    CHECK(h5io_write_attr_int(&out, "/", "format_version", INPUTS_FORMAT_VERSION));
    CHECK(h5io_write_attr_str(&out, "/", "layout", info.layout));
    CHECK(h5io_write_attr_str(&out, "/", "branches", "J,V,B,A"));
    CHECK(h5io_write_attr_int(&out, "/", "frames", T));
    CHECK(h5io_write_attr_int(&out, "/", "filter_padlen", features_padlen(T)));
    CHECK(h5io_write_attr_str(&out, "/", "source", data_path));
    created = 0; /* h5io_finish removes the temporary when it fails */
    CHECK(h5io_finish(&out, tmp, out_path));
done:
    if (created) h5io_release_space(&out);
    h5rows_close(&x);
    if (created) h5io_discard(&out, tmp);
    h5io_close(&in);
    dshap_free(raw);
    dshap_free(feat);
    return st;
}
