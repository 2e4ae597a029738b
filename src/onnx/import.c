#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/lower.h"
#include "onnx/store.h"

#define MAX_ONNX_BYTES (1LL << 31)

dshap_status onnx_read_file(const char *path, unsigned char **out, size_t *len) {
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

/* The layout whose joint count is the input's V (every layout has its own V);
 * an input of another rank is left to lower_input's message. */
static dshap_status infer_layout(const og_graph *g, const char *path, const dshap_layout **L) {
    *L = layout_find("ntu25");
    if (g->in_rank < 4 || g->in_rank > 6) return DSHAP_OK;
    int64_t V = g->in_dims[3 + (g->in_rank == 6)];
    const dshap_layout *found = layout_find_joints(V);
    if (!found)
        FAIL(DSHAP_EFORMAT, "%s: input '%s' has V = %lld joints; no layout has that many (%s)", path, g->input,
             (long long)V, layout_joint_counts());
    *L = found;
    return DSHAP_OK;
}

dshap_status onnx_import_memory(dshap_model *m, const void *bytes, size_t len, const char *path,
                                const char *input_name, const dshap_layout *L) {
    memset(m, 0, sizeof *m);
    og_graph g;
    dshap_net net;
    m->path = path;
    dshap_status st = onnx_read(&g, m, bytes, len, path, input_name);
    if (st) {
        model_free(m);
        return st;
    }
    if (!L) st = infer_layout(&g, path, &L);
    m->arch.layout = L;
    if (!st) st = onnx_lower(&net, &g, m, path);
    if (!st) {
        net_free(&net);
        if (!(m->graph = og_to_json(&g, m))) st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "out of memory");
    }
    og_free(&g);
    if (st) model_free(m);
    return st;
}

dshap_status onnx_import(dshap_model *m, const char *onnx_path, const char *input_name, const dshap_layout *L) {
    memset(m, 0, sizeof *m);
    unsigned char *bytes = NULL;
    size_t len = 0;
    TRY(onnx_read_file(onnx_path, &bytes, &len));
    dshap_status st = onnx_import_memory(m, bytes, len, onnx_path, input_name, L);
    free(bytes);
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
