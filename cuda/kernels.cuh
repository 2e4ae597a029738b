/* Launch helpers shared by the kernel files (CUDA C++ only). */
#ifndef DSHAP_CUDA_KERNELS_CUH
#define DSHAP_CUDA_KERNELS_CUH

#include <stdint.h>

#include "cuda/cuda_check.h"
#include "cuda/elem.h"

#define THREADS 256

/* Blocks for a grid-stride loop over n items (capped; the loop covers the rest). */
static inline unsigned blocks_for(int64_t n) {
    int64_t b = (n + THREADS - 1) / THREADS;
    if (b < 1) b = 1;
    return (unsigned)(b > 65535 * 64 ? 65535 * 64 : b);
}

#define GRID_LOOP(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

/* A kernel that applies el_NAME to every element 0..n-1, and its launcher
 * body (status on a bad launch). */
#define ELEM_KERNEL(name, params, args)                          \
    __global__ void name##_k params {                            \
        GRID_LOOP(o, n) el_##name args;                          \
    }
#define LAUNCH(name, n, s, ...)                                  \
    do {                                                         \
        if ((n) > 0) {                                           \
            name##_k<<<blocks_for(n), THREADS, 0, (s)>>>(__VA_ARGS__); \
            LAUNCH_TRY();                                        \
        }                                                        \
    } while (0)

/* Fixed-shape warp reduction (deterministic: the same tree every run). */
__device__ __forceinline__ double warp_sum(double x) {
    for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(0xffffffffu, x, o);
    return x;
}

#endif
