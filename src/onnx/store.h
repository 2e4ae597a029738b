/* The general graph of model.h5 (README, "model.h5"): a JSON record of the
 * op list, the input and output and the constants' names (root attribute
 * `graph`); the constants themselves are datasets /constants/<i>. */
#ifndef DSHAP_ONNX_STORE_H
#define DSHAP_ONNX_STORE_H

#include "engine/net.h"
#include "onnx/graph.h"

/* Serialise g (constants: m's parameters, in order); free() the result. */
char *og_to_json(const og_graph *g, const dshap_model *m);
/* Parse a stored record: the graph into g, and into m the layout, the
 * names of the constants (m->params, with rank 0 until they are read). */
dshap_status og_from_json(og_graph *g, const char *json, const char *path, char ***names, int *n_names,
                          const dshap_layout **layout);

/* Read an ONNX file and import it into m (graph record, constants,
 * architecture); the lowering runs once to validate it. */
dshap_status onnx_import(dshap_model *m, const char *onnx_path, const char *input_name, const dshap_layout *L);
/* The same from the file's bytes (path names it in messages); L NULL: the
 * layout whose joint count is the input's V. */
dshap_status onnx_import_memory(dshap_model *m, const void *bytes, size_t len, const char *path,
                                const char *input_name, const dshap_layout *L);
/* A whole ONNX file into malloc'd memory (free()). */
dshap_status onnx_read_file(const char *path, unsigned char **out, size_t *len);
/* net_build for a model with a graph record. */
dshap_status onnx_net_build(dshap_net *net, dshap_model *m);

#endif
