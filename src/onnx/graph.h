/* An ONNX graph at the level model.h5 stores it (README, "model.h5, general
 * graphs"): the nodes in execution order with their attributes, the one model
 * input and output, and the constant tensors, which live in the model's
 * parameter table (dshap_param, by their ONNX names). */
#ifndef DSHAP_ONNX_GRAPH_H
#define DSHAP_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/model.h"

typedef enum { OA_INT, OA_FLOAT, OA_STRING, OA_INTS, OA_FLOATS } og_attr_type;

typedef struct {
    char *name;
    og_attr_type type;
    int64_t i;
    float f;
    char *s;
    int64_t n;          /* OA_INTS / OA_FLOATS */
    int64_t *ints;
    float *floats;
} og_attr;

typedef struct {
    char *name, *op;
    int n_in, n_out, n_attr;
    char **in, **out;   /* "" is an omitted optional input */
    og_attr *attr;
} og_node;

#define OG_MAX_RANK 6

typedef struct {
    int n_nodes, cap_nodes;
    og_node *nodes;
    char *input, *output;          /* the model input and the logits */
    int in_rank;                   /* declared rank of the input, batch included */
    int64_t in_dims[OG_MAX_RANK];  /* its sizes; in_dims[0] (batch) is not used */
    int64_t opset;
} og_graph;

void og_free(og_graph *g);
og_node *og_add_node(og_graph *g, const char *name, const char *op, int n_in, int n_out);
og_attr *og_add_attr(og_node *n, const char *name, og_attr_type type);
const og_attr *og_attr_find(const og_node *n, const char *name);
int64_t og_attr_int(const og_node *n, const char *name, int64_t dflt);
float og_attr_float(const og_node *n, const char *name, float dflt);

/* Parse an ONNX ModelProto: the graph into g, its initializers (and the
 * Constant nodes' values) into m's parameter table. */
dshap_status onnx_read(og_graph *g, dshap_model *m, const void *bytes, size_t len, const char *path,
                       const char *input_name);

#endif
