#!/usr/bin/env python3
"""Generate float64 forward fixtures for the engine's forward tests.

  python3 tests/reference/gen_forward.py [--out tests/fixtures/forward] [--only NAME...]

For every fixture: build the arch, random_init(seed), export <name>.model.h5
(float32 weights), RELOAD those float32 weights into a float64 model (so the
reference uses exactly what the engine reads), run a deterministic input and
write <name>.h5:

  /x           float32 (N, 4, 2C, T, V, M)   model input, branches J,V,B,A
  /logits      float64 (N, K)                float64 forward
  /logits_f32  float32 (N, K)                same weights, PyTorch float32
  /nodes/<module path>  float64 module outputs, persons folded (batch n*M+m)
      attrs full_shape (int64), stride (int64), sum, abs_sum (float64 over
      the FULL tensor). The data is flat[::stride] of the C-order flattened
      output: stride 1 and shape full_shape when the output has at most
      FULL_MAX elements, else a 1-D sample of at most FULL_MAX elements.
  root attrs: format="dshap-forward-fixture", format_version=1,
      architecture (JSON), model (file name), seed, order (JSON list of the
      stored paths in the order the modules finished).

Which outputs are stored: every module under input_stream.0 (branch J),
main_stream and classifier; for branches 1..3 the branch output
input_stream.<b>, its children (init_bn, stem_*, block-*) and their .att.
nn.Identity / nn.Dropout (identities in eval) are not recorded. An output that
is the very tensor of an earlier one (a Sequential returning its last
child's output) is an HDF5 soft link to the first dataset.

Sizes: full-width published models and full float64 dumps of every module
would be hundreds of MB, hence the sampling. Fixture weights are
random_init() values rounded to a power-of-two grid (about rms/8 per
tensor; graph A exact) and datasets are shuffle+deflate compressed; to the
engine they are ordinary float32 numbers.
"""
import argparse
import json
import math
import os
import re
import sys

import h5py
import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tools'))
import shapgcn_torch as ref  # noqa: E402
import load_h5  # noqa: E402
from export_pytorch import export_model, h5_create, h5_group  # noqa: E402

FULL_MAX = 256   # outputs up to this many elements are stored whole
_RECORD = re.compile(r'(input_stream\.0|main_stream|classifier)(\..+)?'
                     r'|input_stream\.\d(\.[^.]+(\.att)?)?')
PUB = ref.published_archs()


def small(**kw):
    """A small random-arch fixture; defaults overridden per fixture."""
    a = dict(expand_ratio=1, reduct_ratio=1, scale_in=1, scale_main=1,
             drop_prob=0.1, depth_main=1, stride_main=1)
    a.update(kw)
    a['in_channels'] = ref.LAYOUTS[a['layout']]['in_channels']
    return ref.normalize_arch(a)


# name -> (arch, seed, N). The six small archs are hand-picked so that
# together they cover every temporal layer, attention, activation, graph
# distance, stride (input and effective main-stream), layout and M; two of
# them have blocks_main 2 with depth_main > 1 (the one-survivor quirk).
FIXTURES = {
    'ntu_xview': (dict(PUB['ntu-xview'], num_frames=24, num_persons=2), 101, 2),
    'cp29': (dict(PUB['cp29'], num_frames=24, num_persons=1), 102, 2),
    'basic_ca_relu6_ntu': (small(
        layout='ntu25', num_persons=2, num_frames=12, num_class=5, conv_lay='Basic',
        att_lay='ca', act='relu6', init_lay=16, blocks_in=1, depth_in=2, stride_in=1,
        temp_win_in=3, graph_dist_in=2, blocks_main=2, depth_main=2, stride_main=2,
        scale_main=0.5, temp_win_main=5, graph_dist_main=3), 201, 2),
    'bottleneck_stja_hswish_cp29': (small(
        layout='cp29', num_persons=1, num_frames=16, num_class=2, conv_lay='Bottleneck',
        att_lay='stja', act='hardswish', init_lay=32, reduct_ratio=1.5, blocks_in=2,
        depth_in=1, stride_in=2, scale_in=0.8, temp_win_in=5, graph_dist_in=3,
        blocks_main=1, depth_main=1, stride_main=2, temp_win_main=3,
        graph_dist_main=1), 202, 2),
    'sg_pa_tanh_cp19': (small(
        layout='cp19', num_persons=1, num_frames=18, num_class=3, conv_lay='SG',
        att_lay='pa', act='tanh', init_lay=16, reduct_ratio=1.5, blocks_in=1,
        depth_in=2, stride_in=3, temp_win_in=7, graph_dist_in=1, blocks_main=2,
        depth_main=3, stride_main=3, scale_main=0.5, temp_win_main=3,
        graph_dist_main=2), 203, 2),
    'v3_ja_sigmoid_ntu': (small(
        layout='ntu25', num_persons=2, num_frames=12, num_class=4, conv_lay='V3',
        att_lay='ja', act='sigmoid', init_lay=32, expand_ratio=1.5, blocks_in=1,
        depth_in=1, stride_in=2, temp_win_in=3, graph_dist_in=3, blocks_main=1,
        depth_main=1, stride_main=3, temp_win_main=5, graph_dist_main=2), 204, 2),
    'shuffle_fa_swish_cp29': (small(
        layout='cp29', num_persons=1, num_frames=18, num_class=2, conv_lay='Shuffle',
        att_lay='fa', act='swish', init_lay=16, reduct_ratio=2, blocks_in=2,
        depth_in=2, stride_in=3, temp_win_in=5, graph_dist_in=2, blocks_main=1,
        temp_win_main=7, graph_dist_main=1), 205, 2),
    'sep_pa_relu_ntu': (small(
        layout='ntu25', num_persons=1, num_frames=8, num_class=6, conv_lay='Sep',
        att_lay='pa', act='relu', init_lay=16, expand_ratio=2, reduct_ratio=2,
        blocks_in=2, depth_in=1, stride_in=1, temp_win_in=3, graph_dist_in=1,
        blocks_main=2, scale_main=0.3, temp_win_main=3, graph_dist_main=3), 206, 2),
}


def make_input(arch, n, seed):
    """Standard normal rounded to float32; for ntu25 with M=2 the second
    person of the last sample is all zero (an absent person)."""
    rng = np.random.default_rng(seed + 10000)
    v = len(ref.LAYOUTS[arch['layout']]['parents'])
    shape = (n, 4, 2 * arch['in_channels'], arch['num_frames'], v, arch['num_persons'])
    x = rng.standard_normal(shape).astype(np.float32)
    if arch['layout'] == 'ntu25' and arch['num_persons'] == 2:
        x[-1, ..., 1] = 0
    return x


def quantize_weights(model):
    """Round every float tensor but A to a power-of-two grid of ~rms/8:
    still arbitrary float32 values, but the files compress well."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point() or name.endswith('.A') or t.numel() == 0:
                continue
            rms = t.pow(2).mean().sqrt().item()
            if rms > 0:
                step = 2.0 ** math.floor(math.log2(rms / 8))
                t.copy_(torch.round(t / step) * step)
    return model


def record_forward(model, x):
    """Run the model, capturing the wanted module outputs in finishing order."""
    outs, hooks = [], []
    for name, mod in model.named_modules():
        if name == '' or isinstance(mod, (nn.Identity, nn.Dropout)) or not _RECORD.fullmatch(name):
            continue
        hooks.append(mod.register_forward_hook(
            lambda m, i, o, name=name: outs.append((name, o)) if torch.is_tensor(o) else None))
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    names = [n for n, _ in outs]
    assert len(names) == len(set(names)), 'a module ran twice'
    return y, outs


def sample_stride(shape, numel):
    """Smallest stride giving <= FULL_MAX samples and coprime to the last two
    dims (T, V), so the sample walks over all joints and frames."""
    if numel <= FULL_MAX:
        return 1
    s = -(-numel // FULL_MAX)
    while any(math.gcd(s, d) != 1 for d in shape[-2:]):
        s += 1
    return s


def write_fixture(path, arch, seed, x, logits, logits32, outs, model_name):
    order, seen = [], {}
    with h5_create(path + '.tmp', v110=True) as f:
        f.attrs['format'] = 'dshap-forward-fixture'
        f.attrs['format_version'] = np.int32(1)
        f.attrs['architecture'] = json.dumps(arch, sort_keys=True)
        f.attrs['model'] = model_name
        f.attrs['seed'] = np.int64(seed)
        f.create_dataset('x', data=x, compression='gzip', shuffle=True)
        f.create_dataset('logits', data=logits)
        f.create_dataset('logits_f32', data=logits32)
        g = h5_group(f, 'nodes')
        for name, t in outs:
            key = (t.data_ptr(), tuple(t.shape), tuple(t.stride()))
            if key in seen:  # same tensor as an earlier module's output
                g[name] = h5py.SoftLink('/nodes/' + seen[key])
            else:
                a = t.contiguous().numpy()
                s = sample_stride(a.shape, a.size)
                d = g.create_dataset(name, data=a if s == 1 else a.reshape(-1)[::s])
                d.attrs['full_shape'] = np.asarray(a.shape, np.int64)
                d.attrs['stride'] = np.int64(s)
                d.attrs['sum'] = float(a.sum())
                d.attrs['abs_sum'] = float(np.abs(a).sum())
                seen[key] = name
            order.append(name)
        f.attrs['order'] = json.dumps(order)
    os.replace(path + '.tmp', path)
    return order


def generate(name, out_dir):
    arch, seed, n = FIXTURES[name]
    arch = ref.normalize_arch(arch)
    model_path = os.path.join(out_dir, f'{name}.model.h5')
    model = quantize_weights(ref.random_init(ref.build_model(arch), seed))
    export_model(model, arch, model_path, compress=True)
    m64, arch2 = load_h5.load_model(model_path, torch.float64)  # float32 weights
    m32, _ = load_h5.load_model(model_path, torch.float32)
    assert arch2 == arch
    x = make_input(arch, n, seed)
    y64, outs = record_forward(m64, torch.from_numpy(x).double())
    with torch.no_grad():
        y32 = m32(torch.from_numpy(x))
    rel = ((y32.double() - y64).abs().max() / y64.abs().max().clamp_min(1e-30)).item()
    fx_path = os.path.join(out_dir, f'{name}.h5')
    order = write_fixture(fx_path, arch, seed, x, y64.numpy(), y32.numpy(), outs, f'{name}.model.h5')
    return dict(arch=arch, rel=rel, nodes=len(order),
                bytes=os.path.getsize(fx_path) + os.path.getsize(model_path))


def coverage(results):
    """Table of what each fixture exercises, and what none does."""
    cols = ['conv_lay', 'att_lay', 'act', 'layout', 'num_persons', 'graph_dist_in',
            'graph_dist_main', 'stride_in', 'main_stride', 'num_frames']
    lines = [f"{'fixture':28s}" + ''.join(f'{c[:11]:>12s}' for c in cols) +
             f"{'f32/f64':>9s}{'nodes':>6s}{'KiB':>6s}"]
    have = {}
    for name, r in results.items():
        a = dict(r['arch'])
        a['main_stride'] = a['stride_main'] if a['depth_main'] == 1 else 1  # quirk
        for c in cols:
            have.setdefault(c, set()).add(a[c])
        lines.append(f'{name:28s}' + ''.join(f'{str(a[c]):>12s}' for c in cols) +
                     f"{r['rel']:9.1e}{r['nodes']:6d}{r['bytes'] // 1024:6d}")
    want = {'conv_lay': ref.CONVS, 'att_lay': ref.ATTS, 'act': ref.ACTS,
            'layout': list(ref.LAYOUTS), 'num_persons': [1, 2],
            'graph_dist_in': [1, 2, 3], 'graph_dist_main': [1, 2, 3],
            'stride_in': [1, 2, 3], 'main_stride': [1, 2, 3]}
    missing = {k: [v for v in vs if v not in have.get(k, ())] for k, vs in want.items()}
    missing = {k: v for k, v in missing.items() if v}
    lines.append('coverage: ' + ('complete' if not missing else f'MISSING {missing}'))
    return '\n'.join(lines), missing


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=os.path.join(HERE, '..', 'fixtures', 'forward'))
    p.add_argument('--only', nargs='*', help='fixture names (default: all)')
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(a.out, exist_ok=True)
    results = {}
    for name in a.only or FIXTURES:
        results[name] = generate(name, a.out)
        # the same weights in float32 and float64 must agree closely
        assert results[name]['rel'] < 1e-4, (name, results[name]['rel'])
    table, missing = coverage(results)
    print(table)
    print(f"total {sum(r['bytes'] for r in results.values()) / 2**20:.2f} MiB in {a.out}")
    return 1 if (missing and not a.only) else 0


if __name__ == '__main__':
    sys.exit(main())
