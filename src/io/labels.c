#include "io/labels.h"

#include "core/mem.h"

dshap_status labels_read(const h5file *f, const char *name, int64_t N, long long lo, long long hi, const char *what,
                         int32_t **out) {
    *out = NULL;
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    if (ds < 0) FAIL(DSHAP_EFORMAT, "%s: '%s' is not a dataset", f->path, name);
    hid_t t = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    H5Tclose(t);
    H5Dclose(ds);
    if (cls != H5T_INTEGER)
        FAIL(DSHAP_EFORMAT, "%s: '%s' (%s) must hold integers, it holds %s values", f->path, name, what,
             cls == H5T_FLOAT ? "floating-point" : "non-numeric");
    if (size > 8) FAIL(DSHAP_EFORMAT, "%s: '%s' has a %zu-byte integer type", f->path, name, size);
    /* read as 64-bit so that a value beyond int32 is seen, not wrapped */
    int64_t d = N;
    int32_t *v = NULL;
    double *wide = NULL;
    TRY(h5io_read_f64(f, name, 1, &d, &wide));
    dshap_status st = dshap_alloc((void **)&v, (size_t)(N ? N : 1) * sizeof *v, name);
    for (int64_t i = 0; !st && i < N; i++) {
        if (wide[i] < (double)lo || wide[i] > (double)hi)
            st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s' of sample %lld is %.0f; %s must be in [%lld, %lld]",
                            f->path, name, (long long)i, wide[i], what, lo, hi);
        else v[i] = (int32_t)wide[i];
    }
    dshap_free(wide);
    if (st) {
        dshap_free(v);
        return st;
    }
    *out = v;
    return DSHAP_OK;
}

dshap_status labels_check(const h5file *f, const char *name, int64_t N, long long lo, long long hi, const char *what) {
    int32_t *v = NULL;
    TRY(labels_read(f, name, N, lo, hi, what, &v));
    dshap_free(v);
    return DSHAP_OK;
}
