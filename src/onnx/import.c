#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/lower.h"
#include "onnx/store.h"

#define MAX_ONNX_BYTES (1LL << 31)

static dshap_status read_file(const char *path, unsigned char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL(DSHAP_EIO, "%s: cannot open", path);
    long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    if (n < 0 || n > MAX_ONNX_BYTES || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        FAIL(DSHAP_EFORMAT, "%s: not a readable ONNX file (size)", path);
    }
    unsigned char *b = malloc((size_t)n + 1);
    size_t got = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!b || got != (size_t)n) {
        free(b);
        FAIL(b ? DSHAP_EIO : DSHAP_ENOMEM, "%s: read failed", path);
    }
    *out = b;
    *len = (size_t)n;
    return DSHAP_OK;
}

dshap_status onnx_import(dshap_model *m, const char *onnx_path, const char *input_name, const dshap_layout *L) {
    memset(m, 0, sizeof *m);
    unsigned char *bytes = NULL;
    size_t len = 0;
    TRY(read_file(onnx_path, &bytes, &len));
    og_graph g;
    dshap_net net;
    m->arch.layout = L;
    m->path = onnx_path;
    dshap_status st = onnx_read(&g, m, bytes, len, onnx_path, input_name);
    free(bytes);
    if (st) {
        model_free(m);
        return st;
    }
    st = onnx_lower(&net, &g, m, onnx_path);
    if (!st) {
        net_free(&net);
        if (!(m->graph = og_to_json(&g, m))) st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory");
    }
    og_free(&g);
    if (st) model_free(m);
    return st;
}

dshap_status onnx_net_build(dshap_net *net, dshap_model *m) {
    og_graph g;
    char **names;
    int n;
    const dshap_layout *L;
    const char *path = m->path ? m->path : "model";
    TRY(og_from_json(&g, m->graph, path, &names, &n, &L));
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    dshap_status st = onnx_lower(net, &g, m, path);
    og_free(&g);
    return st;
}
