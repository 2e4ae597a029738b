#include "onnx/store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/lower.h"

static cJSON *strings(char *const *s, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
    return a;
}

static cJSON *attr_json(const og_attr *a) {
    cJSON *o = cJSON_CreateObject(), *v = NULL;
    if (!o) return NULL;
    switch (a->type) {
    case OA_INT: v = cJSON_AddNumberToObject(o, "i", (double)a->i); break;
    case OA_FLOAT: v = cJSON_AddNumberToObject(o, "f", a->f); break;
    case OA_STRING: v = cJSON_AddStringToObject(o, "s", a->s); break;
    case OA_INTS:
    case OA_FLOATS: {
        cJSON *arr = cJSON_AddArrayToObject(o, a->type == OA_INTS ? "ints" : "floats");
        for (int64_t i = 0; arr && i < a->n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(a->type == OA_INTS ? (double)a->ints[i] : a->floats[i]));
        v = arr;
        break;
    }
    }
    if (!v) cJSON_Delete(o);
    return v ? o : NULL;
}

char *og_to_json(const og_graph *g, const dshap_model *m) {
    cJSON *r = cJSON_CreateObject();
    if (!r) return NULL;
    cJSON_AddNumberToObject(r, "opset", (double)g->opset);
    cJSON_AddStringToObject(r, "layout", m->arch.layout->name);
    cJSON *in = cJSON_AddObjectToObject(r, "input");
    if (in) {
        cJSON_AddStringToObject(in, "name", g->input);
        cJSON *s = cJSON_AddArrayToObject(in, "shape");
        for (int i = 0; s && i < g->in_rank; i++) cJSON_AddItemToArray(s, cJSON_CreateNumber(i ? (double)g->in_dims[i] : -1));
    }
    cJSON_AddStringToObject(r, "output", g->output);
    cJSON *c = cJSON_AddArrayToObject(r, "constants");
    for (int i = 0; c && i < m->n_params; i++) cJSON_AddItemToArray(c, cJSON_CreateString(m->params[i].name));
    cJSON *nodes = cJSON_AddArrayToObject(r, "nodes");
    for (int i = 0; nodes && i < g->n_nodes; i++) {
        const og_node *n = &g->nodes[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddItemToArray(nodes, o);
        cJSON_AddStringToObject(o, "name", n->name);
        cJSON_AddStringToObject(o, "op", n->op);
        cJSON_AddItemToObject(o, "inputs", strings(n->in, n->n_in));
        cJSON_AddItemToObject(o, "outputs", strings(n->out, n->n_out));
        cJSON *at = cJSON_AddObjectToObject(o, "attrs");
        for (int j = 0; at && j < n->n_attr; j++) cJSON_AddItemToObject(at, n->attr[j].name, attr_json(&n->attr[j]));
    }
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

#define BAD(...) CHECK_FAIL(DSHAP_EFORMAT, __VA_ARGS__)

static int str_list(const cJSON *a, char ***out, int *n) {
    int k = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || k > (1 << 20)) return -1;
    *out = calloc((size_t)k + 1, sizeof **out);
    if (!*out) return -1;
    *n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e) || !((*out)[*n] = strdup(e->valuestring))) return -1;
        (*n)++;
    }
    return 0;
}

static void free_list(char **s, int n) {
    for (int i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

static int read_attr(og_node *n, const cJSON *a) {
    const cJSON *v = a->child;
    if (!cJSON_IsObject(a) || !v || v->next || !a->string) return -1;
    int type = !strcmp(v->string, "i") ? OA_INT : !strcmp(v->string, "f") ? OA_FLOAT : !strcmp(v->string, "s") ? OA_STRING
             : !strcmp(v->string, "ints") ? OA_INTS : !strcmp(v->string, "floats") ? OA_FLOATS : -1;
    if (type < 0) return -1;
    og_attr *t = og_add_attr(n, a->string, (og_attr_type)type);
    if (!t) return -1;
    if (type == OA_INT || type == OA_FLOAT) {
        if (!cJSON_IsNumber(v)) return -1;
        t->i = (int64_t)v->valuedouble;
        t->f = (float)v->valuedouble;
        return 0;
    }
    if (type == OA_STRING) return cJSON_IsString(v) && (t->s = strdup(v->valuestring)) ? 0 : -1;
    int k = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || k > (1 << 20)) return -1;
    t->n = k;
    if (type == OA_INTS ? !(t->ints = malloc(sizeof(int64_t) * (size_t)(k + 1)))
                        : !(t->floats = malloc(sizeof(float) * (size_t)(k + 1))))
        return -1;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsNumber(e)) return -1;
        if (type == OA_INTS) t->ints[i++] = (int64_t)e->valuedouble;
        else t->floats[i++] = (float)e->valuedouble;
    }
    return 0;
}

dshap_status og_from_json(og_graph *g, const char *json, const char *path, char ***names, int *n_names,
                          const dshap_layout **layout) {
    memset(g, 0, sizeof *g);
    *names = NULL;
    *n_names = 0;
    dshap_status st = DSHAP_OK;
    cJSON *r = cJSON_Parse(json);
    if (!cJSON_IsObject(r)) BAD("%s: the graph record is not valid JSON", path);
    const cJSON *op = cJSON_GetObjectItem(r, "opset"), *L = cJSON_GetObjectItem(r, "layout"),
                *in = cJSON_GetObjectItem(r, "input"), *out = cJSON_GetObjectItem(r, "output"),
                *c = cJSON_GetObjectItem(r, "constants"), *nodes = cJSON_GetObjectItem(r, "nodes");
    const cJSON *iname = cJSON_GetObjectItem(in, "name"), *ishape = cJSON_GetObjectItem(in, "shape");
    if (!cJSON_IsNumber(op) || !cJSON_IsString(L) || !cJSON_IsString(iname) || !cJSON_IsArray(ishape) ||
        !cJSON_IsString(out) || !cJSON_IsArray(nodes))
        BAD("%s: the graph record lacks opset, layout, input, output or nodes", path);
    if (!(*layout = layout_find(L->valuestring))) BAD("%s: the graph record names an unknown layout '%s'", path, L->valuestring);
    g->opset = (int64_t)op->valuedouble;
    g->in_rank = cJSON_GetArraySize(ishape);
    if (g->in_rank > OG_MAX_RANK) BAD("%s: the graph input has rank %d", path, g->in_rank);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ishape) g->in_dims[i++] = cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0;
    if (!(g->input = strdup(iname->valuestring)) || !(g->output = strdup(out->valuestring)))
        CHECK_FAIL(DSHAP_ENOMEM, "out of memory");
    if (str_list(c, names, n_names)) BAD("%s: the graph record's constants are not a list of names", path);
    i = 0;
    cJSON_ArrayForEach(e, nodes) {
        const cJSON *nm = cJSON_GetObjectItem(e, "name"), *o = cJSON_GetObjectItem(e, "op"),
                    *ins = cJSON_GetObjectItem(e, "inputs"), *outs = cJSON_GetObjectItem(e, "outputs"),
                    *at = cJSON_GetObjectItem(e, "attrs");
        char **a = NULL, **b = NULL;
        int na = 0, nb = 0;
        int ok = cJSON_IsString(nm) && cJSON_IsString(o) && cJSON_IsObject(at) && !str_list(ins, &a, &na) &&
                 !str_list(outs, &b, &nb) && nb >= 1;
        og_node *n = ok ? og_add_node(g, nm->valuestring, o->valuestring, na, nb) : NULL;
        if (n) {
            memcpy(n->in, a, sizeof *a * (size_t)na);
            memcpy(n->out, b, sizeof *b * (size_t)nb);
            free(a), free(b);
            a = b = NULL;
            const cJSON *x;
            cJSON_ArrayForEach(x, at) if (read_attr(n, x)) n = NULL;
        }
        free_list(a, na);
        free_list(b, nb);
        if (!n) BAD("%s: graph node %d is malformed (name, op, inputs, outputs, attrs)", path, i);
        i++;
    }
done:
    cJSON_Delete(r);
    if (st) {
        og_free(g);
        free_list(*names, *n_names);
        *names = NULL;
        *n_names = 0;
    }
    return st;
}
