#include "io/inputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "data/features.h"
#include "io/data_file.h"
#include "io/labels.h"

static dshap_status read_optional(inputs_src *s) {
    int64_t d = s->N;
    if (h5io_exists(&s->f, "/y")) TRY(labels_read(&s->f, "/y", d, 0, INT32_MAX, "a class label", &s->labels));
    if (h5io_exists(&s->f, "/name")) {
        TRY(h5io_read_strings(&s->f, "/name", &s->n_names, &s->names));
        if (s->n_names != s->N) FAIL(DSHAP_EFORMAT, "%s: '/name' has %lld entries for %lld samples", s->path,
                                     (long long)s->n_names, (long long)s->N);
    }
    d = s->N;
    if (h5io_exists(&s->f, "/group")) TRY(labels_read(&s->f, "/group", d, INT32_MIN, INT32_MAX, "a group id", &s->group));
    return DSHAP_OK;
}

int inputs_raw_channels(const dshap_net *net, int *features) {
    *features = net->in_branches == ARCH_BRANCHES && net->in_C % 2 == 0;
    if (*features) return net->in_C / 2;
    return net->in_branches == 1 ? net->in_C : 0;
}

dshap_status inputs_open(inputs_src *s, const char *path, const dshap_net *net) {
    const dshap_arch *a = &net->arch;
    memset(s, 0, sizeof *s);
    s->path = path;
    s->arch = a;
    s->f.id = H5I_INVALID_HID;
    char fmt[64];
    TRY(h5io_format_of(path, fmt, sizeof fmt));
    int B = net->in_branches, C = net->in_C, V = a->layout->V, T = a->num_frames, M = a->num_persons;
    dshap_status st = DSHAP_OK;
    if (strcmp(fmt, INPUTS_FORMAT) == 0) {
        TRY(h5io_open_read(&s->f, path, INPUTS_FORMAT, INPUTS_FORMAT_VERSION));
        int rank;
        int64_t d[H5IO_MAX_RANK];
        CHECK(h5io_shape(&s->f, "/x", &rank, d));
        /* (N, B, C, T, V, M); a one-branch model also takes (N, C, T, V, M) */
        int lead = rank == 5 && B == 1 ? 1 : 2;
        int ok = (rank == 6 && d[1] == B) || lead == 1;
        if (!ok || d[lead] != C || d[lead + 1] != T || d[lead + 2] != V || d[lead + 3] != M) {
            char got[96];
            CHECK_FAIL(DSHAP_EFORMAT, "%s: '/x' has shape %s, the model needs (N, %d, %d, %d, %d, %d)", path,
                       fmt_shape(rank, d, got, sizeof got), B, C, T, V, M);
        }
        s->N = d[0];
    } else if (strcmp(fmt, DATA_FORMAT) == 0) {
        data_info info;
        int features, raw_C = inputs_raw_channels(net, &features);
        TRY(h5io_open_read(&s->f, path, DATA_FORMAT, DATA_FORMAT_VERSION));
        CHECK(data_file_info(&s->f, &info));
        if (!raw_C)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: the model's input (%d, %d, T, V, M) is neither raw joints nor J/V/B/A features; "
                       "give its input as an inputs.h5", path, B, C);
        if (strcmp(info.layout, a->layout->name) != 0)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: layout '%s' differs from the model's '%s'", path, info.layout, a->layout->name);
        if (info.C != raw_C || info.V != V || info.M != M)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: raw joints are (N, %d, %d, %d, %d), the model needs (N, %d, T, %d, %d)", path,
                       info.C, info.T, info.V, info.M, raw_C, V, M);
        if (info.T < T)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: %d stored frames, fewer than the model's T = %d", path, info.T, T);
        s->is_data = 1;
        s->features = features;
        s->N = info.N;
        s->raw_C = info.C;
        s->raw_T = info.T;
    } else {
        FAIL(DSHAP_EFORMAT, "%s: expected a %s or %s file, found format '%s'", path, INPUTS_FORMAT, DATA_FORMAT, fmt);
    }
    if (s->N < 1) CHECK_FAIL(DSHAP_EFORMAT, "%s: holds no samples", path);
    s->B = B;
    s->C = C;
    s->T = T;
    s->V = V;
    s->M = M;
    CHECK(read_optional(s));
    if (s->labels)
        for (int64_t i = 0; i < s->N; i++)
            if (s->labels[i] < 0 || s->labels[i] >= a->num_class)
                CHECK_FAIL(DSHAP_EFORMAT, "%s: label %d of sample %lld is outside the model's %d classes", path,
                           s->labels[i], (long long)i, a->num_class);
done:
    if (st) inputs_close(s);
    return st;
}

static dshap_status check_finite(const inputs_src *s, const float *x, int64_t n, int64_t first_row) {
    int64_t per = inputs_sample_size(s);
    for (int64_t i = 0; i < n * per; i++)
        if (!isfinite(x[i]))
            FAIL(DSHAP_ENUMERIC, "%s: sample %lld contains NaN or Inf", s->path, (long long)(first_row + i / per));
    return DSHAP_OK;
}

/* x (n, C, T, V·M) = the first T of raw (n, C, T_raw, V·M). */
static void first_frames(float *x, const float *raw, int64_t n, int C, int T_raw, int T, int64_t VM) {
    for (int64_t i = 0; i < n * C; i++) memcpy(x + i * T * VM, raw + i * T_raw * VM, sizeof(float) * (size_t)(T * VM));
}

static dshap_status read_block(inputs_src *s, int64_t i0, int64_t n, float *x) {
    if (!s->is_data) {
        TRY(h5io_read_rows_f32(&s->f, "/x", i0, n, x));
        return check_finite(s, x, n, i0);
    }
    int64_t raw_per = (int64_t)s->raw_C * s->raw_T * s->V * s->M;
    float *raw;
    TRY(h5io_in_file(s->path, "/x", dshap_alloc_floats(&raw, (size_t)(raw_per * n), "raw joints")));
    dshap_status st = h5io_read_rows_f32(&s->f, "/x", i0, n, raw);
    for (int64_t i = 0; !st && i < n * raw_per; i++)
        if (!isfinite(raw[i]))
            st = dshap_fail(DSHAP_ENUMERIC, __FILE__, __LINE__, "%s: sample %lld contains NaN or Inf", s->path,
                            (long long)(i0 + i / raw_per));
    if (!st && s->features) st = features_compute(x, raw, n, s->arch->layout, s->raw_C, s->raw_T, s->T, s->M);
    if (!st && !s->features) first_frames(x, raw, n, s->raw_C, s->raw_T, s->T, (int64_t)s->V * s->M);
    dshap_free(raw);
    return st;
}

dshap_status inputs_read(inputs_src *s, int64_t i0, int64_t n, float *x) {
    if (i0 < 0 || n < 0 || i0 + n > s->N)
        FAIL(DSHAP_EINVAL, "%s: rows %lld..%lld out of range (N = %lld)", s->path, (long long)i0, (long long)(i0 + n),
             (long long)s->N);
    return read_block(s, i0, n, x);
}

dshap_status inputs_read_rows(inputs_src *s, const int64_t *rows, int64_t n, float *x) {
    int64_t per = inputs_sample_size(s);
    for (int64_t i = 0; i < n; i++) TRY(inputs_read(s, rows[i], 1, x + i * per));
    return DSHAP_OK;
}

void inputs_close(inputs_src *s) {
    h5io_close(&s->f);
    dshap_free(s->labels);
    dshap_free(s->group);
    h5io_free_strings(s->names, s->n_names);
    s->labels = NULL;
    s->group = NULL;
    s->names = NULL;
}

dshap_status inputs_check_finite(inputs_src *s) {
    int rank;
    int64_t d[H5IO_MAX_RANK];
    TRY(h5io_shape(&s->f, "/x", &rank, d));
    int64_t per = 1;
    for (int i = 1; i < rank; i++) per *= d[i];
    int64_t block = per > (1 << 22) ? 1 : (1 << 22) / per;
    float *buf;
    TRY(h5io_in_file(s->path, "/x", dshap_alloc_floats(&buf, (size_t)(block * per), "NaN scan")));
    dshap_status st = DSHAP_OK;
    for (int64_t i0 = 0; !st && i0 < d[0]; i0 += block) {
        int64_t n = d[0] - i0 < block ? d[0] - i0 : block;
        st = h5io_read_rows_f32(&s->f, "/x", i0, n, buf);
        for (int64_t e = 0; !st && e < n * per; e++)
            if (!isfinite(buf[e]))
                st = dshap_fail(DSHAP_ENUMERIC, __FILE__, __LINE__, "%s: sample %lld contains NaN or Inf", s->path,
                                (long long)(i0 + e / per));
    }
    dshap_free(buf);
    return st;
}
