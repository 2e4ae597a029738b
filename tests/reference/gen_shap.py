#!/usr/bin/env python3
"""Generate DeepSHAP fixtures for `dshap explain` (rule sets of RULES.md).

  /opt/dshap-ref/bin/python tests/reference/gen_shap.py [--out tests/fixtures/shap] [--only NAME...]

Needs the shap venv (README.md, "Setup"): shap 0.46 with numpy < 2 next to
the system torch 1.13. Every fixture reuses the model of the forward fixture
of the same name (tests/fixtures/forward/<name>.model.h5, float32 weights,
loaded into a float64 model) and writes tests/fixtures/shap/<name>.h5:

  /x              float32 (n, 4, 2C, T, V, M)   instances (n = 2)
  /background     float32 (R, 4, 2C, T, V, M)   references (R = 5)
  /classes        int32   (n, n_k)              explained classes per instance
  /shap_values    float64 (n, 4, 2C, T, V, M, n_k)
                  shap.DeepExplainer(model, background).shap_values(x),
                  model and data in float64, check_additivity=False, with
                  the ReLU6/SiLU/Hardswish handlers of ShapGCN's shap fork
                  registered; last axis ordered as /classes
  /exact_values   float64, same layout: rule set "exact" (deeplift_exact.py)
  /expected_value float64 (K)        mean background logits (= phi_0)
  /logits         float64 (n, K)     f(x);  /background_logits (R, K)
  /exact_residual, /shap_residual  float64 (n, n_k):
                  sum(phi) - (f_c(x) - phi_0) of the two sets
  root attrs: format="dshap-shap-fixture", format_version=1, architecture,
      model (path of the model file relative to this file), model_sha256,
      seed, rules, shap_version, torch_version, shap_handled (JSON: module
      classes shap rescales), shap_unrecognized (JSON: leaf module classes
      shap warned about and treated with the plain gradient), shap_outputs,
      and the measured checks (exact_additivity_max, shap_mode_max_abs_diff,
      shap_values_max_abs, rescale_fallbacks).

Checks done on every run (the run fails otherwise): the exact rules sum to
f_c(x) - f_c(r) for every single reference (relative 1e-8); their two batch
halves carry the same multipliers (to 1e-12); and the same implementation switched to
shap's choices reproduces shap.DeepExplainer (max |diff| <= 1e-8 max |phi|).
"""
import argparse
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import shapgcn_torch as ref  # noqa: E402
import load_h5  # noqa: E402
import deeplift_exact as dl  # noqa: E402
from export_pytorch import h5_create  # noqa: E402

shap = shap_dp = None  # imported by _import_shap(); --check needs no shap


def _import_shap():
    global shap, shap_dp
    try:
        import shap as _shap
        from shap.explainers._deep import deep_pytorch as _dp
    except ImportError as e:
        sys.exit(f"gen_shap: cannot import shap ({e}); run it with the venv python "
                 "(/opt/dshap-ref/bin/python, see tests/reference/README.md)")
    shap, shap_dp = _shap, _dp

N_INST, N_REF, N_CLASSES = 2, 5, 2
ALL_OUTPUTS_MAX_K = 8   # above: shap explains only the selected classes
TOL = 1e-8
# The two batch halves see the same multiplier up to rounding: torch's CPU
# reductions (conv, sum) round by row position; the committed reference
# measured 6.2e-15 on sg_pa_tanh_cp19 with torch 1.13 on an AVX-512 Xeon.
HALVES_TOL = 1e-12

# name -> seed. Models: tests/fixtures/forward/<name>.model.h5.
FIXTURES = {
    'ntu_xview': 301,                    # published NTU arch, T 24: ja, Shuffle, relu, M 2
    'cp29': 302,                         # published CP29 arch, T 24: fa (max pool), Sep, swish
    'basic_ca_relu6_ntu': 303,           # ca (Sigmoid module), Basic, relu6, M 2
    'bottleneck_stja_hswish_cp29': 304,  # stja (.sigmoid(), a_t*a_v), Bottleneck, hardswish
    'sg_pa_tanh_cp19': 305,              # pa (Softmax over parts), SG, tanh, cp19
    'v3_ja_sigmoid_ntu': 306,            # ja, V3 (squeeze-excite ReLUs), sigmoid, M 2
}

RULES_NOTE = (
    "exact: rescale (dy/dx wherever dx != 0, the derivative where dx = 0; no threshold) at every "
    "elementwise nonlinearity, module or functional (.sigmoid()); Softmax as exp(x - logsumexp(x)) "
    "with the rescale rule at each one-variable step (exp, sum, log, exp); DeepLIFT max rule "
    "(shap's maxpool handler, first argmax, |dx| < 1e-7 -> 0) at FrameAtt's AdaptiveMaxPool2d; "
    "two-player Shapley rule m_a = (b_x + b_r)/2, m_b = (a_x + a_r)/2 at x*att(x) and a_t*a_v "
    "(broadcast factors sum their multiplier over the broadcast axes); ordinary gradient elsewhere. "
    "shap: shap.DeepExplainer 0.46 as ShapGCN ran it: rescale (|dx| < 1e-6 -> ordinary gradient at "
    "the reference, for Softmax elementwise dy_i/dx_i and the Jacobian-vector product at the "
    "reference) only at leaf nn.Modules in shap_handled, ordinary gradient evaluated at the reference "
    "for everything else (products, .sigmoid(), AdaptiveMaxPool2d). phi = mean over references of "
    "m * (x - r).")


def register_fork_handlers():
    """The handlers ShapGCN's shap fork adds to op_handler (stock 0.46 warns
    'unrecognized nn.Module' and keeps the plain gradient for these)."""
    for name in ('ReLU6', 'SiLU', 'Hardswish'):
        shap_dp.op_handler[name] = shap_dp.nonlinear_1d
    shap_dp.op_handler['Identity'] = shap_dp.linear_1d
    handled = sorted(k for k, v in shap_dp.op_handler.items() if v is shap_dp.nonlinear_1d)
    maxpool = sorted(k for k, v in shap_dp.op_handler.items() if v is shap_dp.maxpool)
    return handled, maxpool


def make_data(arch, seed):
    """x (n, ...) and background (R, ...): standard normal rounded to a
    2^-10 grid (exact float32 values whose zero low mantissa bits compress).
    ntu25 with M = 2: background sample 1 and instance 1 have an
    all-zero second person, so the pair (x_1, r_1) has Delta = 0 on whole
    rows (every rescale there takes the 0/0 fallback; phi there is 0)."""
    rng = np.random.default_rng(seed)
    v = len(ref.LAYOUTS[arch['layout']]['parents'])
    shape = (4, 2 * arch['in_channels'], arch['num_frames'], v, arch['num_persons'])
    x = (np.round(rng.standard_normal((N_INST,) + shape) * 1024) / 1024).astype(np.float32)
    bg = (np.round(rng.standard_normal((N_REF,) + shape) * 1024) / 1024).astype(np.float32)
    if arch['layout'] == 'ntu25' and arch['num_persons'] == 2:
        bg[1, ..., 1] = 0
        x[1, ..., 1] = 0
    k = arch['num_class']
    classes = np.stack([rng.permutation(k)[:N_CLASSES] for _ in range(N_INST)]).astype(np.int32)
    return x, bg, classes


class _Select(nn.Module):
    """model(x)[:, classes]: lets shap explain a few of many outputs (a
    linear selection; shap hooks the same leaf modules)."""

    def __init__(self, model, classes):
        super().__init__()
        self.model = model
        self.register_buffer('idx', torch.as_tensor(classes, dtype=torch.long))

    def forward(self, x):
        return self.model(x).index_select(1, self.idx)


def _stack_outputs(sv, n_in):
    """shap's multi-output result -> array (n, *input_shape, n_out):
    a list per output in older shap, a trailing axis in >= 0.45."""
    if isinstance(sv, list):
        return np.stack([np.asarray(s) for s in sv], axis=-1)
    sv = np.asarray(sv)
    assert sv.ndim == n_in + 1, sv.shape
    return sv


def run_shap(model, x, bg, classes):
    """shap.DeepExplainer in float64 -> (phi (n, ..., n_k), expected_value,
    unrecognized module classes, 'all' | 'selected')."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        k = model.classifier.fc.out_channels
        if k <= ALL_OUTPUTS_MAX_K:
            expl = shap.DeepExplainer(model, bg)
            sv = _stack_outputs(expl.shap_values(x, check_additivity=False), x.dim())
            assert sv.shape == tuple(x.shape) + (k,), sv.shape
            phi = np.stack([sv[j][..., classes[j]] for j in range(len(x))])
            ev, mode = np.asarray(expl.expected_value, np.float64), 'all'
        else:
            parts, ev = [], None
            for j in range(len(x)):
                expl = shap.DeepExplainer(_Select(model, classes[j]), bg)
                sv = _stack_outputs(expl.shap_values(x[j:j + 1], check_additivity=False), x.dim())
                parts.append(sv[0])
            phi = np.stack(parts)
            mode = 'selected'
    unrec = sorted({str(w.message).split(': ', 1)[1] for w in caught
                    if str(w.message).startswith('unrecognized nn.Module')})
    return phi, ev, unrec, mode


def generate(name, seed, out_dir, fwd_dir):
    model_path = os.path.join(fwd_dir, f'{name}.model.h5')
    model, arch = load_h5.load_model(model_path, torch.float64)
    dl.fast_depthwise(model)
    x32, bg32, classes = make_data(arch, seed)
    x, bg = torch.from_numpy(x32).double(), torch.from_numpy(bg32).double()
    with torch.no_grad():
        fx, fb = model(x).numpy(), model(bg).numpy()
    phi0 = fb.mean(0)
    # f_c(x) - f_c(r) per (instance, class, reference)
    dref = np.stack([[fx[j, c] - fb[:, c] for c in classes[j]] for j in range(N_INST)])
    dmean = dref.mean(2)

    dl.STATS.update(rescale_fallback=0, rescale_elems=0, maxpool_zeroed=0)
    exact, sums, halves = dl.attributions(dl.deeplift_model(model, 'exact'), x, bg, classes,
                                          check_halves=True)
    fallbacks = dict(dl.STATS)
    add_err = np.abs(sums - dref).max()
    add_tol = TOL * max(1.0, np.abs(dref).max())
    assert add_err <= add_tol, f'{name}: exact rules miss additivity by {add_err:.3g}'
    assert halves <= HALVES_TOL, f'{name}: batch halves differ by {halves:.3g}'

    handled, maxpool = register_fork_handlers()
    mine, _, _ = dl.attributions(dl.deeplift_model(model, 'shap', handled), x, bg, classes)
    sv, ev, unrec, mode = run_shap(model, x, bg, classes)
    if ev is not None:
        assert np.abs(ev - phi0).max() <= 1e-12 * max(1.0, np.abs(phi0).max())
    diff = np.abs(sv - mine).max()
    scale = np.abs(sv).max()
    assert diff <= TOL * scale, f'{name}: shap-mode differs from shap by {diff:.3g} (max |phi| {scale:.3g})'

    red = tuple(range(1, x.dim()))
    exact_res = exact.sum(red) - dmean
    shap_res = sv.sum(red) - dmean
    path = os.path.join(out_dir, f'{name}.h5')
    rel_model = os.path.relpath(model_path, out_dir)
    with open(model_path, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with h5_create(path + '.tmp', v110=True) as f:
        a = f.attrs
        a['format'] = 'dshap-shap-fixture'
        a['format_version'] = np.int32(1)
        a['architecture'] = json.dumps(arch, sort_keys=True)
        a['model'] = rel_model
        a['model_sha256'] = sha
        a['seed'] = np.int64(seed)
        a['rules'] = RULES_NOTE
        a['shap_version'] = str(shap.__version__)
        a['torch_version'] = str(torch.__version__)
        a['shap_handled'] = json.dumps(handled)
        a['shap_maxpool_handled'] = json.dumps(maxpool)
        a['shap_unrecognized'] = json.dumps(unrec)
        a['shap_outputs'] = mode
        a['exact_additivity_max'] = float(add_err)
        a['shap_mode_max_abs_diff'] = float(diff)
        a['shap_values_max_abs'] = float(scale)
        a['rescale_fallbacks'] = np.int64(fallbacks['rescale_fallback'])
        gz = dict(compression='gzip', compression_opts=9, shuffle=True)
        f.create_dataset('x', data=x32, **gz)
        f.create_dataset('background', data=bg32, **gz)
        f.create_dataset('classes', data=classes)
        f.create_dataset('shap_values', data=sv.astype(np.float64), **gz)
        f.create_dataset('exact_values', data=exact, **gz)
        f.create_dataset('expected_value', data=phi0)
        f.create_dataset('logits', data=fx)
        f.create_dataset('background_logits', data=fb)
        f.create_dataset('exact_residual', data=exact_res)
        f.create_dataset('shap_residual', data=shap_res)
    os.replace(path + '.tmp', path)
    return dict(arch=arch, add_err=add_err, diff=diff, scale=scale, mode=mode, unrec=unrec,
                exact_res=np.abs(exact_res).max(), shap_res=np.abs(shap_res).max(),
                dscale=np.abs(dmean).max(), fallbacks=fallbacks['rescale_fallback'],
                kib=os.path.getsize(path) // 1024)


def check_fixture(path):
    """Re-read a fixture: layout, dtypes, distinct classes, residuals vs the
    stored sums, and f(x) / phi_0 recomputed with the referenced model."""
    import h5py
    with h5py.File(path, 'r') as f:
        d = {k: f[k][()] for k in f}
        model_rel = f.attrs['model']
        model_rel = model_rel.decode() if isinstance(model_rel, bytes) else model_rel
    model, arch = load_h5.load_model(os.path.join(os.path.dirname(path), model_rel), torch.float64)
    x, bg, cl = d['x'], d['background'], d['classes']
    n, nk = cl.shape
    assert x.dtype == bg.dtype == np.float32 and cl.dtype == np.int32
    assert x.shape[1:] == bg.shape[1:] and x.shape[0] == n
    for k in ('shap_values', 'exact_values'):
        assert d[k].dtype == np.float64 and d[k].shape == x.shape + (nk,), (k, d[k].shape)
    assert all(len(set(c)) == nk for c in cl)
    with torch.no_grad():
        fx = model(torch.from_numpy(x).double()).numpy()
        fb = model(torch.from_numpy(bg).double()).numpy()
    assert np.abs(fx - d['logits']).max() <= 1e-12 * max(1, np.abs(fx).max())
    assert np.abs(fb.mean(0) - d['expected_value']).max() <= 1e-12 * max(1, np.abs(fb).max())
    dmean = np.stack([[fx[j, c] - fb[:, c].mean() for c in cl[j]] for j in range(n)])
    red = tuple(range(1, x.ndim + 1))[:-1]
    for k, r in (('exact_values', 'exact_residual'), ('shap_values', 'shap_residual')):
        assert np.abs(d[k].sum(red) - dmean - d[r]).max() <= 1e-10 * max(1, np.abs(dmean).max())
    assert np.abs(d['exact_residual']).max() <= TOL * max(1, np.abs(dmean).max())
    return np.abs(d['exact_residual']).max(), np.abs(d['shap_residual']).max()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=os.path.join(HERE, '..', 'fixtures', 'shap'))
    p.add_argument('--forward', default=os.path.join(HERE, '..', 'fixtures', 'forward'),
                   help='folder with the <name>.model.h5 files')
    p.add_argument('--only', nargs='*', help='fixture names (default: all)')
    p.add_argument('--check', action='store_true',
                   help='only re-read and check the existing fixtures in --out')
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    if a.check:
        for name in a.only or FIXTURES:
            er, sr = check_fixture(os.path.join(a.out, f'{name}.h5'))
            print(f'{name}: OK (max |residual| exact {er:.1e}, shap {sr:.1e})')
        return 0
    _import_shap()
    os.makedirs(a.out, exist_ok=True)
    print(f"{'fixture':28s}{'conv':>11s}{'att':>5s}{'act':>10s}{'K':>4s}{'outputs':>9s}"
          f"{'exact add':>11s}{'|shap-mine|':>12s}{'max|phi|':>10s}{'shap res':>10s}"
          f"{'|df|':>9s}{'fallbk':>8s}{'KiB':>6s}")
    total = 0
    for name in a.only or FIXTURES:
        r = generate(name, FIXTURES[name], a.out, a.forward)
        ar = r['arch']
        total += r['kib']
        print(f"{name:28s}{ar['conv_lay']:>11s}{ar['att_lay']:>5s}{ar['act']:>10s}"
              f"{ar['num_class']:4d}{r['mode']:>9s}{r['add_err']:11.1e}{r['diff']:12.1e}"
              f"{r['scale']:10.2e}{r['shap_res']:10.2e}{r['dscale']:9.2e}{r['fallbacks']:8d}"
              f"{r['kib']:6d}", flush=True)
        print(f"    shap left unrecognized (plain gradient): {', '.join(r['unrec']) or '-'}")
    print(f"total {total / 1024:.2f} MiB in {a.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
