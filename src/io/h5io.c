#include "io/h5io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "io/outpath.h"

void h5io_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

dshap_status h5io_open_any(h5file *f, const char *path) {
    h5io_quiet();
    f->path = path;
    f->id = H5I_INVALID_HID;
    if (access(path, R_OK) != 0) FAIL(DSHAP_EIO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    long long size = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    if (size >= 0 && S_ISDIR(sb.st_mode)) FAIL(DSHAP_EFORMAT, "%s: is a directory, not an HDF5 file", path);
    if (H5Fis_hdf5(path) <= 0) FAIL(DSHAP_EFORMAT, "%s: not an HDF5 file (%lld bytes, no HDF5 signature)", path, size);
    f->id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    /* the signature is there but the file's own end-of-data lies beyond
     * its size, or its metadata is unreadable: cut short or damaged */
    if (f->id < 0) FAIL(DSHAP_EFORMAT, "%s: truncated or damaged HDF5 file (%lld bytes); HDF5 could not open it", path, size);
    return DSHAP_OK;
}

dshap_status h5io_open_read(h5file *f, const char *path, const char *format, int max_version) {
    TRY(h5io_open_any(f, path));
    char *fmt = NULL;
    long long version = 0;
    dshap_status st = DSHAP_OK;
    if (!h5io_has_attr(f, "/", "format"))
        CHECK_FAIL(DSHAP_EFORMAT, "%s: not a %s file (no 'format' attribute)", path, format);
    CHECK(h5io_read_attr_str(f, "/", "format", &fmt));
    if (strcmp(fmt, format) != 0)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: expected a %s file, found format '%s'", path, format, fmt);
    if (!h5io_has_attr(f, "/", "format_version"))
        CHECK_FAIL(DSHAP_EFORMAT, "%s: no 'format_version' attribute", path);
    CHECK(h5io_read_attr_int(f, "/", "format_version", &version));
    if (version < 1 || version > max_version)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: %s format_version %lld is not supported (this dshap reads up to %d)",
                   path, format, version, max_version);
done:
    dshap_free(fmt);
    if (st) h5io_close(f);
    return st;
}

dshap_status h5io_format_of(const char *path, char *out, size_t cap) {
    h5file f;
    TRY(h5io_open_any(&f, path));
    char *fmt = NULL;
    dshap_status st = DSHAP_OK;
    if (!h5io_has_attr(&f, "/", "format")) CHECK_FAIL(DSHAP_EFORMAT, "%s: not a dshap file (no 'format' attribute)", path);
    CHECK(h5io_read_attr_str(&f, "/", "format", &fmt));
    snprintf(out, cap, "%s", fmt);
done:
    dshap_free(fmt);
    h5io_close(&f);
    return st;
}

dshap_status h5io_create(h5file *f, const char *path, hid_t fapl) {
    h5io_quiet();
    f->path = path;
    errno = 0;
    f->id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f->id < 0) {
        char shown[4096];
        int err = errno;
        remove(path); /* H5Fcreate may leave a partial superblock behind */
        FAIL(DSHAP_EIO, "%s: cannot create the file (%s)", h5io_shown(path, shown, sizeof shown),
             outpath_write_reason(path, err));
    }
    outpath_temp_register(path);
    return DSHAP_OK;
}

const char *h5io_shown(const char *path, char *buf, size_t cap) {
    size_t n = strlen(path);
    if (n > 5 && !strcmp(path + n - 5, ".part")) n -= 5;
    if (n >= cap) n = cap - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return buf;
}

dshap_status h5io_write_failed(const h5file *f, const char *what, const char *name, int err) {
    char shown[4096];
    if (!name) /* the file as a whole */
        return dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: %s failed: %s; nothing written",
                          h5io_shown(f->path, shown, sizeof shown), what, outpath_write_reason(f->path, err));
    return dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: %s '%s' failed: %s; nothing written",
                      h5io_shown(f->path, shown, sizeof shown), what, name, outpath_write_reason(f->path, err));
}

dshap_status h5io_close_write(h5file *f) {
    if (f->id < 0) return DSHAP_OK;
    /* Flush first: a close that fails leaves HDF5 1.10 with a half-closed
     * file that crashes the next close (or the library's exit handler), so
     * a failing flush sends the file to h5io_discard instead. */
    errno = 0;
    if (H5Fflush(f->id, H5F_SCOPE_GLOBAL) < 0) return h5io_write_failed(f, "finishing the file", NULL, errno);
    errno = 0;
    herr_t c = H5Fclose(f->id);
    int err = errno;
    f->id = H5I_INVALID_HID; /* never closed twice, see above */
    if (c < 0) return h5io_write_failed(f, "finishing the file", NULL, err);
    return DSHAP_OK;
}

void h5io_release_space(h5file *f) {
    if (f->id < 0) return;
    /* serial (sec2) files only; if this fails, the close that follows may
     * fail too, which h5io_close tolerates */
    hid_t fapl = H5Fget_access_plist(f->id);
    int *fd = NULL;
    if (fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2 && H5Fget_vfd_handle(f->id, fapl, (void **)&fd) >= 0 && fd &&
        ftruncate(*fd, 0) != 0) { /* nothing more to try */ }
    if (fapl >= 0) H5Pclose(fapl);
}

void h5io_discard(h5file *f, const char *tmp) {
    /* On a full disk the close's own flush would fail again (and leave the
     * file half-closed): give the temporary's space back first. */
    h5io_release_space(f);
    h5io_close(f);
    outpath_temp_remove(tmp);
}

dshap_status h5io_finish(h5file *f, const char *tmp, const char *final_path) {
    dshap_status st = h5io_close_write(f);
    if (st) {
        h5io_discard(f, tmp);
        return st;
    }
    return h5io_commit(tmp, final_path);
}

void h5io_close(h5file *f) {
    /* Called once per handle: after a failed close HDF5 keeps the file,
     * and a second close would crash (main() also leaves out HDF5's exit
     * handler, which would close it again). */
    if (f->id >= 0) H5Fclose(f->id);
    f->id = H5I_INVALID_HID;
}

int h5io_exists(const h5file *f, const char *name) {
    /* Check each path component so intermediate groups may be missing. */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int ok = H5Lexists(f->id, buf, H5P_DEFAULT) > 0;
        *p = '/';
        if (!ok) return 0;
    }
    return H5Lexists(f->id, buf, H5P_DEFAULT) > 0;
}

/* A declared shape must be one the file can hold: element and byte counts
 * in 64 bits without overflow, and the bytes actually stored must match
 * (contiguous or unfiltered chunks: at least the declared bytes, since never
 * written storage would read as fill values; deflate: within its 1032:1
 * limit; other filters: something stored). So a flipped byte in a shape, or 2^33 samples declared in
 * a 139 KB file, fails here, before anything is allocated or written. */
static dshap_status check_stored(const h5file *f, const char *name, hid_t ds, int r, const hsize_t *d) {
    hid_t t = H5Dget_type(ds);
    size_t elem = t >= 0 ? H5Tget_size(t) : 0;
    int vlen = t >= 0 && (H5Tis_variable_str(t) > 0 || H5Tget_class(t) == H5T_VLEN);
    if (t >= 0) H5Tclose(t);
    uint64_t n = 1, max = (uint64_t)INT64_MAX / (elem ? elem : 1);
    for (int i = 0; i < r; i++) {
        if (d[i] > (hsize_t)INT64_MAX || (d[i] && n > max / d[i])) {
            char got[160];
            int64_t shown[H5IO_MAX_RANK];
            for (int k = 0; k < r; k++) shown[k] = d[k] > (hsize_t)INT64_MAX ? -1 : (int64_t)d[k];
            FAIL(DSHAP_EFORMAT, "%s: dataset '%s' declares shape %s, beyond any size (64-bit byte count overflows)",
                 f->path, name, fmt_shape(r, shown, got, sizeof got));
        }
        n *= d[i];
    }
    if (vlen) return DSHAP_OK; /* variable-length data lives on the heap, not in the dataset's storage */
    uint64_t want = n * elem, have = H5Dget_storage_size(ds);
    /* 0: no filter, 1: only deflate (and shuffle, fletcher32), 2: others
     * (plugins such as zstd compress zeros beyond any fixed ratio: there,
     * only "nothing stored at all" is certain) */
    int filtered = 0;
    hid_t dcpl = H5Dget_create_plist(ds);
    for (int i = 0, nf = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0; i < nf; i++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        int known = id == H5Z_FILTER_DEFLATE || id == H5Z_FILTER_SHUFFLE || id == H5Z_FILTER_FLETCHER32;
        if (!known) filtered = 2;
        else if (!filtered) filtered = 1;
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    uint64_t need = filtered == 2 ? 1 : filtered == 1 ? want / 1032 : want;
    if (want && have < need)
        FAIL(DSHAP_EFORMAT, "%s: dataset '%s' declares %llu elements (%llu bytes) but the file stores %llu bytes of it "
                            "(a damaged shape?)", f->path, name, (unsigned long long)n, (unsigned long long)want,
             (unsigned long long)have);
    return DSHAP_OK;
}

dshap_status h5io_shape(const h5file *f, const char *name, int *rank, int64_t dims[H5IO_MAX_RANK]) {
    if (!h5io_exists(f, name)) FAIL(DSHAP_EFORMAT, "%s: missing dataset '%s'", f->path, name);
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    if (ds < 0) FAIL(DSHAP_EFORMAT, "%s: '%s' is not a dataset", f->path, name);
    hid_t sp = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(sp);
    hsize_t d[H5S_MAX_RANK];
    dshap_status st = DSHAP_OK;
    if (r < 0 || r > H5IO_MAX_RANK) {
        st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: dataset '%s' has unsupported rank %d", f->path, name, r);
    } else {
        H5Sget_simple_extent_dims(sp, d, NULL);
        for (int i = 0; i < r; i++) dims[i] = (int64_t)d[i];
        *rank = r;
        st = check_stored(f, name, ds, r, d);
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return st;
}

dshap_status h5io_in_file(const char *path, const char *what, dshap_status st) {
    if (st != DSHAP_ENOMEM) return st;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", dshap_last_error());
    return dshap_fail(st, __FILE__, __LINE__, "%s: %s (dataset '%s')", path, msg, what);
}

static dshap_status check_shape(const h5file *f, const char *name, int rank, int64_t dims[], int64_t *count) {
    int r;
    int64_t d[H5IO_MAX_RANK];
    TRY(h5io_shape(f, name, &r, d));
    char want[128], got[128];
    int ok = r == rank;
    for (int i = 0; ok && i < rank; i++)
        if (dims[i] >= 0 && dims[i] != d[i]) ok = 0;
    if (!ok) {
        int64_t shown[H5IO_MAX_RANK];
        for (int i = 0; i < rank; i++) shown[i] = dims[i];
        fmt_shape(rank, shown, want, sizeof want);
        for (char *p = want; (p = strstr(p, "-1")); p[0] = ' ', p[1] = '*') {}
        FAIL(DSHAP_EFORMAT, "%s: dataset '%s' has shape %s, expected %s", f->path, name,
             fmt_shape(r, d, got, sizeof got), want);
    }
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = d[i];
        n *= d[i];
    }
    *count = n;
    return DSHAP_OK;
}

static dshap_status read_typed(const h5file *f, const char *name, int rank, int64_t dims[], hid_t memtype,
                               size_t elem, void **out) {
    int64_t n;
    TRY(check_shape(f, name, rank, dims, &n));
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(ft);
    H5Tclose(ft);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        H5Dclose(ds);
        FAIL(DSHAP_EFORMAT, "%s: dataset '%s' is not numeric", f->path, name);
    }
    void *buf = NULL;
    dshap_status st = h5io_in_file(f->path, name, dshap_alloc(&buf, (size_t)n * elem, name));
    if (st == DSHAP_OK && n > 0 && H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading dataset '%s' failed", f->path, name);
    H5Dclose(ds);
    if (st) {
        dshap_free(buf);
        return st;
    }
    *out = buf;
    return DSHAP_OK;
}

dshap_status h5io_read_f32(const h5file *f, const char *name, int rank, int64_t dims[], float **out) {
    return read_typed(f, name, rank, dims, H5T_NATIVE_FLOAT, sizeof(float), (void **)out);
}
dshap_status h5io_read_f64(const h5file *f, const char *name, int rank, int64_t dims[], double **out) {
    return read_typed(f, name, rank, dims, H5T_NATIVE_DOUBLE, sizeof(double), (void **)out);
}
dshap_status h5io_read_i32(const h5file *f, const char *name, int rank, int64_t dims[], int32_t **out) {
    return read_typed(f, name, rank, dims, H5T_NATIVE_INT32, sizeof(int32_t), (void **)out);
}

dshap_status h5io_read_rows_f32(const h5file *f, const char *name, int64_t row0, int64_t nrows, float *out) {
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    if (ds < 0) FAIL(DSHAP_EFORMAT, "%s: missing dataset '%s'", f->path, name);
    hid_t sp = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(sp);
    hsize_t d[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(sp, d, NULL);
    for (int i = 0; i < r; i++) count[i] = d[i];
    start[0] = (hsize_t)row0;
    count[0] = (hsize_t)nrows;
    dshap_status st = DSHAP_OK;
    if (row0 < 0 || (hsize_t)(row0 + nrows) > d[0]) {
        st = dshap_fail(DSHAP_EINVAL, __FILE__, __LINE__, "%s: rows %lld..%lld of '%s' out of range", f->path,
                        (long long)row0, (long long)(row0 + nrows), name);
    } else {
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(r, count, NULL);
        if (H5Dread(ds, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, out) < 0)
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading rows of '%s' failed", f->path, name);
        H5Sclose(ms);
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return st;
}

dshap_status h5io_read_strings(const h5file *f, const char *name, int64_t *n, char ***out) {
    int r;
    int64_t d[H5IO_MAX_RANK];
    TRY(h5io_shape(f, name, &r, d));
    if (r != 1) FAIL(DSHAP_EFORMAT, "%s: '%s' must be a 1-D string dataset", f->path, name);
    hid_t ds = H5Dopen2(f->id, name, H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds);
    dshap_status st = DSHAP_OK;
    char **res = NULL;
    if (H5Tget_class(ft) != H5T_STRING) {
        st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: '%s' is not a string dataset", f->path, name);
        goto done;
    }
    CHECK(dshap_calloc((void **)&res, (size_t)(d[0] ? d[0] : 1), sizeof *res, name));
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char **tmp = NULL;
        CHECK(dshap_calloc((void **)&tmp, (size_t)(d[0] ? d[0] : 1), sizeof *tmp, name));
        if (d[0] && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
            dshap_free(tmp);
            H5Tclose(mt);
            CHECK_FAIL(DSHAP_EIO, "%s: reading strings '%s' failed", f->path, name);
        }
        for (int64_t i = 0; i < d[0]; i++) res[i] = strdup(tmp[i] ? tmp[i] : "");
        hid_t sp = H5Dget_space(ds);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, tmp);
        H5Sclose(sp);
        dshap_free(tmp);
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        char *raw = NULL;
        CHECK(dshap_alloc((void **)&raw, (size_t)d[0] * len + 1, name));
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, len);
        if (d[0] && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            dshap_free(raw);
            H5Tclose(mt);
            CHECK_FAIL(DSHAP_EIO, "%s: reading strings '%s' failed", f->path, name);
        }
        for (int64_t i = 0; i < d[0]; i++) res[i] = strndup(raw + i * len, len);
        dshap_free(raw);
        H5Tclose(mt);
    }
    *n = d[0];
    *out = res;
    res = NULL;
done:
    if (res) h5io_free_strings(res, d[0]);
    H5Tclose(ft);
    H5Dclose(ds);
    return st;
}

void h5io_free_strings(char **s, int64_t n) {
    if (!s) return;
    for (int64_t i = 0; i < n; i++) free(s[i]);
    dshap_free(s);
}

int h5io_has_attr(const h5file *f, const char *obj, const char *name) {
    return H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) > 0;
}

dshap_status h5io_read_attr_str(const h5file *f, const char *obj, const char *name, char **out) {
    if (!h5io_has_attr(f, obj, name)) FAIL(DSHAP_EFORMAT, "%s: missing attribute '%s' on '%s'", f->path, name, obj);
    hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    dshap_status st = DSHAP_OK;
    if (H5Tget_class(t) != H5T_STRING) {
        st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: attribute '%s' is not a string", f->path, name);
    } else if (H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        char *s = NULL;
        if (H5Aread(a, mt, &s) < 0 || !s) {
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading attribute '%s' failed", f->path, name);
        } else {
            *out = strdup(s);
            H5free_memory(s);
        }
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(t);
        char *s = NULL;
        st = dshap_alloc((void **)&s, len + 1, name);
        if (!st) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, len);
            if (H5Aread(a, mt, s) < 0) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading attribute '%s' failed", f->path, name);
            s[len] = '\0';
            H5Tclose(mt);
            if (st) dshap_free(s);
            else *out = s;
        }
    }
    H5Tclose(t);
    H5Aclose(a);
    return st;
}

dshap_status h5io_read_attr_int(const h5file *f, const char *obj, const char *name, long long *out) {
    if (!h5io_has_attr(f, obj, name)) FAIL(DSHAP_EFORMAT, "%s: missing attribute '%s' on '%s'", f->path, name, obj);
    hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    dshap_status st = DSHAP_OK;
    hid_t sp = H5Aget_space(a);
    if (H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(sp) != 1)
        st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: attribute '%s' is not an integer", f->path, name);
    else if (H5Aread(a, H5T_NATIVE_LLONG, out) < 0)
        st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading attribute '%s' failed", f->path, name);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return st;
}

dshap_status h5io_read_attr_i64s(const h5file *f, const char *obj, const char *name, int cap, int64_t *out, int *n) {
    if (!h5io_has_attr(f, obj, name)) FAIL(DSHAP_EFORMAT, "%s: missing attribute '%s' on '%s'", f->path, name, obj);
    hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Aget_space(a), t = H5Aget_type(a);
    hssize_t cnt = H5Sget_simple_extent_npoints(sp);
    dshap_status st = DSHAP_OK;
    if (H5Tget_class(t) != H5T_INTEGER || cnt < 0 || cnt > cap)
        st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: attribute '%s' is not a list of at most %d integers",
                        f->path, name, cap);
    else if (H5Aread(a, H5T_NATIVE_INT64, out) < 0)
        st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading attribute '%s' failed", f->path, name);
    else *n = (int)cnt;
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
    return st;
}

dshap_status h5io_read_attr_f64(const h5file *f, const char *obj, const char *name, double *out) {
    if (!h5io_has_attr(f, obj, name)) FAIL(DSHAP_EFORMAT, "%s: missing attribute '%s' on '%s'", f->path, name, obj);
    hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    dshap_status st = DSHAP_OK;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: reading attribute '%s' failed", f->path, name);
    H5Aclose(a);
    return st;
}

dshap_status h5io_ensure_groups(const h5file *f, const char *name) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (H5Lexists(f->id, buf, H5P_DEFAULT) <= 0) {
            errno = 0;
            hid_t g = H5Gcreate2(f->id, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0 || H5Gclose(g) < 0) return h5io_write_failed(f, "creating group", buf, errno);
        }
        *p = '/';
    }
    return DSHAP_OK;
}

static dshap_status write_typed(const h5file *f, const char *name, int rank, const int64_t dims[], hid_t filetype,
                                hid_t memtype, const void *data) {
    TRY(h5io_ensure_groups(f, name));
    hsize_t d[H5IO_MAX_RANK];
    for (int i = 0; i < rank; i++) d[i] = (hsize_t)dims[i];
    hid_t sp = rank ? H5Screate_simple(rank, d, NULL) : H5Screate(H5S_SCALAR);
    errno = 0;
    hid_t ds = H5Dcreate2(f->id, name, filetype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    dshap_status st = DSHAP_OK;
    /* the data may sit in HDF5's buffers until the close: check it too */
    herr_t w = ds >= 0 ? H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    int err = errno;
    herr_t c = ds >= 0 ? H5Dclose(ds) : -1;
    if (ds < 0 || w < 0 || c < 0) st = h5io_write_failed(f, "writing dataset", name, err ? err : errno);
    H5Sclose(sp);
    return st;
}

dshap_status h5io_write_f32(const h5file *f, const char *name, int rank, const int64_t dims[], const float *data) {
    return write_typed(f, name, rank, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data);
}
dshap_status h5io_write_f64(const h5file *f, const char *name, int rank, const int64_t dims[], const double *data) {
    return write_typed(f, name, rank, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data);
}
dshap_status h5io_write_i32(const h5file *f, const char *name, int rank, const int64_t dims[], const int32_t *data) {
    return write_typed(f, name, rank, dims, H5T_STD_I32LE, H5T_NATIVE_INT32, data);
}
dshap_status h5io_write_i64(const h5file *f, const char *name, int rank, const int64_t dims[], const int64_t *data) {
    return write_typed(f, name, rank, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, data);
}

dshap_status h5io_write_strings(const h5file *f, const char *name, int64_t n, char *const *s) {
    TRY(h5io_ensure_groups(f, name));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    errno = 0;
    hid_t ds = H5Dcreate2(f->id, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    dshap_status st = DSHAP_OK;
    herr_t w = ds >= 0 && n > 0 ? H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) : 0;
    int err = errno;
    herr_t c = ds >= 0 ? H5Dclose(ds) : -1;
    if (ds < 0 || w < 0 || c < 0) st = h5io_write_failed(f, "writing strings", name, err ? err : errno);
    H5Sclose(sp);
    H5Tclose(t);
    return st;
}

static dshap_status write_attr(const h5file *f, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                               const void *v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    if (H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) > 0) H5Adelete_by_name(f->id, obj, name, H5P_DEFAULT);
    errno = 0;
    hid_t a = H5Acreate_by_name(f->id, obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    dshap_status st = DSHAP_OK;
    herr_t w = a >= 0 ? H5Awrite(a, mtype, v) : -1;
    int err = errno;
    herr_t c = a >= 0 ? H5Aclose(a) : -1;
    if (a < 0 || w < 0 || c < 0) st = h5io_write_failed(f, "writing attribute", name, err ? err : errno);
    H5Sclose(sp);
    return st;
}

dshap_status h5io_write_attr_str(const h5file *f, const char *obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    dshap_status st = write_attr(f, obj, name, t, t, &value);
    H5Tclose(t);
    return st;
}
dshap_status h5io_write_attr_int(const h5file *f, const char *obj, const char *name, long long value) {
    return write_attr(f, obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}
dshap_status h5io_write_attr_f64(const h5file *f, const char *obj, const char *name, double value) {
    return write_attr(f, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void h5io_temp_name(const char *final_path, char *out, size_t cap) {
    snprintf(out, cap, "%s.part", final_path);
}

dshap_status h5io_commit(const char *tmp_path, const char *final_path) {
    if (rename(tmp_path, final_path) != 0) {
        int err = errno;
        outpath_temp_remove(tmp_path);
        FAIL(DSHAP_EIO, "%s: cannot rename the finished file into place (%s)", final_path, strerror(err));
    }
    outpath_temp_forget(tmp_path);
    return DSHAP_OK;
}
