#include "cpu/backward_cpu.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"

void conv_backward_cpu(float *m_x, const float *m_y, const float *w, int B, int Cin, int Tin, int V, int Cout, int Tout,
                       int k, int stride, int pad, int groups, int acc) {
    int64_t TVo = (int64_t)Tout * V, TVi = (int64_t)Tin * V;
    if (groups == 1 && k == 1 && stride == 1) {
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; b++)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Cin, (int)TVi, Cout, 1.0f, w, Cin,
                        m_y + b * Cout * TVo, (int)TVo, acc ? 1.0f : 0.0f, m_x + b * Cin * TVi, (int)TVi);
    } else if (groups == 1) {
        /* col (Cin·k, Tout·V) = Wᵀ · m_y, then scatter-add (col2im) */
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; b++) {
            float *col = cpu_scratch((int64_t)Cin * k * TVo);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Cin * k, (int)TVo, Cout, 1.0f, w, Cin * k,
                        m_y + b * Cout * TVo, (int)TVo, 0.0f, col, (int)TVo);
            float *mb = m_x + b * Cin * TVi;
            if (!acc) memset(mb, 0, sizeof(float) * (size_t)(Cin * TVi));
            for (int ci = 0; ci < Cin; ci++)
                for (int j = 0; j < k; j++) {
                    const float *src = col + ((int64_t)ci * k + j) * TVo;
                    for (int t = 0; t < Tout; t++) {
                        int ti = t * stride + j - pad;
                        if (ti < 0 || ti >= Tin) continue;
                        float *dst = mb + ci * TVi + (int64_t)ti * V;
                        for (int v = 0; v < V; v++) dst[v] += src[t * V + v];
                    }
                }
        }
    } else { /* depthwise */
#pragma omp parallel for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int c = 0; c < Cout; c++) {
                const float *my = m_y + ((int64_t)b * Cout + c) * TVo;
                float *mx = m_x + ((int64_t)b * Cin + c) * TVi;
                const float *wc = w + (int64_t)c * k;
                if (!acc) memset(mx, 0, sizeof(float) * (size_t)TVi);
                for (int t = 0; t < Tout; t++)
                    for (int j = 0; j < k; j++) {
                        int ti = t * stride + j - pad;
                        if (ti < 0 || ti >= Tin) continue;
                        for (int v = 0; v < V; v++) mx[(int64_t)ti * V + v] += wc[j] * my[t * V + v];
                    }
            }
    }
}

void affine_backward_cpu(float *m_x, const float *m_y, const float *scale, int B, int C, int TV, int acc) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            int64_t o = ((int64_t)b * C + c) * TV;
            if (acc)
                for (int i = 0; i < TV; i++) m_x[o + i] += m_y[o + i] * scale[c];
            else
                for (int i = 0; i < TV; i++) m_x[o + i] = m_y[o + i] * scale[c];
        }
}

void graph_backward_cpu(float *m_x, const float *m_y, const float *G, int B, int K, int C, int T, int V, int acc) {
    int64_t CT = (int64_t)C * T;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)CT, V, V, 1.0f, m_y + (int64_t)b * CT * V, V,
                        G + (int64_t)k * V * V, V, acc ? 1.0f : 0.0f, m_x + ((int64_t)b * K + k) * CT * V, V);
}

static inline int64_t bidx(shape3 s, int c, int t, int v) {
    return ((int64_t)(s.C == 1 ? 0 : c) * s.T + (s.T == 1 ? 0 : t)) * s.V + (s.V == 1 ? 0 : v);
}

void broadcast_backward_cpu(float *m_x, const float *m_y, int B, shape3 sy, shape3 sx, int acc) {
    int64_t ny = (int64_t)sy.C * sy.T * sy.V, nx = (int64_t)sx.C * sx.T * sx.V;
    if (nx == ny) {
        copy_backward_cpu(m_x, m_y, (int64_t)B * ny, acc);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < B; r++) {
        const float *my = m_y + r * ny;
        float *mx = m_x + r * nx;
        if (!acc) memset(mx, 0, sizeof(float) * (size_t)nx);
        for (int c = 0; c < sy.C; c++)
            for (int t = 0; t < sy.T; t++)
                for (int v = 0; v < sy.V; v++) mx[bidx(sx, c, t, v)] += my[((int64_t)c * sy.T + t) * sy.V + v];
    }
}

void mean_backward_cpu(float *m_x, const float *m_y, int B, shape3 sx, int axes, int acc) {
    shape3 so = {axes & AX_C ? 1 : sx.C, axes & AX_T ? 1 : sx.T, axes & AX_V ? 1 : sx.V};
    int64_t nx = (int64_t)sx.C * sx.T * sx.V, no = (int64_t)so.C * so.T * so.V;
    float inv = (float)((double)no / (double)nx);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < B; r++) {
        const float *my = m_y + r * no;
        float *mx = m_x + r * nx;
        for (int c = 0; c < sx.C; c++)
            for (int t = 0; t < sx.T; t++)
                for (int v = 0; v < sx.V; v++) {
                    float *d = &mx[((int64_t)c * sx.T + t) * sx.V + v];
                    *d = (acc ? *d : 0.0f) + my[bidx(so, c, t, v)] * inv;
                }
    }
}

void concat_backward_cpu(float *m_x, const float *m_y, int B, int Ctot, int c0, int C, int TV, int acc) {
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        const float *src = m_y + ((int64_t)b * Ctot + c0) * TV;
        float *dst = m_x + (int64_t)b * C * TV;
        if (acc)
            for (int64_t i = 0; i < (int64_t)C * TV; i++) dst[i] += src[i];
        else
            memcpy(dst, src, sizeof(float) * (size_t)(C * TV));
    }
}

void gather_backward_cpu(float *m_x, const float *m_y, const int *index, int B, int C, int T, int Vin, int Vout,
                         int acc) {
    int64_t rows = (int64_t)B * C * T;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        if (!acc) memset(m_x + r * Vin, 0, sizeof(float) * (size_t)Vin);
        for (int v = 0; v < Vout; v++) m_x[r * Vin + index[v]] += m_y[r * Vout + v];
    }
}

void person_mean_backward_cpu(float *m_x, const float *m_y, const int *sample, int B, int M, int64_t S, int acc) {
    float inv = 1.0f / (float)M;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < B; j++)
        for (int64_t i = 0; i < S; i++) {
            float *d = &m_x[(int64_t)j * S + i];
            *d = (acc ? *d : 0.0f) + m_y[(int64_t)sample[j] * S + i] * inv;
        }
}

void copy_backward_cpu(float *m_x, const float *m_y, int64_t n, int acc) {
    if (!acc) {
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < n; i++) m_x[i] = m_y[i];
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) m_x[i] += m_y[i];
}
