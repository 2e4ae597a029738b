#!/usr/bin/env python3
"""Python DeepSHAP baselines on ST-GCN at NTU size (T = 300, V = 25, M = 2,
60 classes; tests/reference/models/stgcn.py, the paper's ten layers,
seeded weights), float32, eval mode, explaining the predicted class of each
instance (as `dshap explain --classes pred`), one method per process so
that the peak RSS is the method's own:

  /opt/dshap-ref/bin/python jobs/bench/bench_onnx_python.py shap|captum \\
      [--instances 1] [--references 2] [--chunk 2] [--threads 2] [--seed 7] [--save-phi PHI.npy]
  /opt/dshap-ref/bin/python jobs/bench/bench_onnx_python.py export OUT.onnx [--frames 300]
  /opt/dshap-ref/bin/python jobs/bench/bench_onnx_python.py data DIR [--instances 1] [--references 2]

shap: shap.DeepExplainer(model[:, pred], chunk of references).shap_values(x)
per instance and chunk. captum: captum.attr.DeepLiftShap(model)
.attribute(x, baselines=chunk, target=pred) (the same rescale rule at ReLU:
ST-GCN's only nonlinearity). Instances and references: N(0, 1) on a 2^-10
grid, seeded (timing does not depend on the values). Prints one line:
method, wall and CPU seconds per (instance, reference) pair (CPU seconds
are the measure that holds on a shared machine), pairs, peak
RSS (MiB) and the additivity residual max |sum phi - (f_c(x) - mean_r
f_c(r))| in float32; --save-phi keeps phi (N, C, T, V, M) for the φ check
of bench_onnx.sh. `export` writes the same model as a static ONNX graph
(tests/reference/onnx_static.py) for the dshap side of bench_onnx.sh, `data`
the same instances and references as DIR/x.h5 and DIR/bg.h5 (data.h5,
labels = the predicted classes)."""
import argparse
import copy
import os
import resource
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'reference'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from models import common, fn, stgcn  # noqa: E402

NUM_CLASS, C, V, M = 60, 3, 25, 2


def build(seed, torch_relu):
    model = common.random_init(stgcn.STGCN(NUM_CLASS, C, V, M, stgcn.FULL).double(), seed).float()
    if torch_relu:  # captum hooks nonlinearities by exact type, not class name
        for parent in list(model.modules()):
            for name, child in parent.named_children():
                if isinstance(child, fn.ReLU):
                    setattr(parent, name, nn.ReLU())
    return model.eval()


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def data(n, frames, seed):
    rng = np.random.default_rng(seed)
    return torch.from_numpy((np.round(rng.standard_normal((n, C, frames, V, M)) * 1024) / 1024).astype(np.float32))


def run_shap(model, x, bg, pred, chunk):
    import shap
    from gen_shap import _Select, _stack_outputs
    phi = torch.zeros_like(x)
    for i in range(len(x)):
        for r0 in range(0, len(bg), chunk):
            part = bg[r0:r0 + chunk]
            expl = shap.DeepExplainer(_Select(model, [int(pred[i])]), part)
            sv = _stack_outputs(expl.shap_values(x[i:i + 1], check_additivity=False), x.dim())
            phi[i] += torch.from_numpy(sv[0, ..., 0]) * len(part) / len(bg)
    return phi, f'shap {shap.__version__}'


def run_captum(model, x, bg, pred, chunk):
    import captum
    from captum.attr import DeepLiftShap
    phi = torch.zeros_like(x)
    dls = DeepLiftShap(model)
    for i in range(len(x)):
        for r0 in range(0, len(bg), chunk):
            part = bg[r0:r0 + chunk]
            a = dls.attribute(x[i:i + 1], baselines=part, target=int(pred[i]))
            phi[i] += a[0].detach() * len(part) / len(bg)
    return phi, f'captum {captum.__version__}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('method', choices=['shap', 'captum', 'export', 'data'])
    ap.add_argument('out', nargs='?', help='export: the .onnx file to write; data: the folder')
    ap.add_argument('--instances', type=int, default=1)
    ap.add_argument('--references', type=int, default=2)
    ap.add_argument('--chunk', type=int, default=2)
    ap.add_argument('--frames', type=int, default=300)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--save-phi', help='shap, captum: write phi (N, C, T, V, M) float32 to this .npy')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = build(a.seed, torch_relu=a.method == 'captum')
    if a.method == 'export':
        import io
        import onnx
        import onnx_static
        example = data(1, a.frames, a.seed + 1)
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.onnx.export(copy.deepcopy(model), example, buf, opset_version=13,
                              input_names=['x'], output_names=['logits'])
        folded = onnx_static.fold(onnx.load_from_string(buf.getvalue()), {'x': example.numpy()})
        onnx.save(folded, a.out)
        print(f'export: {a.out} ({os.path.getsize(a.out) / 2**20:.1f} MiB), input x (1, {C}, {a.frames}, {V}, {M})')
        return
    x = data(a.instances, a.frames, a.seed + 1)
    bg = data(a.references, a.frames, a.seed + 2)
    with torch.no_grad():
        fx, fb = model(x), model(bg)
    pred = fx.argmax(1)
    if a.method == 'data':
        from gen_onnx_models import write_data
        write_data(os.path.join(a.out, 'x.h5'), x.numpy(), pred.numpy())
        write_data(os.path.join(a.out, 'bg.h5'), bg.numpy(), fb.argmax(1).numpy())
        return
    t0, c0 = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        phi, version = (run_shap if a.method == 'shap' else run_captum)(model, x, bg, pred, a.chunk)
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    want = fx[torch.arange(len(x)), pred] - fb[:, pred].mean(0)
    resid = (phi.reshape(len(x), -1).sum(1) - want).abs().max().item()
    if a.save_phi:
        np.save(a.save_phi, phi.numpy())
    pairs = len(x) * len(bg)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'{a.method:7s} {dt / pairs:9.2f} {cpu / pairs:9.2f} {pairs:6d} {peak:9.0f} {resid:10.2e}   '
          f'{version}, torch {torch.__version__}, T {a.frames}, chunk {a.chunk}, threads {a.threads}')


if __name__ == '__main__':
    main()
