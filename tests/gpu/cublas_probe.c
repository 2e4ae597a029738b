/* The card's measured cuBLAS SGEMM rate, the yardstick of the benchmark's
 * "fraction of sgemm": a large square product (n = 8192) in FP32 and in
 * TF32, and the shape the engine's 1×1 convolutions run (a strided batch of
 * (T·V = 3750) × 128 × 128 products). Random inputs; 3 warm-up and 10 timed
 * runs between CUDA events; prints one SGEMM line per case. */
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>

#define CK(x)                                                                      \
    do {                                                                           \
        int e_ = (int)(x);                                                         \
        if (e_) {                                                                  \
            fprintf(stderr, "cublas_probe: %s failed (%d) at line %d\n", #x, e_, __LINE__); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static float *rand_dev(size_t n) {
    float *h = malloc(n * sizeof(float)), *d;
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        h[i] = (float)((s >> 9) & 0xFFFF) / 65536.0f - 0.5f;
    }
    CK(cudaMalloc((void **)&d, n * sizeof(float)));
    CK(cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice));
    free(h);
    return d;
}

/* m n k batch: column-major strided batch (batch 1 = a plain GEMM) */
static void probe(cublasHandle_t h, const char *label, int m, int n, int k, int batch) {
    float *A = rand_dev((size_t)m * k * batch), *B = rand_dev((size_t)k * n), *C = rand_dev((size_t)m * n * batch);
    const float one = 1.0f, zero = 0.0f;
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    float best = 1e30f, sum = 0;
    for (int r = 0; r < 13; r++) {
        CK(cudaEventRecord(e0, 0));
        CK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, A, m, (long long)m * k, B, k, 0,
                                     &zero, C, m, (long long)m * n, batch));
        CK(cudaEventRecord(e1, 0));
        CK(cudaEventSynchronize(e1));
        float ms;
        CK(cudaEventElapsedTime(&ms, e0, e1));
        if (r >= 3) {
            sum += ms;
            if (ms < best) best = ms;
        }
    }
    double fl = 2.0 * m * n * k * batch;
    printf("SGEMM case=%s m=%d n=%d k=%d batch=%d mean_ms=%.3f tflops=%.2f best_tflops=%.2f\n", label, m, n, k, batch,
           sum / 10, fl / (sum / 10 * 1e-3) * 1e-12, fl / (best * 1e-3) * 1e-12);
    fflush(stdout);
    cudaFree(A), cudaFree(B), cudaFree(C);
    cudaEventDestroy(e0), cudaEventDestroy(e1);
}

int main(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        printf("SKIP: cublas_probe needs a CUDA GPU\n");
        return 77;
    }
    struct cudaDeviceProp p;
    CK(cudaGetDeviceProperties(&p, 0));
    printf("DEVICE name=\"%s\" sms=%d mem_gib=%.1f cc=%d.%d\n", p.name, p.multiProcessorCount,
           p.totalGlobalMem / 1073741824.0, p.major, p.minor);
    cublasHandle_t h;
    CK(cublasCreate(&h));
    CK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    probe(h, "fp32-square", 8192, 8192, 8192, 1);
    probe(h, "fp32-conv1x1", 3750, 128, 128, 1024);
    CK(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH));
    probe(h, "tf32-square", 8192, 8192, 8192, 1);
    probe(h, "tf32-conv1x1", 3750, 128, 128, 1024);
    cublasDestroy(h);
    return 0;
}
