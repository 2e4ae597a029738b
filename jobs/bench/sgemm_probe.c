/* Measured SGEMM rate of this machine through the same OpenBLAS dshap uses
 * (single-threaded GEMMs in parallel over rows, as the engine runs them):
 * the denominator of "fraction of the machine's sgemm rate" in the benchmark
 * reports. Prints GFLOP/s for the shapes that dominate the NTU model. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/blas_tune.h"
#include "cpu/ops_cpu.h"
#include "mpi/dist.h"

static double rate(int M, int N, int K, int threads) {
    int reps = 0;
    float *a = calloc((size_t)M * K, 4), *b = calloc((size_t)K * N * threads, 4), *c = calloc((size_t)M * N * threads, 4);
    for (long i = 0; i < (long)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)K * N * threads; i++) b[i] = (float)(i % 5) * 0.1f;
    double t0 = dist_time(), t;
    do {
#pragma omp parallel for num_threads(threads)
        for (int r = 0; r < threads; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b + (long)r * K * N, N, 0.0f,
                        c + (long)r * M * N, N);
        reps++;
        t = dist_time() - t0;
    } while (t < 1.0);
    free(a);
    free(b);
    free(c);
    return 2.0 * M * N * K * threads * reps / t * 1e-9;
}

int main(int argc, char **argv) {
    blas_tune_reexec(argv);
    cpu_backend_init();
    int T = omp_get_max_threads();
    printf("OpenBLAS kernels: %s, threads: %d\n", blas_corename(), T);
    printf("%-28s %12s %12s\n", "shape (M x N x K)", "1 thread", "all threads");
    int shapes[][3] = {{128, 3750, 640}, {256, 3750, 128}, {128, 1875, 128}, {384, 1875, 512}, {1920, 25, 25}};
    double best = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        double r1 = rate(shapes[i][0], shapes[i][1], shapes[i][2], 1);
        double rt = rate(shapes[i][0], shapes[i][1], shapes[i][2], T);
        if (rt > best) best = rt;
        printf("%4d x %5d x %4d            %9.1f GF %9.1f GF\n", shapes[i][0], shapes[i][1], shapes[i][2], r1, rt);
    }
    printf("machine sgemm rate (best, all threads): %.1f GFLOP/s\n", best);
    return 0;
}
