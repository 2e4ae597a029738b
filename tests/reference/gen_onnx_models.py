#!/usr/bin/env python3
"""Reference models as ONNX, with float64 references, for dshap's ONNX import.

  /opt/dshap-ref/bin/python tests/reference/gen_onnx_models.py [--out tests/fixtures/onnx_models]
  /opt/dshap-ref/bin/python tests/reference/gen_onnx_models.py --check [--out ...]

Writes, per reference model (ST-GCN, CTR-GCN, EfficientGCN-B0 in their
small fixture size, NTU V = 25, M = 2, T = 12, K = 5, seeded weights rounded
to float32):
  <name>.onnx      torch.onnx.export, opset 13, input 'x' (1, 3, T, V, M),
                   output 'logits' (1, K), folded to a static graph
                   (onnx_static.py)
  <name>.x.h5      the instances, data.h5 format (FORMATS.md), /y = the
                   model's predicted class
  <name>.bg.h5     the references, data.h5 format
  <name>.ref.h5    /x (2), /background (2) (float32), /logits, /background_logits
                   (float64 model), /logits_onnx (onnxruntime, float32),
                   /classes (n, 2): the predicted class and a seeded other,
                   /exact_values (n, R, 2, C, T, V, M) float64: the exact
                   rules (deeplift_general.py) per (instance, reference,
                   class), /exact_residual (n, R, 2): sum - (f_c(x) - f_c(r)),
                   /shap_values (n, C, T, V, M, 2) of shap.DeepExplainer on
                   the float64 model with /background (a mean over the
                   references), /shap_residual (n, 2) and /shap_vs_exact
                   (n, 2): max |shap - mean_r exact| per instance and class;
                   attributes say what shap did (shap_status, the error text
                   where it failed)
and, per ShapGCN fixture model in SHAPGCN (tests/fixtures/forward), its ONNX
export shapgcn_<name>.onnx (input (1, 4, 2C, T, V, M) with T of the shap
fixture tests/fixtures/shap/<name>.h5, whose /x, /background and
/exact_values are the native path's reference).

--check re-reads the fixtures and verifies them against freshly built
models: float64 logits to 1e-6, the exact values of instance 0 recomputed
to 1e-10 of max |phi|, every stored pair summing to its delta to 1e-10 of
max |delta|, deeplift_general.py on the ShapGCN fixture SHAPGCN_RULES_CHECK
against deeplift_exact.py's /exact_values there (1e-10 of max |phi|), and
(with onnxruntime) the ONNX files against the stored logits to 1e-4
relative. Exit status 1 with one line per failure.
"""
import argparse
import copy
import hashlib
import importlib.util
import io
import json
import os
import sys
import warnings

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import deeplift_general as dl  # noqa: E402
from models import common, ctrgcn, efficientgcn, stgcn  # noqa: E402

T, V, M, C, K = 12, 25, 2, 3, 5
N_INST, N_REF, N_CLASSES = 2, 2, 2
OPSET = 13
MODELS = {  # name -> (constructor, seed)
    'stgcn': (lambda: stgcn.STGCN(num_class=K), 401),
    'ctrgcn': (lambda: ctrgcn.CTRGCN(num_class=K), 402),
    'efficientgcn_b0': (lambda: efficientgcn.EfficientGCN(num_class=K), 403),
}
# ShapGCN fixture models exported as well; their shap fixtures hold the
# inputs and the native exact values. One, for size (~530 KiB each, float32
# weights do not compress); any name of tests/fixtures/shap works here.
SHAPGCN = ['v3_ja_sigmoid_ntu']
# --check runs deeplift_general.py's rules on this ShapGCN fixture and
# compares with its /exact_values (written by deeplift_exact.py)
SHAPGCN_RULES_CHECK = 'sg_pa_tanh_cp19'
RULES = ("exact (deeplift_general.py): rescale at ReLU/Tanh/Sigmoid/SiLU (SiLU as one function; "
         "its ONNX form is Sigmoid + Mul), DeepLIFT max rule at max pooling, two-player Shapley "
         "rule at products of two input-dependent tensors (CTR-GCN's refined-topology einsum, "
         "EfficientGCN's a_t * a_v and x * att(x)), gradient elsewhere; phi per pair = m * (x - r)")
GZ = dict(compression='gzip', compression_opts=9, shuffle=True)


def build(name):
    ctor, seed = MODELS[name]
    return common.random_init(ctor().double(), seed)


def make_data(seed):
    """N(0, 1) rounded to a 2^-10 grid (exact float32); instance 1 and
    reference 1 have an all-zero second person (Delta = 0 on whole rows)."""
    rng = np.random.default_rng(seed)
    x = (np.round(rng.standard_normal((N_INST, C, T, V, M)) * 1024) / 1024).astype(np.float32)
    bg = (np.round(rng.standard_normal((N_REF, C, T, V, M)) * 1024) / 1024).astype(np.float32)
    x[1, ..., 1] = 0
    bg[1, ..., 1] = 0
    return x, bg, rng


def export_onnx(model, example):
    """float32 export of `model` at the fixed shape of `example`, folded."""
    import onnx
    import onnx_static
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(copy.deepcopy(model).float().eval(), torch.from_numpy(example), buf, opset_version=OPSET,
                          input_names=['x'], output_names=['logits'], do_constant_folding=True)
    folded = onnx_static.fold(onnx.load_from_string(buf.getvalue()), {'x': example})
    return folded.SerializeToString()


def onnx_logits(data, x):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=['CPUExecutionProvider'])
    return np.concatenate([sess.run(None, {'x': x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float64)


def write_data(path, x, y):
    with h5py.File(path, 'w', track_order=False) as f:
        f.create_dataset('x', data=x, **GZ)
        f.create_dataset('y', data=np.asarray(y, np.int32))
        f.create_dataset('length', data=np.full(len(x), x.shape[2], np.int32))
        f.create_dataset('name', data=np.array([f'synthetic{i:03d}' for i in range(len(x))], dtype='S'))
        a = f.attrs
        a['format'], a['format_version'] = 'dshap-data', 1
        a['layout'], a['benchmark'], a['split'] = 'ntu25', 'synthetic', 'eval'
        a['transforms'] = json.dumps([])
        a['source'] = 'tests/reference/gen_onnx_models.py: N(0, 1) on a 2^-10 grid'


def run_shap(model, x, bg, classes):
    """shap.DeepExplainer on the float64 model, per instance on its classes:
    (phi (n, C, T, V, M, n_k) or None, status text)."""
    try:
        import shap
        from gen_shap import _Select, _stack_outputs
    except ImportError as e:
        return None, f'not run: {e}'
    parts = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for i in range(len(x)):
                expl = shap.DeepExplainer(_Select(model, classes[i]), bg)
                sv = _stack_outputs(expl.shap_values(x[i:i + 1], check_additivity=False), x.dim())
                parts.append(sv[0])
    except Exception as e:  # shap's failure is a result here, recorded in the fixture
        return None, f'failed: {type(e).__name__}: {e}'.splitlines()[0]
    return np.stack(parts), f'ran (shap {shap.__version__})'


def generate(name, out):
    model = build(name)
    x, bg, rng = make_data(MODELS[name][1])
    xt, bgt = torch.from_numpy(x).double(), torch.from_numpy(bg).double()
    with torch.no_grad():
        fx, fb = model(xt).numpy(), model(bgt).numpy()
    pred = fx.argmax(1)
    classes = np.stack([[p, rng.choice([c for c in range(K) if c != p])] for p in pred]).astype(np.int32)
    onnx_bytes = export_onnx(model, x[:1])
    with open(os.path.join(out, f'{name}.onnx'), 'wb') as f:
        f.write(onnx_bytes)
    write_data(os.path.join(out, f'{name}.x.h5'), x, pred)
    write_data(os.path.join(out, f'{name}.bg.h5'), bg, model(bgt).argmax(1).numpy())
    phi, resid = dl.pair_attributions(model, xt, bgt, classes)
    sv, status = run_shap(model, xt, bgt, classes)
    with h5py.File(os.path.join(out, f'{name}.ref.h5'), 'w') as f:
        f.create_dataset('x', data=x, **GZ)
        f.create_dataset('background', data=bg, **GZ)
        f.create_dataset('logits', data=fx)
        f.create_dataset('background_logits', data=fb)
        f.create_dataset('logits_onnx', data=onnx_logits(onnx_bytes, x))
        f.create_dataset('classes', data=classes)
        f.create_dataset('exact_values', data=phi, **GZ)
        f.create_dataset('exact_residual', data=resid)
        exact_mean = np.moveaxis(phi.mean(1), 1, -1)
        if sv is not None:
            f.create_dataset('shap_values', data=sv, **GZ)
            delta = np.stack([fx[i, classes[i]] - fb[:, classes[i]].mean(0) for i in range(N_INST)])
            f.create_dataset('shap_residual', data=sv.reshape(N_INST, -1, N_CLASSES).sum(1) - delta)
            f.create_dataset('shap_vs_exact', data=np.abs(sv - exact_mean).reshape(N_INST, -1, N_CLASSES).max(1))
        a = f.attrs
        a['format'], a['format_version'] = 'dshap-onnx-reference', 1
        a['model'], a['onnx'] = name, f'{name}.onnx'
        a['onnx_sha256'] = hashlib.sha256(onnx_bytes).hexdigest()
        a['seed'], a['opset'] = MODELS[name][1], OPSET
        a['rules'], a['shap_status'] = RULES, status
        a['torch_version'] = str(torch.__version__)
    row = [name, len(onnx_bytes) // 1024, np.abs(resid).max(), np.abs(phi).max(), status]
    if sv is not None:
        with h5py.File(os.path.join(out, f'{name}.ref.h5'), 'r') as f:
            row += [np.abs(f['shap_residual'][()]).max(), f['shap_vs_exact'][()].max()]
    return row


def export_shapgcn(name, out):
    import load_h5
    model = load_h5.load_model(os.path.join(HERE, '..', 'fixtures', 'forward', f'{name}.model.h5'))[0]
    with h5py.File(os.path.join(HERE, '..', 'fixtures', 'shap', f'{name}.h5'), 'r') as f:
        x, logits = f['x'][()], f['logits'][()]
    data = export_onnx(model, x[:1])
    with open(os.path.join(out, f'shapgcn_{name}.onnx'), 'wb') as f:
        f.write(data)
    err = np.abs(onnx_logits(data, x) - logits).max() / np.abs(logits).max()
    return [f'shapgcn_{name}', len(data) // 1024, err]


def check_shapgcn_rules(name):
    """deeplift_general.py on a ShapGCN model vs deeplift_exact.py's
    values in tests/fixtures/shap/<name>.h5."""
    import deeplift_exact
    import load_h5
    from models import shapgcn_rules
    model = load_h5.load_model(os.path.join(HERE, '..', 'fixtures', 'forward', f'{name}.model.h5'))[0]
    model = shapgcn_rules.with_fn_ops(model)
    deeplift_exact.fast_depthwise(model)
    path = os.path.join(HERE, '..', 'fixtures', 'shap', f'{name}.h5')
    with h5py.File(path, 'r') as f:
        x, bg = torch.from_numpy(f['x'][()]).double(), torch.from_numpy(f['background'][()]).double()
        classes, want = f['classes'][()], f['exact_values'][()]
    phi, resid = dl.pair_attributions(model, x, bg, classes)
    e = np.abs(np.moveaxis(phi.mean(1), 1, -1) - want).max() / np.abs(want).max()
    e_sum = np.abs(resid).max()
    print(f'check general rules on {name}: vs deeplift_exact.py {e:.1e} of max |phi|, additivity {e_sum:.1e}')
    fails = []
    if e > 1e-10:
        fails.append(f'{path}: deeplift_general.py differs from /exact_values by {e:.3e} of max |phi| (> 1e-10)')
    if e_sum > 1e-10:
        fails.append(f'{path}: deeplift_general.py misses f(x) - f(r) by {e_sum:.3e} (> 1e-10)')
    return fails


def check(out):
    """Fixtures vs freshly built models; returns the failure lines."""
    fails = []
    have_ort = importlib.util.find_spec('onnxruntime') is not None
    if not have_ort:
        print('check: onnxruntime absent, ONNX files not run')
    for name in MODELS:
        path = os.path.join(out, f'{name}.ref.h5')
        model = build(name)
        with h5py.File(path, 'r') as f:
            x, bg = torch.from_numpy(f['x'][()]).double(), torch.from_numpy(f['background'][()]).double()
            logits, bl = f['logits'][()], f['background_logits'][()]
            classes, phi = f['classes'][()], f['exact_values'][()]
        with torch.no_grad():
            e_logits = max(np.abs(model(x).numpy() - logits).max(), np.abs(model(bg).numpy() - bl).max())
        if e_logits > 1e-6:
            fails.append(f'{path}: logits differ from the model by {e_logits:.3e} (> 1e-6)')
        sums = phi.reshape(phi.shape[:3] + (-1,)).sum(3)
        want = np.stack([[logits[i, classes[i]] - bl[r, classes[i]] for r in range(len(bg))]
                         for i in range(len(x))])
        e_sum = np.abs(sums - want).max() / np.abs(want).max()
        if e_sum > 1e-10:
            fails.append(f'{path}: exact values miss f(x) - f(r) by {e_sum:.3e} of max |delta| (> 1e-10)')
        one, _ = dl.pair_attributions(model, x[:1], bg, classes[:1])
        e_phi = np.abs(one - phi[:1]).max() / np.abs(phi).max()
        if e_phi > 1e-10:
            fails.append(f'{path}: exact values of instance 0 recomputed differ by {e_phi:.3e} (> 1e-10)')
        e_onnx = float('nan')
        if have_ort:
            with open(os.path.join(out, f'{name}.onnx'), 'rb') as fo:
                y = onnx_logits(fo.read(), x.float().numpy())
            e_onnx = np.abs(y - logits).max() / np.abs(logits).max()
            if e_onnx > 1e-4:
                fails.append(f'{name}.onnx: logits differ from the float64 model by {e_onnx:.3e} relative (> 1e-4)')
        print(f'check {name:16s} logits {e_logits:.1e}  sum {e_sum:.1e}  recomputed {e_phi:.1e}  onnx {e_onnx:.1e}')
    fails += check_shapgcn_rules(SHAPGCN_RULES_CHECK)
    if have_ort:
        for name in SHAPGCN:
            with h5py.File(os.path.join(HERE, '..', 'fixtures', 'shap', f'{name}.h5'), 'r') as f:
                x, logits = f['x'][()], f['logits'][()]
            with open(os.path.join(out, f'shapgcn_{name}.onnx'), 'rb') as fo:
                e = np.abs(onnx_logits(fo.read(), x) - logits).max() / np.abs(logits).max()
            print(f'check shapgcn_{name:28s} onnx {e:.1e}')
            if e > 1e-4:
                fails.append(f'shapgcn_{name}.onnx: logits differ from shap/{name}.h5 by {e:.3e} relative (> 1e-4)')
    return fails


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, '..', 'fixtures', 'onnx_models'))
    ap.add_argument('--check', action='store_true', help='verify the committed fixtures instead')
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    if a.check:
        fails = check(a.out)
        for line in fails:
            print(f'gen_onnx_models: {line}', file=sys.stderr)
        return 1 if fails else 0
    os.makedirs(a.out, exist_ok=True)
    print(f"{'model':34s} {'KiB':>5s} {'exact add':>9s} {'max|phi|':>9s}  shap        "
          f"{'shap res':>9s} {'|shap-ex|':>9s}")
    for name in MODELS:
        r = generate(name, a.out)
        extra = ''.join(f' {v:9.2e}' for v in r[5:])
        print(f'{r[0]:34s} {r[1]:5d} {r[2]:9.1e} {r[3]:9.2e}  {r[4]}{extra}')
    for name in SHAPGCN:
        r = export_shapgcn(name, a.out)
        print(f'{r[0]:34s} {r[1]:5d}  onnx vs shap fixture logits {r[2]:.1e} (relative)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
