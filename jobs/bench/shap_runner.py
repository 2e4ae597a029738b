#!/usr/bin/env python3
"""Time shap.DeepExplainer + PyTorch on a dshap model.h5 and inputs.h5, the
way the published study ran it: per pass, one DeepExplainer over a chunk of
`--chunk` references, explaining the predicted class of each instance
(float32, eval mode, ShapGCN's extra ReLU6/SiLU/Hardswish handlers).

  /opt/dshap-ref/bin/python jobs/bench/shap_runner.py MODEL.h5 INPUTS.h5 BACKGROUND.h5 \
      --instances 1 --references 10 --chunk 5 --threads 2

Prints one line: seconds per (instance, reference) pair, the measured
seconds, pairs, and peak resident memory (MiB)."""
import argparse
import os
import resource
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'reference'))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import shap  # noqa: E402
from shap.explainers._deep import deep_pytorch as shap_dp  # noqa: E402
import load_h5  # noqa: E402
from gen_shap import _Select  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('inputs')
    ap.add_argument('background')
    ap.add_argument('--instances', type=int, default=1)
    ap.add_argument('--references', type=int, default=10)
    ap.add_argument('--chunk', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in ('ReLU6', 'SiLU', 'Hardswish'):  # ShapGCN's shap fork rescales these too
        shap_dp.op_handler[name] = shap_dp.nonlinear_1d
    model = load_h5.load_model(a.model, dtype=torch.float32)[0].eval()
    with h5py.File(a.inputs, 'r') as f:
        x = torch.from_numpy(f['x'][:a.instances])
    with h5py.File(a.background, 'r') as f:
        bg = torch.from_numpy(f['x'][:a.references])
    with torch.no_grad():
        pred = model(x).argmax(1).numpy()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for i in range(len(x)):
            for r0 in range(0, len(bg), a.chunk):
                expl = shap.DeepExplainer(_Select(model, [int(pred[i])]), bg[r0:r0 + a.chunk])
                expl.shap_values(x[i:i + 1], check_additivity=False)
    dt = time.perf_counter() - t0
    pairs = len(x) * len(bg)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"shap: {dt / pairs:.4f} s/pair  ({dt:.1f} s for {pairs} pairs, chunk {a.chunk}, "
          f"shap {shap.__version__}, torch {torch.__version__}, threads {a.threads}); peak RSS {peak:.0f} MiB")


if __name__ == '__main__':
    main()
