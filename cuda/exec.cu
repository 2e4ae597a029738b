/* A small table of attached streams. It is process state (like the CPU's
 * per-thread scratch), guarded by a mutex; engines own their entries. */
#include "conv_kernels.h"
#include "cuda_check.h"
#include "exec.h"

#include <pthread.h>
#include <string.h>

#define EXEC_MAX 64

typedef struct {
    cudaStream_t stream;
    cublasHandle_t blas;
    float *scratch;
    int64_t scratch_floats;
    int tf32;
} cuda_exec;

static cuda_exec table[EXEC_MAX];
static int used[EXEC_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

extern "C" dshap_status cuda_exec_attach(cuda_stream s, int allow_tf32, int64_t scratch_floats) {
    cuda_exec e;
    memset(&e, 0, sizeof e);
    e.stream = s;
    e.tf32 = allow_tf32;
    e.scratch_floats = scratch_floats;
    CUBLAS_TRY(cublasCreate(&e.blas));
    dshap_status st = DSHAP_OK;
    cublasStatus_t bs = cublasSetStream(e.blas, s);
    if (bs == CUBLAS_STATUS_SUCCESS)
        bs = cublasSetMathMode(e.blas, allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    if (bs != CUBLAS_STATUS_SUCCESS) {
        cublasDestroy(e.blas);
        FAIL(DSHAP_EDEVICE, "cuBLAS setup failed: %s", cublasGetStatusString(bs));
    }
    if (scratch_floats > 0) {
        cudaError_t ce = cudaMalloc((void **)&e.scratch, sizeof(float) * (size_t)scratch_floats);
        if (ce != cudaSuccess) {
            cudaGetLastError();
            cublasDestroy(e.blas);
            FAIL(DSHAP_ENOMEM, "GPU out of memory allocating %.1f MiB of convolution scratch",
                 scratch_floats * 4.0 / 1048576.0);
        }
    }
    pthread_mutex_lock(&lock);
    int slot = -1;
    for (int i = 0; i < EXEC_MAX && slot < 0; i++)
        if (!used[i]) slot = i;
    if (slot >= 0) {
        table[slot] = e;
        used[slot] = 1;
    }
    pthread_mutex_unlock(&lock);
    if (slot < 0) {
        cudaFree(e.scratch);
        cublasDestroy(e.blas);
        st = dshap_fail(DSHAP_EDEVICE, __FILE__, __LINE__, "internal: more than %d CUDA streams attached", EXEC_MAX);
    }
    return st;
}

extern "C" void cuda_exec_detach(cuda_stream s) {
    cuda_exec e;
    memset(&e, 0, sizeof e);
    int found = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < EXEC_MAX; i++)
        if (used[i] && table[i].stream == s) {
            e = table[i];
            used[i] = 0;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&lock);
    if (!found) return;
    cudaStreamSynchronize(s);
    cudaFree(e.scratch);
    cublasDestroy(e.blas);
}

static dshap_status cuda_exec_get(cudaStream_t s, cuda_exec *out) {
    int found = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < EXEC_MAX; i++)
        if (used[i] && table[i].stream == s) {
            *out = table[i];
            found = 1;
            break;
        }
    pthread_mutex_unlock(&lock);
    if (!found) FAIL(DSHAP_EDEVICE, "internal: CUDA stream used without cuda_exec_attach");
    return DSHAP_OK;
}

extern "C" dshap_status cuda_exec_tf32(cuda_stream s, int on) {
    cuda_exec e;
    memset(&e, 0, sizeof e);
    TRY(cuda_exec_get(s, &e));
    if (!e.tf32) return DSHAP_OK;
    CUBLAS_TRY(cublasSetMathMode(e.blas, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    return DSHAP_OK;
}

extern "C" dshap_status cuda_exec_scratch(cuda_stream s, float **scratch, int64_t *floats) {
    cuda_exec e;
    memset(&e, 0, sizeof e);
    TRY(cuda_exec_get(s, &e));
    *scratch = e.scratch;
    *floats = e.scratch_floats;
    return DSHAP_OK;
}

extern "C" dshap_status cuda_gemm(cuda_stream s, int trans_a, int trans_b, int m, int n, int k, const float *A, int lda,
                                  int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C,
                                  int ldc, int64_t stride_c, int batch) {
    if (batch <= 0 || m <= 0 || n <= 0) return DSHAP_OK;
    cuda_exec e;
    memset(&e, 0, sizeof e);
    TRY(cuda_exec_get(s, &e));
    const float one = 1.0f;
    CUBLAS_TRY(cublasSgemmStridedBatched(e.blas, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                         m, n, k, &one, A, lda, (long long)stride_a, B, ldb, (long long)stride_b, &beta,
                                         C, ldc, (long long)stride_c, batch));
    return DSHAP_OK;
}
