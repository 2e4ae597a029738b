/* Convolutions and graph aggregation as cuBLAS GEMMs (the contractions of
 * ops_cuda.h and backward_cuda.h). Tensors are row-major (B, C, T, V); a
 * row-major (R × Ccols) matrix is a column-major (Ccols × R) one, so every
 * product below is written transposed for cuBLAS.
 *
 * k×1 convolution, groups 1: y_b = Σ_j W_j · shift_j(x_b), W_j the (Cout ×
 * Cin) weights of tap j. With stride 1 the shifted input is a view of x
 * (the rows t + j − pad, restricted to the frames inside [0, Tin)), so each
 * tap is one strided-batched GEMM over all rows, accumulating on the bias;
 * with stride > 1 the tap's frames are gathered into scratch first (rows in
 * chunks that fit). The backward runs the same taps transposed. */
#include <string.h>

#include "core/error.h"
#include "cuda/backward_cuda.h"
#include "cuda/conv_kernels.h"
#include "cuda/exec.h"
#include "cuda/ops_cuda.h"

/* Rows of shifted input a strided convolution keeps in scratch at least. */
#define CONV_MIN_SCRATCH_FLOATS ((int64_t)16 << 20) /* 64 MiB */

int64_t conv_scratch_floats(int Cin, int V, int Cout, int Tout, int k, int stride, int groups) {
    if (groups != 1) return 0;
    int64_t w = k > 1 ? (int64_t)k * Cout * Cin : 0;
    if (stride == 1) return w;
    int64_t row = (int64_t)(Cin > Cout ? Cin : Cout) * Tout * V;
    return w + (row > CONV_MIN_SCRATCH_FLOATS ? row : CONV_MIN_SCRATCH_FLOATS);
}

/* Output frames [*t_lo, *t_hi] whose tap j reads inside the input
 * (t·stride + j − pad in [0, Tin)); 0 when there are none. */
static int tap_range(int j, int Tin, int Tout, int stride, int pad, int *t_lo, int *t_hi) {
    int lo = pad - j > 0 ? (pad - j + stride - 1) / stride : 0;
    int num = Tin - 1 + pad - j;
    if (num < 0) return 0;
    int hi = num / stride;
    if (hi > Tout - 1) hi = Tout - 1;
    *t_lo = lo;
    *t_hi = hi;
    return lo <= hi;
}

/* Weights per tap: w itself for k = 1, else re-laid (k, Cout, Cin) into the
 * start of the scratch. */
static dshap_status tap_weights(const float *w, int Cout, int Cin, int k, cuda_stream s, const float **wt,
                                float **rest, int64_t *rest_floats) {
    float *scratch;
    int64_t cap, need = k > 1 ? (int64_t)k * Cout * Cin : 0;
    TRY(cuda_exec_scratch(s, &scratch, &cap));
    if (cap < need) FAIL(DSHAP_EDEVICE, "internal: convolution scratch of %lld floats, %lld needed", (long long)cap,
                         (long long)need);
    *wt = w;
    if (k > 1) {
        TRY(conv_relayout_launch(scratch, w, Cout, Cin, k, s));
        *wt = scratch;
    }
    *rest = scratch ? scratch + need : NULL;
    *rest_floats = cap - need;
    return DSHAP_OK;
}

static int chunk_rows(int64_t room, int64_t row, int B) {
    int64_t r = room / (row > 0 ? row : 1);
    return (int)(r > B ? B : r);
}

dshap_status conv_forward_cuda(float *y, const float *x, const float *w, const float *bias, int B, int Cin, int Tin,
                               int V, int Cout, int Tout, int k, int stride, int pad, int groups, cuda_stream s) {
    int64_t TVo = (int64_t)Tout * V, TVi = (int64_t)Tin * V;
    if (B <= 0) return DSHAP_OK;
    if (groups != 1) {
        if (groups != Cin || groups != Cout)
            FAIL(DSHAP_EINVAL, "internal: grouped convolution with groups %d, Cin %d, Cout %d", groups, Cin, Cout);
        return depthwise_forward_launch(y, x, w, bias, B, Cout, Tin, V, Tout, k, stride, pad, s);
    }
    const float *wt;
    float *room;
    int64_t room_floats;
    TRY(tap_weights(w, Cout, Cin, k, s, &wt, &room, &room_floats));
    TRY(conv_bias_fill_launch(y, bias, B, Cout, TVo, s));
    for (int j = 0; j < k; j++) {
        int t_lo, t_hi;
        if (!tap_range(j, Tin, Tout, stride, pad, &t_lo, &t_hi)) continue;
        int nt = t_hi - t_lo + 1;
        const float *wj = wt + (int64_t)j * Cout * Cin;
        if (stride == 1) {
            /* yᵀ (nt·V × Cout) += x_shiftedᵀ (nt·V × Cin) · W_jᵀ (Cin × Cout) */
            TRY(cuda_gemm(s, 0, 0, nt * V, Cout, Cin, x + (int64_t)(t_lo + j - pad) * V, (int)TVi, Cin * TVi, wj, Cin,
                          0, 1.0f, y + (int64_t)t_lo * V, (int)TVo, Cout * TVo, B));
            continue;
        }
        int64_t row = (int64_t)Cin * nt * V;
        int chunk = chunk_rows(room_floats, row, B);
        if (chunk < 1) FAIL(DSHAP_EDEVICE, "internal: convolution scratch too small for one row");
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int nb = B - b0 < chunk ? B - b0 : chunk;
            TRY(conv_gather_launch(room, x + (int64_t)b0 * Cin * TVi, nb, Cin, Tin, V, nt, t_lo, stride, j - pad, s));
            TRY(cuda_gemm(s, 0, 0, nt * V, Cout, Cin, room, nt * V, row, wj, Cin, 0, 1.0f,
                          y + (int64_t)b0 * Cout * TVo + (int64_t)t_lo * V, (int)TVo, Cout * TVo, nb));
        }
    }
    return DSHAP_OK;
}

dshap_status conv_backward_cuda(float *m_x, const float *m_y, const float *w, int B, int Cin, int Tin, int V, int Cout,
                                int Tout, int k, int stride, int pad, int groups, int acc, cuda_stream s) {
    int64_t TVo = (int64_t)Tout * V, TVi = (int64_t)Tin * V;
    if (B <= 0) return DSHAP_OK;
    if (groups != 1) {
        if (groups != Cin || groups != Cout)
            FAIL(DSHAP_EINVAL, "internal: grouped convolution with groups %d, Cin %d, Cout %d", groups, Cin, Cout);
        return depthwise_backward_launch(m_x, m_y, w, B, Cin, Tin, V, Tout, k, stride, pad, acc, s);
    }
    const float *wt;
    float *room;
    int64_t room_floats;
    TRY(tap_weights(w, Cout, Cin, k, s, &wt, &room, &room_floats));
    /* Overwriting needs a tap that covers every input frame: it goes first
     * with β = 0 and the others add; without one, clear first. */
    int first = -1;
    if (!acc && stride == 1)
        for (int j = 0; j < k && first < 0; j++) {
            int t_lo, t_hi;
            if (tap_range(j, Tin, Tout, 1, pad, &t_lo, &t_hi) && t_lo + j - pad == 0 && t_hi + j - pad == Tin - 1)
                first = j;
        }
    if (!acc && first < 0) TRY(cuda_zero(m_x, sizeof(float) * (size_t)B * Cin * TVi, s));
    for (int jj = -1; jj < k; jj++) {
        int j = jj < 0 ? first : jj;
        if (j < 0 || (jj >= 0 && j == first)) continue;
        int t_lo, t_hi;
        if (!tap_range(j, Tin, Tout, stride, pad, &t_lo, &t_hi)) continue;
        int nt = t_hi - t_lo + 1;
        const float *wj = wt + (int64_t)j * Cout * Cin;
        if (stride == 1) {
            /* m_x_shiftedᵀ (nt·V × Cin) (+)= m_yᵀ (nt·V × Cout) · W_j (Cout × Cin) */
            TRY(cuda_gemm(s, 0, 1, nt * V, Cin, Cout, m_y + (int64_t)t_lo * V, (int)TVo, Cout * TVo, wj, Cin, 0,
                          j == first ? 0.0f : 1.0f, m_x + (int64_t)(t_lo + j - pad) * V, (int)TVi, Cin * TVi, B));
            continue;
        }
        int64_t row = (int64_t)Cin * nt * V;
        int chunk = chunk_rows(room_floats, row, B);
        if (chunk < 1) FAIL(DSHAP_EDEVICE, "internal: convolution scratch too small for one row");
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int nb = B - b0 < chunk ? B - b0 : chunk;
            TRY(cuda_gemm(s, 0, 1, nt * V, Cin, Cout, m_y + (int64_t)b0 * Cout * TVo + (int64_t)t_lo * V, (int)TVo,
                          Cout * TVo, wj, Cin, 0, 0.0f, room, nt * V, row, nb));
            TRY(conv_scatter_launch(m_x + (int64_t)b0 * Cin * TVi, room, nb, Cin, Tin, V, nt, t_lo, stride, j - pad,
                                    s));
        }
    }
    return DSHAP_OK;
}

/* y_b (CT × W) (+)= x_{b,k} (CT × V) · G_k (V × W), one GEMM per partition
 * k over all rows: yᵀ = G_kᵀ · x_{b,k}ᵀ. */
dshap_status graph_forward_cuda(float *y, const float *x, const float *G, int B, int K, int C, int T, int V,
                                cuda_stream s) {
    int64_t CT = (int64_t)C * T;
    for (int k = 0; k < K; k++)
        TRY(cuda_gemm(s, 0, 0, V, (int)CT, V, G + (int64_t)k * V * V, V, 0, x + (int64_t)k * CT * V, V, K * CT * V,
                      k ? 1.0f : 0.0f, y, V, CT * V, B));
    return DSHAP_OK;
}

/* m_x_{b,k} (CT × V) (+)= m_y_b (CT × W) · G_kᵀ: m_xᵀ = G_k · m_yᵀ. */
dshap_status graph_backward_cuda(float *m_x, const float *m_y, const float *G, int B, int K, int C, int T, int V,
                                 int acc, cuda_stream s) {
    int64_t CT = (int64_t)C * T;
    for (int k = 0; k < K; k++)
        TRY(cuda_gemm(s, 1, 0, V, (int)CT, V, G + (int64_t)k * V * V, V, 0, m_y, V, CT * V, acc ? 1.0f : 0.0f,
                      m_x + (int64_t)k * CT * V, V, K * CT * V, B));
    return DSHAP_OK;
}
