/* Rewrites at the ONNX level, before lowering: Gemm and Einsum become
 * MatMul / Transpose / Reshape / Mul / Add nodes (their constant operands
 * fold), Expand of an activation a Mul by ones, and the GELU (erf), SiLU and HardSwish patterns of
 * torch.onnx.export become one Gelu / Silu / HardSwish node, so imported
 * ShapGCN-style models get the engine's own activation rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/lowering.h"

#define BAD(...) FAIL(DSHAP_EFORMAT, __VA_ARGS__)

static const char *const NEAREST[][2] = {
    {"ConvTranspose", "Conv"},   {"ConvInteger", "Conv"},       {"Erf", "Gelu (the erf pattern)"},
    {"Selu", "Elu"},             {"Softplus", "Relu"},          {"Mish", "Silu (x*Sigmoid(x))"},
    {"LogSoftmax", "Softmax"},   {"ReduceMax", "MaxPool"},      {"GlobalMaxPool", "MaxPool"},
    {"InstanceNormalization", "BatchNormalization"},            {"LayerNormalization", "BatchNormalization"},
    {"GroupNormalization", "BatchNormalization"},               {"Resize", "Reshape"},
    {"Upsample", "Reshape"},     {"Tile", "Concat"},
    {"ScatterND", "Concat"},     {"GatherElements", "Gather"},  {"Pow", "Mul"},
    {"Sqrt", "Mul"},             {"Exp", "Sigmoid"},            {"Abs", "Relu"},
    {"Max", "Relu"},             {"Min", "Clip"},               {"LSTM", "Conv"},
    {"GRU", "Conv"},             {"RNN", "Conv"},               {"Loop", "Conv"},
    {"If", "Where (on constants)"}};

const char *nearest_op(const char *op) {
    for (size_t i = 0; i < sizeof NEAREST / sizeof NEAREST[0]; i++)
        if (!strcmp(NEAREST[i][0], op)) return NEAREST[i][1];
    return "none (see README, \"Importing ONNX models\", for the supported ops)";
}

/* How many nodes of g (from node i on) read `name`, and the last one. */
static int readers(const og_graph *g, int from, const char *name, int *last) {
    int n = 0;
    for (int i = from; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (!strcmp(g->nodes[i].in[j], name)) n++, *last = i;
    return n + !strcmp(g->output, name);
}

/* The single reader of node i's output, if it is op `op`: its index, else -1. */
static int only_reader(const og_graph *g, int i, const char *op) {
    int j = -1;
    if (readers(g, i + 1, g->nodes[i].out[0], &j) != 1 || strcmp(g->nodes[j].op, op)) return -1;
    return j;
}

static int is_const(lowering *lw, const char *name, double want, double tol) {
    val *v = values_find(&lw->vs, name);
    return v && v->k && v->k->data && v->k->count == 1 && fabs(v->k->data[0] - want) <= tol;
}

static const char *other_input(const og_node *n, const char *a) {
    if (n->n_in != 2) return NULL;
    return !strcmp(n->in[0], a) ? n->in[1] : (!strcmp(n->in[1], a) ? n->in[0] : NULL);
}

/* Emit one node of a rewrite: op on inputs in[], output out, name name. */
static og_node *emit(og_graph *s, const char *name, const char *op, int n_in, const char *const *in, const char *out) {
    og_node *n = og_add_node(s, name, op, n_in, 1);
    if (!n) return NULL;
    for (int i = 0; i < n_in; i++)
        if (!(n->in[i] = strdup(in[i]))) return NULL;
    if (!(n->out[0] = strdup(out))) return NULL;
    return n;
}

static dshap_status fused(lowering *lw, const og_node *at, const char *op, const char *x) {
    og_graph s = {0};
    dshap_status st = DSHAP_OK;
    if (!emit(&s, at->name, op, 1, &x, at->out[0])) st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory");
    if (!st) st = walk_node(lw, &s.nodes[0]);
    og_free(&s);
    return st;
}

/* x*Sigmoid(x) → Silu, x*HardSigmoid(x; 1/6, 1/2) → HardSwish, and torch's
 * erf GELU: Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5) → Gelu. */
static dshap_status try_fuse(lowering *lw, const og_graph *g, int i, char *skip, int *done) {
    const og_node *n = &g->nodes[i];
    val *x = n->n_in ? values_find(&lw->vs, n->in[0]) : NULL;
    if (!x || x->k) return DSHAP_OK;
    int hs = !strcmp(n->op, "HardSigmoid") && fabsf(og_attr_float(n, "alpha", 0.2f) - 1 / 6.0f) < 1e-6f &&
             og_attr_float(n, "beta", 0.5f) == 0.5f;
    if (!strcmp(n->op, "Sigmoid") || hs) {
        int j = only_reader(g, i, "Mul");
        const char *o = j >= 0 ? other_input(&g->nodes[j], n->out[0]) : NULL;
        if (!o || strcmp(o, n->in[0])) return DSHAP_OK;
        skip[j] = 1;
        *done = 1;
        return fused(lw, &g->nodes[j], hs ? "HardSwish" : "Silu", n->in[0]);
    }
    if (!strcmp(n->op, "Div") && n->n_in == 2 && is_const(lw, n->in[1], sqrt(2.0), 1e-5)) {
        int e = only_reader(g, i, "Erf"), a = e >= 0 ? only_reader(g, e, "Add") : -1;
        const char *one = a >= 0 ? other_input(&g->nodes[a], g->nodes[e].out[0]) : NULL;
        if (!one || !is_const(lw, one, 1, 0)) return DSHAP_OK;
        int m = only_reader(g, a, "Mul");
        const char *xx = m >= 0 ? other_input(&g->nodes[m], g->nodes[a].out[0]) : NULL;
        if (!xx || strcmp(xx, n->in[0])) return DSHAP_OK;
        int h = only_reader(g, m, "Mul");
        const char *half = h >= 0 ? other_input(&g->nodes[h], g->nodes[m].out[0]) : NULL;
        if (!half || !is_const(lw, half, 0.5, 0)) return DSHAP_OK;
        skip[e] = skip[a] = skip[m] = skip[h] = 1;
        *done = 1;
        return fused(lw, &g->nodes[h], "Gelu", n->in[0]);
    }
    return DSHAP_OK;
}

/* A new constant (a shape, a scale) named after node n. */
static dshap_status new_const(lowering *lw, const og_node *n, const char *tag, int rank, const int64_t *d, int is_int,
                              const double *x, char *name, size_t cap) {
    snprintf(name, cap, "%s:%s", n->name, tag);
    dshap_param *p;
    TRY(model_add(lw->m, name, rank, d, is_int, &p));
    values_rebind(&lw->vs);
    snprintf(p->dtype, sizeof p->dtype, "%s", is_int ? "int64" : "float32");
    for (int64_t i = 0; i < p->count; i++) {
        if (is_int) p->idata[i] = (int64_t)x[i];
        else p->data[i] = (float)x[i];
    }
    val *v = values_add(&lw->vs, p->name);
    if (!v) FAIL(DSHAP_ENOMEM, "out of memory");
    values_set_const(&lw->vs, v, lw->m->n_params - 1);
    v->rank = rank;
    memcpy(v->d, d, sizeof(int64_t) * (size_t)rank);
    return DSHAP_OK;
}

static dshap_status walk_all(lowering *lw, og_graph *s) {
    for (int i = 0; i < s->n_nodes; i++) TRY(walk_node(lw, &s->nodes[i]));
    return DSHAP_OK;
}

#define EMIT(name, op, n_in, out, ...)                                                 \
    do {                                                                               \
        const char *in_[] = {__VA_ARGS__};                                             \
        if (!(last = emit(&s, name, op, n_in, in_, out))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory"); \
    } while (0)

/* Gemm: y = alpha · A' B' + beta · C → [Transpose] MatMul [Mul] [Add]. */
static dshap_status rewrite_gemm(lowering *lw, const og_node *n) {
    og_graph s = {0};
    og_node *last;
    dshap_status st = DSHAP_OK;
    char a[256], b[256], mm[256], sc[256], cname[256], k[256], nm[200];
    float alpha = og_attr_float(n, "alpha", 1), beta = og_attr_float(n, "beta", 1);
    int has_c = n->n_in > 2 && *n->in[2];
    snprintf(a, sizeof a, "%s", n->in[0]);
    snprintf(b, sizeof b, "%s", n->in[1]);
    if (og_attr_int(n, "transA", 0)) {
        snprintf(a, sizeof a, "%s:A'", n->out[0]);
        snprintf(nm, sizeof nm, "%s:transA", n->name);
        EMIT(nm, "Transpose", 1, a, n->in[0]);
    }
    if (og_attr_int(n, "transB", 0)) {
        snprintf(b, sizeof b, "%s:B'", n->out[0]);
        snprintf(nm, sizeof nm, "%s:transB", n->name);
        EMIT(nm, "Transpose", 1, b, n->in[1]);
    }
    int more = alpha != 1 || has_c;
    snprintf(mm, sizeof mm, "%s%s", n->out[0], more ? ":matmul" : "");
    snprintf(nm, sizeof nm, "%s%s", n->name, more ? ":matmul" : "");
    EMIT(nm, "MatMul", 2, mm, a, b);
    if (alpha != 1) {
        double al = alpha;
        CHECK(new_const(lw, n, "alpha", 0, NULL, 0, &al, k, sizeof k));
        snprintf(sc, sizeof sc, "%s%s", n->out[0], has_c ? ":scaled" : "");
        snprintf(nm, sizeof nm, "%s%s", n->name, has_c ? ":alpha" : "");
        EMIT(nm, "Mul", 2, sc, mm, k);
        snprintf(mm, sizeof mm, "%s", sc);
    }
    if (has_c) {
        snprintf(cname, sizeof cname, "%s", n->in[2]);
        if (beta != 1) {
            double be = beta;
            CHECK(new_const(lw, n, "beta", 0, NULL, 0, &be, k, sizeof k));
            snprintf(cname, sizeof cname, "%s:C'", n->out[0]);
            snprintf(nm, sizeof nm, "%s:beta", n->name);
            EMIT(nm, "Mul", 2, cname, n->in[2], k);
        }
        EMIT(n->name, "Add", 2, n->out[0], mm, cname);
    }
    st = walk_all(lw, &s);
done:
    og_free(&s);
    return st;
}

static og_node *emit_perm(og_graph *s, const char *name, const char *in, const char *out, int r, const int *perm) {
    og_node *t = emit(s, name, "Transpose", 1, &in, out);
    og_attr *a = t ? og_add_attr(t, "perm", OA_INTS) : NULL;
    if (!a || !(a->ints = malloc(sizeof(int64_t) * (size_t)r))) return NULL;
    a->n = r;
    for (int i = 0; i < r; i++) a->ints[i] = perm[i];
    return t;
}

/* Einsum of two operands, no ellipsis, no letter repeated in one operand:
 * letters of both and the output are batch (B), of both only contracted
 * (K), of one only free (F). The activation's axis-0 letter (the batch) is
 * kept as a leading axis of its own. Operands are permuted to
 * [lead, B, F, K] / [B, K, F], reshaped to 3-D-like, multiplied, reshaped to
 * [lead, B, F_a, F_b] and permuted to the output. */
static dshap_status rewrite_einsum(lowering *lw, const og_node *n) {
    const og_attr *eq = og_attr_find(n, "equation");
    char e[128], *op[3];
    int len = 0;
    if (!eq || eq->type != OA_STRING || n->n_in != 2) BAD("%s: node '%s' (Einsum): two operands and an equation are "
                                                         "needed", lw->path, n->name);
    for (const char *c = eq->s; *c && len < 127; c++)
        if (*c != ' ') e[len++] = *c;
    e[len] = '\0';
    char *arrow = strstr(e, "->"), *comma = strchr(e, ',');
    if (!arrow || !comma || comma > arrow || strchr(e, '.'))
        BAD("%s: node '%s' (Einsum): equation '%s' (two operands, an explicit output, no ellipsis)", lw->path, n->name,
            eq->s);
    *comma = *arrow = '\0';
    op[0] = e, op[1] = comma + 1, op[2] = arrow + 2;
    val *v[2] = {values_find(&lw->vs, n->in[0]), values_find(&lw->vs, n->in[1])};
    for (int i = 0; i < 2; i++)
        if (!v[i] || (int)strlen(op[i]) != v[i]->rank || v[i]->rank > OG_MAX_RANK)
            BAD("%s: node '%s' (Einsum): operand %d does not match '%s'", lw->path, n->name, i, op[i]);
    if (v[0]->k && v[1]->k) BAD("%s: node '%s' (Einsum): two constants", lw->path, n->name);
    int xa = v[0]->k ? 1 : 0; /* the (first) activation operand */
    char lead = op[xa][0];
    int64_t size[128] = {0};
    for (int i = 0; i < 2; i++)
        for (int j = 0; op[i][j]; j++) {
            unsigned char c = (unsigned char)op[i][j];
            if (c > 127 || strchr(op[i] + j + 1, c)) BAD("%s: node '%s' (Einsum): letter '%c' repeated in an operand",
                                                         lw->path, n->name, c);
            if (size[c] && size[c] != v[i]->d[j] && size[c] != 1 && v[i]->d[j] != 1)
                BAD("%s: node '%s' (Einsum): sizes of '%c' differ", lw->path, n->name, c);
            if (!size[c] || size[c] == 1) size[c] = v[i]->d[j];
        }
    /* groups in operand order */
    char B[16] = "", K[16] = "", F[2][16] = {"", ""};
    int lead_batch = strchr(op[1 - xa], lead) != NULL;
    if (!lead_batch && !v[1 - xa]->k)
        BAD("%s: node '%s' (Einsum): the operands' batch axes are different letters", lw->path, n->name);
    if (!strchr(op[2], lead)) BAD("%s: node '%s' (Einsum): the batch axis is summed", lw->path, n->name);
    if (lead_batch) strncat(B, &lead, 1);
    for (int i = 0; i < 2; i++)
        for (int j = 0; op[i][j]; j++) {
            char c = op[i][j];
            int both = strchr(op[1 - i], c) != NULL, out = strchr(op[2], c) != NULL;
            if (c == lead || (i == 1 && both)) continue;
            if (!out && !both) BAD("%s: node '%s' (Einsum): '%c' is summed within one operand (not supported)", lw->path,
                                   n->name, c);
            strncat(both ? (out ? B : K) : F[i], &c, 1);
        }
    og_graph s = {0};
    og_node *last;
    dshap_status st = DSHAP_OK;
    char t[2][256], r[2][256], k[256], nm[200], mm[256], rs[256];
    int lead_sep = !lead_batch;
    for (int i = 0; i < 2; i++) {
        /* order [lead?, B, F, K] for the left operand, [lead?, B, K, F] for the right */
        char order[16] = "";
        if (lead_sep && i == xa) strncat(order, &lead, 1);
        strcat(order, B);
        strcat(order, i == 0 ? F[0] : K);
        strcat(order, i == 0 ? K : F[1]);
        int perm[OG_MAX_RANK], ident = 1, rr = (int)strlen(order);
        for (int j = 0; j < rr; j++) {
            perm[j] = (int)(strchr(op[i], order[j]) - op[i]);
            ident &= perm[j] == j;
        }
        snprintf(t[i], sizeof t[i], "%s", n->in[i]);
        if (!ident) {
            snprintf(t[i], sizeof t[i], "%s:in%d'", n->out[0], i);
            snprintf(nm, sizeof nm, "%s:perm%d", n->name, i);
            if (!emit_perm(&s, nm, n->in[i], t[i], rr, perm)) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        }
        double shp[OG_MAX_RANK];
        int64_t ns = 0, fsz = 1, ksz = 1;
        if (lead_sep && i == xa) shp[ns++] = (double)size[(int)lead];
        for (int j = 0; B[j]; j++) shp[ns++] = (double)size[(int)B[j]];
        for (int j = 0; F[i][j]; j++) fsz *= size[(int)F[i][j]];
        for (int j = 0; K[j]; j++) ksz *= size[(int)K[j]];
        shp[ns++] = (double)(i == 0 ? fsz : ksz);
        shp[ns++] = (double)(i == 0 ? ksz : fsz);
        char tag[16];
        snprintf(tag, sizeof tag, "shape%d", i);
        CHECK(new_const(lw, n, tag, 1, &ns, 1, shp, k, sizeof k));
        snprintf(r[i], sizeof r[i], "%s:in%d''", n->out[0], i);
        snprintf(nm, sizeof nm, "%s:reshape%d", n->name, i);
        EMIT(nm, "Reshape", 2, r[i], t[i], k);
    }
    snprintf(mm, sizeof mm, "%s:matmul", n->out[0]);
    snprintf(nm, sizeof nm, "%s:matmul", n->name);
    EMIT(nm, "MatMul", 2, mm, r[0], r[1]);
    /* [lead?, B, F0, F1] → the output order */
    char have[32] = "";
    if (lead_sep) strncat(have, &lead, 1);
    strcat(have, B);
    strcat(have, F[0]);
    strcat(have, F[1]);
    double shp[OG_MAX_RANK * 2];
    int64_t ns = (int64_t)strlen(have);
    int perm[OG_MAX_RANK * 2], ident = 1;
    if (ns != (int64_t)strlen(op[2]) || ns > OG_MAX_RANK)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' (Einsum): output '%s' does not match its operands", lw->path, n->name,
                   op[2]);
    for (int j = 0; j < ns; j++) {
        shp[j] = (double)size[(int)have[j]];
        const char *at = strchr(have, op[2][j]);
        if (!at) CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' (Einsum): output letter '%c' is in no operand", lw->path,
                            n->name, op[2][j]);
        perm[j] = (int)(at - have);
        ident &= perm[j] == j;
    }
    CHECK(new_const(lw, n, "shape", 1, &ns, 1, shp, k, sizeof k));
    snprintf(rs, sizeof rs, "%s%s", n->out[0], ident ? "" : ":unperm");
    snprintf(nm, sizeof nm, "%s%s", n->name, ident ? "" : ":reshape");
    EMIT(nm, "Reshape", 2, rs, mm, k);
    if (!ident && !emit_perm(&s, n->name, rs, n->out[0], (int)ns, perm)) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
    st = walk_all(lw, &s);
done:
    og_free(&s);
    return st;
}

/* Expand of an activation: x · ones, the ones of the expanded axes only. */
static dshap_status rewrite_expand(lowering *lw, const og_node *n, const val *x) {
    val *sv = n->n_in == 2 ? values_find(&lw->vs, n->in[1]) : NULL;
    int64_t want[VAL_MAX_RANK], out[VAL_MAX_RANK], ones[VAL_MAX_RANK];
    int rw = sv ? ints_of(sv, want, VAL_MAX_RANK) : -1, r = rw >= 0 ? shape_broadcast(x->rank, x->d, rw, want, out) : -1;
    if (r < 0 || r > OG_MAX_RANK) BAD("%s: node '%s' (Expand): needs a constant shape that x broadcasts to", lw->path,
                                      n->name);
    int64_t count = 1;
    for (int i = 0; i < r; i++) {
        int xi = i - (r - x->rank);
        ones[i] = xi > 0 && x->d[xi] == 1 ? out[i] : (xi < 0 ? out[i] : 1);
        count *= ones[i];
    }
    double *v = malloc(sizeof(double) * (size_t)count);
    if (!v) FAIL(DSHAP_ENOMEM, "out of memory");
    for (int64_t i = 0; i < count; i++) v[i] = 1;
    char k[256];
    dshap_status st = new_const(lw, n, "ones", r, ones, 0, v, k, sizeof k);
    free(v);
    TRY(st);
    og_graph s = {0};
    const char *in[2] = {n->in[0], k};
    if (!emit(&s, n->name, "Mul", 2, in, n->out[0])) st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory");
    if (!st) st = walk_all(lw, &s);
    og_free(&s);
    return st;
}

dshap_status rewrite_node(lowering *lw, const og_graph *g, int i, char *skip, int *done) {
    const og_node *n = &g->nodes[i];
    *done = 0;
    if (!strcmp(n->op, "Gemm")) {
        *done = 1;
        return rewrite_gemm(lw, n);
    }
    if (!strcmp(n->op, "Einsum")) {
        *done = 1;
        return rewrite_einsum(lw, n);
    }
    val *x = !strcmp(n->op, "Expand") && n->n_in ? values_find(&lw->vs, n->in[0]) : NULL;
    if (x && !x->k) {
        *done = 1;
        return rewrite_expand(lw, n, x);
    }
    return try_fuse(lw, g, i, skip, done);
}
