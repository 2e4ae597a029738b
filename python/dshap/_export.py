"""ShapGCN checkpoints to model.h5 bytes, with the repository's exporter
(tools/export_pytorch.py, copied into dshap/_torch when the package is
built; needs torch and h5py)."""
import importlib.util
import os
import sys
import tempfile

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_torch")


def _module(name):
    if name not in sys.modules:
        path = os.path.join(_DIR, name + ".py")
        if not os.path.exists(path):
            raise ImportError(f"dshap: {path} is missing (the package was not built by pip install ./python)")
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def checkpoint_to_model_h5(path, arch=None):
    """The bytes of the model.h5 that tools/export_pytorch.py writes for a
    checkpoint; a bad checkpoint raises ValueError with the exporter's line."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError(f"{path}: reading a PyTorch checkpoint needs torch (scripts/setup.sh --reference "
                          "installs python3-torch), or convert it with tools/export_pytorch.py") from None
    _module("shapgcn_torch")
    ex = _module("export_pytorch")
    with tempfile.TemporaryDirectory(prefix="dshap-") as tmp:
        out = os.path.join(tmp, "model.h5")
        try:
            sd, full = ex.read_checkpoint(path, arch)
            ex.export_model(sd, full, out)
        except ex.ExportError as e:
            raise ValueError(str(e)) from None
        except (OSError, RuntimeError) as e:
            raise ValueError(f"{path}: {str(e).splitlines()[0]}") from None
        with open(out, "rb") as f:
            return f.read()


def module_to_onnx(module, sample):
    """The ONNX bytes of a torch.nn.Module in eval mode, traced on sample (one
    input row (1, C, T, V[, M]), numpy or torch): opset 13, input name 'x',
    constants folded (the Shape -> Gather chains the trace leaves are folded
    by dshap's importer)."""
    import io

    import numpy as np
    import torch
    if not isinstance(sample, torch.Tensor):
        sample = torch.from_numpy(np.ascontiguousarray(sample, dtype=np.float32))
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module.eval(), sample.float(), buf, opset_version=13, input_names=["x"],
                          do_constant_folding=True)
    return buf.getvalue()
