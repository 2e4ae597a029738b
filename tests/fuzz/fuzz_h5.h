/* Shared by the HDF5 reader fuzz targets. libFuzzer's bytes do not become
 * the file's bytes: they choose what a well-formed HDF5 file declares
 * (attributes, shapes, dtypes, layouts, what is stored), which the target
 * writes through the HDF5 API and hands to dshap's reader. Raw byte mutation
 * would fuzz Debian's libhdf5 parser (not instrumented, not ours); this
 * fuzzes the checks dshap makes of what a valid file says. */
#ifndef DSHAP_FUZZ_H5_H
#define DSHAP_FUZZ_H5_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_bytes;

static inline unsigned fz_u8(fz_bytes *b) {
    if (!b->n) return 0;
    b->n--;
    return *b->p++;
}

static inline unsigned fz_u16(fz_bytes *b) { return fz_u8(b) | fz_u8(b) << 8; }

/* Mostly the value a valid file has; sometimes small, zero, or huge. */
static inline uint64_t fz_dim(fz_bytes *b, uint64_t valid) {
    unsigned c = fz_u8(b);
    if (c < 180) return valid;
    if (c < 230) return fz_u8(b) % 40;
    if (c < 245) return valid + 1;
    return (uint64_t)1 << (fz_u8(b) % 64);
}

static const hid_t *fz_types(int *n) {
    static hid_t t[6];
    t[0] = H5T_IEEE_F32LE, t[1] = H5T_IEEE_F64LE, t[2] = H5T_STD_I32LE, t[3] = H5T_STD_I64LE, t[4] = H5T_STD_U8LE,
    t[5] = H5T_IEEE_F32BE;
    *n = 6;
    return t;
}

/* A dataset of the given shape and file type; written from the fuzz bytes
 * (as doubles converted by HDF5) when small, left unwritten when large or
 * when the bytes say so. layout: 0 contiguous, 1 chunked, 2 chunked+deflate. */
static inline void fz_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, hid_t ftype, int layout,
                              int write, fz_bytes *b) {
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    if (sp < 0) return;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    uint64_t n = 1;
    int ok = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] && n > UINT64_MAX / dims[i]) ok = 0;
        n *= dims[i];
    }
    if (layout && ok) {
        hsize_t ch[8];
        for (int i = 0; i < rank; i++) ch[i] = dims[i] == 0 ? 1 : dims[i] < 4 ? dims[i] : 4;
        H5Pset_chunk(dcpl, rank, ch);
        if (layout == 2) H5Pset_deflate(dcpl, 1);
    }
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0 && write && ok && n && n <= 1 << 16) {
        static double v[1 << 16];
        for (uint64_t i = 0; i < n; i++) {
            unsigned c = fz_u8(b);
            v[i] = c == 255 ? (double)NAN : c == 254 ? 1e300 : (double)((int)c - 100) * 0.25;
        }
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

/* A scalar attribute of file type ftype, written from *buf of memory type
 * mtype; a failed create writes nothing (the reader then meets no attribute). */
static inline void fz_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, mtype, buf);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

static inline void fz_attr_str(hid_t loc, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    fz_attr(loc, name, t, t, &value);
    H5Tclose(t);
}

static inline void fz_attr_int(hid_t loc, const char *name, long long v) {
    fz_attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v);
}

/* A failure must be one line that starts with the file's name. */
static inline void fz_check_message(dshap_status st, const char *path) {
    if (!st) return;
    const char *msg = dshap_last_error();
    if (strncmp(msg, path, strlen(path)) != 0 || strchr(msg, '\n')) {
        fprintf(stderr, "bad message: '%s'\n", msg);
        __builtin_trap();
    }
}

static inline const char *fz_path(char *buf, size_t cap, const char *what) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(buf, cap, "%s/dshap_fuzz_%s_%d.h5", dir, what, (int)getpid());
    return buf;
}

#endif
