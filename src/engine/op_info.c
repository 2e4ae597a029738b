#include "engine/op_info.h"

#include "cpu/backward_nd.h"

/* Legacy (ShapGCN builder) ops are named in lower case; the general-graph
 * ops after the ONNX operators they are imported from. */
const op_info op_infos[OP_COUNT] = {
    [OP_INPUT] = {"input", BWD_NONE, ALIAS_NONE, 0, 0, 0},
    [OP_CONV] = {"conv", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_AFFINE] = {"affine", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_GRAPH] = {"graph", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_ACT] = {"act", BWD_FIRST, ALIAS_NONE, KEEP_IN0, 0, 1},
    [OP_ADD] = {"add", BWD_ALL, ALIAS_SAME_SHAPE, 0, 0, 0},
    [OP_MUL] = {"mul", BWD_ALL, ALIAS_NONE, KEEP_IN0 | KEEP_IN1, 0, 0},
    [OP_MEAN] = {"mean", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_MAX] = {"max", BWD_FIRST, ALIAS_NONE, KEEP_IN0 | KEEP_OUT, 0, 0},
    [OP_CONCAT] = {"concat", BWD_ALL, ALIAS_NONE, 0, 0, 0},
    [OP_SOFTMAX] = {"softmax", BWD_FIRST, ALIAS_NONE, KEEP_IN0 | KEEP_OUT, 0, 1},
    [OP_GATHER] = {"gather", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_PERSON_MEAN] = {"person_mean", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_RESHAPE] = {"reshape", BWD_FIRST, ALIAS_SAME_FLOATS, 0, 1, 0},
    [OP_TRANSPOSE] = {"Transpose", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_BINARY] = {"Binary", BWD_ALL, ALIAS_NONE, KEEP_IN0 | KEEP_IN1, 0, 0},
    [OP_MATMUL] = {"MatMul", BWD_ALL, ALIAS_NONE, KEEP_IN0 | KEEP_IN1, 0, 0},
    [OP_CONVND] = {"Conv", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_REDUCE] = {"Reduce", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_POOL] = {"Pool", BWD_FIRST, ALIAS_NONE, KEEP_IN0 | KEEP_OUT, 0, 0}, /* max pooling's */
    [OP_SLICE] = {"Slice", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_PAD] = {"Pad", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_CONCAT_ND] = {"Concat", BWD_ALL, ALIAS_NONE, 0, 0, 0},
    [OP_GATHER_ND] = {"Gather", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
    [OP_SOFTMAX_ND] = {"Softmax", BWD_FIRST, ALIAS_NONE, KEEP_IN0 | KEEP_OUT, 0, 1},
    [OP_CHANNEL_AFFINE] = {"BatchNormalization", BWD_FIRST, ALIAS_NONE, 0, 0, 0},
};

const char *op_name(op_kind op) { return op >= 0 && op < OP_COUNT ? op_infos[op].name : "?"; }

int op_keeps(const node *nd) {
    if ((nd->op == OP_BINARY || nd->op == OP_MATMUL) && nd_binary_linear(nd)) return 0;
    if (nd->op == OP_POOL && !nd->pool) return 0;
    return op_infos[nd->op].keeps;
}
