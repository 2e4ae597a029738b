#!/usr/bin/env python3
"""Convert a ShapGCN checkpoint (or a bare state_dict + arch JSON) to model.h5.

  tools/export_pytorch.py CHECKPOINT.pth.tar model.h5 [--layout ntu25|cp29|cp19]
        [--num-class K] [--frames T] [--persons M] [--in-channels C]
  tools/export_pytorch.py --state-dict SD.pt --arch ARCH.json model.h5

model.h5 (see FORMATS.md): root attrs format="dshap-model", format_version=1,
architecture=JSON (ShapGCN key names); /state_dict/<key> one dataset per
PyTorch key (float32; integer tensors such as PartAtt's att.joints as int64;
num_batches_tracked skipped); /graph/parents int32 (V), /graph/A float32
(4, V, V).

Keys and shapes are validated against the reference model built from the
architecture (tests/reference/shapgcn_torch.py); any mismatch is a one-line
error and exit status 2. Importable: export_model(model_or_state_dict, arch,
path).
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'reference'))
import shapgcn_torch as ref  # noqa: E402

FORMAT, FORMAT_VERSION = 'dshap-model', 1
V_TO_LAYOUT = {25: 'ntu25', 29: 'cp29', 19: 'cp19'}

# ShapGCN's arch_2 search spaces (config_ntu.yaml / config_cp.yaml), needed
# only when a checkpoint stores its choices as a list of indices.
_SPACE_COMMON = {
    'act': ["relu", "relu6", "hardswish", "swish"],
    'att_lay': ["stja", "ca", "fa", "ja", "pa"],
    'conv_lay': ["Basic", "Bottleneck", "Sep", "SG", "V3", "Shuffle"],
    'multi': [False], 'expand_ratio': [1, 1.5, 2], 'reduct_ratio': [1, 1.5, 2],
    'stride_in': [1, 2, 3], 'temp_win_in': [3, 5, 7], 'graph_dist_in': [1, 2, 3],
    'stride_main': [1, 2, 3], 'temp_win_main': [3, 5, 7], 'graph_dist_main': [1, 2, 3],
}
_ORDER = ['init_lay', 'act', 'att_lay', 'conv_lay', 'drop_prob', 'multi',
          'expand_ratio', 'reduct_ratio', 'blocks_in', 'depth_in', 'stride_in',
          'scale_in', 'temp_win_in', 'graph_dist_in', 'blocks_main',
          'depth_main', 'stride_main', 'scale_main', 'temp_win_main',
          'graph_dist_main']
SEARCH_SPACE = {
    'ntu': dict(_SPACE_COMMON, init_lay=[64, 128, 256], drop_prob=[0.15, 0.2, 0.3],
                blocks_in=[1, 2], depth_in=[1, 2], scale_in=[0.7, 0.8, 0.9, 0.95],
                blocks_main=[1, 2, 3], depth_main=[1, 2, 3], scale_main=[1.2, 1.25, 1.3]),
    'cp': dict(_SPACE_COMMON, init_lay=[16, 32, 48, 64, 96], drop_prob=[0, 0.025, 0.05, 0.1],
               blocks_in=[1, 2, 3], depth_in=[1, 2, 3], scale_in=[0.8, 0.9, 1, 1.1, 1.2],
               blocks_main=[1, 2, 3, 4], depth_main=[1, 2, 3, 4],
               scale_main=[0.95, 1, 1.1, 1.2, 1.3]),
}


class ExportError(Exception):
    pass


def _tensor_dict(sd):
    out = {}
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        if isinstance(v, np.ndarray):
            v = torch.from_numpy(v)
        if not torch.is_tensor(v):
            raise ExportError(f"state_dict entry {k} is not a tensor ({type(v).__name__})")
        out[k] = v.detach().cpu()
    return out


def merge_checkpoint_model(model):
    """ShapGCN's {input_stream, main_stream, classifier} -> one flat dict.

    Keys may already carry the prefix ('input_stream.0.init_bn.weight') or
    not ('0.init_bn.weight'); both are accepted.
    """
    if not all(k in model for k in ('input_stream', 'main_stream', 'classifier')):
        return dict(model)  # already a flat state_dict
    flat = {}
    for part in ('input_stream', 'main_stream', 'classifier'):
        for k, v in model[part].items():
            flat[k if k.startswith(part + '.') else f'{part}.{k}'] = v
    return flat


def _unwrap(k):
    # DataParallel / DDP prefixes
    return k[len('module.'):] if k.startswith('module.') else k


def infer_meta(sd):
    """What the weights themselves say: layout (from V), C, num_class."""
    meta = {}
    a = sd.get('input_stream.0.stem_scn.conv.A')
    if a is not None:
        v = int(a.shape[-1])
        if v not in V_TO_LAYOUT:
            raise ExportError(f"no layout has {v} joints (known: 25 ntu25, 29 cp29, 19 cp19)")
        meta['layout'] = V_TO_LAYOUT[v]
    bn = sd.get('input_stream.0.init_bn.weight')
    if bn is not None:
        meta['in_channels'] = int(bn.shape[0]) // 2
    fc = sd.get('classifier.fc.weight')
    if fc is not None:
        meta['num_class'] = int(fc.shape[0])
    return meta


def actions_to_arch(actions, layout):
    if isinstance(actions, dict):
        return dict(actions)
    actions = list(actions)
    if all(isinstance(i, (int, np.integer)) for i in actions):
        space = SEARCH_SPACE['ntu' if layout == 'ntu25' else 'cp']
        if len(actions) != len(_ORDER):
            raise ExportError(f"'actions' has {len(actions)} indices, expected {len(_ORDER)}; pass --arch")
        return {k: space[k][int(i)] for k, i in zip(_ORDER, actions)}
    raise ExportError("cannot read 'actions' from the checkpoint; pass --arch ARCH.json")


def complete_arch(arch, sd, overrides):
    """arch + metadata inferred from weights + command-line overrides."""
    arch = {ref.ALIASES.get(k, k): (v.item() if isinstance(v, np.generic) else v)
            for k, v in arch.items()}
    inferred = infer_meta(sd)
    for k, v in overrides.items():
        if v is None:
            continue
        if k in inferred and inferred[k] != v:
            raise ExportError(f"--{k.replace('_', '-')} {v} contradicts the weights ({inferred[k]})")
        arch[k] = v
    for k, v in inferred.items():
        if k in arch and arch[k] != v:
            raise ExportError(f"arch says {k}={arch[k]} but the weights say {v}")
        arch.setdefault(k, v)
    try:
        return ref.normalize_arch(arch)
    except ValueError as e:
        raise ExportError(str(e))


def validate(sd, arch):
    """Strict key/shape check against the reference model for this arch."""
    expect = _tensor_dict(ref.build_model(arch, torch.float32).state_dict())
    missing = [k for k in expect if k not in sd]
    unknown = [k for k in sd if k not in expect]
    if missing or unknown:
        msg = []
        if missing:
            msg.append(f"{len(missing)} missing key(s), e.g. {missing[0]}")
        if unknown:
            msg.append(f"{len(unknown)} unknown key(s), e.g. {unknown[0]}")
        raise ExportError("state_dict does not match the architecture: " + "; ".join(msg))
    for k, v in expect.items():
        if tuple(sd[k].shape) != tuple(v.shape):
            raise ExportError(f"{k}: shape {tuple(sd[k].shape)}, architecture needs {tuple(v.shape)}")
    # Every stored A must be the distance-strategy graph of this layout.
    A = ref.build_adjacency(arch['layout'])
    for k in sd:
        if k.endswith('.conv.A'):
            kk = sd[k].shape[0]
            if np.abs(sd[k].double().numpy() - A[:kk]).max() > 1e-5:
                raise ExportError(f"{k} is not the {arch['layout']} distance-strategy adjacency")
    return expect


def h5_create(path, v110=False):
    """New HDF5 file without object timestamps, so regenerating a file with
    the same content gives the same bytes (clean git diffs). v110: HDF5 1.10
    object headers/chunk indexes (less per-dataset overhead)."""
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    if v110:
        fapl.set_libver_bounds(h5py.h5f.LIBVER_V110, h5py.h5f.LIBVER_V110)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def h5_group(parent, name):
    """create_group without timestamps (see h5_create)."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))


def export_model(model_or_state_dict, arch, path, compress=False):
    """Write model.h5. arch: dict (ShapGCN key names or aliases att/conv).

    compress=True stores larger datasets with shuffle+deflate (HDF5's
    built-in filter; readers need nothing extra). Used for test fixtures.
    """
    if isinstance(model_or_state_dict, torch.nn.Module):
        sd = model_or_state_dict.state_dict()
    else:
        sd = model_or_state_dict
    sd = _tensor_dict({_unwrap(k): v for k, v in merge_checkpoint_model(sd).items()})
    arch = complete_arch(arch, sd, {})
    validate(sd, arch)
    tmp = path + '.tmp'
    # compressed (fixture) files use the HDF5 1.10 format: far less
    # per-dataset overhead; plain exports stay readable by any HDF5.
    with h5_create(tmp, v110=compress) as f:
        f.attrs['format'] = FORMAT  # h5py: str -> variable-length UTF-8
        f.attrs['format_version'] = np.int32(FORMAT_VERSION)
        f.attrs['architecture'] = json.dumps(arch, sort_keys=True)
        g = h5_group(f, 'state_dict')
        for k, v in sd.items():
            data = v.numpy().astype(np.float32 if v.is_floating_point() else np.int64)
            opts = dict(compression='gzip', shuffle=True) if compress and data.size >= 1024 else {}
            g.create_dataset(k, data=data, **opts)
        gr = h5_group(f, 'graph')
        gr.create_dataset('parents', data=np.asarray(ref.LAYOUTS[arch['layout']]['parents'], np.int32))
        gr.create_dataset('A', data=ref.build_adjacency(arch['layout']).astype(np.float32))
    os.replace(tmp, path)
    return arch


def _torch_load(path):
    try:  # torch >= 1.13 knows weights_only; >= 2.6 defaults it to True
        return torch.load(path, map_location='cpu', weights_only=False)
    except TypeError:
        return torch.load(path, map_location='cpu')


def read_checkpoint(path, arch=None, overrides=None):
    """A ShapGCN checkpoint ({'model': state_dict, 'actions': ...}) -> (state_dict,
    completed arch). arch: a dict overriding the checkpoint's 'actions'."""
    ck = _torch_load(path)
    if not isinstance(ck, dict) or 'model' not in ck:
        raise ExportError(f"{path}: not a ShapGCN checkpoint (no 'model' entry)")
    if arch is None and ck.get('actions') is None:
        raise ExportError(f"{path}: checkpoint has no 'actions'; pass --arch ARCH.json")
    return complete(ck['model'], arch, ck.get('actions'), overrides or {})


def complete(sd, arch, actions, overrides):
    sd = _tensor_dict({_unwrap(k): v for k, v in merge_checkpoint_model(sd).items()})
    if arch is None:
        arch = actions_to_arch(actions, infer_meta(sd).get('layout', overrides.get('layout')))
    return sd, complete_arch(arch, sd, overrides)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('paths', nargs='+', metavar='PATH',
                   help='CHECKPOINT.pth.tar model.h5, or model.h5 with --state-dict')
    p.add_argument('--state-dict', help='torch.save()d state_dict (needs --arch)')
    p.add_argument('--arch', help='architecture JSON (ShapGCN key names)')
    p.add_argument('--layout', choices=sorted(ref.LAYOUTS))
    p.add_argument('--num-class', type=int)
    p.add_argument('--frames', type=int, help='T recorded in the arch (default 150)')
    p.add_argument('--persons', type=int, help='M (default: 2 for ntu25, 1 for cp)')
    p.add_argument('--in-channels', type=int, help='raw C (3 ntu, 2 cp)')
    a = p.parse_args(argv)
    overrides = {'layout': a.layout, 'num_class': a.num_class, 'num_frames': a.frames,
                 'num_persons': a.persons, 'in_channels': a.in_channels}
    try:
        arch = None
        if a.arch:
            with open(a.arch) as fh:
                arch = json.load(fh)
        if a.state_dict:
            if len(a.paths) != 1 or not a.arch:
                raise ExportError("usage: --state-dict SD.pt --arch ARCH.json model.h5")
            out = a.paths[0]
            sd = _torch_load(a.state_dict)
            if isinstance(sd, dict) and 'model' in sd and isinstance(sd['model'], dict):
                sd = sd['model']
            sd, arch = complete(sd, arch, None, overrides)
        else:
            if len(a.paths) != 2:
                raise ExportError("usage: CHECKPOINT.pth.tar model.h5")
            out = a.paths[1]
            sd, arch = read_checkpoint(a.paths[0], arch, overrides)
        arch = export_model(sd, arch, out)
    except ExportError as e:
        print(f"export_pytorch: error: {e}", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError, RuntimeError) as e:
        print(f"export_pytorch: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    m = ref.build_model(arch, torch.float32)
    print(f"wrote {out}: layout {arch['layout']}, {arch['num_class']} classes, "
          f"{len(sd)} tensors, params {ref.count_params(m)[0]:,} (+E {ref.count_params(m)[1]:,})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
