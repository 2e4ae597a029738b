#include "cpu/backward_nd.h"

#include <cblas.h>
#include <stdlib.h>

#include "cpu/backward_cpu.h"
#include "cpu/nd_index.h"
#include "cpu/ops_cpu.h"

int transpose_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                          int acc) {
    (void)which;
    int64_t st[NODE_MAX_RANK], pst[NODE_MAX_RANK], n = nd_numel(&sx[0]);
    nd_strides(&sx[0], st);
    for (int j = 0; j < nd->shape.rank; j++) pst[j] = st[nd->perm[j]];
    int64_t *off = nd_offsets(&nd->shape, pst, 0);
    if (!off) return -1;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        float *mx = m_x + r * n;
        const float *my = m_y + r * n;
        if (acc)
            for (int64_t e = 0; e < n; e++) mx[off[e]] += my[e];
        else
            for (int64_t e = 0; e < n; e++) mx[off[e]] = my[e];
    }
    free(off);
    return 0;
}

int nd_binary_linear(const node *nd) {
    if (nd->op == OP_MATMUL) return nd->kdata != NULL;
    if (nd->binop == BIN_ADD || nd->binop == BIN_SUB) return 1;
    return nd->kdata && (nd->binop == BIN_MUL || !nd->k_first);
}

int binary_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    const float *dummy[2] = {NULL, NULL};
    nd_operands o = nd_binary_operands(dummy, sx, nd);
    int k = o.act[0] == which ? 0 : 1;
    int64_t sa[NODE_MAX_RANK], sb[NODE_MAX_RANK], n = nd_numel(&nd->shape), nx = o.row[k];
    nd_bcast_strides(&nd->shape, &o.s[k], sa);
    nd_bcast_strides(&nd->shape, &o.s[1 - k], sb);
    int64_t *ox = nd_offsets(&nd->shape, sa, 0), *ok = nd_offsets(&nd->shape, sb, 0);
    if (!ox || !ok) {
        free(ox), free(ok);
        return -1;
    }
    const float *kd = nd->kdata;
    int op = nd->binop;
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        float *mx = m_x + r * nx;
        const float *my = m_y + r * n;
        for (int64_t e = 0; e < n; e++) {
            float m = my[e];
            if (op == BIN_SUB && k == 1) m = -m;
            else if (op == BIN_MUL) m *= kd[ok[e]];
            else if (op == BIN_DIV) m /= kd[ok[e]];
            mx[ox[e]] += m;
        }
    }
    free(ox), free(ok);
    return 0;
}

void matmul_grad_a(float *m_a, const float *m_y, const float *b, const matmul_geom *g) {
    int64_t nq = matmul_right_shared(g) ? 1 : g->nb, M = g->n * (g->nb / nq);
    for (int64_t q = 0; q < nq; q++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)g->kk, (int)g->p, 1.0f,
                    m_y + q * g->n * g->p, (int)g->p, b + g->boff[q], (int)g->p, 1.0f, m_a + g->aoff[q], (int)g->kk);
}

void matmul_grad_b(float *m_b, const float *a, const float *m_y, const matmul_geom *g) {
    for (int64_t q = 0; q < g->nb; q++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->kk, (int)g->p, (int)g->n, 1.0f, a + g->aoff[q],
                    (int)g->kk, m_y + q * g->n * g->p, (int)g->p, 1.0f, m_b + g->boff[q], (int)g->p);
}

int matmul_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    (void)which;
    const float *dummy[1] = {NULL};
    nd_operands o = nd_binary_operands(dummy, sx, nd);
    matmul_geom g;
    if (matmul_geom_make(&g, &o.s[0], &o.s[1])) return -1;
    int64_t nx = nd_numel(&sx[0]), ny = g.nb * g.n * g.p;
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        if (nd->k_first)
            matmul_grad_b(m_x + r * nx, nd->kdata, m_y + r * ny, &g);
        else
            matmul_grad_a(m_x + r * nx, m_y + r * ny, nd->kdata, &g);
    }
    matmul_geom_free(&g);
    return 0;
}

/* Per row and group: col = W_gᵀ · m_y (one GEMM), m_x += col2im(col). */
int convnd_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    (void)which;
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t G = nd->groups, cg = g.C / G, og = g.Co / G, K = cg * g.kh * g.kw, N = g.Ho * g.Wo;
    int64_t nx = g.C * g.H * g.W, ny = g.Co * N;
    int fail = 0;
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for collapse(2) schedule(static) reduction(| : fail)
    for (int64_t r = 0; r < B; r++)
        for (int64_t gi = 0; gi < G; gi++) {
            float *col = cpu_scratch(K * N);
            if (!col) {
                fail = 1;
                continue;
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)N, (int)og, 1.0f, nd->w + gi * og * K,
                        (int)K, m_y + r * ny + gi * og * N, (int)N, 0.0f, col, (int)N);
            sp_col2im(m_x + r * nx + gi * cg * g.H * g.W, col, &g, cg);
        }
    return fail ? -1 : 0;
}

int reduce_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    (void)which;
    int64_t cnt, nx = nd_numel(&sx[0]), ny = nd_numel(&nd->shape);
    int64_t *off = reduce_offsets(&sx[0], nd, &cnt);
    if (!off) return -1;
    float f = nd->reduce ? (float)(1.0 / (double)cnt) : 1.0f;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        float *mx = m_x + r * nx;
        const float *my = m_y + r * ny;
        for (int64_t e = 0; e < nx; e++) mx[e] = (acc ? mx[e] : 0.0f) + my[off[e]] * f;
    }
    free(off);
    return 0;
}

int pool_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc) {
    (void)which;
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t nx = g.C * g.H * g.W, ny = g.C * g.Ho * g.Wo;
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t c = 0; c < g.C; c++) {
            float *mx = m_x + r * nx + c * g.H * g.W;
            const float *my = m_y + r * ny + c * g.Ho * g.Wo;
            for (int64_t oh = 0; oh < g.Ho; oh++)
                for (int64_t ow = 0; ow < g.Wo; ow++) {
                    float m = (float)(my[oh * g.Wo + ow] / (double)pool_count(&g, nd, oh, ow));
                    for (int i = 0; i < g.kh; i++) {
                        int64_t ih = oh * g.sh - g.ph + (int64_t)i * g.dh;
                        if (ih < 0 || ih >= g.H) continue;
                        for (int j = 0; j < g.kw; j++) {
                            int64_t iw = ow * g.sw - g.pw + (int64_t)j * g.dw;
                            if (iw >= 0 && iw < g.W) mx[ih * g.W + iw] += m;
                        }
                    }
                }
        }
    return 0;
}

/* m_x (+)= scatter of m_y through off (-1: no input element) */
static void scatter_rows(float *m_x, const float *m_y, const int64_t *off, int64_t B, int64_t nx, int64_t ny,
                         int acc) {
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t e = 0; e < ny; e++)
            if (off[e] >= 0) m_x[r * nx + off[e]] += m_y[r * ny + e];
}

int slice_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                      int acc) {
    (void)which;
    int64_t *off = slice_offsets(&sx[0], nd);
    if (!off) return -1;
    scatter_rows(m_x, m_y, off, B, nd_numel(&sx[0]), nd_numel(&nd->shape), acc);
    free(off);
    return 0;
}

int pad_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B, int acc) {
    (void)which;
    int64_t *off = pad_offsets(&sx[0], nd);
    if (!off) return -1;
    scatter_rows(m_x, m_y, off, B, nd_numel(&sx[0]), nd_numel(&nd->shape), acc);
    free(off);
    return 0;
}

int concat_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    int64_t outer, L, inner, at = 0, ny = nd_numel(&nd->shape);
    nd_split(&nd->shape, nd->axis, &outer, &L, &inner);
    for (int i = 0; i < which; i++) at += sx[i].d[nd->axis] * inner;
    int64_t li = sx[which].d[nd->axis] * inner, ni = outer * li;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t o = 0; o < outer; o++) {
            float *mx = m_x + r * ni + o * li;
            const float *my = m_y + r * ny + o * L * inner + at;
            for (int64_t e = 0; e < li; e++) mx[e] = acc ? mx[e] + my[e] : my[e];
        }
    return 0;
}

int gather_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                       int acc) {
    (void)which;
    int64_t outer, L, inner, nx = nd_numel(&sx[0]), G = nd->gather_n;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
    nd_clear_rows(m_x, B, nx, acc);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < G; j++) {
                float *mx = m_x + r * nx + (o * L + nd->gather_index[j]) * inner;
                const float *my = m_y + ((r * outer + o) * G + j) * inner;
                for (int64_t i = 0; i < inner; i++) mx[i] += my[i];
            }
    return 0;
}

int channel_affine_backward_nd(float *m_x, const float *m_y, int which, const nd_shape *sx, const node *nd, int64_t B,
                               int acc) {
    (void)which;
    int64_t C = sx[0].d[0];
    affine_backward_cpu(m_x, m_y, nd->scale, (int)B, (int)C, (int)(nd_numel(&sx[0]) / C), acc);
    return 0;
}
