#!/usr/bin/env python3
"""Trained models with planted evidence: synthetic skeleton motion where each
class is carried by a known set of joints over a known window of frames,
the published NTU X-View and CP29 architectures trained on it (PyTorch, CPU),
exported to model.h5 with the data the study explains.

  /opt/dshap-ref/bin/python tools/planted.py [--out tests/fixtures/planted] [--seed 0]
        [--datasets ntu cp] [--epochs E] [--threads 2]

Seeded end to end (numpy PCG64 per sample, torch.manual_seed), so one
command regenerates the fixtures (bit-identical weights need the same torch
build and thread count). Measured on the shared 2-core machine under a load
of 5-7: NTU (T = 20) 70 s, CP29 (T = 48) 18 min; a training step of CP29 costs
about 0.06 s per sample on 2 idle cores, so both take about 5 min there. BN
statistics are recomputed exactly over the training set after training
(recalibrate_bn). Fails (exit 1) when a held-out accuracy is below 95 %.

Motion (per sample, in metres; CP29 in the same units, 2-D):
  rest pose + per-body-part swing at a random 0.3-1.2 Hz (the distractor,
  the same distribution for every class) + a whole-body sway + a random
  rotation (NTU: yaw within +-30 deg; CP29: in-plane within +-15 deg) and
  scale (+-10 %) + Kinect-like noise N(0, 4 mm).
  The evidence: the joints of the class's planted set move rigidly together
  along a random direction by a class-specific rhythm (frequency, amplitude)
  under a raised-cosine window of T/2 frames at a random start. The sets are
  limb ends (a joint with all its descendants, never joint 1, the centre of
  the J features), so no joint outside the set sees the rhythm in any of the
  J/V/B/A features. NTU: 5 classes on 5 disjoint sets, one person
  (num_persons = 1: the published channels, half the cost of M = 2). CP29:
  2 classes on the same set (a foot), class 0 slow and small, class 1 fast
  and large; windows come in groups of 4 per synthetic infant (/group).

Written per data set DIR/<ds>/:
  model.h5      the trained model (tools/export_pytorch.py's format)
  eval.h5       held-out samples (data.h5 format) explained and perturbed by
                the study; pool.h5 background samples (another seed)
  both with /planted uint8 (N, V): 1 on the sample's planted joints, and
  /planted_frames uint8 (N, T): 1 where the rhythm's window is above 0.5;
  root attribute planted_sets: JSON {class: [joints]}.
  train.json    seeds, sizes, epochs, training seconds, held-out accuracy
"""
import argparse
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'reference'))
import shapgcn_torch as ref  # noqa: E402
from gen_features import features  # noqa: E402
from export_pytorch import export_model, h5_create  # noqa: E402

FPS = 30.0
NOISE = 0.004

# NTU rest pose (metres from the spine base, y up), the values dshap data
# synth uses (src/data/synth.c), so both synthetic sources look alike.
NTU_REST = np.array([
    [0, 0, 0], [0, 0.30, 0], [0, 0.63, 0], [0, 0.78, 0], [-0.18, 0.52, 0],
    [-0.21, 0.25, 0], [-0.22, 0.02, 0], [-0.22, -0.06, 0], [0.18, 0.52, 0], [0.21, 0.25, 0],
    [0.22, 0.02, 0], [0.22, -0.06, 0], [-0.09, -0.02, 0], [-0.10, -0.45, 0], [-0.10, -0.85, 0],
    [-0.10, -0.90, -0.10], [0.09, -0.02, 0], [0.10, -0.45, 0], [0.10, -0.85, 0], [0.10, -0.90, -0.10],
    [0, 0.55, 0], [-0.22, -0.16, 0], [-0.18, -0.09, 0.02], [0.22, -0.16, 0], [0.18, -0.09, 0.02]])

# Data sets: class -> (planted joints, rhythm Hz, amplitude m). NTU joints
# (0-based): 2,3 neck+head; 7,21,22 left hand+tip+thumb; 11,23,24 right
# hand; 14,15 left ankle+foot; 18,19 right ankle+foot: the five disjoint limb
# ends of the NTU tree.
DATASETS = {
    'ntu': dict(layout='ntu25', arch='ntu-xview', frames=20, persons=1,
                classes={0: ([7, 21, 22], 4.0, 0.08), 1: ([11, 23, 24], 4.5, 0.08),
                         2: ([14, 15], 3.5, 0.08), 3: ([18, 19], 5.0, 0.08),
                         4: ([2, 3], 4.0, 0.07)},
                n_train=300, n_test=60, n_eval=25, n_pool=50, epochs=6, group=0),
    # CP29 (0-based): 15 left ankle, 23..25 its toes (a whole foot).
    'cp': dict(layout='cp29', arch='cp29', frames=48, persons=1,
               classes={0: ([15, 23, 24, 25], 1.5, 0.015), 1: ([15, 23, 24, 25], 4.0, 0.04)},
               n_train=320, n_test=96, n_eval=32, n_pool=48, epochs=10, group=4),
}


def depth(parents):
    d = np.zeros(len(parents), int)
    for v in range(len(parents)):
        u = v
        while parents[u] != u:
            u, d[v] = parents[u], d[v] + 1
    return d


def generic_rest(layout):
    """2-D stick figure: torso up, arms sideways, legs down, leaves short."""
    lay = ref.LAYOUTS[layout]
    parents = lay['parents']
    part = ref.part_of_joint(lay['parts'])
    V = len(parents)
    dep = depth(parents)
    children = [[u for u in range(V) if parents[u] == v and u != v] for v in range(V)]
    below_leg = np.zeros(V, bool)  # torso joints with a leg hanging under them
    for v in range(V):
        if part[v] in (2, 3):
            u = v
            while parents[u] != u:
                u = parents[u]
                below_leg[u] = True
    rest = np.zeros((V, 2))
    base = {0: 200.0, 1: 340.0, 2: 260.0, 3: 280.0, 4: 90.0}  # degrees per part
    for v in sorted(range(V), key=lambda j: dep[j]):
        p = parents[v]
        if p == v:
            continue
        deg = 270.0 if part[v] == 4 and below_leg[v] else base[part[v]]
        sib = [u for u in children[p] if part[u] == part[v]]
        deg += 25.0 * (sib.index(v) - (len(sib) - 1) / 2.0)
        ln = 0.04 if not children[v] else 0.12 if part[v] == 4 else 0.11
        rest[v] = rest[p] + ln * np.array([math.cos(math.radians(deg)), math.sin(math.radians(deg))])
    return rest


def rot3_y(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def sample(cfg, rest, label, rng):
    """One sample: raw (C, T, V, M) float32, planted (V) and frames (T) masks."""
    lay = ref.LAYOUTS[cfg['layout']]
    parents, part = lay['parents'], ref.part_of_joint(lay['parts'])
    C, T, V, M = lay['in_channels'], cfg['frames'], len(parents), cfg['persons']
    dep = depth(parents)
    reach = dep / max(dep.max(), 1)           # extremities swing more
    t = np.arange(T) / FPS
    x = np.repeat(rest[None, :, :C], T, axis=0).copy()  # (T, V, C)
    for p in range(5):                         # distractor: per-part swing
        f, ph = rng.uniform(0.3, 1.2), rng.uniform(0, 2 * math.pi)
        amp = rng.uniform(0.0, 0.05)
        u = rng.normal(size=C)
        u /= np.linalg.norm(u)
        js = [v for v in range(V) if part[v] == p]
        x[:, js] += (amp * np.sin(2 * math.pi * f * t + ph))[:, None, None] * reach[js][None, :, None] * u
    sway = rng.normal(size=C)
    sway /= np.linalg.norm(sway)
    x += (0.02 * np.sin(2 * math.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 6.3)))[:, None, None] * sway
    joints, hz, amp = cfg['classes'][label]
    L = T // 2
    t0 = int(rng.integers(0, T - L + 1))
    win = np.zeros(T)
    win[t0:t0 + L] = 0.5 - 0.5 * np.cos(2 * math.pi * (np.arange(L) + 0.5) / L)
    u = rng.normal(size=C)
    u /= np.linalg.norm(u)
    a = amp * rng.uniform(0.8, 1.2)
    ph = rng.uniform(0, 2 * math.pi)
    x[:, joints] += (a * win * np.sin(2 * math.pi * hz * rng.uniform(0.95, 1.05) * t + ph))[:, None, None] * u
    scale = rng.uniform(0.9, 1.1)
    if C == 3:
        R = rot3_y(math.radians(rng.uniform(-30, 30)))
        x = scale * x @ R.T + np.array([rng.uniform(-0.4, 0.4), rng.uniform(0, 0.1), rng.uniform(2.6, 3.4)])
    else:
        a2 = math.radians(rng.uniform(-15, 15))
        R = np.array([[math.cos(a2), -math.sin(a2)], [math.sin(a2), math.cos(a2)]])
        x = scale * x @ R.T + rng.uniform(-0.1, 0.1, 2)
    x += rng.normal(0, NOISE, x.shape)
    raw = np.zeros((C, T, V, M), np.float32)
    raw[..., 0] = x.transpose(2, 0, 1)
    planted = np.zeros(V, np.uint8)
    planted[joints] = 1
    return raw, planted, (win > 0.5).astype(np.uint8)


def make_split(cfg, rest, seed, split, n):
    """n samples; labels cycle (windows of one infant share a label)."""
    K, g = len(cfg['classes']), cfg['group']
    xs, ys, pl, fr, grp = [], [], [], [], []
    for i in range(n):
        label = (i // g) % K if g else i % K
        rng = np.random.default_rng([seed, split, i])
        raw, p, f = sample(cfg, rest, label, rng)
        xs.append(raw), ys.append(label), pl.append(p), fr.append(f), grp.append(i // g if g else i)
    return np.stack(xs), np.array(ys, np.int32), np.stack(pl), np.stack(fr), np.array(grp, np.int32)


def feats(raw, parents):
    return np.stack([features(r, r.shape[1], parents) for r in raw]).astype(np.float32)


def write_data(path, cfg, split_name, data, source):
    x, y, planted, frames, group = data
    tmp = path + '.tmp'
    with h5_create(tmp, v110=True) as f:
        f.attrs['format'] = 'dshap-data'
        f.attrs['format_version'] = np.int64(1)
        f.attrs['layout'] = cfg['layout']
        f.attrs['benchmark'] = 'planted'
        f.attrs['split'] = split_name
        f.attrs['transforms'] = 'none'
        f.attrs['source'] = source
        f.attrs['planted_sets'] = json.dumps({str(k): v[0] for k, v in cfg['classes'].items()})
        f.create_dataset('x', data=x, compression='gzip', shuffle=True)
        f.create_dataset('y', data=y)
        f.create_dataset('length', data=np.full(len(y), x.shape[2], np.int32))
        names = [f'P{split_name[0].upper()}{i:04d}A{int(k) + 1:03d}' for i, k in enumerate(y)]
        f.create_dataset('name', data=np.array(names, dtype=h5py.string_dtype()))
        if cfg['group']:
            f.create_dataset('group', data=group)
        f.create_dataset('planted', data=planted)
        f.create_dataset('planted_frames', data=frames)
    os.replace(tmp, path)


def train(cfg, arch, xtr, ytr, xte, yte, epochs, seed):
    torch.manual_seed(seed)
    model = ref.build_model(arch, torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * math.ceil(len(ytr) / 16))
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr).long()
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=g)
        tot = 0.0
        for b in range(0, len(ytr), 16):
            idx = perm[b:b + 16]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
        print(f"  epoch {ep + 1}/{epochs}: loss {tot / len(ytr):.4f}", flush=True)
    recalibrate_bn(model, xtr_t)
    acc = accuracy(model, xte, yte)
    return model.eval(), acc


def recalibrate_bn(model, x):
    """BN running statistics as exact averages over the training set.

    With a few hundred steps, momentum 0.1 leaves the running variance of
    the small-valued branches (velocity, acceleration: mm per frame) still
    decaying from its initial 1, and eval mode then predicts one class.
    """
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    model.train()
    with torch.no_grad():
        for b in range(0, len(x), 32):
            model(x[b:b + 32])
    for m in bns:
        m.momentum = 0.1
    model.eval()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(torch.from_numpy(x[b:b + 32])).argmax(1) for b in range(0, len(y), 32)])
    return float((pred.numpy() == y).mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=os.path.join(HERE, '..', 'tests', 'fixtures', 'planted'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--datasets', nargs='+', default=list(DATASETS), choices=list(DATASETS))
    p.add_argument('--epochs', type=int, help='override every data set\'s epoch count')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for ds in a.datasets:
        cfg = DATASETS[ds]
        t0 = time.time()
        lay = ref.LAYOUTS[cfg['layout']]
        rest = NTU_REST if cfg['layout'] == 'ntu25' else generic_rest(cfg['layout'])
        arch = dict(ref.published_archs()[cfg['arch']], num_class=len(cfg['classes']),
                    num_frames=cfg['frames'], num_persons=cfg['persons'])
        sets = {n: make_split(cfg, rest, a.seed, s, cfg[f'n_{n}'])
                for s, n in enumerate(['train', 'test', 'eval', 'pool'])}
        xtr, xte = feats(sets['train'][0], lay['parents']), feats(sets['test'][0], lay['parents'])
        print(f"{ds}: {len(xtr)} train / {len(xte)} held-out samples, T = {cfg['frames']}, "
              f"{len(cfg['classes'])} classes ({time.time() - t0:.1f} s to generate)", flush=True)
        epochs = a.epochs or cfg['epochs']
        model, acc = train(cfg, arch, xtr, sets['train'][1], xte, sets['test'][1], epochs, a.seed)
        acc_eval = accuracy(model, feats(sets['eval'][0], lay['parents']), sets['eval'][1])
        secs = time.time() - t0
        d = os.path.join(a.out, ds)
        os.makedirs(d, exist_ok=True)
        export_model(model, arch, os.path.join(d, 'model.h5'), compress=True)
        src = f"tools/planted.py --seed {a.seed}"
        write_data(os.path.join(d, 'eval.h5'), cfg, 'eval', sets['eval'], src)
        write_data(os.path.join(d, 'pool.h5'), cfg, 'pool', sets['pool'], src)
        info = dict(dataset=ds, layout=cfg['layout'], arch=cfg['arch'], frames=cfg['frames'], seed=a.seed,
                    classes={str(k): dict(joints=v[0], hz=v[1], amplitude_m=v[2]) for k, v in cfg['classes'].items()},
                    n_train=cfg['n_train'], n_heldout=cfg['n_test'], n_eval=cfg['n_eval'], n_pool=cfg['n_pool'],
                    epochs=epochs, heldout_accuracy=acc, eval_accuracy=acc_eval, seconds=round(secs, 1),
                    threads=a.threads, torch=torch.__version__)
        with open(os.path.join(d, 'train.json'), 'w') as fh:
            json.dump(info, fh, indent=1, sort_keys=True)
            fh.write('\n')
        print(f"{ds}: held-out accuracy {acc:.3f} (eval set {acc_eval:.3f}), {secs:.0f} s -> {d}", flush=True)
        if acc < 0.95:
            print(f"planted: {ds}: held-out accuracy {acc:.3f} is below 0.95", file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
