/* Public API: ONNX models imported in memory (src/onnx), and the model input's
 * declared shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/error.h"
#include "core/mem.h"
#include "engine/layout.h"
#include "onnx/store.h"

int api_bytes_are_onnx(const void *bytes, size_t n_bytes) {
    return n_bytes > 0 && ((const unsigned char *)bytes)[0] == 0x08;
}

int api_file_is_onnx(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0; /* the HDF5 reader names the file it cannot open */
    unsigned char b = 0;
    size_t got = fread(&b, 1, 1, f);
    fclose(f);
    return api_bytes_are_onnx(&b, got);
}

/* Import, then build the net as dshap_model_load does; name labels messages. */
static dshap_status import_named(const void *bytes, size_t n_bytes, const char *name, const dshap_import_options *o,
                                 dshap_model_t **out) {
    const dshap_layout *L = NULL;
    if (o && o->layout && !(L = layout_find(o->layout)))
        FAIL(DSHAP_EINVAL, "dshap_model_import_onnx: unknown layout '%s' (%s)", o->layout, layout_names());
    dshap_model_t *m;
    TRY(dshap_calloc((void **)&m, 1, sizeof *m, "model handle"));
    snprintf(m->path, sizeof m->path, "%s", name);
    dshap_status st = onnx_import_memory(&m->model, bytes, n_bytes, m->path, o ? o->input : NULL, L);
    if (!st) st = net_build(&m->net, &m->model);
    if (st) {
        dshap_model_free(m);
        return st;
    }
    *out = m;
    return DSHAP_OK;
}

dshap_status dshap_model_import_onnx(const void *bytes, size_t n_bytes, const dshap_import_options *opts,
                                     dshap_model_t **out) {
    TRY(api_check_ptr(bytes, "dshap_model_import_onnx", "bytes"));
    TRY(api_check_ptr(out, "dshap_model_import_onnx", "out"));
    *out = NULL;
    char name[64];
    snprintf(name, sizeof name, "<ONNX model of %zu bytes>", n_bytes);
    return import_named(bytes, n_bytes, opts && opts->name ? opts->name : name, opts, out);
}

dshap_status api_onnx_load_file(const char *path, dshap_model_t **out) {
    unsigned char *bytes;
    size_t n;
    TRY(onnx_read_file(path, &bytes, &n));
    dshap_status st = import_named(bytes, n, path, NULL, out);
    free(bytes);
    return st;
}

int dshap_model_input_dims(const dshap_model_t *m, int64_t dims[5]) {
    const dshap_net *net = &m->net;
    if (net->general)
        for (int i = 0; i < net->n_nodes; i++)
            if (net->nodes[i].op == OP_INPUT) {
                const nd_shape *s = &net->nodes[i].shape;
                memcpy(dims, s->d, sizeof(int64_t) * (size_t)s->rank);
                return s->rank;
            }
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    memcpy(dims, info.input_shape, sizeof info.input_shape);
    return 5;
}
