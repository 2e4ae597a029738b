/* CUDA device discovery (plain C interface; no CUDA types leak out). */
#ifndef DSHAP_CUDA_DEVICE_H
#define DSHAP_CUDA_DEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of usable GPUs; 0 when there is no driver or no device (any CUDA
 * error counts as "no GPU"). */
int cuda_device_count(void);
/* Name, memory and PCI bus id of device `dev`; returns 0 on success. */
int cuda_device_describe(int dev, char *name, size_t cap, size_t *total_mem, char *pci, size_t pci_cap);

#ifdef __cplusplus
}
#endif
#endif
