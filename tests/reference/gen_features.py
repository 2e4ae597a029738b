#!/usr/bin/env python3
"""Independent numpy/scipy references for dshap's data pipeline.

Writes small fixtures under tests/fixtures/features/:
  butter.h5         scipy.signal.butter(N, Wn, output='sos') for a few (N, Wn),
                    sosfilt_zi, and sosfiltfilt outputs on random signals
                    (default padlen, and padlen = n-1 for short signals).
  synth_features.h5 MODEL.md's J/V/B/A features in float64 (stored float32)
                    for every layout, on smooth random motion with an absent
                    second person, zero bones and bones along the axes.
  ntu_real.h5       FORMATS.md's NTU preprocessing of the real samples in
                    ../shared/data/ntu (when present): per file the counts,
                    float64 sums and a few frames; the whole /x of 3 short
                    files; the features (T = 150) of one two-person file.
and the .skeleton corpora of gen_skeletons.py under tests/fixtures/skeleton_good
(edge cases + their preprocessed reference) and tests/fixtures/skeleton_bad
(one defect per file + MANIFEST).

Usage: python3 tests/reference/gen_features.py [--shared ../shared]
The C side (tests/unit/test_butter.c, test_features.c, test_ntu_import.c)
compares against these with the tolerances stated there.
"""
import argparse
import math
import os
import re

import h5py
import numpy as np
from scipy import signal

import gen_skeletons

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'features')

NTU_PARENTS = [1, 1, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 1, 22, 7, 24, 11]
CP29_PARENTS = [1, 4, 1, 1, 8, 8, 5, 6, 8, 8, 9, 10, 8, 12, 13, 14, 12, 16, 17, 7, 7, 11, 11, 15, 15, 15, 18, 18, 18]
LAYOUTS = {'ntu25': (3, NTU_PARENTS, 2), 'cp29': (2, CP29_PARENTS, 1), 'cp19': (2, CP29_PARENTS[:19], 1)}
SOS = signal.butter(8, 0.5, output='sos')


# ---------------------------------------------------------------- features
def features(raw, T, parents):
    """MODEL.md, float64: raw (C, T_raw, V, M) -> (4, 2C, T, V, M)."""
    x = raw[:, :T].astype(np.float64)
    C, _, V, M = x.shape
    J = np.zeros((2 * C, T, V, M))
    J[:C] = x
    J[C:] = x - x[:, :, 1:2]
    Vel = np.zeros((2 * C, T, V, M))
    Vel[:C, :T - 2] = x[:, 1:T - 1] - x[:, :T - 2]
    Vel[C:, :T - 2] = (x[:, 2:] - x[:, :T - 2]) / 2
    B = np.zeros((2 * C, T, V, M))
    B[:C] = x - x[:, :, parents]
    L = np.sqrt((B[:C] ** 2).sum(0)) + 1e-4
    B[C:] = np.arccos(B[:C] / L)
    # scipy refuses T <= 27 with the default padlen; dshap uses padlen = T-1.
    padlen = None if T > 27 else T - 1
    F = signal.sosfiltfilt(SOS, Vel, axis=1, padlen=padlen)
    A = np.zeros((2 * C, T, V, M))
    A[:C, :T - 2] = F[:C, 1:T - 1] - F[:C, :T - 2]
    A[C:, :T - 2] = (F[C:, 2:] - F[C:, :T - 2]) / 2
    return np.stack([J, Vel, B, A])


def smooth_motion(rng, C, T, V, M, absent_second=False):
    """Random walks (metres-ish), a few bones along the axes (arccos near ±1)."""
    x = np.cumsum(rng.normal(0, 0.02, (C, T, V, M)), axis=1) + rng.normal(0, 0.5, (C, 1, V, M))
    x[:, :, 3] = x[:, :, 2]            # a zero-length bone
    x[0, :, 5] = x[0, :, 4]            # bone 5 -> 4 along the other axes only
    if C == 3:
        x[2, :, 5] = x[2, :, 4]        # ... purely along y: angles 0 / π/2
    if absent_second and M > 1:
        x[..., 1] = 0
    return x.astype(np.float32)


def write_butter(path, rng):
    with h5py.File(path, 'w') as f:
        for order, wn in [(8, 0.5), (2, 0.5), (4, 0.2), (6, 0.8), (8, 0.1)]:
            sos = signal.butter(order, wn, output='sos')
            g = f.create_group('design/o%d_w%g' % (order, wn))
            g.attrs['order'] = order
            g.attrs['wn'] = wn
            g['sos'] = sos
            g['zi'] = signal.sosfilt_zi(sos)
        for n in [28, 60, 150, 300, 1000]:
            x = rng.normal(0, 1, n).cumsum()
            g = f.create_group('filtfilt/n%d' % n)
            g['x'] = x
            g['y'] = signal.sosfiltfilt(SOS, x)
            g.attrs['padlen'] = -1
        for n in [2, 10, 20, 27]:
            x = rng.normal(0, 1, n).cumsum()
            g = f.create_group('filtfilt/short%d' % n)
            g['x'] = x
            g['y'] = signal.sosfiltfilt(SOS, x, padlen=n - 1)
            g.attrs['padlen'] = n - 1


def write_synth_features(path, rng):
    with h5py.File(path, 'w') as f:
        cases = [('ntu25', 2, 70, 60), ('ntu25_short', 1, 30, 24), ('cp29', 2, 64, 60), ('cp19', 2, 64, 56)]
        for name, n, T_raw, T in cases:
            layout = name.split('_')[0]
            C, parents, M = LAYOUTS[layout]
            raw = np.stack([smooth_motion(rng, C, T_raw, len(parents), M, absent_second=(i == 1)) for i in range(n)])
            feat = np.stack([features(r, T, parents) for r in raw])
            g = f.create_group(name)
            g.attrs['layout'] = layout
            g.attrs['T'] = T
            g['raw'] = raw
            g.create_dataset('features', data=feat.astype(np.float32), compression='gzip', shuffle=True)


# ---------------------------------------------------------- NTU .skeleton
def read_skeleton(path):
    """FORMATS.md's text format -> (frames, [[(body_id, xyz (25, 3))...] per frame])."""
    with open(path) as fh:
        lines = fh.read().split('\n')
    lines = [l.rstrip('\r') for l in lines]
    if lines and lines[-1] == '':
        lines.pop()
    pos = 0

    def nxt():
        nonlocal pos
        pos += 1
        return lines[pos - 1].split()
    n_frames = int(nxt()[0])
    frames = []
    for _ in range(n_frames):
        bodies = []
        for _ in range(int(nxt()[0])):
            info = nxt()
            assert len(info) == 10
            nj = int(nxt()[0])
            assert nj == 25
            xyz = np.zeros((25, 3), np.float32)
            for j in range(nj):
                tok = nxt()
                assert len(tok) == 12
                xyz[j] = np.array(tok[:3], dtype=np.float64).astype(np.float32)
            bodies.append((int(info[0]), xyz))
        frames.append(bodies)
    assert pos == len(lines), 'extra lines'
    return n_frames, frames


def nonzero_std(s):
    """Energy of one body slot (T, V, C): population std per channel over non-zero frames."""
    s = s[s.sum(-1).sum(-1) != 0]
    if len(s) == 0:
        return 0
    return s[:, :, 0].std() + s[:, :, 1].std() + s[:, :, 2].std()


def rotation_matrix(axis, theta):
    if np.abs(axis).sum() < 1e-6 or np.abs(theta) < 1e-6:
        return np.eye(3)
    axis = np.asarray(axis)
    axis = axis / math.sqrt(np.dot(axis, axis))
    a = math.cos(theta / 2.0)
    b, c, d = -axis * math.sin(theta / 2.0)
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    return np.array([[aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
                     [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
                     [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc]])


def angle_between(v1, v2):
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0
    v1_u = v1 / np.linalg.norm(v1)
    v2_u = v2 / np.linalg.norm(v2)
    return np.arccos(np.clip(np.dot(v1_u, v2_u), -1.0, 1.0))


def align(s, j_from, j_to, target):
    """Steps 5/6: rotate so body 0's frame-0 bone j_from -> j_to points along target."""
    if s.sum() == 0:
        return s
    v = s[0, 0, j_to] - s[0, 0, j_from]
    R = rotation_matrix(np.cross(v, target), angle_between(v, target))
    for m in range(s.shape[0]):
        if s[m].sum() == 0:
            continue
        for t in range(s.shape[1]):
            if s[m, t].sum() == 0:
                continue
            for j in range(s.shape[2]):
                s[m, t, j] = np.dot(R, s[m, t, j])
    return s


def preprocess(frames, T_max=300):
    """FORMATS.md steps 1-6; returns (C, T, V, M) float32."""
    s = np.zeros((2, T_max, 25, 3), np.float32)                       # 1. read
    for t, bodies in enumerate(frames):
        for m, (_, xyz) in enumerate(bodies[:2]):
            s[m, t] = xyz
    if any(len(b) == 2 for b in frames):                                 # 2. energy
        e = [nonzero_std(s[m, :len(frames)]) for m in range(2)]
        if e[0] < e[1]:
            s = s[::-1].copy()
    for m in range(2):                                                   # 3. pad
        p = s[m]
        if p.sum() == 0:
            continue
        if p[0].sum() == 0:
            tmp = p[p.sum(-1).sum(-1) != 0].copy()
            p *= 0
            p[:len(tmp)] = tmp
        for t in range(T_max):
            if p[t].sum() == 0 and p[t:].sum() == 0:
                rest = T_max - t
                reps = int(np.ceil(rest / t))
                s[m, t:] = np.concatenate([p[:t]] * reps, 0)[:rest]
                break
    if s.sum() != 0:                                                     # 4. sub
        center = s[0, 0, 1:2].copy()
        for m in range(2):
            if s[m].sum() == 0:
                continue
            mask = (s[m].sum(-1) != 0)[..., None]
            s[m] = (s[m] - center) * mask
    s = align(s, 4, 8, [1, 0, 0])                                        # 5. parallel_s
    s = align(s, 0, 20, [0, 1, 0])                                       # 6. parallel_h
    return np.ascontiguousarray(s.transpose(3, 1, 2, 0)).astype(np.float32)


def write_ntu(path, ntu_dir):
    names = sorted(n for n in os.listdir(ntu_dir) if n.endswith('.skeleton'))
    full = ['S017C003P020R002A054', 'S001C001P001R001A005', 'S001C001P001R001A050']
    with h5py.File(path, 'w') as f:
        f.attrs['slice_frames'] = [0, 1, 37, 299]
        for n in names:
            n_frames, frames = read_skeleton(os.path.join(ntu_dir, n))
            x = preprocess(frames)
            stem = n[:-len('.skeleton')]
            g = f.create_group('files/' + stem)
            g.attrs['frames'] = n_frames
            g.attrs['max_bodies'] = max(len(b) for b in frames)
            g.attrs['distinct_ids'] = len({bid for b in frames for bid, _ in b})
            g.attrs['label'] = int(re.search(r'A(\d{3})', stem).group(1)) - 1
            g.attrs['sum'] = float(x.astype(np.float64).sum())
            g.attrs['sumsq'] = float((x.astype(np.float64) ** 2).sum())
            g['slices'] = x[:, [0, 1, 37, 299]]
            if stem in full:
                g.create_dataset('x', data=x, compression='gzip', shuffle=True)
            if stem == full[0]:
                feat = features(x, 150, NTU_PARENTS).astype(np.float32)
                g.create_dataset('features150', data=feat, compression='gzip', shuffle=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--shared', default=os.path.join(HERE, '..', '..', '..', 'shared'))
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240603)
    write_butter(os.path.join(OUT, 'butter.h5'), rng)
    write_synth_features(os.path.join(OUT, 'synth_features.h5'), rng)
    ntu = os.path.join(a.shared, 'data', 'ntu')
    if os.path.isdir(ntu):
        write_ntu(os.path.join(OUT, 'ntu_real.h5'), ntu)
    else:
        print('no %s: ntu_real.h5 not regenerated' % ntu)
    fixtures = os.path.join(HERE, '..', 'fixtures')
    gen_skeletons.write_good(os.path.join(fixtures, 'skeleton_good'), np.random.default_rng(7), read_skeleton, preprocess)
    gen_skeletons.write_bad(os.path.join(fixtures, 'skeleton_bad'), np.random.default_rng(8))
    for d in [OUT, os.path.join(fixtures, 'skeleton_good'), os.path.join(fixtures, 'skeleton_bad')]:
        size = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        print('%-40s %3d files %9d bytes' % (os.path.relpath(d, fixtures), len(os.listdir(d)), size))


if __name__ == '__main__':
    main()
