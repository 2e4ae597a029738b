/* An ONNX-level graph (og_graph, constants in the model's parameter table)
 * → the engine's node list. One walk folds constant nodes, rewrites Gemm
 * and Einsum into MatMul / Transpose / Reshape / ReduceSum, fuses the GELU,
 * SiLU and HardSwish patterns, infers every shape (batch fixed to 1) and
 * builds the nodes. The walk leaves in g the graph as stored in model.h5
 * (folded and rewritten; a stored graph walks to itself) and drops the
 * constants nothing reads. */
#ifndef DSHAP_ONNX_LOWER_H
#define DSHAP_ONNX_LOWER_H

#include "engine/net.h"
#include "onnx/graph.h"

dshap_status onnx_lower(dshap_net *net, og_graph *g, dshap_model *m, const char *path);

#endif
