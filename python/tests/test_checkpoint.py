"""A ShapGCN checkpoint goes in directly: converted in memory by the package's
copy of tools/export_pytorch.py, the same model as the exporter's model.h5
and the same function as the PyTorch reference model (float32, 1e-4 of the
logits' scale). Needs torch (scripts/setup.sh --reference); skipped without."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import dshap
from conftest import FIXTURES, REPO

torch = pytest.importorskip("torch", reason="torch is not installed (scripts/setup.sh --reference)")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from dshap._export import _module
    ref = _module("shapgcn_torch")
    with open(os.path.join(FIXTURES, "archs", "small_cp29.json")) as f:
        arch = json.load(f)
    model = ref.random_init(ref.build_model(arch, torch.float32), 7)
    d = tmp_path_factory.mktemp("ckpt")
    path = str(d / "student.pth.tar")
    torch.save({"model": model.state_dict(), "actions": arch}, path)
    return path, model, d


def test_checkpoint_is_the_exported_model(checkpoint):
    path, model, d = checkpoint
    h5 = str(d / "model.h5")
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "export_pytorch.py"), path, h5],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, b = dshap.Model(path), dshap.Model(h5)
    x = np.random.default_rng(1).normal(size=(3,) + a.input_shape).astype(np.float32)
    la = a.predict(x)
    assert np.array_equal(la, b.predict(x))
    with torch.no_grad():
        lt = model(torch.from_numpy(x)).numpy()
    assert np.abs(la - lt).max() <= 1e-4 * max(1.0, np.abs(lt).max())
    e = dshap.DeepExplainer(path, x[1:], progress=False)
    sv = e.shap_values(x[:1])
    assert sv.shape == (1,) + a.input_shape + (a.num_class,)


def test_not_a_checkpoint(tmp_path):
    path = str(tmp_path / "x.pth")
    torch.save({"weights": 1}, path)
    with pytest.raises(ValueError, match="not a ShapGCN checkpoint"):
        dshap.Model(path)
