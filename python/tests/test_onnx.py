"""ONNX models and torch.nn.Module in the Python package: the reference ONNX
models (tests/fixtures/onnx_models, tests/reference/README.md) through
DeepExplainer give the CLI's bytes (dshap model import-onnx, then dshap
explain) and the float64 exact rules' phi; an nn.Module (tests/reference/models)
gives the ONNX file's values; an unsupported op raises the importer's line."""
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import dshap
from conftest import FIXTURES, REPO, cli, run

F = os.path.join(FIXTURES, "onnx_models")
MODELS = ["stgcn", "ctrgcn", "efficientgcn_b0"]


def load(name):
    x = np.asarray(h5py.File(os.path.join(F, name + ".x.h5"), "r")["x"], dtype=np.float32)
    bg = np.asarray(h5py.File(os.path.join(F, name + ".bg.h5"), "r")["x"], dtype=np.float32)
    return x, bg


@pytest.mark.parametrize("name", MODELS)
def test_onnx_path_equals_cli_and_float64_reference(name, tmp_path):
    onnx, (x, bg) = os.path.join(F, name + ".onnx"), load(name)
    model = str(tmp_path / "model.h5")
    run("model", "import-onnx", onnx, "-o", model)
    out = str(tmp_path / "a.h5")
    run("explain", "--model", model, "--data", os.path.join(F, name + ".x.h5"), "--background",
        os.path.join(F, name + ".bg.h5"), "--n-background", "2", "--classes", "all", "--store", "full",
        "--rules", "exact", "--no-progress", "-o", out)
    a = dshap.read_attributions(out)
    e = dshap.DeepExplainer(onnx, bg, progress=False)
    r = e.explain(x, classes="all", store="full")
    assert r.values.shape == (2, 3, 12, 25, 2, 5)
    assert r.values.tobytes() == a.values.tobytes() and r.output.tobytes() == a.output.tobytes()
    assert r.residual.tobytes() == a.residual.tobytes()
    # shap's layout: (N, C, T, V, M, K) float64, the same numbers
    sv = e.shap_values(x)
    assert sv.shape == (2, 3, 12, 25, 2, 5) and sv.dtype == np.float64
    assert np.array_equal(sv, r.values.astype(np.float64))
    # the float64 exact rules (mean over the references) to 1e-4 of max |phi|,
    # the tolerance of tests/integration/test_onnx_models.sh
    ref = h5py.File(os.path.join(F, name + ".ref.h5"), "r")
    want = ref["exact_values"][()].mean(axis=1)  # (n, 2, C, T, V, M)
    cls = ref["classes"][()]
    got = np.stack([np.moveaxis(sv[i][..., cls[i]], -1, 0) for i in range(len(cls))])
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_onnx_bytes_and_explicit_layout_equal_the_path():
    onnx, (x, _) = os.path.join(F, "stgcn.onnx"), load("stgcn")
    with open(onnx, "rb") as f:
        image = f.read()
    want = dshap.Model(onnx).predict(x)
    assert np.array_equal(dshap.Model(image).predict(x), want)
    assert np.array_equal(dshap.Model(onnx, layout="ntu25", input="x").predict(x), want)
    with pytest.raises(dshap.DshapError, match=r"^<ONNX model of \d+ bytes>: input 'x' has V = 25 joints; the cp29 "):
        dshap.Model(image, layout="cp29")
    with pytest.raises(dshap.DshapError) as e:  # a path with options: the message names it
        dshap.Model(onnx, layout="cp19")
    assert str(e.value) == f"{onnx}: input 'x' has V = 25 joints; the cp19 layout has 19"
    with pytest.raises(dshap.DshapError, match=r"unknown layout 'ntu18' \(ntu25, cp29, cp19\)"):
        dshap.Model(image, layout="ntu18")


def test_unsupported_op_raises_the_importers_line(tmp_path):
    bad = os.path.join(FIXTURES, "onnx", "bad_convtranspose.onnx")
    r = subprocess.run([cli(), "model", "import-onnx", bad, "-o", str(tmp_path / "m.h5")], capture_output=True,
                       text=True)
    assert r.returncode != 0 and not (tmp_path / "m.h5").exists()
    line = r.stderr.strip().removeprefix("dshap: error: ")
    assert "node '/up/ConvTranspose' (ConvTranspose) is not supported" in line
    with pytest.raises(dshap.DshapError) as e:
        dshap.DeepExplainer(bad, np.zeros((1, 3, 12, 25, 2), np.float32))
    assert str(e.value) == line
    with open(bad, "rb") as f:
        with pytest.raises(dshap.DshapError, match=r"^<ONNX model of \d+ bytes>: node '/up/ConvTranspose'"):
            dshap.Model(f.read())


@pytest.mark.parametrize("name", ["stgcn", "ctrgcn"])
def test_torch_module_equals_the_onnx_file(name):
    torch = pytest.importorskip("torch", reason="an nn.Module needs torch (absent: Debian CI without python3-torch)")
    module, (x, bg) = reference_module(name), load(name)
    e = dshap.DeepExplainer(module, torch.from_numpy(bg), progress=False)
    assert e.model.input_shape == (3, 12, 25, 2)
    with torch.no_grad():
        logits = module(torch.from_numpy(x)).numpy()
    assert np.abs(e.model.predict(x) - logits).max() <= 1e-5 * np.abs(logits).max()
    want = dshap.DeepExplainer(os.path.join(F, name + ".onnx"), bg, progress=False).shap_values(x)
    # the traced export's Shape -> Gather chains fold to the fixture's graph:
    # the same bytes (torch 1.13)
    assert np.array_equal(e.shap_values(x), want)


def reference_module(name):
    """A reference model of tests/reference/models as gen_onnx_models.py builds it, float32."""
    sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
    try:
        from models import common, ctrgcn, stgcn
    finally:
        sys.path.pop(0)
    ctor, seed = {"stgcn": (stgcn.STGCN, 401), "ctrgcn": (ctrgcn.CTRGCN, 402)}[name]  # gen_onnx_models.MODELS
    return common.random_init(ctor(num_class=5).double(), seed).float()


def test_shap_values_layout_is_shaps():
    torch = pytest.importorskip("torch", reason="needs torch")
    shap = pytest.importorskip("shap", reason="needs shap (the reference venv, /opt/dshap-ref)")
    module, (x, bg) = reference_module("stgcn"), load("stgcn")
    want = shap.DeepExplainer(module, torch.from_numpy(bg)).shap_values(torch.from_numpy(x), check_additivity=False)
    got = dshap.DeepExplainer(module, bg, rules="shap", progress=False).shap_values(x)
    assert type(got) is type(want) and got.shape == want.shape == (2, 3, 12, 25, 2, 5)
    # ST-GCN's rules are shap's: float32 both (measured 9.5e-7)
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()
