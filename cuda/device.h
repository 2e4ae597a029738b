/* CUDA device discovery, memory and streams behind a plain C interface: no
 * CUDA header is needed to include this, and no CUDA type leaks out (a
 * cuda_stream is the same pointer type as cudaStream_t). */
#ifndef DSHAP_CUDA_DEVICE_H
#define DSHAP_CUDA_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "dshap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CUstream_st *cuda_stream; /* == cudaStream_t */

/* Number of usable GPUs; 0 when there is no driver or no device (any CUDA
 * error counts as "no GPU"). */
int cuda_device_count(void);
/* Name, memory and PCI bus id of device `dev`; returns 0 on success. */
int cuda_device_describe(int dev, char *name, size_t cap, size_t *total_mem, char *pci, size_t pci_cap);

/* Make `dev` current on this thread (checked against the device count). */
dshap_status cuda_select(int dev);
dshap_status cuda_mem_info(size_t *free_bytes, size_t *total_bytes);
/* Device allocation; *p is NULL for 0 bytes. The message names `what`. */
dshap_status cuda_alloc(void **p, size_t bytes, const char *what);
void cuda_release(void *p);
dshap_status cuda_stream_new(cuda_stream *s);
void cuda_stream_free(cuda_stream s);
dshap_status cuda_stream_sync(cuda_stream s);
/* Stream-ordered copies (host buffers may be pageable) and fills. */
dshap_status cuda_upload(void *dst, const void *src, size_t bytes, cuda_stream s);
dshap_status cuda_download(void *dst, const void *src, size_t bytes, cuda_stream s);
dshap_status cuda_copy(void *dst, const void *src, size_t bytes, cuda_stream s); /* device to device */
dshap_status cuda_zero(void *dst, size_t bytes, cuda_stream s);
/* Fill a float buffer with NaN (tests poison outputs with it). */
dshap_status cuda_poison(float *dst, int64_t n, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
