#!/usr/bin/env python3
"""Time shap.DeepExplainer + PyTorch on the GPU for the same model, as the
yardstick of the CUDA engine (device_check.sh prints the ratio).

  python3 tests/gpu/shap_bench.py MODEL.h5 [--inst 1] [--refs 20] [--tf32]

The model comes from model.h5 through the repository's PyTorch reference
(tests/reference/load_h5.py) in float32 on cuda:0. Inputs are N(0, 1) (the
values do not change the work). DeepExplainer explains every output (all
classes), as the study did; each (instance, class) costs one forward and
one backward of a batch of 2·R. Prints one SHAP line: seconds for the
slice after a warm-up, microseconds per (instance, reference, class)
triple, and the peak GPU memory.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'reference'))


def main():  # noqa: C901
    p = argparse.ArgumentParser()
    p.add_argument('model')
    p.add_argument('--inst', type=int, default=1)
    p.add_argument('--refs', type=int, default=20)
    p.add_argument('--tf32', action='store_true', help='allow TF32 in matmul and cuDNN convolutions')
    a = p.parse_args()
    try:
        import torch
        import shap
    except ImportError as e:
        print(f"SHAP unavailable reason=\"import failed: {e}\"")
        return 0
    if not torch.cuda.is_available():
        print("SHAP unavailable reason=\"torch sees no CUDA device\"")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    from load_h5 import load_model
    model, arch = load_model(a.model, torch.float32)
    model = model.cuda().eval()
    C, T = 2 * arch.get('in_channels', 3), arch['num_frames']
    shape = (4, C, T, 25 if arch['layout'] == 'ntu25' else (29 if arch['layout'] == 'cp29' else 19),
             arch.get('num_persons', 2))
    g = torch.Generator(device='cuda').manual_seed(0)
    bg = torch.randn((a.refs,) + shape, device='cuda', generator=g)
    x = torch.randn((a.inst,) + shape, device='cuda', generator=g)
    K = arch['num_class']
    # warm-up: CUDA context, cuDNN algorithm choice, shap's hooks
    warm = shap.DeepExplainer(model, bg[:2])
    warm.shap_values(x[:1], check_additivity=False)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    e = shap.DeepExplainer(model, bg)
    t0 = time.time()
    sv = e.shap_values(x, check_additivity=False)
    torch.cuda.synchronize()
    t = time.time() - t0
    triples = a.inst * a.refs * K
    print(f"SHAP shap_version={shap.__version__} torch={torch.__version__} tf32={int(a.tf32)} inst={a.inst} "
          f"refs={a.refs} classes={K} seconds={t:.2f} us_per_triple={1e6 * t / triples:.1f} "
          f"peak_gib={torch.cuda.max_memory_allocated() / 2**30:.2f} out_shape={getattr(sv, 'shape', len(sv))}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
