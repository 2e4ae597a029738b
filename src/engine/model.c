#include "engine/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "engine/model_graph.h"
#include "engine/net.h"
#include "io/h5io.h"

dshap_param *model_find(const dshap_model *m, const char *name) {
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
    return NULL;
}

dshap_status model_add(dshap_model *m, const char *name, int rank, const int64_t *dims, int integer, dshap_param **out) {
    if (m->n_params == m->cap_params) {
        int cap = m->cap_params ? 2 * m->cap_params : 64;
        dshap_param *p = realloc(m->params, sizeof *p * (size_t)cap);
        if (!p) FAIL(DSHAP_ENOMEM, "out of memory growing the parameter table");
        m->params = p;
        m->cap_params = cap;
    }
    dshap_param *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    p->name = strdup(name);
    p->rank = rank;
    p->count = 1;
    for (int i = 0; i < rank; i++) {
        p->dims[i] = dims[i];
        p->count *= dims[i];
    }
    if (integer) TRY(dshap_calloc((void **)&p->idata, (size_t)p->count, sizeof(int64_t), name));
    else TRY(dshap_alloc_floats(&p->data, (size_t)p->count, name));
    m->n_params++;
    *out = p;
    return DSHAP_OK;
}

void model_free(dshap_model *m) {
    for (int i = 0; i < m->n_params; i++) {
        free(m->params[i].name);
        dshap_free(m->params[i].data);
        dshap_free(m->params[i].idata);
    }
    free(m->params);
    free(m->graph);
    memset(m, 0, sizeof *m);
}

typedef struct {
    dshap_model *m;
    const dshap_model *want; /* the architecture's tensors (shapes, kinds) */
    const h5file *f;
    dshap_status st;
    char unknown[200];       /* first tensor the architecture does not have (not read) */
} load_ctx;

static void dtype_name(hid_t t, char *out, size_t cap) {
    H5T_class_t c = H5Tget_class(t);
    size_t bits = 8 * H5Tget_size(t);
    if (c == H5T_FLOAT) snprintf(out, cap, "float%zu", bits);
    else if (c == H5T_INTEGER) snprintf(out, cap, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", bits);
    else snprintf(out, cap, "non-numeric");
}

static herr_t load_one(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    load_ctx *c = data;
    char path[512];
    snprintf(path, sizeof path, "/state_dict/%s", name);
    if (strstr(name, "num_batches_tracked")) return 0; /* a BN counter, not used in eval mode */
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    if ((c->st = h5io_shape(c->f, path, &rank, dims))) return -1;
    if (rank > 6) {
        c->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: tensor '%s' has rank %d", c->f->path, name, rank);
        return -1;
    }
    hid_t ds = H5Dopen2(c->f->id, path, H5P_DEFAULT);
    hid_t t = H5Dget_type(ds);
    int integer = H5Tget_class(t) == H5T_INTEGER;
    char dtype[12];
    dtype_name(t, dtype, sizeof dtype);
    H5Tclose(t);
    H5Dclose(ds);
    /* Checked against the architecture before anything is allocated: a
     * declared (2^36,) or a flipped byte in a shape never reaches malloc. */
    const dshap_param *w = model_find(c->want, name);
    if (!w) {
        if (!c->unknown[0]) snprintf(c->unknown, sizeof c->unknown, "%s", name);
        return 0;
    }
    int same = w->rank == rank && !!w->idata == integer;
    for (int i = 0; same && i < rank; i++) same = w->dims[i] == dims[i];
    if (!same) {
        char got[96], need[96];
        c->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: tensor '%s' has shape %s (%s), the architecture needs %s (%s)",
                           c->f->path, name, fmt_shape(rank, dims, got, sizeof got), dtype,
                           fmt_shape(w->rank, w->dims, need, sizeof need), w->idata ? "integer" : "float");
        return -1;
    }
    dshap_param *p;
    if ((c->st = h5io_in_file(c->f->path, path, model_add(c->m, name, rank, dims, integer, &p)))) return -1;
    snprintf(p->dtype, sizeof p->dtype, "%s", dtype);
    if (integer) {
        int32_t *tmp;
        if ((c->st = h5io_read_i32(c->f, path, rank, dims, &tmp))) return -1;
        for (int64_t i = 0; i < p->count; i++) p->idata[i] = tmp[i];
        dshap_free(tmp);
    } else {
        float *tmp;
        if ((c->st = h5io_read_f32(c->f, path, rank, dims, &tmp))) return -1;
        for (int64_t i = 0; i < p->count; i++) {
            if (!isfinite(tmp[i])) {
                dshap_free(tmp);
                c->st = dshap_fail(DSHAP_ENUMERIC, __FILE__, __LINE__, "%s: tensor '%s' contains NaN or Inf at element %lld",
                                   c->f->path, name, (long long)i);
                return -1;
            }
        }
        memcpy(p->data, tmp, sizeof(float) * (size_t)p->count);
        dshap_free(tmp);
    }
    return 0;
}

/* The graph is built from the layout; a stored /graph/A (written by
 * model_save and the PyTorch export) must be that graph, or the file was
 * made for another one. */
static dshap_status check_graph(const h5file *f, const dshap_layout *L) {
    int64_t d[3] = {GRAPH_PARTITIONS, L->V, L->V};
    float *A = NULL, want[GRAPH_PARTITIONS * LAYOUT_MAX_V * LAYOUT_MAX_V];
    TRY(h5io_read_f32(f, "/graph/A", 3, d, &A));
    layout_adjacency(L, want);
    int64_t n = d[0] * d[1] * d[2], bad = -1;
    for (int64_t i = 0; i < n && bad < 0; i++)
        if (!(fabsf(A[i] - want[i]) <= 1e-5f)) bad = i;
    dshap_free(A);
    if (bad >= 0)
        FAIL(DSHAP_EFORMAT, "%s: '/graph/A' differs from the %s layout's graph at element %lld: the model was made "
             "for another graph", f->path, L->name, (long long)bad);
    return DSHAP_OK;
}

dshap_status model_load(dshap_model *m, const char *path) {
    memset(m, 0, sizeof *m);
    m->path = path;
    h5file f;
    TRY(h5io_open_read(&f, path, MODEL_FORMAT, MODEL_FORMAT_VERSION_GRAPH));
    if (h5io_has_attr(&f, "/", "graph")) {
        dshap_status gs = model_load_graph(m, &f);
        h5io_close(&f);
        if (gs) model_free(m);
        else m->path = path;
        return gs;
    }
    char *json = NULL;
    dshap_model want = {0};
    dshap_status st = DSHAP_OK;
    long long version = 0;
    CHECK(h5io_read_attr_int(&f, "/", "format_version", &version));
    if (version != MODEL_FORMAT_VERSION)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: format_version %lld without a 'graph' record", path, version);
    CHECK(h5io_read_attr_str(&f, "/", "architecture", &json));
    CHECK(arch_from_json(&m->arch, json, path));
    if (!h5io_exists(&f, "/state_dict")) CHECK_FAIL(DSHAP_EFORMAT, "%s: missing group '/state_dict'", path);
    CHECK(net_param_shapes(&m->arch, &want));
    load_ctx c = {m, &want, &f, DSHAP_OK, ""};
    hid_t g = H5Gopen2(f.id, "/state_dict", H5P_DEFAULT);
    /* Creation order is not guaranteed to be tracked; name order is enough
     * since tensors are looked up by name. */
    herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, load_one, &c);
    H5Gclose(g);
    if (c.st) CHECK(c.st);
    if (r < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: cannot read '/state_dict'", path);
    /* a missing tensor is the likelier cause of an unknown one (a renamed key) */
    for (int i = 0; c.unknown[0] && i < want.n_params; i++)
        if (!model_find(m, want.params[i].name))
            CHECK_FAIL(DSHAP_EFORMAT, "%s: state_dict lacks '%s' required by the architecture", path, want.params[i].name);
    if (c.unknown[0])
        CHECK_FAIL(DSHAP_EFORMAT, "%s: state_dict tensor '%s' is not part of the architecture (unknown layer?)", path,
                   c.unknown);
    if (h5io_exists(&f, "/graph/A")) CHECK(check_graph(&f, m->arch.layout));
done:
    model_free(&want);
    free(json);
    h5io_close(&f);
    if (st) model_free(m);
    else m->path = path;
    return st;
}

dshap_status model_save(const dshap_model *m, const char *path) {
    if (m->graph) return model_save_graph(m, path);
    char tmp[4096];
    h5io_temp_name(path, tmp, sizeof tmp);
    h5file f;
    TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    dshap_status st = DSHAP_OK;
    char *json = arch_to_json(&m->arch);
    CHECK(h5io_write_attr_str(&f, "/", "format", MODEL_FORMAT));
    CHECK(h5io_write_attr_int(&f, "/", "format_version", MODEL_FORMAT_VERSION));
    CHECK(h5io_write_attr_str(&f, "/", "architecture", json));
    for (int i = 0; i < m->n_params; i++) {
        const dshap_param *p = &m->params[i];
        char name[512];
        snprintf(name, sizeof name, "/state_dict/%s", p->name);
        if (p->idata) CHECK(h5io_write_i64(&f, name, p->rank, p->dims, p->idata));
        else CHECK(h5io_write_f32(&f, name, p->rank, p->dims, p->data));
    }
    const dshap_layout *L = m->arch.layout;
    int32_t parents[LAYOUT_MAX_V];
    for (int v = 0; v < L->V; v++) parents[v] = L->parents[v];
    int64_t dv = L->V, dA[3] = {GRAPH_PARTITIONS, L->V, L->V};
    float A[GRAPH_PARTITIONS * LAYOUT_MAX_V * LAYOUT_MAX_V];
    layout_adjacency(L, A);
    CHECK(h5io_write_i32(&f, "/graph/parents", 1, &dv, parents));
    CHECK(h5io_write_f32(&f, "/graph/A", 3, dA, A));
    if (L->joint_names) CHECK(h5io_write_strings(&f, "/graph/joint_names", L->V, (char *const *)L->joint_names));
done:
    free(json);
    if (st) {
        h5io_discard(&f, tmp);
        return st;
    }
    return h5io_finish(&f, tmp, path);
}

void model_count_params(const dshap_model *m, int64_t *with_edge, int64_t *without_edge) {
    int64_t all = 0, edge = 0;
    for (int i = 0; i < m->n_params; i++) {
        const dshap_param *p = &m->params[i];
        const char *n = p->name;
        size_t len = strlen(n);
#define ENDS(s) (len >= strlen(s) && strcmp(n + len - strlen(s), s) == 0)
        if (p->idata || ENDS("running_mean") || ENDS("running_var") || ENDS(".A")) continue;
        all += p->count;
        if (ENDS(".edge")) edge += p->count;
#undef ENDS
    }
    *with_edge = all;
    *without_edge = all - edge;
}
