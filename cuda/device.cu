#include "device.h"

#include <cuda_runtime.h>
#include <stdio.h>

#include "cuda_check.h"

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

extern "C" dshap_status cuda_select(int dev) {
    int n = cuda_device_count();
    if (n == 0) FAIL(DSHAP_EDEVICE, "no CUDA device is available (no GPU or no driver)");
    if (dev < 0 || dev >= n) FAIL(DSHAP_EDEVICE, "GPU %d requested but this machine has %d (0..%d)", dev, n, n - 1);
    CUDA_TRY(cudaSetDevice(dev));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_mem_info(size_t *free_bytes, size_t *total_bytes) {
    CUDA_TRY(cudaMemGetInfo(free_bytes, total_bytes));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_alloc(void **p, size_t bytes, const char *what) {
    *p = NULL;
    if (!bytes) return DSHAP_OK;
    cudaError_t e = cudaMalloc(p, bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();
        *p = NULL;
        FAIL(DSHAP_ENOMEM, "GPU out of memory allocating %.1f MiB for %s (%s)", bytes / 1048576.0, what,
             cudaGetErrorString(e));
    }
    return DSHAP_OK;
}

extern "C" void cuda_release(void *p) {
    if (p) cudaFree(p);
}

extern "C" dshap_status cuda_stream_new(cuda_stream *s) {
    cudaStream_t t;
    CUDA_TRY(cudaStreamCreateWithFlags(&t, cudaStreamNonBlocking));
    *s = t;
    return DSHAP_OK;
}

extern "C" void cuda_stream_free(cuda_stream s) {
    if (s) cudaStreamDestroy(s);
}

extern "C" dshap_status cuda_stream_sync(cuda_stream s) {
    CUDA_TRY(cudaStreamSynchronize(s));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_upload(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_download(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_copy(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_zero(void *dst, size_t bytes, cuda_stream s) {
    if (bytes) CUDA_TRY(cudaMemsetAsync(dst, 0, bytes, s));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_poison(float *dst, int64_t n, cuda_stream s) {
    /* 0xFF bytes are a NaN pattern in float32 */
    if (n > 0) CUDA_TRY(cudaMemsetAsync(dst, 0xFF, sizeof(float) * (size_t)n, s));
    return DSHAP_OK;
}
