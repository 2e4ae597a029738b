#include "engine/model_graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/mem.h"
#include "onnx/store.h"

dshap_status model_save_graph(const dshap_model *m, const char *path) {
    char tmp[4096];
    h5io_temp_name(path, tmp, sizeof tmp);
    h5file f;
    TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    dshap_status st = DSHAP_OK;
    CHECK(h5io_write_attr_str(&f, "/", "format", MODEL_FORMAT));
    CHECK(h5io_write_attr_int(&f, "/", "format_version", MODEL_FORMAT_VERSION_GRAPH));
    CHECK(h5io_write_attr_str(&f, "/", "graph", m->graph));
    CHECK(h5io_ensure_groups(&f, "/constants/x"));
    for (int i = 0; i < m->n_params; i++) {
        const dshap_param *p = &m->params[i];
        char name[64];
        snprintf(name, sizeof name, "/constants/%d", i);
        if (p->idata) CHECK(h5io_write_i64(&f, name, p->rank, p->dims, p->idata));
        else CHECK(h5io_write_f32(&f, name, p->rank, p->dims, p->data));
    }
done:
    if (st) {
        h5io_discard(&f, tmp);
        return st;
    }
    return h5io_finish(&f, tmp, path);
}

static dshap_status read_constant(dshap_model *m, const h5file *f, int i, const char *cname) {
    char path[64];
    snprintf(path, sizeof path, "/constants/%d", i);
    if (!h5io_exists(f, path)) FAIL(DSHAP_EFORMAT, "%s: missing dataset '%s' (constant '%s')", f->path, path, cname);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    TRY(h5io_shape(f, path, &rank, dims));
    if (rank > 6) FAIL(DSHAP_EFORMAT, "%s: constant '%s' has rank %d", f->path, cname, rank);
    int64_t count = 1;
    for (int k = 0; k < rank; k++) {
        count *= dims[k];
        if (dims[k] < 0 || count > (1LL << 31)) FAIL(DSHAP_EFORMAT, "%s: constant '%s' is too large", f->path, cname);
    }
    hid_t ds = H5Dopen2(f->id, path, H5P_DEFAULT);
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    int integer = t >= 0 && H5Tget_class(t) == H5T_INTEGER;
    if (t >= 0) H5Tclose(t);
    if (ds >= 0) H5Dclose(ds);
    dshap_param *p;
    TRY(h5io_in_file(f->path, path, model_add(m, cname, rank, dims, integer, &p)));
    snprintf(p->dtype, sizeof p->dtype, "%s", integer ? "int64" : "float32");
    if (integer) {
        int32_t *v;
        TRY(h5io_read_i32(f, path, rank, dims, &v));
        for (int64_t k = 0; k < p->count; k++) p->idata[k] = v[k];
        dshap_free(v);
        return DSHAP_OK;
    }
    float *v;
    TRY(h5io_read_f32(f, path, rank, dims, &v));
    int64_t bad = -1;
    for (int64_t k = 0; k < p->count && bad < 0; k++)
        if (!isfinite(v[k])) bad = k;
    memcpy(p->data, v, sizeof(float) * (size_t)p->count);
    dshap_free(v);
    if (bad >= 0) FAIL(DSHAP_ENUMERIC, "%s: constant '%s' contains NaN or Inf at element %lld", f->path, cname, (long long)bad);
    return DSHAP_OK;
}

dshap_status model_load_graph(dshap_model *m, const h5file *f) {
    dshap_status st = DSHAP_OK;
    og_graph g = {0};
    char **names = NULL;
    int n = 0;
    CHECK(h5io_read_attr_str(f, "/", "graph", &m->graph));
    CHECK(og_from_json(&g, m->graph, f->path, &names, &n, &m->arch.layout));
    for (int i = 0; i < n; i++) {
        if (model_find(m, names[i])) CHECK_FAIL(DSHAP_EFORMAT, "%s: constant '%s' is named twice", f->path, names[i]);
        CHECK(read_constant(m, f, i, names[i]));
    }
    /* the input declaration gives the sizes; the lowering checks it all */
    int o = g.in_rank == 6;
    if (g.in_rank >= 4) {
        m->arch.num_frames = (int)g.in_dims[2 + o];
        m->arch.num_persons = g.in_rank == 4 ? 1 : (int)g.in_dims[4 + o];
    }
done:
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    og_free(&g);
    return st;
}
