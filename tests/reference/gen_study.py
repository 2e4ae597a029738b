#!/usr/bin/env python3
"""Reference values for the SHAP vs Grad-CAM study commands (dshap gradcam,
perturb's AUC, rank, correlate), written to tests/fixtures/study/.

  python3 tests/reference/gen_study.py [--out tests/fixtures/study]

Needs torch, h5py, numpy, scipy and scikit-learn (the shap venv of
`scripts/setup.sh --reference` has them: /opt/dshap-ref/bin/python).

gradcam_<name>.h5 (+ gradcam_<name>.model.h5, a normal model.h5):
  /x float32 (N, 4, 2C, T, V, M) model input; /classes int32 (N, K') the
  explained classes per sample; /logits float64.
  /cam/<case>/<layer> float64 (N, K', T', V): Grad-CAM computed here, with
  forward hooks on the named PyTorch module (float64, eval mode) and the
  gradient of logit c w.r.t. that module's output, by RULES.md:
    standard: alpha_k = mean_(t,v) G_k, map = ReLU(sum_k alpha_k A_k) per
              person row, persons summed ("sum") or person 0 ("first");
    shapgcn:  the published _compute_grad on person 0: G / (rms(G) + 1e-8),
              pooled_v = mean_(c,t) G, s = sum_v pooled_v (the broadcast
              quirk), cam = ReLU(s * mean_c A), (cam - min) / (max + 1e-8).
    negate:   the gradient negated (counterfactual).
  case attributes: variant, negate, persons.

stats.h5:
  /spearman/<i>/{a, b} float64 vectors with ties, attribute rho
  (scipy.stats.spearmanr).
  /auc/<i>/{logits (N, 2) float32, labels int32, group int32}, attribute auc:
  softmax -> class-1 probability per window -> np.median per group ->
  sklearn.metrics.roc_auc_score across groups (ties among group medians).
  /scores/{s0, s1, s2} float32 (N, V) joint scores with ties, /scores/labels;
  /rank/<s>/{median, q1, q3} of per-sample ranks (rankdata of -score,
  average ties; np.percentile linear); /corr/rho (3, 3): spearmanr of the
  mean per-sample min-max-scaled profiles; /corr/rho_sample: mean of
  per-sample spearmanr.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import shapgcn_torch as ref  # noqa: E402
import load_h5  # noqa: E402
from export_pytorch import export_model, h5_create, h5_group  # noqa: E402
from gen_forward import small, quantize_weights  # noqa: E402

GRADCAM = {
    # name: (arch, seed, N, layers)
    'ntu': (small(layout='ntu25', num_persons=2, num_frames=12, num_class=4, conv_lay='Shuffle', att_lay='ja',
                  act='relu', init_lay=16, blocks_in=1, depth_in=1, stride_in=2, temp_win_in=3, graph_dist_in=1,
                  blocks_main=2, temp_win_main=3, graph_dist_main=2), 301, 3,
            ['main_stream.block-1_tcn_main.conv', 'input_stream.0.block-0_att.activation',
             'input_stream.1.init_bn', 'main_stream.block-0_scn_main.conv']),
    'cp29': (small(layout='cp29', num_persons=1, num_frames=12, num_class=2, conv_lay='Sep', att_lay='fa',
                   act='swish', init_lay=16, expand_ratio=1.5, blocks_in=2, depth_in=1, stride_in=3, temp_win_in=3,
                   graph_dist_in=1, blocks_main=2, temp_win_main=3, graph_dist_main=1), 302, 3,
             ['main_stream.block-1_tcn_main.conv', 'input_stream.0.block-1_att.activation',
              'input_stream.2.init_bn']),
}
CASES = [  # (case name, variant, negate, persons)
    ('standard', 'standard', 0, 'sum'),
    ('standard_neg', 'standard', 1, 'sum'),
    ('standard_first', 'standard', 0, 'first'),
    ('shapgcn', 'shapgcn', 0, 'first'),
    ('shapgcn_neg', 'shapgcn', 1, 'first'),
]


def module_grads(model, x, layer, classes):
    """A (N*M, C, T', V) and G (N, K', N*M-rows-of-sample, C, T', V) at module `layer`."""
    mod = model.get_submodule(layer)
    store = {}

    def hook(m, i, o):
        o.retain_grad()
        store['A'] = o
    h = mod.register_forward_hook(hook)
    n, k = classes.shape
    grads = []
    for j in range(k):
        model.zero_grad()
        xx = x.clone()
        y = model(xx)
        sel = y[torch.arange(n), torch.from_numpy(classes[:, j]).long()].sum()
        sel.backward()
        grads.append(store['A'].grad.detach().clone())
        A = store['A'].detach().clone()
    h.remove()
    rows = A.shape[0] // n
    G = torch.stack(grads, 1)  # (N*rows, K', C, T, V)
    G = G.view(n, rows, k, *G.shape[2:]).permute(0, 2, 1, 3, 4, 5)
    return A.view(n, rows, *A.shape[1:]).numpy(), G.numpy()


def cam_standard(A, G, negate):
    g = -G if negate else G
    alpha = g.mean(axis=(1, 2))                       # (C,)
    return np.maximum(np.einsum('c,ctv->tv', alpha, A), 0)


def cam_shapgcn(A, G, negate):
    g = G / (np.sqrt(np.mean(G ** 2)) + 1e-8)
    pooled = (-g if negate else g).mean(axis=(0, 1))  # (V,) mean over C and T
    raw = pooled.sum() * A                             # (V,1,1,1)*(1,C,T,V) summed over dim 0
    cam = np.maximum(raw.mean(axis=0), 0)
    return (cam - cam.min()) / (cam.max() + 1e-8)


def gen_gradcam(name, out):
    arch, seed, n, layers = GRADCAM[name]
    arch = ref.normalize_arch(arch)
    mpath = os.path.join(out, f'gradcam_{name}.model.h5')
    export_model(quantize_weights(ref.random_init(ref.build_model(arch), seed)), arch, mpath, compress=True)
    model, _ = load_h5.load_model(mpath, torch.float64)
    model.eval()
    rng = np.random.default_rng(seed)
    v = len(ref.LAYOUTS[arch['layout']]['parents'])
    x = rng.standard_normal((n, 4, 2 * arch['in_channels'], arch['num_frames'], v, arch['num_persons'])).astype(np.float32)
    K = arch['num_class']
    classes = np.array([[i % K, (i + 1) % K] for i in range(n)], np.int32)
    xt = torch.from_numpy(x).double()
    with torch.no_grad():
        logits = model(xt).numpy()
    path = os.path.join(out, f'gradcam_{name}.h5')
    with h5_create(path + '.tmp', v110=True) as f:
        f.attrs['format'] = 'dshap-gradcam-fixture'
        f.attrs['format_version'] = np.int32(1)
        f.attrs['model'] = os.path.basename(mpath)
        f.attrs['layers'] = '\n'.join(layers)
        f.create_dataset('x', data=x, compression='gzip', shuffle=True)
        f.create_dataset('classes', data=classes)
        f.create_dataset('logits', data=logits)
        gc = h5_group(f, 'cam')
        groups = {}
        for case, variant, neg, persons in CASES:
            g = groups[case] = h5_group(gc, case)
            g.attrs['variant'] = variant
            g.attrs['negate'] = np.int32(neg)
            g.attrs['persons'] = persons
        for layer in layers:
            A, G = module_grads(model, xt, layer, classes)
            for case, variant, neg, persons in CASES:
                g = groups[case]
                T, V = A.shape[-2:]
                maps = np.zeros((n, classes.shape[1], T, V))
                for i in range(n):
                    for k in range(classes.shape[1]):
                        rows = range(A.shape[1]) if persons == 'sum' else [0]
                        f_ = cam_standard if variant == 'standard' else cam_shapgcn
                        maps[i, k] = sum(f_(A[i, r], G[i, k, r], neg) for r in rows)
                g.create_dataset(layer, data=maps, compression='gzip', shuffle=True)
    os.replace(path + '.tmp', path)
    return path


def gen_stats(out):
    from scipy.stats import rankdata, spearmanr
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(7)
    path = os.path.join(out, 'stats.h5')
    with h5_create(path + '.tmp', v110=True) as f:
        f.attrs['format'] = 'dshap-stats-fixture'
        f.attrs['format_version'] = np.int32(1)
        sp = h5_group(f, 'spearman')
        for i, n in enumerate([5, 12, 25, 29, 40]):
            a = rng.integers(0, 4 + i, n).astype(np.float64)      # many ties
            b = np.round(a * 0.5 + rng.normal(0, 1.5, n), 1)
            if i == 3:
                b = -a + rng.integers(0, 2, n)                     # negative, ties
            g = h5_group(sp, str(i))
            g.create_dataset('a', data=a)
            g.create_dataset('b', data=b)
            g.attrs['rho'] = float(spearmanr(a, b).correlation)
        au = h5_group(f, 'auc')
        for i, (ng, w) in enumerate([(10, 3), (16, 5), (7, 4), (30, 2)]):
            group = np.repeat(np.arange(ng) * 3 + 100, w).astype(np.int32)
            glab = (np.arange(ng) % 3 == 0).astype(np.int32) if i != 2 else np.array([0, 1] * 3 + [1], np.int32)
            labels = np.repeat(glab, w)
            logits = np.round(rng.normal(0, 1, (ng * w, 2)) + labels[:, None] * np.array([0, 0.8]), 1).astype(np.float32)
            if i == 1:  # identical windows in pairs of groups -> tied medians
                for gg in range(0, ng - 1, 4):
                    logits[(gg + 1) * w:(gg + 2) * w] = logits[gg * w:(gg + 1) * w]
            z = logits.astype(np.float64)
            p = np.exp(z - z.max(1, keepdims=True))
            p = p[:, 1] / p.sum(1)
            med = np.array([np.median(p[group == gid]) for gid in np.unique(group)])
            g = h5_group(au, str(i))
            g.create_dataset('logits', data=logits)
            g.create_dataset('labels', data=labels)
            g.create_dataset('group', data=group)
            g.attrs['auc'] = float(roc_auc_score(glab, med))
        # joint scores of 3 sources, N = 9 samples, V = 25, with ties
        N, V = 9, 25
        s = [np.round(rng.normal(0, 1, (N, V)), 1),
             np.round(np.abs(rng.normal(0, 1, (N, V))), 0),
             None]
        s[2] = np.round(s[0] * 0.7 + rng.normal(0, 0.5, (N, V)), 1)
        s[2][0] = 1.0  # a constant sample (no per-sample rho)
        sc = h5_group(f, 'scores')
        for j in range(3):
            sc.create_dataset(f's{j}', data=s[j].astype(np.float32))
        sc.create_dataset('labels', data=np.zeros(N, np.int32))
        rk = h5_group(f, 'rank')
        for j in range(3):
            x = s[j].astype(np.float32).astype(np.float64)
            r = np.stack([rankdata(-row) for row in x])
            g = h5_group(rk, f's{j}')
            g.create_dataset('median', data=np.percentile(r, 50, axis=0))
            g.create_dataset('q1', data=np.percentile(r, 25, axis=0))
            g.create_dataset('q3', data=np.percentile(r, 75, axis=0))
        norm = []
        for j in range(3):
            x = s[j].astype(np.float32).astype(np.float64)
            lo, hi = x.min(1, keepdims=True), x.max(1, keepdims=True)
            norm.append(np.where(hi > lo, (x - lo) / np.where(hi > lo, hi - lo, 1), 0))
        prof = [z.mean(0) for z in norm]
        rho = np.array([[spearmanr(prof[a], prof[b]).correlation for b in range(3)] for a in range(3)])
        rho_s = np.zeros((3, 3))
        for a in range(3):
            for b in range(3):
                vals = [spearmanr(norm[a][i], norm[b][i]).correlation for i in range(N)]
                vals = [v for v in vals if np.isfinite(v)]
                rho_s[a, b] = np.mean(vals)
        co = h5_group(f, 'corr')
        co.create_dataset('rho', data=rho)
        co.create_dataset('rho_sample', data=rho_s)
    os.replace(path + '.tmp', path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=os.path.join(HERE, '..', 'fixtures', 'study'))
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(a.out, exist_ok=True)
    import warnings
    warnings.filterwarnings('ignore')  # spearmanr on a constant row: nan, skipped on purpose
    for name in GRADCAM:
        print('wrote', gen_gradcam(name, a.out))
    print('wrote', gen_stats(a.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
