/* Minimal reader of NumPy .npy files: format versions 1 and 2, C order,
 * little-endian float32/float64 ('<f4', '<f8') and int32/int64 ('<i4',
 * '<i8'). Anything else is refused with one clear message. Data are read
 * sequentially in caller-sized pieces, so arrays larger than memory stream. */
#ifndef DSHAP_NPY_H
#define DSHAP_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define NPY_MAX_RANK 8

typedef struct {
    FILE *fp;
    const char *path;
    char kind;    /* 'f' or 'i' */
    int itemsize; /* 4 or 8 */
    int rank;
    int64_t shape[NPY_MAX_RANK];
    int64_t count; /* elements */
    int64_t done;  /* elements read so far */
} npy_file;

dshap_status npy_open(npy_file *f, const char *path);
/* The next n elements, converted; a float file only for _f32, an integer file
 * only for _i32 (values must fit int32). */
dshap_status npy_read_f32(npy_file *f, int64_t n, float *out);
dshap_status npy_read_i32(npy_file *f, int64_t n, int32_t *out);
void npy_close(npy_file *f);
/* "float32" … for messages. */
const char *npy_dtype_name(const npy_file *f);

#endif
