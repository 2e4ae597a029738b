#!/usr/bin/env python3
"""Load a model.h5 (from tools/export_pytorch.py or `dshap model init`) into
the PyTorch reference, with a strict key/shape check.

  python3 tests/reference/load_h5.py model.h5               # check + summary
  python3 tests/reference/load_h5.py model.h5 --input X.h5 [--out logits.h5]
      # forward /x of X.h5 (N, 4, 2C, T, V, M) in float64, print/write logits

Used to cross-check models written by the C engine: a file that loads here
and reproduces the engine's logits agrees with the reference on every key.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapgcn_torch as ref  # noqa: E402


class LoadError(Exception):
    pass


def _text(v):
    return v.decode('utf-8') if isinstance(v, bytes) else str(v)


def read_model_h5(path):
    """-> (arch dict, {key: numpy array}, {'parents':..., 'A':...})."""
    with h5py.File(path, 'r') as f:
        fmt = _text(f.attrs.get('format', ''))
        if fmt != 'dshap-model':
            raise LoadError(f"{path}: format is {fmt!r}, expected 'dshap-model'")
        ver = int(f.attrs.get('format_version', -1))
        if ver != 1:
            raise LoadError(f"{path}: format_version {ver} not supported (this reader knows 1)")
        arch = json.loads(_text(f.attrs['architecture']))
        sd = {}
        f['state_dict'].visititems(
            lambda name, obj: sd.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        graph = {k: f['graph'][k][()] for k in f['graph']}
    return arch, sd, graph


def load_model(path, dtype=torch.float64):
    """Build the reference model from model.h5; returns (model, arch)."""
    arch, sd, graph = read_model_h5(path)
    try:
        arch = ref.normalize_arch(arch)
    except ValueError as e:
        raise LoadError(f"{path}: {e}")
    model = ref.build_model(arch, dtype)
    expect = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    missing = sorted(set(expect) - set(sd))
    unknown = sorted(set(sd) - set(expect))
    if missing or unknown:
        raise LoadError(f"{path}: key mismatch: missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                        f"unknown {unknown[:3]}{'...' if len(unknown) > 3 else ''}")
    tensors = {}
    for k, v in expect.items():
        if tuple(sd[k].shape) != tuple(v.shape):
            raise LoadError(f"{path}: {k} has shape {sd[k].shape}, expected {tuple(v.shape)}")
        t = torch.from_numpy(np.ascontiguousarray(sd[k]))
        tensors[k] = t.to(v.dtype)
    model.load_state_dict(tensors, strict=False)  # num_batches_tracked absent
    # Graph consistency: /graph must be the layout's graph, every conv.A its slice.
    A = ref.build_adjacency(arch['layout'])
    if 'parents' in graph and list(graph['parents']) != ref.LAYOUTS[arch['layout']]['parents']:
        raise LoadError(f"{path}: /graph/parents differs from layout {arch['layout']}")
    if 'A' in graph and np.abs(graph['A'] - A).max() > 1e-6:
        raise LoadError(f"{path}: /graph/A differs from the {arch['layout']} distance graph")
    for k in sd:
        if k.endswith('.conv.A') and np.abs(sd[k] - A[:sd[k].shape[0]]).max() > 1e-6:
            raise LoadError(f"{path}: {k} differs from /graph/A")
    return model.eval(), arch


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('model')
    p.add_argument('--input', help='HDF5 file with /x (N, 4, 2C, T, V, M)')
    p.add_argument('--out', help='write /logits (float64) here')
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    try:
        model, arch = load_model(a.model)
    except (LoadError, OSError, KeyError) as e:
        print(f"load_h5: error: {e}", file=sys.stderr)
        return 2
    n0, n1 = ref.count_params(model)
    print(f"{a.model}: OK, layout {arch['layout']}, {arch['conv_lay']}/{arch['att_lay']}/{arch['act']}, "
          f"params {n0:,} without E, {n1:,} with E")
    if a.input:
        with h5py.File(a.input, 'r') as f:
            x = torch.from_numpy(f['x'][()]).double()
        with torch.no_grad():
            logits = model(x).numpy()
        np.set_printoptions(precision=6, suppress=True, linewidth=120)
        print(logits)
        if a.out:
            with h5py.File(a.out, 'w') as f:
                f.create_dataset('logits', data=logits)
    return 0


if __name__ == '__main__':
    sys.exit(main())
