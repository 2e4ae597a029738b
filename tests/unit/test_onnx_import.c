/* ONNX import (src/onnx): the fixtures of tests/reference/gen_onnx.py
 * (torch.onnx.export, opsets 13 and 17) imported, their lowered node lists
 * checked against the PyTorch modules' definitions (ops, per-sample shapes,
 * activation kinds, BN folded in double), model.h5 round-tripped through
 * model_save / model_load / net_build, and refused inputs (truncated
 * protobuf, an unsupported op, a wrong input rank, V != layout) each failing
 * with one line that names the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/rng.h"
#include "engine/model.h"
#include "cpu/act.h"
#include "onnx/store.h"
#include "testlib.h"

static char dir[4096];

static const char *fixture(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/onnx/%s", dir, name);
    return buf;
}

typedef struct {
    op_kind op;
    const char *name;
    int rank;
    int64_t d[6];
} want_node;

static void check_nodes(const char *what, const dshap_net *net, const want_node *w, int n) {
    EXPECT(net->n_nodes == n, "%s: %d nodes, expected %d", what, net->n_nodes, n);
    for (int i = 0; i < n && i < net->n_nodes; i++) {
        const node *nd = &net->nodes[i];
        EXPECT(nd->op == w[i].op, "%s node %d (%s): op %s, expected %s", what, i, nd->name, op_name(nd->op),
               op_name(w[i].op));
        EXPECT(!strcmp(nd->name, w[i].name), "%s node %d: name '%s', expected '%s'", what, i, nd->name, w[i].name);
        int same = nd->shape.rank == w[i].rank;
        for (int k = 0; same && k < w[i].rank; k++) same = nd->shape.d[k] == w[i].d[k];
        EXPECT(same, "%s node %d (%s): per-sample shape differs (rank %d)", what, i, nd->name, nd->shape.rank);
        int64_t numel = 1;
        for (int k = 0; k < nd->shape.rank; k++) numel *= nd->shape.d[k];
        EXPECT(nd->C == numel && nd->T == 1 && nd->V == 1 && !nd->per_person, "%s node %d: C/T/V/per_person", what, i);
    }
}

/* TinySTGCN of gen_onnx.py: C = 3, T = 6, V = 25, M = 2, hidden 8, K = 5. */
static const want_node STGCN[] = {
    {OP_INPUT, "x", 4, {3, 6, 25, 2}},
    {OP_TRANSPOSE, "/Transpose", 4, {2, 3, 6, 25}},
    {OP_RESHAPE, "/Reshape", 4, {2, 3, 6, 25}},           /* view(N*M, C, T, V): the person axis stays per sample */
    {OP_CONVND, "/gcn/Conv", 4, {2, 24, 6, 25}},
    {OP_RESHAPE, "/Reshape_1", 5, {2, 3, 8, 6, 25}},
    {OP_TRANSPOSE, "/Einsum:perm0", 5, {2, 8, 6, 3, 25}}, /* nkctv → n c t (k v) */
    {OP_RESHAPE, "/Einsum:reshape0", 3, {2, 48, 75}},
    {OP_MATMUL, "/Einsum:matmul", 3, {2, 48, 25}},        /* @ (A ⊙ E) as (k v, w) */
    {OP_RESHAPE, "/Einsum", 4, {2, 8, 6, 25}},
    {OP_CHANNEL_AFFINE, "/bn/BatchNormalization", 4, {2, 8, 6, 25}},
    {OP_ACT, "/Relu", 4, {2, 8, 6, 25}},
    {OP_CONVND, "/tcn/Conv", 4, {2, 8, 6, 25}},
    {OP_CONVND, "/res/Conv", 4, {2, 8, 6, 25}},
    {OP_BINARY, "/Add", 4, {2, 8, 6, 25}},
    {OP_ACT, "/Relu_1", 4, {2, 8, 6, 25}},
    {OP_REDUCE, "/GlobalAveragePool", 4, {2, 8, 1, 1}},
    {OP_RESHAPE, "/Reshape_2", 2, {2, 8}},
    {OP_REDUCE, "/ReduceMean", 2, {1, 8}},
    {OP_RESHAPE, "/ReduceMean", 1, {8}},
    {OP_MATMUL, "/fc/Gemm:matmul", 1, {5}},
    {OP_BINARY, "/fc/Gemm", 1, {5}},
};

static const dshap_param *param(const dshap_model *m, const char *name) {
    const dshap_param *p = model_find(m, name);
    EXPECT(p != NULL, "constant '%s' missing", name);
    return p;
}

static void check_stgcn_values(const char *what, const dshap_net *net, const dshap_model *m) {
    EXPECT(net->general && net->in_branches == 1 && net->in_C == 3, "%s: input branches/C", what);
    EXPECT(net->arch.num_frames == 6 && net->arch.num_persons == 2 && net->arch.num_class == 5, "%s: T, M, K", what);
    EXPECT(net_input_floats(net) == 3 * 6 * 25 * 2, "%s: input floats", what);
    EXPECT(net->out == net->n_nodes - 1, "%s: the logits are the last node", what);
    const node *bn = &net->nodes[9], *conv = &net->nodes[11];
    const dshap_param *w = param(m, "bn.weight"), *b = param(m, "bn.bias"), *mu = param(m, "bn.running_mean"),
                      *var = param(m, "bn.running_var");
    if (w && b && mu && var && bn->scale) {
        double worst = 0;
        for (int c = 0; c < 8; c++) {
            double sc = w->data[c] / sqrt(var->data[c] + 1e-5), sh = b->data[c] - mu->data[c] * sc;
            worst = fmax(worst, fabs(bn->scale[c] - sc) + fabs(bn->shift[c] - sh));
        }
        EXPECT(worst < 1e-6, "%s: BN scale/shift off by %g", what, worst);
        EXPECT(bn->axis == 1, "%s: BN channel axis %d (per-sample (M, C, T, V))", what, bn->axis);
    }
    EXPECT(conv->nsp == 2 && conv->kernel[0] == 3 && conv->kernel[1] == 1 && conv->pads[0] == 1 && conv->pads[1] == 0 &&
           conv->pads[2] == 1 && conv->pads[3] == 0 && conv->strides[0] == 1 && conv->groups == 1 && conv->b,
           "%s: tcn conv attributes", what);
    const node *mm = &net->nodes[7];
    EXPECT(mm->kdata && !mm->k_first && mm->kshape.rank == 2 && mm->kshape.d[0] == 75 && mm->kshape.d[1] == 25,
           "%s: einsum constant as (k v, w)", what);
    const node *gap = &net->nodes[15], *pm = &net->nodes[17];
    EXPECT(gap->reduce == 1 && gap->n_axes == 2 && gap->axes_nd[0] == 2 && gap->axes_nd[1] == 3, "%s: GAP axes", what);
    EXPECT(pm->reduce == 1 && pm->n_axes == 1 && pm->axes_nd[0] == 0, "%s: person mean axis", what);
    const node *fc = &net->nodes[19];
    EXPECT(fc->kdata && fc->kshape.rank == 2 && fc->kshape.d[0] == 8 && fc->kshape.d[1] == 5, "%s: fc weight transposed",
           what);
}

static void roundtrip(const char *what, dshap_model *m, const dshap_net *net) {
    char path[] = "/tmp/dshap_onnx_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    EXPECT_OK(model_save(m, path));
    dshap_model m2;
    dshap_net n2;
    dshap_status st = model_load(&m2, path);
    EXPECT(st == DSHAP_OK, "%s: reload: %s", what, dshap_last_error());
    if (!st) {
        st = net_build(&n2, &m2);
        EXPECT(st == DSHAP_OK, "%s: rebuild: %s", what, dshap_last_error());
        if (!st) {
            EXPECT(n2.n_nodes == net->n_nodes && n2.out == net->out, "%s: reload has %d nodes", what, n2.n_nodes);
            for (int i = 0; i < net->n_nodes && i < n2.n_nodes; i++) {
                const node *a = &net->nodes[i], *b = &n2.nodes[i];
                EXPECT(a->op == b->op && !strcmp(a->name, b->name) && a->C == b->C && a->act == b->act &&
                       a->alpha == b->alpha && a->beta == b->beta && !memcmp(&a->shape, &b->shape, sizeof a->shape),
                       "%s: reloaded node %d (%s) differs", what, i, a->name);
                if (a->kdata && b->kdata) {
                    int64_t k = 1;
                    for (int j = 0; j < a->kshape.rank; j++) k *= a->kshape.d[j];
                    EXPECT(!memcmp(a->kdata, b->kdata, sizeof(float) * (size_t)k), "%s: node %d constant", what, i);
                }
            }
            net_free(&n2);
        }
        model_free(&m2);
    }
    unlink(path);
}

static void import_ok(const char *file, dshap_model *m, dshap_net *net) {
    char p[4200];
    dshap_status st = onnx_import(m, fixture(file, p, sizeof p), NULL, layout_find("ntu25"));
    EXPECT(st == DSHAP_OK, "%s: %s", file, dshap_last_error());
    if (st) {
        memset(net, 0, sizeof *net);
        return;
    }
    st = net_build(net, m);
    EXPECT(st == DSHAP_OK, "%s: build: %s", file, dshap_last_error());
}

static void test_stgcn(const char *file) {
    dshap_model m;
    dshap_net net;
    import_ok(file, &m, &net);
    if (!net.n_nodes) return;
    check_nodes(file, &net, STGCN, (int)(sizeof STGCN / sizeof STGCN[0]));
    check_stgcn_values(file, &net, &m);
    roundtrip(file, &m, &net);
    net_free(&net);
    model_free(&m);
}

static void test_actzoo(void) {
    dshap_model m;
    dshap_net net;
    import_ok("actzoo_op13.onnx", &m, &net);
    if (!net.n_nodes) return;
    /* the activation nodes in order, as ActZoo.forward applies them */
    const struct { int act; float alpha, beta; } want[] = {
        {ACT_GELU, 0, 0},       {ACT_SILU, 0, 0},    {ACT_HARDSWISH, 0, 0}, {ACT_LEAKY_RELU, 0.1f, 0},
        {ACT_RELU, 0, 0},       {ACT_RELU6, 0, 0},   {ACT_SIGMOID, 0, 0},   {ACT_TANH, 0, 0},
        {ACT_ELU, 1, 0},        {ACT_PRELU, 0.25f, 0}};
    int k = 0;
    for (int i = 0; i < net.n_nodes; i++) {
        const node *nd = &net.nodes[i];
        if (nd->op != OP_ACT) continue;
        if (k < 10)
            EXPECT(nd->act == want[k].act && fabsf(nd->alpha - want[k].alpha) < 1e-6f && nd->beta == want[k].beta,
                   "actzoo: activation %d (%s) is kind %d alpha %g, expected %d alpha %g", k, nd->name, nd->act,
                   nd->alpha, want[k].act, want[k].alpha);
        if (nd->act == ACT_PRELU) EXPECT(nd->slope && nd->slope_n == 6, "actzoo: PRelu slopes");
        k++;
    }
    EXPECT(k == 10, "actzoo: %d activation nodes, expected 10", k);
    const node *last = &net.nodes[net.out];
    EXPECT(last->shape.rank == 1 && last->shape.d[0] == 4 && net.arch.num_persons == 1, "actzoo: (N, 4) logits, M = 1");
    int pool = 0, pad = 0, soft = 0, slices = 0;
    for (int i = 0; i < net.n_nodes; i++) {
        const node *nd = &net.nodes[i];
        if (nd->op == OP_POOL) {
            pool++;
            if (nd->pool == 1)
                EXPECT(nd->kernel[0] == 3 && nd->kernel[1] == 1 && nd->strides[0] == 2 && nd->shape.d[1] == 4,
                       "actzoo: max pool (3,1)/(2,1) on T = 10 gives 4");
        }
        if (nd->op == OP_PAD && nd->pads[1] == 1) {
            pad++;
            EXPECT(nd->pads[0] == 0 && nd->pads[2] == 0 && nd->pads[3] == 0 && nd->pads[4] == 1 && nd->pads[5] == 0 &&
                   nd->shape.d[1] == 10, "actzoo: F.pad(y, (0, 0, 1, 1)) pads T by 1 and 1");
        }
        if (nd->op == OP_SOFTMAX_ND) {
            soft++;
            EXPECT(nd->axis == 2, "actzoo: softmax over V (per-sample axis 2)");
        }
        if (nd->op == OP_SLICE) slices++;
    }
    EXPECT(pool == 2 && pad == 1 && soft == 1 && slices == 3, "actzoo: pools %d, pads %d, softmax %d, slices %d", pool,
           pad, soft, slices);
    roundtrip("actzoo", &m, &net);
    net_free(&net);
    model_free(&m);
}

/* Misc of gen_onnx.py: C = 3, T = 4, V = 25, M = 1, K = 3. */
static const want_node MISC[] = {
    {OP_INPUT, "x", 4, {3, 4, 25, 1}},
    {OP_RESHAPE, "/Squeeze", 3, {3, 4, 25}},
    {OP_SLICE, "/Split", 3, {1, 4, 25}},
    {OP_SLICE, "/Split", 3, {2, 4, 25}},
    {OP_BINARY, "/Expand", 3, {2, 4, 25}},       /* a · ones(2, 1, 1) */
    {OP_BINARY, "/Sub", 3, {2, 4, 25}},
    {OP_BINARY, "/Div", 3, {2, 4, 25}},
    {OP_BINARY, "/Add", 3, {2, 4, 25}},
    {OP_GATHER_ND, "/Gather", 3, {2, 4, 10}},
    {OP_TRANSPOSE, "/Einsum:perm0", 3, {10, 2, 4}}, /* nctv,nctw->nvw: (n v (c t)) @ (n (c t) w) */
    {OP_RESHAPE, "/Einsum:reshape0", 2, {10, 8}},
    {OP_RESHAPE, "/Einsum:reshape1", 2, {8, 10}},
    {OP_MATMUL, "/Einsum:matmul", 2, {10, 10}},
    {OP_RESHAPE, "/Einsum", 2, {10, 10}},
    {OP_SOFTMAX_ND, "/Softmax", 2, {10, 10}},
    {OP_TRANSPOSE, "/Transpose", 2, {10, 10}},
    {OP_MATMUL, "/MatMul", 2, {10, 10}},
    {OP_RESHAPE, "/Unsqueeze", 3, {1, 10, 10}},
    {OP_REDUCE, "/ReduceSum", 3, {1, 10, 10}},
    {OP_RESHAPE, "/ReduceSum", 2, {10, 10}},
    {OP_RESHAPE, "/Flatten", 1, {100}},
    {OP_MATMUL, "/fc/Gemm:matmul", 1, {3}},
    {OP_BINARY, "/fc/Gemm", 1, {3}},
};

static void test_misc(void) {
    dshap_model m;
    dshap_net net;
    import_ok("misc_op17.onnx", &m, &net);
    if (!net.n_nodes) return;
    check_nodes("misc", &net, MISC, (int)(sizeof MISC / sizeof MISC[0]));
    if (net.n_nodes == (int)(sizeof MISC / sizeof MISC[0])) {
        const node *sp = &net.nodes[3], *ex = &net.nodes[4], *sub = &net.nodes[5], *div = &net.nodes[6];
        const node *ga = &net.nodes[8], *tr = &net.nodes[9], *mm = &net.nodes[12], *tp = &net.nodes[15];
        EXPECT(sp->starts[0] == 1 && sp->ends[0] == 3 && sp->steps[0] == 1 && sp->ends[1] == 4 && sp->ends[2] == 25,
               "misc: second split part is channels [1, 3)");
        EXPECT(ex->binop == BIN_MUL && ex->kdata && ex->kshape.rank == 3 && ex->kshape.d[0] == 2 &&
               ex->kshape.d[1] == 1 && ex->kshape.d[2] == 1 && ex->kdata[0] == 1 && ex->kdata[1] == 1,
               "misc: expand as a product with ones (2, 1, 1)");
        EXPECT(sub->binop == BIN_SUB && !sub->k_first && sub->kdata && sub->kdata[0] == 0.5f && sub->kshape.rank == 0,
               "misc: x - 0.5");
        EXPECT(div->binop == BIN_DIV && div->kdata && div->kdata[0] == 2, "misc: / 2");
        EXPECT(ga->axis == 2 && ga->gather_n == 10 && ga->gather_index[0] == 0 && ga->gather_index[9] == 18,
               "misc: joints gathered 0, 2, ..., 18 along axis 2");
        EXPECT(tr->perm[0] == 2 && tr->perm[1] == 0 && tr->perm[2] == 1, "misc: einsum permutes (c, t, v) to (v, c, t)");
        EXPECT(mm->n_in == 2 && !mm->kdata && mm->in[0] == 10 && mm->in[1] == 11, "misc: einsum of two activations");
        EXPECT(tp->perm[0] == 1 && tp->perm[1] == 0, "misc: transpose(1, 2) as per-sample (1, 0)");
    }
    roundtrip("misc", &m, &net);
    net_free(&net);
    model_free(&m);
}

/* Branches of gen_onnx.py: ShapGCN's (N, 4, 2C, T, V, M) input, 2C = 4, T = 5, M = 2. */
static void test_branches(void) {
    dshap_model m;
    dshap_net net;
    import_ok("branches_op13.onnx", &m, &net);
    if (!net.n_nodes) return;
    EXPECT(net.in_branches == 4 && net.in_C == 4 && net.arch.num_frames == 5 && net.arch.num_persons == 2 &&
           net.arch.num_class == 2 && net_input_floats(&net) == 4 * 4 * 5 * 25 * 2, "branches: the input declaration");
    EXPECT(net.n_nodes == 12, "branches: %d nodes", net.n_nodes);
    if (net.n_nodes == 12) {
        const node *tr = &net.nodes[1], *conv = &net.nodes[3];
        EXPECT(tr->op == OP_TRANSPOSE && tr->perm[0] == 4 && tr->perm[1] == 0 && tr->perm[4] == 3,
               "branches: (I, C, T, V, M) → (M, I, C, T, V)");
        EXPECT(conv->op == OP_CONVND && conv->shape.rank == 4 && conv->shape.d[0] == 2 && conv->shape.d[1] == 6 &&
               conv->axis == 1, "branches: 1x1 conv on (M, 16, T, V)");
    }
    net_free(&net);
    model_free(&m);
}

/* Random byte edits of a small model (fixed seed): each import either
 * succeeds or fails with one message naming the file, never crashes. */
static void test_mutations(void) {
    char p[4200];
    FILE *f = fopen(fixture("actzoo_op13.onnx", p, sizeof p), "rb");
    EXPECT(f != NULL, "cannot open %s", p);
    if (!f) return;
    static unsigned char buf[1 << 14], mut[1 << 14];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char tmp[] = "/tmp/dshap_onnx_mut_XXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0) close(fd);
    rng_t r;
    rng_seed(&r, 13);
    int named = 0, failed = 0;
    for (int it = 0; it < 300; it++) {
        memcpy(mut, buf, n);
        for (int k = 0; k < 1 + it % 4; k++) mut[rng_below(&r, n)] = (unsigned char)rng_below(&r, 256);
        FILE *o = fopen(tmp, "wb");
        fwrite(mut, 1, n, o);
        fclose(o);
        dshap_model m;
        dshap_status st = onnx_import(&m, tmp, NULL, layout_find("ntu25"));
        if (!st) {
            model_free(&m);
            continue;
        }
        failed++;
        named += strstr(dshap_last_error(), tmp) != NULL && !strchr(dshap_last_error(), '\n');
    }
    EXPECT(named == failed, "mutations: %d of %d failures did not name the file in one line", failed - named, failed);
    unlink(tmp);
}

static void expect_refused(const char *file, const char *layout, const char *message) {
    char p[4200];
    dshap_model m;
    dshap_status st = onnx_import(&m, fixture(file, p, sizeof p), NULL, layout_find(layout));
    EXPECT(st == DSHAP_EFORMAT, "%s: status %d, expected a format error", file, st);
    const char *e = dshap_last_error();
    EXPECT(strstr(e, p) == e && strstr(e, message) && !strchr(e, '\n'), "%s: message '%s' lacks '%s'", file, e, message);
    if (!st) model_free(&m);
}

/* Every prefix shorter than the file (and some flipped bytes): one error,
 * no crash (the sanitizer builds run this too). */
static void test_truncated(void) {
    char p[4200];
    FILE *f = fopen(fixture("stgcn_tiny_op13.onnx", p, sizeof p), "rb");
    EXPECT(f != NULL, "cannot open %s", p);
    if (!f) return;
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char tmp[] = "/tmp/dshap_onnx_trunc_XXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0) close(fd);
    int refused = 0, tried = 0;
    for (size_t len = 0; len < n; len += 1 + len / 16) {
        FILE *o = fopen(tmp, "wb");
        fwrite(buf, 1, len, o);
        fclose(o);
        dshap_model m;
        tried++;
        dshap_status st = onnx_import(&m, tmp, NULL, layout_find("ntu25"));
        if (st) refused++;
        else model_free(&m);
        if (st) EXPECT(strstr(dshap_last_error(), tmp) != NULL, "truncated to %zu: message '%s'", len, dshap_last_error());
    }
    EXPECT(refused == tried, "%d of %d truncations imported", tried - refused, tried);
    for (size_t at = 7; at < n; at += 97) {
        unsigned char keep = buf[at];
        buf[at] ^= 0xA5;
        FILE *o = fopen(tmp, "wb");
        fwrite(buf, 1, n, o);
        fclose(o);
        buf[at] = keep;
        dshap_model m;
        if (!onnx_import(&m, tmp, NULL, layout_find("ntu25"))) model_free(&m);
    }
    unlink(tmp);
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "tests/fixtures");
    h5io_quiet();
    test_stgcn("stgcn_tiny_op13.onnx");
    test_stgcn("stgcn_tiny_op17.onnx");
    test_actzoo();
    test_misc();
    test_branches();
    expect_refused("bad_convtranspose.onnx", "ntu25",
                   ": node '/up/ConvTranspose' (ConvTranspose) is not supported; nearest: Conv");
    expect_refused("bad_rank3.onnx", "ntu25", ": input 'x' has rank 3; expected (N, C, T, V)");
    expect_refused("stgcn_v20.onnx", "ntu25", ": input 'x' has V = 20 joints; the ntu25 layout has 25");
    test_truncated();
    test_mutations();
    return tl_finish("test_onnx_import");
}
