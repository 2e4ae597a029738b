/* The general-graph ops on the device (ops_nd_cuda.h): the CPU's geometry
 * (cpu/ops_nd.h, cpu/nd_index.h) turned into the by-value index structs of
 * elem_nd.h, one launch per op (per input for concat), and the matmul /
 * conv GEMMs. Row-major (R × C) is column-major (C × R), so each product
 * is written transposed for cuBLAS, as in conv_cuda.c. */
#include "cuda/ops_nd_cuda.h"

#include "core/error.h"
#include "cpu/nd_index.h"
#include "cpu/ops_nd.h"
#include "cuda/backward_cuda.h"
#include "cuda/conv_kernels.h"
#include "cuda/deeplift_cuda.h"
#include "cuda/nd_kernels.h"
#include "cuda/ops_cuda.h"

/* The operands of OP_BINARY / OP_MATMUL with the constant on the device. */
static nd_operands operands(const float *const *x, const nd_shape *sx, const node *nd, const nd_params_dev *p) {
    nd_operands o = nd_binary_operands(x, sx, nd);
    for (int k = 0; k < 2; k++)
        if (o.act[k] < 0) o.p[k] = p->kdata;
    return o;
}

/* s's dims aligned to out's axes (numpy broadcasting: 1 where missing) */
static void aligned_dims(const nd_shape *out, const nd_shape *s, int64_t *ds) {
    for (int j = 0; j < out->rank; j++) {
        int i = j - (out->rank - s->rank);
        ds[j] = i < 0 ? 1 : s->d[i];
    }
}

static el_view view_of(const nd_shape *d, const int64_t *st, int64_t base) {
    el_view v = {d->rank, {0}, {0}, base};
    for (int j = 0; j < d->rank; j++) v.d[j] = d->d[j], v.st[j] = st[j];
    return v;
}

/* small (aligned) over big; other: the third tensor read along big, or NULL */
static el_bcast bcast_of(const nd_shape *big, const nd_shape *small, const nd_shape *other) {
    el_bcast g = {big->rank, {0}, {0}, {0}};
    for (int j = 0; j < big->rank; j++) g.d[j] = big->d[j];
    aligned_dims(big, small, g.ds);
    if (other) nd_bcast_strides(big, other, g.sto);
    return g;
}

static el_crop crop_of(const nd_shape *sx, const node *nd, int pad) {
    el_crop c = {sx->rank, {0}, {0}, {0}, {0}};
    for (int j = 0; j < sx->rank; j++) {
        c.dout[j] = nd->shape.d[j], c.din[j] = sx->d[j];
        c.start[j] = pad ? -nd->pads[j] : nd->starts[j];
        c.step[j] = pad ? 1 : nd->steps[j];
    }
    return c;
}

static shape3 line_shape(const nd_shape *sx, int axis) {
    int64_t outer, L, inner;
    nd_split(sx, axis, &outer, &L, &inner);
    return (shape3){(int)outer, (int)L, (int)inner};
}

static rule_kind act_rule(rule_kind rule) { return rule == RULE_SHAPLEY ? RULE_RESCALE : rule; }

int64_t nd_scratch_floats_cuda(const nd_shape *sx, const node *nd) {
    if (nd->op == OP_CONVND) {
        sp_geom g = sp_geom_make(&sx[0], nd);
        return g.C * g.kh * g.kw * g.Ho * g.Wo; /* G groups of (C/G)·kh·kw × Ho·Wo */
    }
    if (nd->op == OP_MATMUL && !nd->kdata) {
        int64_t a = nd_numel(&sx[0]), b = nd_numel(&sx[1]);
        return a > b ? a : b;
    }
    return 0;
}

/* The stream's scratch as rows of per_row floats: at most *rows of them. */
static dshap_status scratch_rows(cuda_stream s, int64_t per_row, int64_t *rows, float **scratch) {
    int64_t cap;
    TRY(cuda_exec_scratch(s, scratch, &cap));
    int64_t r = cap / (per_row > 0 ? per_row : 1);
    if (r < 1)
        FAIL(DSHAP_EDEVICE, "internal: %lld floats of GPU scratch, %lld needed for one row", (long long)cap,
             (long long)per_row);
    if (r < *rows) *rows = r;
    return DSHAP_OK;
}

/* ---- forward ---- */

ND_FWD(transpose) {
    (void)p;
    int64_t st[NODE_MAX_RANK], pst[NODE_MAX_RANK], n = nd_numel(&sx[0]);
    nd_strides(&sx[0], st);
    for (int j = 0; j < nd->shape.rank; j++) pst[j] = st[nd->perm[j]];
    return permute_launch(B * n, y, x[0], view_of(&nd->shape, pst, 0), n, 0, s);
}

ND_FWD(binary) {
    nd_operands o = operands(x, sx, nd, p);
    int64_t sa[NODE_MAX_RANK], sb[NODE_MAX_RANK], n = nd_numel(&nd->shape);
    nd_bcast_strides(&nd->shape, &o.s[0], sa);
    nd_bcast_strides(&nd->shape, &o.s[1], sb);
    return binary_nd_launch(B * n, y, o.p[0], o.p[1], view_of(&nd->shape, sa, 0), view_of(&nd->shape, sb, 0),
                            o.row[0], o.row[1], n, nd->binop, s);
}

static dshap_status geom(matmul_geom *g, const nd_shape *sa, const nd_shape *sb) {
    if (matmul_geom_make(g, sa, sb)) FAIL(DSHAP_ENOMEM, "out of memory for a matmul's geometry");
    return DSHAP_OK;
}

/* y (n × p per matrix) = a (n × kk) · b (kk × p) over every output matrix,
 * each a GEMM batched over the B rows (row strides ra, rb; 0: a constant). */
static dshap_status matmul_rows(float *y, const float *a, int64_t ra, const float *b, int64_t rb,
                                const matmul_geom *g, int64_t B, cuda_stream s) {
    int64_t ny = g->nb * g->n * g->p, nq = matmul_right_shared(g) ? 1 : g->nb, M = g->n * (g->nb / nq);
    for (int64_t q = 0; q < nq && B > 0; q++)
        TRY(cuda_gemm(s, 0, 0, (int)g->p, (int)M, (int)g->kk, b + g->boff[q], (int)g->p, rb, a + g->aoff[q],
                      (int)g->kk, ra, 0.0f, y + q * g->n * g->p, (int)g->p, ny, (int)B));
    return DSHAP_OK;
}

ND_FWD(matmul) {
    nd_operands o = operands(x, sx, nd, p);
    matmul_geom g;
    TRY(geom(&g, &o.s[0], &o.s[1]));
    dshap_status st = matmul_rows(y, o.p[0], o.row[0], o.p[1], o.row[1], &g, B, s);
    matmul_geom_free(&g);
    return st;
}

/* Per chunk of rows: the im2col columns in scratch, one GEMM per group over
 * the chunk (y_g = W_g · col), then the bias. */
ND_FWD(convnd) {
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t G = nd->groups, cg = g.C / G, og = g.Co / G, K = cg * g.kh * g.kw, N = g.Ho * g.Wo;
    int64_t nx = g.C * g.H * g.W, ny = g.Co * N, chunk = B;
    float *col;
    if (B <= 0) return DSHAP_OK;
    TRY(scratch_rows(s, G * K * N, &chunk, &col));
    for (int64_t r0 = 0; r0 < B; r0 += chunk) {
        int64_t nr = B - r0 < chunk ? B - r0 : chunk;
        TRY(im2col_nd_launch(nr * G * K * N, col, x[0] + r0 * nx, g, cg, G, nx, s));
        for (int64_t gi = 0; gi < G; gi++)
            TRY(cuda_gemm(s, 0, 0, (int)N, (int)og, (int)K, col + gi * K * N, (int)N, G * K * N, p->w + gi * og * K,
                          (int)K, 0, 0.0f, y + r0 * ny + gi * og * N, (int)N, ny, (int)nr));
    }
    if (p->b) TRY(bias_add_nd_launch(B * ny, y, p->b, g.Co, N, s));
    return DSHAP_OK;
}

ND_FWD(reduce) {
    (void)p;
    nd_shape so = sx[0];
    for (int a = 0; a < nd->n_axes; a++) so.d[nd->axes_nd[a]] = 1;
    int64_t nx = nd_numel(&sx[0]), ny = nd_numel(&so);
    return reduce_nd_launch(B * ny, y, x[0], bcast_of(&sx[0], &so, NULL), nx, ny, nx / ny, nd->reduce, s);
}

ND_FWD(pool) {
    (void)p;
    sp_geom g = sp_geom_make(&sx[0], nd);
    return pool_forward_launch(B * g.C * g.Ho * g.Wo, y, x[0], g, nd->pool, nd->count_include_pad, s);
}

ND_FWD(slice) {
    (void)p;
    return crop_forward_launch(B * nd_numel(&nd->shape), y, x[0], crop_of(&sx[0], nd, 0), nd_numel(&sx[0]),
                               nd_numel(&nd->shape), 0.0f, s);
}

ND_FWD(pad) {
    (void)p;
    return crop_forward_launch(B * nd_numel(&nd->shape), y, x[0], crop_of(&sx[0], nd, 1), nd_numel(&sx[0]),
                               nd_numel(&nd->shape), nd->pad_value, s);
}

ND_FWD(concat) {
    (void)p;
    int64_t outer, L, inner, at = 0;
    nd_split(&nd->shape, nd->axis, &outer, &L, &inner);
    for (int i = 0; i < nd->n_in; i++) {
        int64_t li = sx[i].d[nd->axis] * inner;
        TRY(concat_nd_launch(B * outer * li, y, x[i], li, L * inner, at, s));
        at += li;
    }
    return DSHAP_OK;
}

ND_FWD(gather) {
    int64_t outer, L, inner;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
    return gather_nd_launch(B * outer * nd->gather_n * inner, y, x[0], p->gather_index, L, nd->gather_n, inner, s);
}

ND_FWD(softmax) {
    (void)p;
    return softmax_forward_cuda(y, x[0], (int)B, line_shape(&sx[0], nd->axis), AX_T, s);
}

ND_FWD(channel_affine) {
    int64_t C = sx[0].d[0];
    return affine_forward_cuda(y, x[0], p->scale, p->shift, (int)B, (int)C, (int)(nd_numel(&sx[0]) / C), s);
}

ND_FWD(act) {
    int64_t n = nd_numel(&sx[0]), inner = sx[0].rank ? n / sx[0].d[0] : 1;
    if (nd->act < ACT_COUNT) return act_forward_cuda(y, x[0], B * n, nd->act, s);
    return act_nd_forward_launch(B * n, y, x[0], n, inner, nd->act, nd->alpha, nd->beta, p->slope, nd->slope_n, s);
}

/* ---- linear backward ---- */

ND_BWD(transpose) {
    (void)which, (void)p;
    int64_t st[NODE_MAX_RANK], ist[NODE_MAX_RANK], n = nd_numel(&sx[0]);
    nd_strides(&nd->shape, st);
    for (int j = 0; j < nd->shape.rank; j++) ist[nd->perm[j]] = st[j];
    return permute_launch(B * n, m_x, m_y, view_of(&sx[0], ist, 0), n, acc, s);
}

ND_BWD(binary) {
    const float *none[2] = {NULL, NULL};
    nd_operands o = operands(none, sx, nd, p);
    int k = o.act[0] == which ? 0 : 1;
    el_bcast g = bcast_of(&nd->shape, &o.s[k], &o.s[1 - k]);
    return binary_backward_nd_launch(B * o.row[k], m_x, m_y, p->kdata, g, o.row[k], nd_numel(&nd->shape), nd->binop,
                                     k, acc, s);
}

/* m_a (n × kk per matrix, broadcast) += m_y · bᵀ over the output matrices
 * in order (matmul_grad_a), batched over rows */
static dshap_status grad_a(float *m_a, int64_t ra, const float *m_y, const float *b, int64_t rb, const matmul_geom *g,
                           int64_t B, cuda_stream s) {
    int64_t ny = g->nb * g->n * g->p, nq = matmul_right_shared(g) ? 1 : g->nb, M = g->n * (g->nb / nq);
    for (int64_t q = 0; q < nq && B > 0; q++)
        TRY(cuda_gemm(s, 1, 0, (int)g->kk, (int)M, (int)g->p, b + g->boff[q], (int)g->p, rb, m_y + q * g->n * g->p,
                      (int)g->p, ny, 1.0f, m_a + g->aoff[q], (int)g->kk, ra, (int)B));
    return DSHAP_OK;
}

/* m_b (kk × p per matrix, broadcast) += aᵀ · m_y (matmul_grad_b) */
static dshap_status grad_b(float *m_b, int64_t rb, const float *a, int64_t ra, const float *m_y, const matmul_geom *g,
                           int64_t B, cuda_stream s) {
    int64_t ny = g->nb * g->n * g->p;
    for (int64_t q = 0; q < g->nb && B > 0; q++)
        TRY(cuda_gemm(s, 0, 1, (int)g->p, (int)g->kk, (int)g->n, m_y + q * g->n * g->p, (int)g->p, ny,
                      a + g->aoff[q], (int)g->kk, ra, 1.0f, m_b + g->boff[q], (int)g->p, rb, (int)B));
    return DSHAP_OK;
}

ND_BWD(matmul) {
    (void)which;
    const float *none[1] = {NULL};
    nd_operands o = operands(none, sx, nd, p);
    matmul_geom g;
    TRY(geom(&g, &o.s[0], &o.s[1]));
    int64_t nx = nd_numel(&sx[0]);
    dshap_status st = acc ? DSHAP_OK : cuda_zero(m_x, sizeof(float) * (size_t)(B * nx), s);
    if (!st)
        st = nd->k_first ? grad_b(m_x, nx, p->kdata, 0, m_y, &g, B, s) : grad_a(m_x, nx, m_y, p->kdata, 0, &g, B, s);
    matmul_geom_free(&g);
    return st;
}

/* Per chunk of rows and group: col = W_gᵀ · m_y_g in scratch, then m_x
 * (+)= col2im(col) (each element gathers its taps). */
ND_BWD(convnd) {
    (void)which;
    sp_geom g = sp_geom_make(&sx[0], nd);
    int64_t G = nd->groups, cg = g.C / G, og = g.Co / G, K = cg * g.kh * g.kw, N = g.Ho * g.Wo;
    int64_t nx = g.C * g.H * g.W, ny = g.Co * N, chunk = B;
    float *col;
    if (B <= 0) return DSHAP_OK;
    TRY(scratch_rows(s, G * K * N, &chunk, &col));
    for (int64_t r0 = 0; r0 < B; r0 += chunk) {
        int64_t nr = B - r0 < chunk ? B - r0 : chunk;
        for (int64_t gi = 0; gi < G; gi++)
            TRY(cuda_gemm(s, 0, 1, (int)N, (int)K, (int)og, m_y + r0 * ny + gi * og * N, (int)N, ny,
                          p->w + gi * og * K, (int)K, 0, 0.0f, col + gi * K * N, (int)N, G * K * N, (int)nr));
        TRY(col2im_nd_launch(nr * nx, m_x + r0 * nx, col, g, cg, G, nx, acc, s));
    }
    return DSHAP_OK;
}

ND_BWD(reduce) {
    (void)which, (void)p;
    nd_shape so = sx[0];
    for (int a = 0; a < nd->n_axes; a++) so.d[nd->axes_nd[a]] = 1;
    int64_t st[NODE_MAX_RANK], nx = nd_numel(&sx[0]), ny = nd_numel(&so);
    nd_bcast_strides(&sx[0], &so, st);
    float f = nd->reduce ? (float)(1.0 / (double)(nx / ny)) : 1.0f;
    return reduce_backward_nd_launch(B * nx, m_x, m_y, view_of(&sx[0], st, 0), nx, ny, f, acc, s);
}

ND_BWD(pool) {
    (void)which, (void)p;
    sp_geom g = sp_geom_make(&sx[0], nd);
    return pool_backward_launch(B * g.C * g.H * g.W, m_x, m_y, g, nd->count_include_pad, acc, s);
}

ND_BWD(slice) {
    (void)which, (void)p;
    int64_t nx = nd_numel(&sx[0]);
    return crop_backward_launch(B * nx, m_x, m_y, crop_of(&sx[0], nd, 0), nx, nd_numel(&nd->shape), acc, s);
}

ND_BWD(pad) {
    (void)which, (void)p;
    int64_t nx = nd_numel(&sx[0]);
    return crop_backward_launch(B * nx, m_x, m_y, crop_of(&sx[0], nd, 1), nx, nd_numel(&nd->shape), acc, s);
}

ND_BWD(concat) {
    (void)p;
    int64_t outer, L, inner, at = 0;
    nd_split(&nd->shape, nd->axis, &outer, &L, &inner);
    for (int i = 0; i < which; i++) at += sx[i].d[nd->axis] * inner;
    int64_t li = sx[which].d[nd->axis] * inner;
    return concat_backward_nd_launch(B * outer * li, m_x, m_y, li, L * inner, at, acc, s);
}

ND_BWD(gather) {
    (void)which;
    int64_t outer, L, inner;
    nd_split(&sx[0], nd->axis, &outer, &L, &inner);
    return gather_backward_nd_launch(B * nd_numel(&sx[0]), m_x, m_y, p->gather_index, L, nd->gather_n, inner, acc, s);
}

ND_BWD(channel_affine) {
    (void)which;
    int64_t C = sx[0].d[0];
    return affine_backward_cuda(m_x, m_y, p->scale, (int)B, (int)C, (int)(nd_numel(&sx[0]) / C), acc, s);
}

/* ---- rules ---- */

ND_RULE(act) {
    (void)which, (void)y_i, (void)y_r;
    int64_t S = nd_numel(&sx[0]), inner = sx[0].rank ? S / sx[0].d[0] : 1;
    rule = act_rule(rule);
    if (nd->act < ACT_COUNT) return act_deeplift_cuda(m_x, m_y, x_i[0], x_r[0], rows, S, nd->act, rule, acc, s);
    return act_nd_deeplift_launch(rows.B * S, m_x, m_y, x_i[0], x_r[0], rows, S, inner, nd->act, nd->alpha, nd->beta,
                                  p->slope, nd->slope_n, (int)rule, acc, s);
}

ND_RULE(binary) {
    (void)y_i, (void)y_r;
    nd_operands oi = operands(x_i, sx, nd, p), orr = operands(x_r, sx, nd, p);
    int k = oi.act[0] == which ? 0 : 1;
    el_bcast g = bcast_of(&nd->shape, &oi.s[k], &oi.s[1 - k]);
    int64_t nx = oi.row[k];
    return binary_deeplift_nd_launch(rows.B * nx, m_x, m_y, oi.p[k], orr.p[k], oi.p[1 - k], orr.p[1 - k], oi.row[k],
                                     oi.row[1 - k], rows, g, nx, nd_numel(&nd->shape), nd->binop, k, (int)rule, acc,
                                     s);
}

/* Per chunk of rows: the other operand as the rule reads it (midpoint or
 * one side) in scratch, then matmul_backward's GEMMs against it. */
ND_RULE(matmul) {
    (void)y_i, (void)y_r, (void)p;
    int other = 1 - which;
    int64_t nx = nd_numel(&sx[which]), no = nd_numel(&sx[other]), chunk = rows.B;
    float *f;
    if (rows.B <= 0) return DSHAP_OK;
    TRY(scratch_rows(s, no, &chunk, &f));
    if (!acc) TRY(cuda_zero(m_x, sizeof(float) * (size_t)(rows.B * nx), s));
    matmul_geom g;
    TRY(geom(&g, &sx[0], &sx[1]));
    int64_t ny = g.nb * g.n * g.p;
    dshap_status st = DSHAP_OK;
    for (int64_t q0 = 0; q0 < rows.B && !st; q0 += chunk) {
        int64_t nr = rows.B - q0 < chunk ? rows.B - q0 : chunk;
        st = matmul_factor_launch(nr * no, f, x_i[other], x_r[other], rows, (int)q0, no, (int)rule, s);
        if (!st && which == 0) st = grad_a(m_x + q0 * nx, nx, m_y + q0 * ny, f, no, &g, nr, s);
        else if (!st) st = grad_b(m_x + q0 * nx, nx, f, no, m_y + q0 * ny, &g, nr, s);
    }
    matmul_geom_free(&g);
    return st;
}

ND_RULE(pool) {
    (void)which, (void)y_i, (void)y_r, (void)p;
    sp_geom g = sp_geom_make(&sx[0], nd);
    return pool_max_deeplift_launch(rows.B * g.C * g.H * g.W, m_x, m_y, x_i[0], x_r[0], rows, g, (int)rule, acc, s);
}

ND_RULE(softmax) {
    (void)which, (void)p;
    return softmax_deeplift_cuda(m_x, m_y, x_i[0], x_r[0], y_i, y_r, rows, line_shape(&sx[0], nd->axis), AX_T,
                                 act_rule(rule), acc, s);
}
