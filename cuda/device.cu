#include "device.h"

#include <cuda_runtime.h>
#include <stdio.h>

extern "C" int cuda_device_count(void) {
    int n = 0; /* cudaGetDeviceCount leaves it untouched without a driver */
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return n;
}

extern "C" int cuda_device_describe(int dev, char *name, size_t cap, size_t *total_mem, char *pci, size_t pci_cap) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
        cudaGetLastError();
        return -1;
    }
    snprintf(name, cap, "%s", p.name);
    *total_mem = p.totalGlobalMem;
    if (cudaDeviceGetPCIBusId(pci, (int)pci_cap, dev) != cudaSuccess) snprintf(pci, pci_cap, "?");
    return 0;
}
