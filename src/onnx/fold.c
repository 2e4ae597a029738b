/* Constant folding: the shape arithmetic torch.onnx.export emits for
 * x.view(n, ...) / x.size() chains and float ops on parameters (A * E),
 * evaluated in double and stored as new constants under the output names. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/values.h"

typedef struct {
    int rank;
    int64_t d[OG_MAX_RANK];
    int64_t n;
    double *x;
    int is_int;
} ct;

static const char *const FOLDABLE[] = {"Shape", "Identity", "Cast", "Dropout", "Unsqueeze", "Squeeze", "Reshape",
                                       "Flatten", "Concat", "Gather", "Slice", "Range", "Add", "Sub", "Mul", "Div",
                                       "Equal", "Where", "ConstantOfShape", "Expand", "Transpose", "Sqrt", "Neg",
                                       "Reciprocal", NULL};

#define BAD(...) FAIL(DSHAP_EFORMAT, __VA_ARGS__)

static dshap_status ct_new(ct *c, int rank, const int64_t *d, int is_int, const char *path, const char *node) {
    if (rank > OG_MAX_RANK) BAD("%s: node '%s': a constant of rank %d (at most %d)", path, node, rank, OG_MAX_RANK);
    c->rank = rank;
    c->is_int = is_int;
    c->n = 1;
    for (int i = 0; i < rank; i++) {
        if (d[i] < 0 || d[i] > (1LL << 28)) BAD("%s: node '%s': a constant of size %lld", path, node, (long long)d[i]);
        c->d[i] = d[i];
        c->n *= d[i];
        if (c->n > (1LL << 28)) BAD("%s: node '%s': a constant too large to fold", path, node);
    }
    c->x = calloc((size_t)c->n + 1, sizeof(double));
    if (!c->x) FAIL(DSHAP_ENOMEM, "out of memory folding '%s'", node);
    return DSHAP_OK;
}

static dshap_status ct_of(ct *c, const dshap_param *p, const char *path, const char *node) {
    TRY(ct_new(c, p->rank, p->dims, !!p->idata, path, node));
    for (int64_t i = 0; i < c->n; i++) c->x[i] = p->idata ? (double)p->idata[i] : p->data[i];
    return DSHAP_OK;
}

/* Flat index into a tensor of shape (r, d) broadcast to out shape, for the
 * out position given by idx (rank ro). */
static int64_t bcast_index(int r, const int64_t *d, int ro, const int64_t *idx) {
    int64_t f = 0;
    for (int i = 0; i < r; i++) {
        int64_t k = d[i] == 1 ? 0 : idx[ro - r + i];
        f = f * d[i] + k;
    }
    return f;
}

static void unravel(int64_t flat, int r, const int64_t *d, int64_t *idx) {
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = d[i] ? flat % d[i] : 0;
        flat = d[i] ? flat / d[i] : 0;
    }
}

static double binop(const char *op, double a, double b, int is_int) {
    if (!strcmp(op, "Add")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Equal")) return a == b;
    if (is_int) return b != 0 ? trunc(a / b) : 0;
    return a / b;
}

int ints_of(const val *v, int64_t *out, int cap) {
    if (!v || !v->k || !v->k->idata || v->k->count > cap) return -1;
    for (int64_t i = 0; i < v->k->count; i++) out[i] = v->k->idata[i];
    return (int)v->k->count;
}

static dshap_status store(values *vs, const char *name, ct *c) {
    dshap_param *p;
    TRY(model_add(vs->m, name, c->rank, c->d, c->is_int, &p));
    values_rebind(vs);
    snprintf(p->dtype, sizeof p->dtype, "%s", c->is_int ? "int64" : "float32");
    for (int64_t i = 0; i < c->n; i++) {
        if (c->is_int) p->idata[i] = (int64_t)fmax(fmin(c->x[i], INT32_MAX), INT32_MIN); /* as read.c */
        else p->data[i] = (float)c->x[i];
    }
    val *v = values_add(vs, name);
    if (!v) FAIL(DSHAP_ENOMEM, "out of memory");
    v->rank = c->rank;
    memcpy(v->d, c->d, sizeof(int64_t) * (size_t)c->rank);
    values_set_const(vs, v, vs->m->n_params - 1);
    return DSHAP_OK;
}

dshap_status layout_shape(values *vs, const og_node *n, val *const *in, int r, const int64_t *d, int *ro, int64_t *s) {
    const char *op = n->op, *path = vs->path, *nm = n->name;
    int64_t l[OG_MAX_RANK * 2 + 2], numel = shape_numel(r, d);
    memcpy(s, d, sizeof(int64_t) * (size_t)r);
    if (!strcmp(op, "Reshape")) {
        int rr = ints_of(in[1], l, VAL_MAX_RANK), neg = -1;
        int64_t known = 1;
        if (rr < 0) BAD("%s: node '%s': Reshape needs a constant shape", path, nm);
        for (int i = 0; i < rr; i++) {
            if (l[i] == 0 && !og_attr_int(n, "allowzero", 0)) l[i] = i < r ? d[i] : 1;
            if (l[i] == -1) neg = i;
            else known *= l[i];
        }
        if (neg >= 0) l[neg] = known ? numel / known : 0;
        r = rr;
        memcpy(s, l, sizeof(int64_t) * (size_t)r);
    } else if (!strcmp(op, "Flatten")) {
        int ax = axis_norm(og_attr_int(n, "axis", 1), r + 1);
        if (ax < 0) BAD("%s: node '%s': bad Flatten axis", path, nm);
        s[0] = shape_numel(ax, d);
        s[1] = numel / (s[0] ? s[0] : 1);
        r = 2;
    } else if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze")) {
        int unsq = op[0] == 'U', na;
        const og_attr *at = og_attr_find(n, "axes");
        if (at && at->type == OA_INTS) {
            na = (int)(at->n < VAL_MAX_RANK ? at->n : VAL_MAX_RANK);
            for (int i = 0; i < na; i++) l[i] = at->ints[i];
        } else na = n->n_in > 1 && *n->in[1] ? ints_of(in[1], l, VAL_MAX_RANK) : 0;
        if (na < 0) BAD("%s: node '%s': %s needs constant axes", path, nm, op);
        int rr = unsq ? r + na : r, keep[2 * VAL_MAX_RANK] = {0}, j = 0;
        if (rr > VAL_MAX_RANK) BAD("%s: node '%s': rank %d is too large", path, nm, rr);
        for (int i = 0; i < na; i++) {
            int x = axis_norm(l[i], rr);
            if (x < 0) BAD("%s: node '%s': bad %s axis", path, nm, op);
            keep[x] = 1;
        }
        int64_t t[VAL_MAX_RANK];
        int rt = 0;
        for (int i = 0; i < rr; i++) {
            if (unsq) t[rt++] = keep[i] ? 1 : d[j++];
            else if (!(na ? keep[i] : d[i] == 1)) t[rt++] = d[i];
        }
        r = rt;
        memcpy(s, t, sizeof(int64_t) * (size_t)r);
    }
    if (r > VAL_MAX_RANK) BAD("%s: node '%s': rank %d is too large", path, nm, r);
    for (int i = 0; i < r; i++)
        if (s[i] < 0) BAD("%s: node '%s' (%s): a negative size", path, nm, op);
    if (shape_numel(r, s) != numel)
        BAD("%s: node '%s' (%s): %lld elements cannot take the shape asked for", path, nm, op, (long long)numel);
    *ro = r;
    return DSHAP_OK;
}

static dshap_status eval(values *vs, const og_node *n, val **in, ct *a, ct *out) {
    const char *op = n->op, *path = vs->path, *nm = n->name;
    int64_t l[OG_MAX_RANK * 2 + 2], idx[OG_MAX_RANK];
    if (!strcmp(op, "Shape")) {
        int r = in[0]->rank;
        int64_t s = og_attr_int(n, "start", 0), e = og_attr_int(n, "end", r);
        s = s < 0 ? s + r : s, e = e < 0 ? e + r : e;
        s = s < 0 ? 0 : (s > r ? r : s), e = e < 0 ? 0 : (e > r ? r : e);
        int64_t len = e > s ? e - s : 0;
        TRY(ct_new(out, 1, &len, 1, path, nm));
        for (int64_t i = 0; i < len; i++) out->x[i] = (double)in[0]->d[s + i];
        return DSHAP_OK;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        int r = ints_of(in[0], l, OG_MAX_RANK);
        if (r < 0) BAD("%s: node '%s': ConstantOfShape needs a constant shape of rank <= %d", path, nm, OG_MAX_RANK);
        const og_attr *v = og_attr_find(n, "value");
        TRY(ct_new(out, r, l, v ? v->type == OA_INT : 0, path, nm));
        for (int64_t i = 0; i < out->n; i++) out->x[i] = v ? (v->type == OA_INT ? (double)v->i : v->f) : 0;
        return DSHAP_OK;
    }
    if (!strcmp(op, "Range")) {
        double s = a[0].x[0], lim = a[1].x[0], dl = a[2].x[0];
        if (dl == 0 || a[0].n != 1 || a[1].n != 1 || a[2].n != 1) BAD("%s: node '%s': bad Range", path, nm);
        int64_t cnt = (int64_t)fmax(ceil((lim - s) / dl), 0);
        TRY(ct_new(out, 1, &cnt, a[0].is_int, path, nm));
        for (int64_t i = 0; i < cnt; i++) out->x[i] = s + (double)i * dl;
        return DSHAP_OK;
    }
    if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div") || !strcmp(op, "Equal") ||
        !strcmp(op, "Where") || !strcmp(op, "Expand")) {
        int where = !strcmp(op, "Where"), expand = !strcmp(op, "Expand");
        int64_t s[VAL_MAX_RANK], es[OG_MAX_RANK];
        int r = -1;
        if (expand) {
            int re = ints_of(in[1], es, OG_MAX_RANK);
            if (re >= 0) r = shape_broadcast(a[0].rank, a[0].d, re, es, s);
        } else {
            r = shape_broadcast(a[0].rank, a[0].d, a[1].rank, a[1].d, s);
            if (where && r >= 0) r = shape_broadcast(r, s, a[2].rank, a[2].d, s);
        }
        if (r < 0) BAD("%s: node '%s' (%s): the operand shapes do not broadcast", path, nm, op);
        int is_int = where ? a[1].is_int : (!strcmp(op, "Equal") ? 1 : a[0].is_int);
        TRY(ct_new(out, r, s, is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++) {
            unravel(i, r, s, idx);
            double x = a[0].x[bcast_index(a[0].rank, a[0].d, r, idx)];
            if (expand) out->x[i] = x;
            else if (where)
                out->x[i] = x != 0 ? a[1].x[bcast_index(a[1].rank, a[1].d, r, idx)]
                                   : a[2].x[bcast_index(a[2].rank, a[2].d, r, idx)];
            else out->x[i] = binop(op, x, a[1].x[bcast_index(a[1].rank, a[1].d, r, idx)], a[0].is_int);
        }
        return DSHAP_OK;
    }
    if (!strcmp(op, "Sqrt") || !strcmp(op, "Neg") || !strcmp(op, "Reciprocal")) {
        TRY(ct_new(out, a[0].rank, a[0].d, a[0].is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++)
            out->x[i] = op[0] == 'S' ? sqrt(a[0].x[i]) : op[0] == 'N' ? -a[0].x[i] : 1 / a[0].x[i];
        return DSHAP_OK;
    }
    if (!strcmp(op, "Transpose")) {
        int r = a[0].rank, perm[OG_MAX_RANK];
        const og_attr *p = og_attr_find(n, "perm");
        int64_t s[OG_MAX_RANK];
        for (int i = 0; i < r; i++) {
            perm[i] = p && p->type == OA_INTS && p->n == r ? axis_norm(p->ints[i], r) : r - 1 - i;
            if (perm[i] < 0) BAD("%s: node '%s': bad Transpose perm", path, nm);
            s[i] = a[0].d[perm[i]];
        }
        TRY(ct_new(out, r, s, a[0].is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++) {
            unravel(i, r, s, idx);
            int64_t f = 0, src[OG_MAX_RANK];
            for (int j = 0; j < r; j++) src[perm[j]] = idx[j];
            for (int j = 0; j < r; j++) f = f * a[0].d[j] + src[j];
            out->x[i] = a[0].x[f];
        }
        return DSHAP_OK;
    }
    if (!strcmp(op, "Concat")) {
        int r = a[0].rank, ax = axis_norm(og_attr_int(n, "axis", 0), r);
        int64_t s[OG_MAX_RANK];
        if (ax < 0) BAD("%s: node '%s': bad Concat axis", path, nm);
        memcpy(s, a[0].d, sizeof s);
        s[ax] = 0;
        for (int j = 0; j < n->n_in; j++) {
            if (a[j].rank != r) BAD("%s: node '%s': Concat of different ranks", path, nm);
            s[ax] += a[j].d[ax];
        }
        TRY(ct_new(out, r, s, a[0].is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++) {
            unravel(i, r, s, idx);
            int j = 0;
            while (idx[ax] >= a[j].d[ax]) idx[ax] -= a[j++].d[ax];
            out->x[i] = a[j].x[bcast_index(r, a[j].d, r, idx)];
        }
        return DSHAP_OK;
    }
    if (!strcmp(op, "Gather")) {
        int r = a[0].rank, ax = axis_norm(og_attr_int(n, "axis", 0), r), ri = a[1].rank;
        int64_t s[VAL_MAX_RANK * 2];
        if (ax < 0 || r - 1 + ri > OG_MAX_RANK) BAD("%s: node '%s': bad Gather axis or rank", path, nm);
        int ro = 0;
        for (int i = 0; i < ax; i++) s[ro++] = a[0].d[i];
        for (int i = 0; i < ri; i++) s[ro++] = a[1].d[i];
        for (int i = ax + 1; i < r; i++) s[ro++] = a[0].d[i];
        TRY(ct_new(out, ro, s, a[0].is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++) {
            int64_t oi[VAL_MAX_RANK * 2], src[OG_MAX_RANK], fi = 0, f = 0;
            unravel(i, ro, s, oi);
            for (int j = 0; j < ri; j++) fi = fi * a[1].d[j] + oi[ax + j];
            int64_t k = (int64_t)a[1].x[fi];
            if (k < 0) k += a[0].d[ax];
            if (k < 0 || k >= a[0].d[ax]) BAD("%s: node '%s': Gather index %lld out of range", path, nm, (long long)k);
            for (int j = 0; j < ax; j++) src[j] = oi[j];
            src[ax] = k;
            for (int j = ax + 1; j < r; j++) src[j] = oi[j - 1 + ri];
            for (int j = 0; j < r; j++) f = f * a[0].d[j] + src[j];
            out->x[i] = a[0].x[f];
        }
        return DSHAP_OK;
    }
    if (!strcmp(op, "Slice")) {
        int r = a[0].rank;
        int64_t st[OG_MAX_RANK], en[OG_MAX_RANK], ax[OG_MAX_RANK], sp[OG_MAX_RANK], s[OG_MAX_RANK];
        int ns = ints_of(in[1], st, OG_MAX_RANK), ne = ints_of(in[2], en, OG_MAX_RANK);
        int na = n->n_in > 3 && *n->in[3] ? ints_of(in[3], ax, OG_MAX_RANK) : ns;
        int np = n->n_in > 4 && *n->in[4] ? ints_of(in[4], sp, OG_MAX_RANK) : ns;
        if (ns < 0 || ne != ns || na != ns || np != ns) BAD("%s: node '%s': Slice needs constant starts/ends/axes/steps", path, nm);
        int64_t b0[OG_MAX_RANK], stp[OG_MAX_RANK];
        for (int i = 0; i < r; i++) b0[i] = 0, stp[i] = 1, s[i] = a[0].d[i];
        for (int i = 0; i < ns; i++) {
            int x = n->n_in > 3 && *n->in[3] ? axis_norm(ax[i], r) : i;
            int64_t step = n->n_in > 4 && *n->in[4] ? sp[i] : 1, d = a[0].d[x >= 0 ? x : 0];
            if (x < 0 || step == 0) BAD("%s: node '%s': bad Slice axis or step", path, nm);
            int64_t b = st[i] < 0 ? st[i] + d : st[i], e = en[i] < 0 ? en[i] + d : en[i];
            if (step > 0) b = b < 0 ? 0 : (b > d ? d : b), e = e < 0 ? 0 : (e > d ? d : e);
            else b = b < 0 ? -1 : (b > d - 1 ? d - 1 : b), e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
            int64_t len = step > 0 ? (e > b ? (e - b + step - 1) / step : 0) : (b > e ? (b - e - step - 1) / -step : 0);
            b0[x] = b, stp[x] = step, s[x] = len;
        }
        TRY(ct_new(out, r, s, a[0].is_int, path, nm));
        for (int64_t i = 0; i < out->n; i++) {
            unravel(i, r, s, idx);
            int64_t f = 0;
            for (int j = 0; j < r; j++) f = f * a[0].d[j] + b0[j] + idx[j] * stp[j];
            out->x[i] = a[0].x[f];
        }
        return DSHAP_OK;
    }
    /* the layout-only ops: same values, a new shape */
    int64_t s[VAL_MAX_RANK];
    int r, is_int = a[0].is_int;
    if (!strcmp(op, "Cast")) {
        int64_t to = og_attr_int(n, "to", 1);
        is_int = to != 1 && to != 11 && to != 10;
    }
    TRY(layout_shape(vs, n, in, a[0].rank, a[0].d, &r, s));
    TRY(ct_new(out, r, s, is_int, path, nm));
    for (int64_t i = 0; i < out->n; i++) out->x[i] = is_int && !a[0].is_int ? trunc(a[0].x[i]) : a[0].x[i];
    return DSHAP_OK;
}

dshap_status fold_node(values *vs, const og_node *n, int *folded) {
    *folded = 0;
    int ok = 0;
    for (int i = 0; FOLDABLE[i]; i++) ok |= !strcmp(FOLDABLE[i], n->op);
    if (!ok || n->n_in > 2 * OG_MAX_RANK + 2) return DSHAP_OK;
    val *in[2 * OG_MAX_RANK + 2] = {0};
    int shape_op = !strcmp(n->op, "Shape");
    for (int i = 0; i < n->n_in; i++) {
        if (!*n->in[i]) continue;
        in[i] = values_find(vs, n->in[i]);
        if (!in[i]) FAIL(DSHAP_EFORMAT, "%s: node '%s' reads '%s', which no earlier node or initializer defines",
                         vs->path, n->name, n->in[i]);
        if (!in[i]->k && !(shape_op && i == 0)) return DSHAP_OK;
    }
    ct a[2 * OG_MAX_RANK + 2] = {0}, out = {0};
    dshap_status st = DSHAP_OK;
    for (int i = 0; i < n->n_in && !st; i++)
        if (in[i] && in[i]->k) st = ct_of(&a[i], in[i]->k, vs->path, n->name);
    if (!st) st = eval(vs, n, in, a, &out);
    if (!st) st = store(vs, n->out[0], &out);
    for (int i = 0; i < n->n_in; i++) free(a[i].x);
    free(out.x);
    if (!st) *folded = 1;
    return st;
}
