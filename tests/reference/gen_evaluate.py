#!/usr/bin/env python3
"""Reference values for dshap evaluate, written to tests/fixtures/study/.

  /opt/dshap-ref/bin/python tests/reference/gen_evaluate.py [--out tests/fixtures/study]

Computed here independently of the C code (numpy, scikit-learn, PyTorch in
float64 on tests/fixtures/planted/ntu/model.h5):

evaluate.h5 (format "dshap-evaluate-fixture"):
  /recovery/{scores (n, V) float64 with ties, truth (n, V) int32, k (n) int32
     (0: the set's size), auc (n): sklearn.metrics.roc_auc_score, precision
     (n): the mean over EVERY order of the tie group that straddles position k
     (itertools.permutations) of the planted share of the first k}
  /stability/<i>/{a, b} float64 and attribute rel = ||(a - b) / a'||_2 with a'
     = a floored at 1e-6 in magnitude (0 -> +1e-6)
  /run/scores, /run/scores_perturbed: random joint scores (n, V) and (n*P, V)
     for evaluate_data.h5 and its copies; /run/{auc, precision, pgi, pgu, ris,
     ros} (n): what `dshap evaluate --model ... --pg-perturb freeze --pg-k 3
     --perturbed evaluate_copies.h5` must give. pgi/pgu: |p_c(x) - p_c(x')|,
     c = argmax, x' = x with the 3 top / bottom joints (descending score, ties
     to the lower index) held at their time mean; ris/ros: the maximum over the
     copies keeping the prediction of rel(e, e') / max(rel(x, x'), 1e-6) and of
     rel(e, e') / max(rel(p, p'), 1e-6).
  /curve/{scores (n, V), top (3), bottom (3)}: accuracy on evaluate_data.h5
     after freezing each sample's k = 1..3 top / bottom joints of the scores
     (dshap evaluate --curves, --curve-k 3).
evaluate_data.h5: the first 6 samples of tests/fixtures/planted/ntu/eval.h5
  (with /planted); evaluate_copies.h5: 2 jittered copies of each (sd 5 mm;
  row i*2 + p), written here with numpy's generator.
"""
import argparse
import itertools
import os
import sys

import h5py
import numpy as np
import torch
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import shapgcn_torch as ref  # noqa: E402
import load_h5  # noqa: E402
from gen_features import features  # noqa: E402
from export_pytorch import h5_create  # noqa: E402

PLANTED = os.path.join(HERE, '..', 'fixtures', 'planted', 'ntu')
EPS = 1e-6


def precision_by_enumeration(score, truth, k):
    order = sorted(range(len(score)), key=lambda v: -score[v])
    if k == 0:
        k = int(truth.sum())
    kth = score[order[k - 1]]
    above = [v for v in order if score[v] > kth]
    group = [v for v in order if score[v] == kth]
    slots = k - len(above)
    if len(group) > 9:
        raise ValueError(f"tie group of {len(group)}: too many orders to enumerate")
    total, count = 0.0, 0
    for perm in itertools.permutations(group):
        total += truth[above].sum() + truth[list(perm[:slots])].sum()
        count += 1
    return total / count / k


def rel(a, b):
    d = np.where(np.abs(a) < EPS, np.where(a < 0, -EPS, EPS), a)
    return float(np.sqrt((((a - b) / d) ** 2).sum()))


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def write_data(path, src, rows, x=None, names=None):
    with h5py.File(src, 'r') as f, h5_create(path, v110=True) as g:
        for k in ['format', 'format_version', 'layout', 'benchmark', 'split', 'transforms', 'source']:
            g.attrs[k] = f.attrs[k]
        g.create_dataset('x', data=f['x'][:][rows] if x is None else x)
        g.create_dataset('y', data=f['y'][:][rows])
        g.create_dataset('length', data=f['length'][:][rows])
        g.create_dataset('name', data=np.array(names or [n.decode() for n in f['name'][:][rows]], dtype=h5py.string_dtype()))
        g.create_dataset('planted', data=f['planted'][:][rows])


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', default=os.path.join(HERE, '..', 'fixtures', 'study'))
    a = p.parse_args()
    rng = np.random.default_rng(1505)
    out = os.path.join(a.out, 'evaluate.h5')
    tmp = out + '.tmp'
    with h5_create(tmp) as f:
        f.attrs['format'] = 'dshap-evaluate-fixture'
        f.attrs['format_version'] = np.int64(1)
        # recovery: quantised scores give ties, some across position k
        n, V = 12, 25
        sc = np.round(rng.normal(size=(n, V)) * 4) / 4
        sc[0, :8] = 0.0                          # a tie group of 8 (8! orders)
        sc[1, :5] = 3.0                          # a tie group of 5 at the top
        tr = np.zeros((n, V), np.int32)
        ks = np.zeros(n, np.int32)
        for i in range(n):
            tr[i, rng.choice(V, size=int(rng.integers(2, 5)), replace=False)] = 1
            ks[i] = 0 if i % 3 else int(rng.integers(1, 8))
        tr[1, [0, 2, 7]] = 1
        ks[1] = 3
        g = f.create_group('recovery')
        g['scores'], g['truth'], g['k'] = sc, tr, ks
        g['auc'] = np.array([roc_auc_score(tr[i], sc[i]) for i in range(n)])
        g['precision'] = np.array([precision_by_enumeration(sc[i], tr[i], int(ks[i])) for i in range(n)])
        # stability: vectors with zeros, tiny and negative entries
        for i in range(4):
            x = rng.normal(size=30)
            x[:3] = [0.0, 1e-8, -3e-7]
            y = x + rng.normal(scale=10.0 ** -(i + 1), size=30)
            s = f.create_group(f'stability/{i}')
            s['a'], s['b'] = x, y
            s.attrs['rel'] = rel(x, y)
        # a whole run on the planted NTU model
        data, copies = os.path.join(a.out, 'evaluate_data.h5'), os.path.join(a.out, 'evaluate_copies.h5')
        rows = np.arange(6)
        write_data(data, os.path.join(PLANTED, 'eval.h5'), rows)
        model, arch = load_h5.load_model(os.path.join(PLANTED, 'model.h5'))
        parents = ref.LAYOUTS[arch['layout']]['parents']
        with h5py.File(data, 'r') as d:
            x0 = d['x'][:].astype(np.float64)
            planted = d['planted'][:]
        P = 2
        xc = np.repeat(x0, P, axis=0)
        present = (xc != 0).any(axis=(1, 3), keepdims=True)  # (nP, 1, T, 1, M)
        xc = np.where(present, xc + rng.normal(scale=0.005, size=xc.shape), xc).astype(np.float32)
        write_data(copies, os.path.join(PLANTED, 'eval.h5'), np.repeat(rows, P), x=xc,
                   names=[f'c{i}~{q}' for i in rows for q in range(P)])

        def probs(raw):
            feats = np.stack([features(r, arch['num_frames'], parents) for r in raw])
            with torch.no_grad():
                return softmax(model(torch.from_numpy(feats)).numpy())
        n = len(rows)
        s0 = rng.normal(size=(n, V))
        s0[:, :3] += planted[:, :3] * 2.0          # some structure, some ties below
        s0[0, 10:13] = 0.25
        sp = np.repeat(s0, P, axis=0) + rng.normal(scale=0.05, size=(n * P, V))
        p0 = probs(x0.astype(np.float32))
        pc = probs(xc)
        c = p0.argmax(1)
        pgi, pgu, ris, ros = (np.full(n, np.nan) for _ in range(4))
        for i in range(n):
            order = sorted(range(V), key=lambda v: (-s0[i, v], v))
            gaps = []
            for sel in (order[:3], order[-3:]):
                xi = x0[i].copy()
                xi[:, :, sel, :] = xi[:, :, sel, :].mean(axis=1, keepdims=True)  # every frame is present here
                gaps.append(abs(p0[i, c[i]] - probs(xi[None].astype(np.float32))[0, c[i]]))
            pgi[i], pgu[i] = gaps
            for q in range(P):
                j = i * P + q
                if pc[j].argmax() != c[i]:
                    continue
                re = rel(s0[i], sp[j])
                r_in = re / max(rel(x0[i].ravel(), xc[j].astype(np.float64).ravel()), EPS)
                r_out = re / max(rel(p0[i], pc[j]), EPS)
                ris[i] = r_in if np.isnan(ris[i]) else max(ris[i], r_in)
                ros[i] = r_out if np.isnan(ros[i]) else max(ros[i], r_out)
        # freeze curves: scores near the planted mask, accuracy after freezing
        # each sample's k top / bottom joints (descending score, ties lower index)
        cs = planted + 0.01 * rng.normal(size=(n, V))
        y = h5py.File(data, 'r')['y'][:]
        curve = np.zeros((2, 3))
        for ki in range(3):
            for si in range(2):
                xs = x0.copy()
                for i in range(n):
                    order = sorted(range(V), key=lambda v: (-cs[i, v], v))
                    sel = order[:ki + 1] if si == 0 else order[V - 1 - ki:]
                    xs[i][:, :, sel, :] = xs[i][:, :, sel, :].mean(axis=1, keepdims=True)
                curve[si, ki] = (probs(xs.astype(np.float32)).argmax(1) == y).mean()
        g = f.create_group('curve')
        g['scores'], g['top'], g['bottom'] = cs, curve[0], curve[1]
        print('curve top', curve[0], 'bottom', curve[1])
        g = f.create_group('run')
        g['scores'], g['scores_perturbed'] = s0, sp
        g['auc'] = np.array([roc_auc_score(planted[i], s0[i]) for i in range(n)])
        g['precision'] = np.array([precision_by_enumeration(s0[i], planted[i], 0) for i in range(n)])
        g['pgi'], g['pgu'], g['ris'], g['ros'] = pgi, pgu, ris, ros
        print('pgi', np.round(pgi, 4), 'pgu', np.round(pgu, 4))
        print('ris', np.round(ris, 3), 'ros', np.round(ros, 3))
    os.replace(tmp, out)
    print(f'wrote {out}, {data}, {copies}')


if __name__ == '__main__':
    main()
