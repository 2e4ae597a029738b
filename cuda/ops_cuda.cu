/* Forward kernels (twins of cpu/ops_cpu.c); convolution and graph
 * aggregation are GEMMs, in conv_cuda.c. Element bodies: elem.h. */
#include "ops_cuda.h"

#include "kernels.cuh"

ELEM_KERNEL(input_forward, (int64_t n, float *y, const float *x, int n_branches, int branch, int C, int T, int V, int M),
            (o, y, x, n_branches, branch, C, T, V, M))
ELEM_KERNEL(affine_forward, (int64_t n, float *y, const float *x, const float *scale, const float *shift, int C, int TV),
            (o, y, x, scale, shift, C, TV))
ELEM_KERNEL(act_forward, (int64_t n, float *y, const float *x, int act), (o, y, x, act))
ELEM_KERNEL(binary, (int64_t n, float *y, const float *a, const float *b, shape3 sy, shape3 sa, shape3 sb, int mul),
            (o, y, a, b, sy, sa, sb, mul))
ELEM_KERNEL(concat_part, (int64_t n, float *y, const float *part, int Ctot, int c0, int C, int TV),
            (o, y, part, Ctot, c0, C, TV))
ELEM_KERNEL(softmax_forward, (int64_t n, float *y, const float *x, int64_t per_row, int L, int64_t S),
            (o, y, x, per_row, L, S))
ELEM_KERNEL(gather_forward, (int64_t n, float *y, const float *x, const int *index, int Vin, int Vout),
            (o, y, x, index, Vin, Vout))
ELEM_KERNEL(person_mean_forward, (int64_t n, float *y, const float *x, int M, int64_t S), (o, y, x, M, S))

extern "C" dshap_status input_forward_cuda(float *y, const float *x, int N, int n_branches, int branch, int C, int T,
                                           int V, int M, cuda_stream s) {
    int64_t n = (int64_t)N * (branch < 0 ? 1 : M) * C * T * V;
    LAUNCH(input_forward, n, s, n, y, x, n_branches, branch, C, T, V, M);
    return DSHAP_OK;
}

extern "C" dshap_status affine_forward_cuda(float *y, const float *x, const float *scale, const float *shift, int B,
                                            int C, int TV, cuda_stream s) {
    int64_t n = (int64_t)B * C * TV;
    LAUNCH(affine_forward, n, s, n, y, x, scale, shift, C, TV);
    return DSHAP_OK;
}

extern "C" dshap_status act_forward_cuda(float *y, const float *x, int64_t n, int act, cuda_stream s) {
    LAUNCH(act_forward, n, s, n, y, x, act);
    return DSHAP_OK;
}

extern "C" dshap_status add_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa,
                                         shape3 sb, cuda_stream s) {
    int64_t n = B * el_size(sy);
    LAUNCH(binary, n, s, n, y, a, b, sy, sa, sb, 0);
    return DSHAP_OK;
}

extern "C" dshap_status mul_forward_cuda(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa,
                                         shape3 sb, cuda_stream s) {
    int64_t n = B * el_size(sy);
    LAUNCH(binary, n, s, n, y, a, b, sy, sa, sb, 1);
    return DSHAP_OK;
}

/* One warp per output element: lane l takes window elements l, l+32, ...,
 * in double, then a fixed shuffle tree (el_reduce is the serial form). */
__global__ void reduce_k(int64_t warps_total, float *y, const float *x, shape3 s, int axes, int is_max) {
    int64_t no = el_size(el_reduced(s, axes)), nr = el_size(s) / no;
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5, warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t w = warp; w < warps_total; w += warps) {
        int64_t r = w / no, o = w % no;
        const float *xr = x + r * el_size(s);
        double acc = is_max ? -INFINITY : 0.0;
        for (int64_t i = lane; i < nr; i += 32) {
            double val = xr[el_window(s, axes, o, i)];
            if (is_max) acc = val > acc ? val : acc;
            else acc += val;
        }
        if (is_max) {
            for (int d = 16; d > 0; d >>= 1) {
                double other = __shfl_down_sync(0xffffffffu, acc, d);
                acc = other > acc ? other : acc;
            }
        } else {
            acc = warp_sum(acc);
        }
        if (lane == 0) y[w] = (float)(is_max ? acc : acc / (double)nr);
    }
}

static dshap_status reduce_cuda(float *y, const float *x, int B, shape3 sx, int axes, int is_max, cudaStream_t s) {
    int64_t warps = B * el_size(el_reduced(sx, axes));
    if (warps <= 0) return DSHAP_OK;
    reduce_k<<<blocks_for(warps * 32), THREADS, 0, s>>>(warps, y, x, sx, axes, is_max);
    LAUNCH_TRY();
    return DSHAP_OK;
}

extern "C" dshap_status mean_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s) {
    return reduce_cuda(y, x, B, sx, axes, 0, s);
}

extern "C" dshap_status max_forward_cuda(float *y, const float *x, int B, shape3 sx, int axes, cuda_stream s) {
    return reduce_cuda(y, x, B, sx, axes, 1, s);
}

extern "C" dshap_status concat_forward_cuda(float *y, const float *const *parts, const int *C, int n_parts, int B,
                                            int TV, cuda_stream s) {
    int Ctot = 0, c0 = 0;
    for (int i = 0; i < n_parts; i++) Ctot += C[i];
    for (int i = 0; i < n_parts; i++) {
        int64_t n = (int64_t)B * C[i] * TV;
        LAUNCH(concat_part, n, s, n, y, parts[i], Ctot, c0, C[i], TV);
        c0 += C[i];
    }
    return DSHAP_OK;
}

extern "C" dshap_status softmax_forward_cuda(float *y, const float *x, int B, shape3 sh, int axis, cuda_stream s) {
    int L;
    int64_t S, per_row = el_size(sh);
    el_line(sh, axis, &L, &S);
    int64_t n = B * (per_row / L);
    LAUNCH(softmax_forward, n, s, n, y, x, per_row, L, S);
    return DSHAP_OK;
}

extern "C" dshap_status gather_forward_cuda(float *y, const float *x, const int *index, int B, int C, int T, int Vin,
                                            int Vout, cuda_stream s) {
    int64_t n = (int64_t)B * C * T * Vout;
    LAUNCH(gather_forward, n, s, n, y, x, index, Vin, Vout);
    return DSHAP_OK;
}

extern "C" dshap_status person_mean_forward_cuda(float *y, const float *x, int N, int M, int64_t S, cuda_stream s) {
    int64_t n = (int64_t)N * S;
    LAUNCH(person_mean_forward, n, s, n, y, x, M, S);
    return DSHAP_OK;
}
