/* ModelProto → og_graph (field numbers from onnx.proto, onnx 1.16). The
 * message nesting is fixed (model → graph → node → attribute → tensor), so
 * the reader needs no recursion; subgraph attributes are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/graph.h"
#include "onnx/pb.h"

enum { DT_FLOAT = 1, DT_INT32 = 6, DT_INT64 = 7, DT_BOOL = 9, DT_DOUBLE = 11 };
#define MAX_ELEMS (1LL << 28)

typedef struct {
    const char *path;
    dshap_model *m;
    og_graph *g;
} rd;

#define MALFORMED(what) FAIL(DSHAP_EFORMAT, "%s: truncated or malformed protobuf (%s)", r->path, what)

static char *str_of(const pb_field *f) {
    char *s = malloc(f->len + 1);
    if (!s) return NULL;
    memcpy(s, f->data, f->len);
    s[f->len] = '\0';
    return s;
}

/* A repeated scalar field, packed or not: append to *vals (count *n). */
static int take_scalar(const pb_field *f, int wire, uint64_t **vals, int64_t *n) {
    int64_t k = f->wire == PB_LEN ? pb_packed_count(f, wire) : (f->wire == wire ? 1 : -1);
    if (k < 0 || *n + k > MAX_ELEMS) return -1;
    uint64_t *p = realloc(*vals, sizeof *p * (size_t)(*n + k + 1));
    if (!p) return -1;
    *vals = p;
    if (f->wire != PB_LEN) p[(*n)++] = f->v;
    else {
        pb_reader s = pb_sub(f);
        for (int64_t i = 0; i < k; i++) pb_packed_next(&s, wire, &p[(*n)++]);
    }
    return 0;
}

/* Integer constants are shapes, axes and bounds: int32 holds them all, and
 * model.h5 stores them so (INT64_MAX "to the end" bounds become INT32_MAX). */
static int64_t clamp32(int64_t v) { return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v); }

static int elem_size(int dt) {
    switch (dt) {
    case DT_FLOAT: case DT_INT32: return 4;
    case DT_INT64: case DT_DOUBLE: return 8;
    case DT_BOOL: return 1;
    }
    return 0;
}

/* TensorProto → a model parameter named `name` (or the tensor's own name). */
static dshap_status read_tensor(rd *r, const pb_field *tf, const char *name) {
    pb_reader s = pb_sub(tf);
    pb_field f;
    int64_t dims[OG_MAX_RANK], nd = 0, count = 1;
    int dt = 0, k;
    const pb_field *raw = NULL;
    pb_field rawf;
    uint64_t *vals = NULL;
    int64_t nv = 0;
    int vwire = -1;
    char *own = NULL;
    dshap_status st = DSHAP_OK;
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.field == 1) {
            uint64_t *d = NULL;
            int64_t n = 0;
            if (take_scalar(&f, PB_VARINT, &d, &n) || nd + n > OG_MAX_RANK) {
                free(d);
                CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor '%s' has more than %d dimensions or bad dims", r->path,
                           name ? name : "?", OG_MAX_RANK);
            }
            for (int64_t i = 0; i < n; i++) dims[nd++] = (int64_t)d[i];
            free(d);
        } else if (f.field == 2 && f.wire == PB_VARINT) dt = (int)f.v;
        else if (f.field == 9 && f.wire == PB_LEN) rawf = f, raw = &rawf;
        else if (f.field == 8 && f.wire == PB_LEN && !own) own = str_of(&f);
        else if (f.field == 4 || f.field == 5 || f.field == 7 || f.field == 10) {
            int w = f.field == 4 ? PB_I32 : (f.field == 10 ? PB_I64 : PB_VARINT);
            if (vwire >= 0 && vwire != f.field) CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor with two data fields", r->path);
            vwire = f.field;
            if (take_scalar(&f, w, &vals, &nv)) CHECK_FAIL(DSHAP_EFORMAT, "%s: malformed tensor data", r->path);
        }
    }
    if (k < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: truncated or malformed protobuf (TensorProto)", r->path);
    const char *nm = name ? name : own;
    if (!nm || !*nm) CHECK_FAIL(DSHAP_EFORMAT, "%s: a tensor without a name", r->path);
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0 || dims[i] > MAX_ELEMS || count * (dims[i] ? dims[i] : 1) > MAX_ELEMS)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor '%s' has a bad or too large shape", r->path, nm);
        count *= dims[i];
    }
    int es = elem_size(dt);
    if (!es) CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor '%s' has data type %d (supported: float, double, int32, int64, bool)",
                        r->path, nm, dt);
    if (raw ? (int64_t)raw->len != count * es : nv != count)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor '%s' holds %lld values, its shape needs %lld", r->path, nm,
                   (long long)(raw ? (int64_t)raw->len / es : nv), (long long)count);
    if (model_find(r->m, nm)) CHECK_FAIL(DSHAP_EFORMAT, "%s: tensor '%s' is defined twice", r->path, nm);
    int integer = dt != DT_FLOAT && dt != DT_DOUBLE;
    dshap_param *p;
    CHECK(model_add(r->m, nm, (int)nd, dims, integer, &p));
    snprintf(p->dtype, sizeof p->dtype, "%s", dt == DT_FLOAT ? "float32" : dt == DT_DOUBLE ? "float64" :
             dt == DT_INT32 ? "int32" : dt == DT_INT64 ? "int64" : "bool");
    for (int64_t i = 0; i < count; i++) {
        uint64_t v = 0;
        if (raw)
            for (int b = 0; b < es; b++) v |= (uint64_t)raw->data[i * es + b] << (8 * b);
        else v = vals[i];
        union { uint32_t u; float x; } f32 = {(uint32_t)v};
        union { uint64_t u; double x; } f64 = {v};
        if (dt == DT_FLOAT) p->data[i] = f32.x;
        else if (dt == DT_DOUBLE) p->data[i] = (float)f64.x;
        else if (dt == DT_INT32) p->idata[i] = (int32_t)(uint32_t)v;
        else if (dt == DT_BOOL) p->idata[i] = v != 0;
        else p->idata[i] = clamp32((int64_t)v);
    }
done:
    free(vals);
    free(own);
    return st;
}

/* Constant's value attribute, stored as the parameter named after its output. */
static dshap_status read_constant_attr(rd *r, const pb_field *af, const char *out) {
    pb_reader s = pb_sub(af);
    pb_field f, t = {0};
    char *name = NULL;
    int k, have = 0;
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.field == 1 && f.wire == PB_LEN && !name) name = str_of(&f);
        else if (f.field == 5 && f.wire == PB_LEN) t = f, have = 1;
    }
    if (k < 0) {
        free(name);
        MALFORMED("AttributeProto");
    }
    int ok = name && !strcmp(name, "value") && have;
    free(name);
    if (!ok) FAIL(DSHAP_EFORMAT, "%s: Constant '%s' must have a tensor 'value' attribute (others are not supported)",
                  r->path, out);
    return read_tensor(r, &t, out);
}

static dshap_status read_attr(rd *r, og_node *n, const pb_field *af) {
    pb_reader s = pb_sub(af);
    pb_field f;
    char *name = NULL;
    int type = 0, k;
    float fv = 0;
    int64_t iv = 0;
    pb_field sf = {0};
    uint64_t *ints = NULL, *floats = NULL;
    int64_t ni = 0, nf = 0;
    dshap_status st = DSHAP_OK;
    int scalar_tensor = 0;
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.field == 1 && f.wire == PB_LEN && !name) name = str_of(&f);
        else if (f.field == 20 && f.wire == PB_VARINT) type = (int)f.v;
        else if (f.field == 2 && f.wire == PB_I32) fv = pb_float(&f);
        else if (f.field == 3 && f.wire == PB_VARINT) iv = pb_int(&f);
        else if (f.field == 4 && f.wire == PB_LEN) sf = f;
        else if (f.field == 7 && take_scalar(&f, PB_I32, &floats, &nf)) k = -1;
        else if (f.field == 8 && take_scalar(&f, PB_VARINT, &ints, &ni)) k = -1;
        else if (f.field == 5 && f.wire == PB_LEN) {
            /* ConstantOfShape's one-element value: kept as a scalar attribute */
            dshap_model tmp = {0};
            rd r2 = {r->path, &tmp, r->g};
            st = read_tensor(&r2, &f, "value");
            if (!st && tmp.params[0].count != 1)
                st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: node '%s': tensor attribute with %lld elements "
                                "(only one-element values are supported)", r->path, n->name, (long long)tmp.params[0].count);
            if (!st) {
                scalar_tensor = tmp.params[0].idata ? 1 : 2;
                if (tmp.params[0].idata) iv = tmp.params[0].idata[0];
                else fv = tmp.params[0].data[0];
            }
            model_free(&tmp);
            if (st) goto done;
        } else if (f.field == 6 || f.field == 11)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' (%s) has a subgraph attribute; control flow is not supported", r->path,
                       n->name, n->op);
    }
    if (k < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: truncated or malformed protobuf (AttributeProto)", r->path);
    if (!name) CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' has an attribute without a name", r->path, n->name);
    og_attr *a;
    if (scalar_tensor || type == 1 || type == 2) {
        int is_int = scalar_tensor ? scalar_tensor == 1 : type == 2;
        if (!(a = og_add_attr(n, name, is_int ? OA_INT : OA_FLOAT))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        a->i = iv;
        a->f = fv;
    } else if (type == 3) {
        if (!(a = og_add_attr(n, name, OA_STRING)) || !(a->s = str_of(&sf))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
    } else if (type == 6 || type == 7) {
        if (!(a = og_add_attr(n, name, type == 7 ? OA_INTS : OA_FLOATS))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        a->n = type == 7 ? ni : nf;
        if (type == 7 && !(a->ints = malloc(sizeof(int64_t) * (size_t)(ni + 1)))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        if (type == 6 && !(a->floats = malloc(sizeof(float) * (size_t)(nf + 1)))) CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
        for (int64_t i = 0; i < a->n; i++) {
            if (type == 7) a->ints[i] = (int64_t)ints[i];
            else {
                pb_field t = {.v = floats[i]};
                a->floats[i] = pb_float(&t);
            }
        }
    } else
        CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' (%s): attribute '%s' has type %d (supported: float, int, string, "
                   "floats, ints, one-element tensor)", r->path, n->name, n->op, name, type);
done:
    free(name);
    free(ints);
    free(floats);
    return st;
}

static dshap_status read_strings(rd *r, pb_reader s, int field, char ***out, int *n) {
    pb_field f;
    int k;
    while ((k = pb_next(&s, &f)) == 1)
        if (f.field == field && f.wire == PB_LEN) {
            char **p = realloc(*out, sizeof *p * (size_t)(*n + 2));
            if (!p) FAIL(DSHAP_ENOMEM, "out of memory");
            *out = p;
            if (!(p[(*n)++] = str_of(&f))) FAIL(DSHAP_ENOMEM, "out of memory");
        }
    if (k < 0) MALFORMED("NodeProto");
    return DSHAP_OK;
}

static dshap_status read_node(rd *r, const pb_field *nf, int index) {
    pb_reader s = pb_sub(nf);
    pb_field f;
    char *name = NULL, *op = NULL, *domain = NULL, **in = NULL, **out = NULL;
    int n_in = 0, n_out = 0, k;
    dshap_status st = DSHAP_OK;
    CHECK(read_strings(r, s, 1, &in, &n_in));
    CHECK(read_strings(r, s, 2, &out, &n_out));
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.wire != PB_LEN) continue;
        if (f.field == 3 && !name) name = str_of(&f);
        else if (f.field == 4 && !op) op = str_of(&f);
        else if (f.field == 7 && !domain) domain = str_of(&f);
    }
    if (k < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: truncated or malformed protobuf (NodeProto)", r->path);
    if (!op || !*op) CHECK_FAIL(DSHAP_EFORMAT, "%s: node %d has no op_type", r->path, index);
    if (n_out < 1) CHECK_FAIL(DSHAP_EFORMAT, "%s: node %d (%s) has no output", r->path, index, op);
    char dflt[64];
    snprintf(dflt, sizeof dflt, "%s_%d", op, index);
    const char *nm = name && *name ? name : dflt;
    if (domain && *domain && strcmp(domain, "ai.onnx"))
        CHECK_FAIL(DSHAP_EFORMAT, "%s: node '%s' (%s) is in domain '%s'; only the default ONNX domain is supported",
                   r->path, nm, op, domain);
    if (!strcmp(op, "Constant")) {
        s = pb_sub(nf);
        int got = 0;
        while ((k = pb_next(&s, &f)) == 1)
            if (f.field == 5 && f.wire == PB_LEN) {
                CHECK(read_constant_attr(r, &f, out[0]));
                got = 1;
            }
        if (!got) CHECK_FAIL(DSHAP_EFORMAT, "%s: Constant '%s' has no value", r->path, nm);
        goto done;
    }
    og_node *n = og_add_node(r->g, nm, op, n_in, n_out);
    if (!n) CHECK_FAIL(DSHAP_ENOMEM, "out of memory reading %s", r->path);
    for (int i = 0; i < n_in; i++) n->in[i] = in[i], in[i] = NULL;
    for (int i = 0; i < n_out; i++) n->out[i] = out[i], out[i] = NULL;
    s = pb_sub(nf);
    while ((k = pb_next(&s, &f)) == 1)
        if (f.field == 5 && f.wire == PB_LEN) CHECK(read_attr(r, n, &f));
done:
    for (int i = 0; i < n_in; i++) free(in[i]);
    for (int i = 0; i < n_out; i++) free(out[i]);
    free(in);
    free(out);
    free(name);
    free(op);
    free(domain);
    return st;
}

/* ValueInfoProto: name and shape (dim_param and unknown sizes as -1). */
static dshap_status read_value_info(rd *r, const pb_field *vf, char **name, int *rank, int64_t *dims) {
    pb_reader s = pb_sub(vf), t, tt, sh, dm;
    pb_field f, g, h, d, e;
    int k;
    *rank = -1;
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.field == 1 && f.wire == PB_LEN && !*name) {
            if (!(*name = str_of(&f))) FAIL(DSHAP_ENOMEM, "out of memory");
        } else if (f.field == 2 && f.wire == PB_LEN) {
            for (t = pb_sub(&f); (k = pb_next(&t, &g)) == 1;) {
                if (g.field != 1 || g.wire != PB_LEN) continue;
                for (tt = pb_sub(&g); (k = pb_next(&tt, &h)) == 1;) {
                    if (h.field != 2 || h.wire != PB_LEN) continue;
                    *rank = 0;
                    for (sh = pb_sub(&h); (k = pb_next(&sh, &d)) == 1;) {
                        if (d.field != 1 || d.wire != PB_LEN) continue;
                        if (*rank == OG_MAX_RANK) FAIL(DSHAP_EFORMAT, "%s: a graph input or output of rank > %d", r->path,
                                                       OG_MAX_RANK);
                        int64_t v = -1;
                        for (dm = pb_sub(&d); (k = pb_next(&dm, &e)) == 1;)
                            if (e.field == 1 && e.wire == PB_VARINT) v = pb_int(&e);
                        if (k < 0) MALFORMED("TensorShapeProto");
                        dims[(*rank)++] = v;
                    }
                    if (k < 0) MALFORMED("TensorShapeProto");
                }
                if (k < 0) MALFORMED("TypeProto");
            }
            if (k < 0) MALFORMED("TypeProto");
        }
    }
    if (k < 0) MALFORMED("ValueInfoProto");
    return DSHAP_OK;
}

static dshap_status read_graph(rd *r, const pb_field *gf, const char *input_name) {
    pb_reader s = pb_sub(gf);
    pb_field f;
    int k, index = 0, n_inputs = 0, n_outputs = 0;
    dshap_status st = DSHAP_OK;
    while ((k = pb_next(&s, &f)) == 1)
        if (f.field == 5 && f.wire == PB_LEN) TRY(read_tensor(r, &f, NULL));
    if (k < 0) MALFORMED("GraphProto");
    for (s = pb_sub(gf); (k = pb_next(&s, &f)) == 1;) {
        if (f.wire != PB_LEN) continue;
        if (f.field == 1) TRY(read_node(r, &f, index++));
        else if (f.field == 11 || f.field == 12) {
            char *name = NULL;
            int rank;
            int64_t dims[OG_MAX_RANK];
            st = read_value_info(r, &f, &name, &rank, dims);
            if (st || !name) {
                free(name);
                if (st) return st;
                FAIL(DSHAP_EFORMAT, "%s: a graph input or output without a name", r->path);
            }
            if (f.field == 12) {
                n_outputs++;
                free(r->g->output);
                r->g->output = name;
                continue;
            }
            /* inputs that are initializers are parameters, not the model input */
            int want = input_name ? !strcmp(name, input_name) : !model_find(r->m, name);
            if (!want || r->g->input) {
                if (want) n_inputs++;
                free(name);
                continue;
            }
            n_inputs++;
            r->g->input = name;
            r->g->in_rank = rank;
            memcpy(r->g->in_dims, dims, sizeof(int64_t) * (size_t)(rank > 0 ? rank : 0));
        }
    }
    if (k < 0) MALFORMED("GraphProto");
    if (!r->g->input) {
        if (input_name) FAIL(DSHAP_EFORMAT, "%s: the graph has no input named '%s'", r->path, input_name);
        FAIL(DSHAP_EFORMAT, "%s: the graph has no input besides its initializers", r->path);
    }
    if (n_inputs > 1 && !input_name)
        FAIL(DSHAP_EFORMAT, "%s: the graph has %d inputs; name the model input with --input", r->path, n_inputs);
    if (n_outputs != 1) FAIL(DSHAP_EFORMAT, "%s: the graph has %d outputs; one (the logits) is needed", r->path, n_outputs);
    return DSHAP_OK;
}

dshap_status onnx_read(og_graph *g, dshap_model *m, const void *bytes, size_t len, const char *path,
                       const char *input_name) {
    memset(g, 0, sizeof *g);
    rd r0 = {path, m, g}, *r = &r0;
    pb_reader s = pb_open(bytes, len);
    pb_field f, graph = {0};
    int k, have_graph = 0;
    int64_t ir = 0;
    while ((k = pb_next(&s, &f)) == 1) {
        if (f.field == 1 && f.wire == PB_VARINT) ir = pb_int(&f);
        else if (f.field == 7 && f.wire == PB_LEN) graph = f, have_graph = 1;
        else if (f.field == 8 && f.wire == PB_LEN) {
            pb_reader o = pb_sub(&f);
            pb_field h;
            int64_t version = 0;
            int other = 0;
            while ((k = pb_next(&o, &h)) == 1) {
                if (h.field == 1 && h.wire == PB_LEN && h.len && !(h.len == 7 && !memcmp(h.data, "ai.onnx", 7))) other = 1;
                if (h.field == 2 && h.wire == PB_VARINT) version = pb_int(&h);
            }
            if (k < 0) break;
            if (!other) g->opset = version;
        }
    }
    if (k < 0) MALFORMED("ModelProto");
    if (!have_graph || ir <= 0) FAIL(DSHAP_EFORMAT, "%s: not an ONNX model (no graph or ir_version)", path);
    if (g->opset < 11 || g->opset > 17)
        FAIL(DSHAP_EFORMAT, "%s: opset %lld of the default domain; supported: 11 to 17", path, (long long)g->opset);
    dshap_status st = read_graph(r, &graph, input_name);
    if (st) og_free(g);
    return st;
}
