#include "io/npy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"

#define NPY_MAX_HEADER 65536

/* Header dictionary parser: {'descr': '<f4', 'fortran_order': False,
 * 'shape': (2, 3), } with keys in any order, each exactly once. */
typedef struct {
    const char *p;
    const char *path;
} cursor;

static void skip_ws(cursor *c) {
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r') c->p++;
}

static int accept(cursor *c, char ch) {
    skip_ws(c);
    if (*c->p != ch) return 0;
    c->p++;
    return 1;
}

static int quoted(cursor *c, char *out, size_t cap) {
    skip_ws(c);
    char q = *c->p;
    if (q != '\'' && q != '"') return 0;
    const char *end = strchr(c->p + 1, q);
    if (!end || (size_t)(end - c->p - 1) >= cap) return 0;
    memcpy(out, c->p + 1, (size_t)(end - c->p - 1));
    out[end - c->p - 1] = '\0';
    c->p = end + 1;
    return 1;
}

static dshap_status parse_header(npy_file *f, const char *h) {
    cursor c = {h, f->path};
    char key[32], descr[32] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    if (!accept(&c, '{')) FAIL(DSHAP_EFORMAT, "%s: malformed .npy header (no dictionary)", f->path);
    while (!accept(&c, '}')) {
        if (!quoted(&c, key, sizeof key) || !accept(&c, ':'))
            FAIL(DSHAP_EFORMAT, "%s: malformed .npy header near '%.20s'", f->path, c.p);
        if (!strcmp(key, "descr") && !have_descr++) {
            if (!quoted(&c, descr, sizeof descr)) FAIL(DSHAP_EFORMAT, "%s: .npy 'descr' is not a simple type string", f->path);
        } else if (!strcmp(key, "fortran_order") && !have_order++) {
            skip_ws(&c);
            if (!strncmp(c.p, "True", 4)) fortran = 1, c.p += 4;
            else if (!strncmp(c.p, "False", 5)) c.p += 5;
            else FAIL(DSHAP_EFORMAT, "%s: .npy 'fortran_order' is neither True nor False", f->path);
        } else if (!strcmp(key, "shape") && !have_shape++) {
            if (!accept(&c, '(')) FAIL(DSHAP_EFORMAT, "%s: .npy 'shape' is not a tuple", f->path);
            f->rank = 0;
            while (!accept(&c, ')')) {
                skip_ws(&c);
                char *end;
                errno = 0;
                long long v = strtoll(c.p, &end, 10);
                if (end == c.p || errno || v < 0 || f->rank == NPY_MAX_RANK)
                    FAIL(DSHAP_EFORMAT, "%s: .npy 'shape' has a bad or too many dimensions", f->path);
                f->shape[f->rank++] = v;
                c.p = end;
                if (!accept(&c, ',')) {
                    if (!accept(&c, ')')) FAIL(DSHAP_EFORMAT, "%s: .npy 'shape' tuple is malformed", f->path);
                    break;
                }
            }
        } else {
            FAIL(DSHAP_EFORMAT, "%s: unexpected or repeated key '%s' in the .npy header", f->path, key);
        }
        if (!accept(&c, ',')) {
            if (!accept(&c, '}')) FAIL(DSHAP_EFORMAT, "%s: malformed .npy header near '%.20s'", f->path, c.p);
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        FAIL(DSHAP_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape", f->path);
    if (fortran) FAIL(DSHAP_EFORMAT, "%s: Fortran-order arrays are not supported (save with np.ascontiguousarray)", f->path);
    if (!strcmp(descr, "<f4") || !strcmp(descr, "<f8") || !strcmp(descr, "<i4") || !strcmp(descr, "<i8")) {
        f->kind = descr[1];
        f->itemsize = descr[2] - '0';
    } else {
        FAIL(DSHAP_EFORMAT, "%s: dtype '%s' is not supported (little-endian float32/float64 or int32/int64 only)",
             f->path, descr);
    }
    f->count = 1;
    for (int i = 0; i < f->rank; i++) {
        if (f->shape[i] && f->count > INT64_MAX / f->shape[i] / 8)
            FAIL(DSHAP_EFORMAT, "%s: .npy shape is too large", f->path);
        f->count *= f->shape[i];
    }
    return DSHAP_OK;
}

dshap_status npy_open(npy_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->path = path;
    f->fp = fopen(path, "rb");
    if (!f->fp) FAIL(DSHAP_EIO, "%s: cannot open (%s)", path, strerror(errno));
    unsigned char pre[12];
    char *h = NULL;
    dshap_status st = DSHAP_OK;
    if (fread(pre, 1, 10, f->fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    long hlen;
    if (pre[6] == 1) {
        hlen = pre[8] | pre[9] << 8;
    } else if (pre[6] == 2) {
        if (fread(pre + 10, 1, 2, f->fp) != 2) CHECK_FAIL(DSHAP_EFORMAT, "%s: truncated .npy header", path);
        hlen = (long)pre[8] | (long)pre[9] << 8 | (long)pre[10] << 16 | (long)pre[11] << 24;
    } else {
        CHECK_FAIL(DSHAP_EFORMAT, "%s: .npy format version %d.%d is not supported (1.0 and 2.0 are)", path, pre[6], pre[7]);
    }
    if (hlen <= 0 || hlen > NPY_MAX_HEADER) CHECK_FAIL(DSHAP_EFORMAT, "%s: implausible .npy header length %ld", path, hlen);
    CHECK(dshap_alloc((void **)&h, (size_t)hlen + 1, "npy header"));
    if (fread(h, 1, (size_t)hlen, f->fp) != (size_t)hlen) CHECK_FAIL(DSHAP_EFORMAT, "%s: truncated .npy header", path);
    h[hlen] = '\0';
    CHECK(parse_header(f, h));
    struct stat sb;
    long offset = ftell(f->fp);
    if (fstat(fileno(f->fp), &sb) == 0 && (int64_t)sb.st_size - offset != f->count * f->itemsize)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: holds %lld data bytes, the header's shape needs %lld (truncated?)", path,
                   (long long)(sb.st_size - offset), (long long)(f->count * f->itemsize));
done:
    dshap_free(h);
    if (st) npy_close(f);
    return st;
}

/* Read n items of the file's own type into buf (little-endian host). */
static dshap_status read_raw(npy_file *f, int64_t n, void *buf) {
    if (n < 0 || f->done + n > f->count)
        FAIL(DSHAP_EINVAL, "%s: reading past the end of the array", f->path);
    if (n && fread(buf, (size_t)f->itemsize, (size_t)n, f->fp) != (size_t)n)
        FAIL(DSHAP_EIO, "%s: read failed at element %lld", f->path, (long long)f->done);
    f->done += n;
    return DSHAP_OK;
}

dshap_status npy_read_f32(npy_file *f, int64_t n, float *out) {
    if (f->kind != 'f') FAIL(DSHAP_EFORMAT, "%s: expected a float array, found %s", f->path, npy_dtype_name(f));
    if (f->itemsize == 4) return read_raw(f, n, out);
    double buf[1024];
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t k = n - i < 1024 ? n - i : 1024;
        TRY(read_raw(f, k, buf));
        for (int64_t j = 0; j < k; j++) out[i + j] = (float)buf[j];
    }
    return DSHAP_OK;
}

dshap_status npy_read_i32(npy_file *f, int64_t n, int32_t *out) {
    if (f->kind != 'i') FAIL(DSHAP_EFORMAT, "%s: expected an integer array, found %s", f->path, npy_dtype_name(f));
    if (f->itemsize == 4) return read_raw(f, n, out);
    int64_t buf[1024];
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t k = n - i < 1024 ? n - i : 1024;
        TRY(read_raw(f, k, buf));
        for (int64_t j = 0; j < k; j++) {
            if (buf[j] < INT32_MIN || buf[j] > INT32_MAX)
                FAIL(DSHAP_EFORMAT, "%s: value %lld at index %lld does not fit int32", f->path, (long long)buf[j],
                     (long long)(f->done - k + j));
            out[i + j] = (int32_t)buf[j];
        }
    }
    return DSHAP_OK;
}

void npy_close(npy_file *f) {
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
}

const char *npy_dtype_name(const npy_file *f) {
    if (f->kind == 'f') return f->itemsize == 4 ? "float32" : "float64";
    return f->itemsize == 4 ? "int32" : "int64";
}
