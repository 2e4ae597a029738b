"""Fold a traced ONNX export with a fixed input shape into a static graph.

torch.onnx.export records every `x.shape[i]` of the Python code as
Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains, and products of
parameters (the graph times its edge importance) as nodes. With the input
shape fixed, every node that does not depend on the input's values is a
constant: Constant, Shape, and any node whose inputs are all constant. This
pass runs the graph once in onnxruntime with every intermediate tensor as
an output, replaces the constant nodes' outputs by initializers holding
those values, and drops the nodes and whatever is left unused. The importer
then sees only the network's own ops."""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def _all_values(model, feeds):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    names = [o for n in m.graph.node for o in n.output if o]
    have = {o.name for o in m.graph.output}
    m.graph.output.extend(helper.make_empty_tensor_value_info(o) for o in names if o not in have)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=['CPUExecutionProvider'])
    outs = [o.name for o in sess.get_outputs()]
    return dict(zip(outs, sess.run(outs, feeds)))


def fold(model, feeds):
    """model: an onnx.ModelProto; feeds: {input name: array} of the fixed
    shapes. Returns the folded model (checked)."""
    values = _all_values(model, feeds)
    g = model.graph
    const = {t.name for t in g.initializer}
    kept = []
    for node in g.node:
        if node.op_type in ('Constant', 'Shape') or all(i in const for i in node.input if i):
            const.update(node.output)
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input} | {o.name for o in g.output}
    old = {t.name: t for t in g.initializer}
    inits = [old[k] if k in old else numpy_helper.from_array(np.asarray(values[k]), k)
             for k in sorted(const & used)]
    del g.node[:]
    g.node.extend(kept)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]
    onnx.checker.check_model(model)
    return model
