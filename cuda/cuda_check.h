/* Error checking for CUDA runtime and cuBLAS calls (CUDA-side code only:
 * the .cu files and any engine's .c files that call the runtime). Every failing
 * call becomes a dshap_status with the call's text, the CUDA message and
 * the source file and line (dshap_fail records the origin too). */
#ifndef DSHAP_CUDA_CHECK_H
#define DSHAP_CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "core/error.h"
#ifdef __cplusplus
}
#endif

#define CUDA_TRY(call)                                                                                        \
    do {                                                                                                      \
        cudaError_t cu_e_ = (call);                                                                           \
        if (cu_e_ != cudaSuccess)                                                                             \
            return dshap_fail(DSHAP_EDEVICE, __FILE__, __LINE__, "CUDA error at %s:%d in %s: %s", __FILE__,   \
                              __LINE__, #call, cudaGetErrorString(cu_e_));                                    \
    } while (0)

#define CUBLAS_TRY(call)                                                                                      \
    do {                                                                                                      \
        cublasStatus_t cb_s_ = (call);                                                                        \
        if (cb_s_ != CUBLAS_STATUS_SUCCESS)                                                                   \
            return dshap_fail(DSHAP_EDEVICE, __FILE__, __LINE__, "cuBLAS error at %s:%d in %s: %s", __FILE__, \
                              __LINE__, #call, cublasGetStatusString(cb_s_));                                 \
    } while (0)

/* For functions that release resources: st and a `done` label, as CHECK. */
#define CUDA_CHECK(call)                                                                                   \
    do {                                                                                                   \
        cudaError_t cu_e_ = (call);                                                                        \
        if (cu_e_ != cudaSuccess) {                                                                        \
            st = dshap_fail(DSHAP_EDEVICE, __FILE__, __LINE__, "CUDA error at %s:%d in %s: %s", __FILE__,  \
                            __LINE__, #call, cudaGetErrorString(cu_e_));                                   \
            goto done;                                                                                     \
        }                                                                                                  \
    } while (0)

/* After a kernel launch: a bad configuration shows up here (asynchronous
 * faults show up at the next synchronising call). */
#define LAUNCH_TRY() CUDA_TRY(cudaGetLastError())

#endif
