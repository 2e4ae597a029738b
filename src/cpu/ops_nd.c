#include "cpu/ops_nd.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/act.h"
#include "cpu/nd_index.h"
#include "cpu/ops_cpu.h"

int transpose_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t st[NODE_MAX_RANK], pst[NODE_MAX_RANK], nx = nd_numel(&sx[0]);
    nd_strides(&sx[0], st);
    for (int j = 0; j < nd->shape.rank; j++) pst[j] = st[nd->perm[j]];
    int64_t *off = nd_offsets(&nd->shape, pst, 0);
    if (!off) return -1;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t e = 0; e < nx; e++) y[r * nx + e] = x[0][r * nx + off[e]];
    free(off);
    return 0;
}

nd_operands nd_binary_operands(const float *const *x, const nd_shape *sx, const node *nd) {
    nd_operands o;
    if (nd->kdata) {
        int k = nd->k_first ? 0 : 1;
        o.p[k] = nd->kdata, o.s[k] = nd->kshape, o.row[k] = 0, o.act[k] = -1;
        o.p[1 - k] = x[0], o.s[1 - k] = sx[0], o.row[1 - k] = nd_numel(&sx[0]), o.act[1 - k] = 0;
    } else {
        for (int k = 0; k < 2; k++) o.p[k] = x[k], o.s[k] = sx[k], o.row[k] = nd_numel(&sx[k]), o.act[k] = k;
    }
    return o;
}

static inline float binop(int op, float a, float b) {
    switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    }
    return a / b;
}

int binary_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    nd_operands o = nd_binary_operands(x, sx, nd);
    int64_t sa[NODE_MAX_RANK], sb[NODE_MAX_RANK], n = nd_numel(&nd->shape);
    nd_bcast_strides(&nd->shape, &o.s[0], sa);
    nd_bcast_strides(&nd->shape, &o.s[1], sb);
    int64_t *oa = nd_offsets(&nd->shape, sa, 0), *ob = nd_offsets(&nd->shape, sb, 0);
    if (!oa || !ob) {
        free(oa), free(ob);
        return -1;
    }
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        const float *a = o.p[0] + r * o.row[0], *b = o.p[1] + r * o.row[1];
        for (int64_t e = 0; e < n; e++) y[r * n + e] = binop(nd->binop, a[oa[e]], b[ob[e]]);
    }
    free(oa), free(ob);
    return 0;
}

/* The batch axes of a matmul operand (all but its last two; none for 1-D). */
static nd_shape batch_part(const nd_shape *s) {
    nd_shape b = {s->rank > 2 ? s->rank - 2 : 0, {0}};
    for (int i = 0; i < b.rank; i++) b.d[i] = s->d[i];
    return b;
}

int matmul_geom_make(matmul_geom *g, const nd_shape *sa, const nd_shape *sb) {
    g->n = sa->rank >= 2 ? sa->d[sa->rank - 2] : 1;
    g->kk = sa->d[sa->rank - 1];
    g->p = sb->rank >= 2 ? sb->d[sb->rank - 1] : 1;
    nd_shape ba = batch_part(sa), bb = batch_part(sb), bo = {ba.rank > bb.rank ? ba.rank : bb.rank, {0}};
    for (int j = 0; j < bo.rank; j++) {
        int ia = j - (bo.rank - ba.rank), ib = j - (bo.rank - bb.rank);
        int64_t da = ia < 0 ? 1 : ba.d[ia], db = ib < 0 ? 1 : bb.d[ib];
        bo.d[j] = da > db ? da : db;
    }
    int64_t sta[NODE_MAX_RANK], stb[NODE_MAX_RANK];
    nd_bcast_strides(&bo, &ba, sta);
    nd_bcast_strides(&bo, &bb, stb);
    for (int j = 0; j < bo.rank; j++) sta[j] *= g->n * g->kk, stb[j] *= g->kk * g->p;
    g->nb = nd_numel(&bo);
    g->aoff = nd_offsets(&bo, sta, 0);
    g->boff = nd_offsets(&bo, stb, 0);
    if (g->aoff && g->boff) return 0;
    matmul_geom_free(g);
    return -1;
}

void matmul_geom_free(matmul_geom *g) {
    free(g->aoff), free(g->boff);
    g->aoff = g->boff = NULL;
}

/* The right operand is one matrix for every output matrix and the left
 * ones lie back to back: one GEMM of nb·n rows does them all. */
int matmul_right_shared(const matmul_geom *g) {
    for (int64_t q = 0; q < g->nb; q++)
        if (g->boff[q] != 0 || g->aoff[q] != q * g->n * g->kk) return 0;
    return 1;
}

/* One single-threaded sgemm per row and output matrix (cpu_backend_init),
 * or per row where matmul_right_shared. */
int matmul_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    nd_operands o = nd_binary_operands(x, sx, nd);
    matmul_geom g;
    if (matmul_geom_make(&g, &o.s[0], &o.s[1])) return -1;
    int64_t ny = g.nb * g.n * g.p, nq = matmul_right_shared(&g) ? 1 : g.nb, M = g.n * (g.nb / nq);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t q = 0; q < nq; q++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)g.p, (int)g.kk, 1.0f,
                        o.p[0] + r * o.row[0] + g.aoff[q], (int)g.kk, o.p[1] + r * o.row[1] + g.boff[q], (int)g.p,
                        0.0f, y + r * ny + q * g.n * g.p, (int)g.p);
    matmul_geom_free(&g);
    return 0;
}

sp_geom sp_geom_make(const nd_shape *sx, const node *nd) {
    sp_geom g;
    int two = nd->nsp == 2;
    g.C = sx->d[0], g.H = sx->d[1], g.W = two ? sx->d[2] : 1;
    g.Co = nd->shape.d[0], g.Ho = nd->shape.d[1], g.Wo = two ? nd->shape.d[2] : 1;
    g.kh = nd->kernel[0], g.kw = two ? nd->kernel[1] : 1;
    g.sh = nd->strides[0], g.sw = two ? nd->strides[1] : 1;
    g.dh = nd->dilations[0] > 0 ? nd->dilations[0] : 1;
    g.dw = two && nd->dilations[1] > 0 ? nd->dilations[1] : 1;
    g.ph = nd->pads[0], g.pw = two ? nd->pads[1] : 0;
    g.ph_end = nd->pads[nd->nsp], g.pw_end = two ? nd->pads[3] : 0;
    return g;
}

void sp_im2col(float *col, const float *x, const sp_geom *g, int64_t cg) {
    int64_t N = g->Ho * g->Wo;
    for (int64_t ci = 0; ci < cg; ci++)
        for (int i = 0; i < g->kh; i++)
            for (int j = 0; j < g->kw; j++) {
                float *dst = col + ((ci * g->kh + i) * g->kw + j) * N;
                for (int64_t oh = 0; oh < g->Ho; oh++) {
                    int64_t ih = oh * g->sh - g->ph + (int64_t)i * g->dh;
                    for (int64_t ow = 0; ow < g->Wo; ow++) {
                        int64_t iw = ow * g->sw - g->pw + (int64_t)j * g->dw;
                        int in = ih >= 0 && ih < g->H && iw >= 0 && iw < g->W;
                        dst[oh * g->Wo + ow] = in ? x[(ci * g->H + ih) * g->W + iw] : 0.0f;
                    }
                }
            }
}

void sp_col2im(float *x, const float *col, const sp_geom *g, int64_t cg) {
    int64_t N = g->Ho * g->Wo;
    for (int64_t ci = 0; ci < cg; ci++)
        for (int i = 0; i < g->kh; i++)
            for (int j = 0; j < g->kw; j++) {
                const float *src = col + ((ci * g->kh + i) * g->kw + j) * N;
                for (int64_t oh = 0; oh < g->Ho; oh++) {
                    int64_t ih = oh * g->sh - g->ph + (int64_t)i * g->dh;
                    if (ih < 0 || ih >= g->H) continue;
                    for (int64_t ow = 0; ow < g->Wo; ow++) {
                        int64_t iw = ow * g->sw - g->pw + (int64_t)j * g->dw;
                        if (iw >= 0 && iw < g->W) x[(ci * g->H + ih) * g->W + iw] += src[oh * g->Wo + ow];
                    }
                }
            }
}

/* Per row and group: col = im2col(x), y = W_g · col (one single-threaded
 * GEMM, cpu_backend_init), plus the bias. */
int convnd_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t G = nd->groups, cg = g.C / G, og = g.Co / G, K = cg * g.kh * g.kw, N = g.Ho * g.Wo;
    int64_t nx = g.C * g.H * g.W, ny = g.Co * N;
    int fail = 0;
#pragma omp parallel for collapse(2) schedule(static) reduction(| : fail)
    for (int64_t r = 0; r < B; r++)
        for (int64_t gi = 0; gi < G; gi++) {
            float *col = cpu_scratch(K * N), *yg = y + r * ny + gi * og * N;
            if (!col) {
                fail = 1;
                continue;
            }
            sp_im2col(col, x[0] + r * nx + gi * cg * g.H * g.W, &g, cg);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)N, (int)K, 1.0f, nd->w + gi * og * K,
                        (int)K, col, (int)N, 0.0f, yg, (int)N);
            if (nd->b)
                for (int64_t co = 0; co < og; co++)
                    for (int64_t e = 0; e < N; e++) yg[co * N + e] += nd->b[gi * og + co];
        }
    return fail ? -1 : 0;
}

/* Offsets of the reduced output element of each input element. */
int64_t *reduce_offsets(const nd_shape *sx, const node *nd, int64_t *count) {
    nd_shape so = *sx;
    for (int a = 0; a < nd->n_axes; a++) so.d[nd->axes_nd[a]] = 1;
    int64_t st[NODE_MAX_RANK];
    nd_bcast_strides(sx, &so, st);
    *count = nd_numel(sx) / nd_numel(&so);
    return nd_offsets(sx, st, 0);
}

int reduce_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t cnt, nx = nd_numel(&sx[0]), ny = nd_numel(&nd->shape);
    int64_t *off = reduce_offsets(&sx[0], nd, &cnt);
    if (!off) return -1;
    int fail = 0;
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int64_t r = 0; r < B; r++) {
        double *s = calloc((size_t)ny, sizeof(double));
        if (!s) {
            fail = 1;
            continue;
        }
        for (int64_t e = 0; e < nx; e++) s[off[e]] += x[0][r * nx + e];
        for (int64_t o = 0; o < ny; o++) y[r * ny + o] = (float)(nd->reduce ? s[o] / (double)cnt : s[o]);
        free(s);
    }
    free(off);
    return fail ? -1 : 0;
}

/* ONNX count_include_pad: positions inside the padded extent count,
 * otherwise those inside the input. */
int64_t pool_count(const sp_geom *g, const node *nd, int64_t oh, int64_t ow) {
    int64_t n = 0;
    for (int i = 0; i < g->kh; i++) {
        int64_t ih = oh * g->sh - g->ph + (int64_t)i * g->dh;
        int inh = nd->count_include_pad ? ih < g->H + g->ph_end : ih >= 0 && ih < g->H;
        for (int j = 0; j < g->kw; j++) {
            int64_t iw = ow * g->sw - g->pw + (int64_t)j * g->dw;
            int inw = nd->count_include_pad ? iw < g->W + g->pw_end : iw >= 0 && iw < g->W;
            n += inh && inw;
        }
    }
    return n;
}

int pool_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t nx = g.C * g.H * g.W, ny = g.C * g.Ho * g.Wo;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t c = 0; c < g.C; c++) {
            const float *xc = x[0] + r * nx + c * g.H * g.W;
            for (int64_t oh = 0; oh < g.Ho; oh++)
                for (int64_t ow = 0; ow < g.Wo; ow++) {
                    double s = 0;
                    float m = -INFINITY;
                    for (int i = 0; i < g.kh; i++) {
                        int64_t ih = oh * g.sh - g.ph + (int64_t)i * g.dh;
                        if (ih < 0 || ih >= g.H) continue;
                        for (int j = 0; j < g.kw; j++) {
                            int64_t iw = ow * g.sw - g.pw + (int64_t)j * g.dw;
                            if (iw < 0 || iw >= g.W) continue;
                            float v = xc[ih * g.W + iw];
                            s += v;
                            m = v > m ? v : m;
                        }
                    }
                    y[r * ny + (c * g.Ho + oh) * g.Wo + ow] =
                        nd->pool ? m : (float)(s / (double)pool_count(&g, nd, oh, ow));
                }
        }
    return 0;
}

int64_t *slice_offsets(const nd_shape *sx, const node *nd) {
    int64_t st[NODE_MAX_RANK], vst[NODE_MAX_RANK], base = 0;
    nd_strides(sx, st);
    for (int j = 0; j < sx->rank; j++) {
        vst[j] = st[j] * nd->steps[j];
        base += st[j] * nd->starts[j];
    }
    return nd_offsets(&nd->shape, vst, base);
}

int slice_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t nx = nd_numel(&sx[0]), ny = nd_numel(&nd->shape);
    int64_t *off = slice_offsets(&sx[0], nd);
    if (!off) return -1;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t e = 0; e < ny; e++) y[r * ny + e] = x[0][r * nx + off[e]];
    free(off);
    return 0;
}

int64_t *pad_offsets(const nd_shape *sx, const node *nd) {
    const nd_shape *so = &nd->shape;
    int64_t st[NODE_MAX_RANK], idx[NODE_MAX_RANK] = {0}, n = nd_numel(so);
    nd_strides(sx, st);
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!off) return NULL;
    for (int64_t e = 0; e < n; e++) {
        int64_t o = 0;
        for (int j = 0; j < so->rank && o >= 0; j++) {
            int64_t i = idx[j] - nd->pads[j];
            o = i < 0 || i >= sx->d[j] ? -1 : o + i * st[j];
        }
        off[e] = o;
        for (int j = so->rank - 1; j >= 0; j--) {
            if (++idx[j] < so->d[j]) break;
            idx[j] = 0;
        }
    }
    return off;
}

int pad_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t nx = nd_numel(&sx[0]), ny = nd_numel(&nd->shape);
    int64_t *off = pad_offsets(&sx[0], nd);
    if (!off) return -1;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t e = 0; e < ny; e++) y[r * ny + e] = off[e] < 0 ? nd->pad_value : x[0][r * nx + off[e]];
    free(off);
    return 0;
}

int concat_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t outer, L, inner, ny = nd_numel(&nd->shape);
    nd_split(&nd->shape, nd->axis, &outer, &L, &inner);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++) {
        int64_t at = 0;
        for (int i = 0; i < nd->n_in; i++) {
            int64_t li = sx[i].d[nd->axis] * inner, ni = outer * li;
            for (int64_t o = 0; o < outer; o++)
                memcpy(y + r * ny + o * L * inner + at, x[i] + r * ni + o * li, sizeof(float) * (size_t)li);
            at += li;
        }
    }
    return 0;
}

int gather_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t outer, L, inner, nx = nd_numel(&sx[0]), G = nd->gather_n;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < G; j++)
                memcpy(y + ((r * outer + o) * G + j) * inner, x[0] + r * nx + (o * L + nd->gather_index[j]) * inner,
                       sizeof(float) * (size_t)inner);
    return 0;
}

int softmax_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t outer, L, inner;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
    softmax_forward_cpu(y, x[0], (int)B, (shape3){(int)outer, (int)L, (int)inner}, AX_T);
    return 0;
}

int channel_affine_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t C = sx[0].d[0];
    affine_forward_cpu(y, x[0], nd->scale, nd->shift, (int)B, (int)C, (int)(nd_numel(&sx[0]) / C));
    return 0;
}

int act_forward_nd(float *y, const float *const *x, const nd_shape *sx, const node *nd, int64_t B) {
    int64_t n = nd_numel(&sx[0]), inner = sx[0].rank ? n / sx[0].d[0] : 1;
    if (nd->act < ACT_COUNT) {
        act_forward_cpu(y, x[0], B * n, nd->act);
        return 0;
    }
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; r++)
        for (int64_t e = 0; e < n; e++)
            y[r * n + e] = act_value_p(nd->act, x[0][r * n + e], act_alpha_at(nd, inner, e), nd->beta);
    return 0;
}
