/* Row maps, seeds, φ accumulation and granularity reduction on the device
 * (element bodies in elem.h). */
#include "phi_cuda.h"

#include "kernels.cuh"

ELEM_KERNEL(seed, (int64_t n, float *m_out, const int *classes, int p0, int n_r, int n_k, int K),
            (o, m_out, classes, p0, n_r, n_k, K))
ELEM_KERNEL(accumulate_phi,
            (int64_t n, double *phi, const float *m, const int *slot, const float *x_inst, const float *x_ref, int p0,
             int P, int n_r, int n_k, int i_lo, int64_t F, int branch, int C, int T, int V, int M),
            (o, phi, m, slot, x_inst, x_ref, p0, P, n_r, n_k, i_lo, F, branch, C, T, V, M))
ELEM_KERNEL(gran_reduce, (int64_t n, double *out, const double *phi, granularity g, int64_t G), (o, out, phi, g, G))

extern "C" dshap_status seed_cuda(float *m_out, const int *classes, int p0, int P, int n_r, int n_k, int K,
                                  cuda_stream s) {
    int64_t n = (int64_t)P * K;
    LAUNCH(seed, n, s, n, m_out, classes, p0, n_r, n_k, K);
    return DSHAP_OK;
}

extern "C" dshap_status accumulate_phi_cuda(double *phi, const float *m, const int *slot, const float *x_inst,
                                            const float *x_ref, int p0, int P, int n_r, int n_k, int64_t F, int branch,
                                            int C, int T, int V, int M, cuda_stream s) {
    int i_lo = p0 / (n_r * n_k), i_hi = (p0 + P - 1) / (n_r * n_k);
    int64_t n = (int64_t)(i_hi - i_lo + 1) * n_k * C * T * V * (branch < 0 ? 1 : M);
    LAUNCH(accumulate_phi, n, s, n, phi, m, slot, x_inst, x_ref, p0, P, n_r, n_k, i_lo, F, branch, C, T, V, M);
    return DSHAP_OK;
}

extern "C" dshap_status gran_reduce_cuda(double *out, const double *phi, int64_t nk, const granularity *g,
                                         cuda_stream s) {
    int64_t G = gran_size(g), n = nk * G;
    if (g->kind == STORE_FULL) {
        if (n) CUDA_TRY(cudaMemcpyAsync(out, phi, sizeof(double) * (size_t)n, cudaMemcpyDeviceToDevice, s));
        return DSHAP_OK;
    }
    LAUNCH(gran_reduce, n, s, n, out, phi, *g, G);
    return DSHAP_OK;
}

/* One block per row, a fixed tree over the block's partial sums. */
__global__ void phi_totals_k(double *totals, const double *phi, int64_t F) {
    __shared__ double part[THREADS];
    const double *p = phi + (int64_t)blockIdx.x * F;
    double s = 0;
    for (int64_t f = threadIdx.x; f < F; f += THREADS) s += p[f];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) totals[blockIdx.x] = part[0];
}

extern "C" dshap_status phi_totals_cuda(double *totals, const double *phi, int64_t nk, int64_t F, cuda_stream s) {
    if (nk <= 0) return DSHAP_OK;
    phi_totals_k<<<(unsigned)nk, THREADS, 0, s>>>(totals, phi, F);
    LAUNCH_TRY();
    return DSHAP_OK;
}
