#include "cpu/ops_cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/act.h"
#include "engine/arch.h"
#include "engine/net.h"

void input_forward_cpu(float *y, const float *x, int N, int n_branches, int branch, int C, int T, int V, int M) {
    int64_t TV = (int64_t)T * V;
    if (branch < 0) { /* the whole sample as it is */
        memcpy(y, x, sizeof(float) * (size_t)((int64_t)N * C * TV));
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const float *src = x + (((int64_t)n * n_branches + branch) * C + c) * TV * M;
            for (int m = 0; m < M; m++) {
                float *dst = y + (((int64_t)n * M + m) * C + c) * TV;
                for (int64_t i = 0; i < TV; i++) dst[i] = src[i * M + m];
            }
        }
}

/* Per-thread scratch that grows and is kept: a fresh multi-MiB malloc per
 * row costs page faults on every call. */
float *cpu_scratch(int64_t n) {
    static _Thread_local float *buf;
    static _Thread_local int64_t cap;
    if (n > cap) {
        free(buf);
        buf = malloc(sizeof(float) * (size_t)n);
        cap = buf ? n : 0;
    }
    return buf;
}

void cpu_backend_init(void) {
    /* Each GEMM runs on one thread and the engine parallelises over rows:
     * OpenBLAS's own threading changes results with the thread count, and
     * dshap's output must not depend on threads or ranks. */
    openblas_set_num_threads(1);
}

void conv_forward_cpu(float *y, const float *x, const float *w, const float *bias, int B, int Cin, int Tin, int V,
                      int Cout, int Tout, int k, int stride, int pad, int groups) {
    int64_t TVo = (int64_t)Tout * V, TVi = (int64_t)Tin * V;
    if (groups == 1 && k == 1 && stride == 1) {
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; b++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)TVo, Cin, 1.0f, w, Cin,
                        x + b * Cin * TVi, (int)TVi, 0.0f, y + b * Cout * TVo, (int)TVo);
    } else if (groups == 1) {
        /* im2col: col (Cin·k, Tout·V), then one GEMM per row */
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; b++) {
            float *col = cpu_scratch((int64_t)Cin * k * TVo);
            const float *xb = x + b * Cin * TVi;
            for (int ci = 0; ci < Cin; ci++)
                for (int j = 0; j < k; j++) {
                    float *dst = col + ((int64_t)ci * k + j) * TVo;
                    for (int t = 0; t < Tout; t++) {
                        int ti = t * stride + j - pad;
                        if (ti < 0 || ti >= Tin) memset(dst + t * V, 0, sizeof(float) * V);
                        else memcpy(dst + t * V, xb + ci * TVi + (int64_t)ti * V, sizeof(float) * V);
                    }
                }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, (int)TVo, Cin * k, 1.0f, w, Cin * k, col,
                        (int)TVo, 0.0f, y + b * Cout * TVo, (int)TVo);
        }
    } else { /* depthwise: groups == Cin == Cout */
#pragma omp parallel for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int c = 0; c < Cout; c++) {
                const float *xc = x + ((int64_t)b * Cin + c) * TVi;
                float *yc = y + ((int64_t)b * Cout + c) * TVo;
                const float *wc = w + (int64_t)c * k;
                for (int t = 0; t < Tout; t++)
                    for (int v = 0; v < V; v++) {
                        float s = 0;
                        for (int j = 0; j < k; j++) {
                            int ti = t * stride + j - pad;
                            if (ti >= 0 && ti < Tin) s += wc[j] * xc[(int64_t)ti * V + v];
                        }
                        yc[t * V + v] = s;
                    }
            }
    }
    if (bias) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int c = 0; c < Cout; c++) {
                float *yc = y + ((int64_t)b * Cout + c) * TVo;
                for (int64_t i = 0; i < TVo; i++) yc[i] += bias[c];
            }
    }
}

void affine_forward_cpu(float *y, const float *x, const float *scale, const float *shift, int B, int C, int TV) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            int64_t o = ((int64_t)b * C + c) * TV;
            for (int i = 0; i < TV; i++) y[o + i] = x[o + i] * scale[c] + shift[c];
        }
}

void graph_forward_cpu(float *y, const float *x, const float *G, int B, int K, int C, int T, int V) {
    int64_t CT = (int64_t)C * T;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)CT, V, V, 1.0f,
                        x + ((int64_t)b * K + k) * CT * V, V, G + (int64_t)k * V * V, V, k ? 1.0f : 0.0f,
                        y + (int64_t)b * CT * V, V);
}

/* One loop per activation so each inlines and vectorises. */
#define ACT_LOOP(KIND)                                                 \
    _Pragma("omp parallel for schedule(static)") for (int64_t i = 0; i < n; i++) y[i] = act_value(KIND, x[i]); \
    break;

void act_forward_cpu(float *y, const float *x, int64_t n, int act) {
    switch (act) {
    case ACT_RELU: ACT_LOOP(ACT_RELU)
    case ACT_RELU6: ACT_LOOP(ACT_RELU6)
    case ACT_HARDSWISH: ACT_LOOP(ACT_HARDSWISH)
    case ACT_SILU: ACT_LOOP(ACT_SILU)
    case ACT_SIGMOID: ACT_LOOP(ACT_SIGMOID)
    case ACT_TANH: ACT_LOOP(ACT_TANH)
    }
}
#undef ACT_LOOP

static inline int64_t bidx(shape3 s, int c, int t, int v) {
    return ((int64_t)(s.C == 1 ? 0 : c) * s.T + (s.T == 1 ? 0 : t)) * s.V + (s.V == 1 ? 0 : v);
}

static void binary(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb, int mul) {
    int64_t ny = (int64_t)sy.C * sy.T * sy.V, na = (int64_t)sa.C * sa.T * sa.V, nb = (int64_t)sb.C * sb.T * sb.V;
#pragma omp parallel for collapse(2) schedule(static)
    for (int r = 0; r < B; r++)
        for (int c = 0; c < sy.C; c++) {
            const float *ar = a + r * na, *br = b + r * nb;
            float *yr = y + r * ny + (int64_t)c * sy.T * sy.V;
            for (int t = 0; t < sy.T; t++)
                for (int v = 0; v < sy.V; v++) {
                    float p = ar[bidx(sa, c, t, v)], q = br[bidx(sb, c, t, v)];
                    yr[t * sy.V + v] = mul ? p * q : p + q;
                }
        }
}

void add_forward_cpu(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb) {
    binary(y, a, b, B, sy, sa, sb, 0);
}
void mul_forward_cpu(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb) {
    binary(y, a, b, B, sy, sa, sb, 1);
}

static void reduce(float *y, const float *x, int B, shape3 s, int axes, int is_max) {
    shape3 so = {axes & AX_C ? 1 : s.C, axes & AX_T ? 1 : s.T, axes & AX_V ? 1 : s.V};
    int64_t nx = (int64_t)s.C * s.T * s.V, no = (int64_t)so.C * so.T * so.V;
    double count = (double)nx / (double)no;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < B; r++) {
        const float *xr = x + r * nx;
        float *yr = y + r * no;
        /* Accumulate in double so the mean does not depend on the order. */
        double *acc = calloc((size_t)no, sizeof(double));
        for (int64_t i = 0; i < no; i++) acc[i] = is_max ? -INFINITY : 0.0;
        for (int c = 0; c < s.C; c++)
            for (int t = 0; t < s.T; t++)
                for (int v = 0; v < s.V; v++) {
                    double val = xr[((int64_t)c * s.T + t) * s.V + v];
                    int64_t o = bidx(so, c, t, v);
                    if (is_max) {
                        if (val > acc[o]) acc[o] = val;
                    } else {
                        acc[o] += val;
                    }
                }
        for (int64_t i = 0; i < no; i++) yr[i] = (float)(is_max ? acc[i] : acc[i] / count);
        free(acc);
    }
}

void mean_forward_cpu(float *y, const float *x, int B, shape3 sx, int axes) { reduce(y, x, B, sx, axes, 0); }
void max_forward_cpu(float *y, const float *x, int B, shape3 sx, int axes) { reduce(y, x, B, sx, axes, 1); }

void concat_forward_cpu(float *y, const float *const *parts, const int *C, int n, int B, int TV) {
    int Ctot = 0;
    for (int i = 0; i < n; i++) Ctot += C[i];
    for (int b = 0; b < B; b++) {
        int64_t off = (int64_t)b * Ctot * TV;
        for (int i = 0; i < n; i++) {
            memcpy(y + off, parts[i] + (int64_t)b * C[i] * TV, sizeof(float) * (size_t)C[i] * TV);
            off += (int64_t)C[i] * TV;
        }
    }
}

void softmax_forward_cpu(float *y, const float *x, int B, shape3 s, int axis) {
    /* Walk every line along `axis`: length L, stride S, lines enumerated by (outer, inner). */
    int L = axis == AX_C ? s.C : axis == AX_T ? s.T : s.V;
    int64_t S = axis == AX_C ? (int64_t)s.T * s.V : axis == AX_T ? s.V : 1;
    int64_t n = (int64_t)s.C * s.T * s.V, lines = n / L;
#pragma omp parallel for collapse(2) schedule(static)
    for (int r = 0; r < B; r++)
        for (int64_t l = 0; l < lines; l++) {
            int64_t outer = l / S, inner = l % S, base = r * n + outer * L * S + inner;
            float mx = -INFINITY;
            for (int i = 0; i < L; i++) mx = fmaxf(mx, x[base + i * S]);
            double sum = 0;
            for (int i = 0; i < L; i++) sum += exp((double)x[base + i * S] - mx);
            for (int i = 0; i < L; i++) y[base + i * S] = (float)(exp((double)x[base + i * S] - mx) / sum);
        }
}

void gather_forward_cpu(float *y, const float *x, const int *index, int B, int C, int T, int Vin, int Vout) {
    int64_t rows = (int64_t)B * C * T;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++)
        for (int v = 0; v < Vout; v++) y[r * Vout + v] = x[r * Vin + index[v]];
}

void person_mean_forward_cpu(float *y, const float *x, int N, int M, int64_t S) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < S; i++) {
            double s = 0;
            for (int m = 0; m < M; m++) s += x[((int64_t)n * M + m) * S + i];
            y[(int64_t)n * S + i] = (float)(s / M);
        }
}
