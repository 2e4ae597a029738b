"""The README's Python quick start runs as written: its shell lines (with the
dshap of this build) in a fresh directory, then its Python block; then its
ONNX / nn.Module lines on the ST-GCN reference model."""
import os
import re
import subprocess
import sys

from conftest import REPO, cli


def blocks():
    text = open(os.path.join(REPO, "README.md")).read()
    section = text[text.index("## Python and C"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def test_quick_start_runs(tmp_path):
    b = blocks()
    py = [code for lang, code in b if lang == "python"]
    sh = [code for lang, code in b if lang == "sh"]
    assert len(py) == 2 and len(sh) == 2, \
        "the README's Python section: install block, data block, Python block, ONNX block"
    assert len(py[0].strip().splitlines()) == 5, "the quick start is five lines of Python"
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(cli())) + os.pathsep + os.environ["PATH"])
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", sh[1]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-c", py[0]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # (2, 4, 2C, T, V, M, K) for cp29 at T = 24: C = 2 raw channels, 29 joints, 1 person, 2 classes
    assert r.stdout.startswith("(2, 4, 4, 24, 29, 1, 2) [")
    assert r.stdout.rstrip().endswith("(2, 1, 29)")


# The ONNX block's names: the reference ST-GCN (tests/fixtures/onnx_models) as
# model.onnx and, with torch, as the module (tests/reference/models); without
# torch the module line takes the ONNX file again.
ONNX_SETUP = """
import os, sys, h5py, dshap
F = os.path.join({repo!r}, "tests", "fixtures", "onnx_models")
os.symlink(os.path.join(F, "stgcn.onnx"), "model.onnx")
x, bg = (h5py.File(os.path.join(F, "stgcn." + s + ".h5"), "r")["x"][:] for s in ("x", "bg"))
try:
    import torch
    sys.path.insert(0, os.path.join({repo!r}, "tests", "reference"))
    from models import common, stgcn
    module = common.random_init(stgcn.STGCN(num_class=5).double(), 401).float()
except ImportError:
    module = "model.onnx"
"""


def test_onnx_lines_run(tmp_path):
    py = [code for lang, code in blocks() if lang == "python"]
    assert len(py[1].strip().splitlines()) == 3, "the ONNX variant is three lines of Python"
    code = ONNX_SETUP.format(repo=REPO) + py[1] + "print(shap_values.shape)\n"
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("(2, 3, 12, 25, 2, 5)")
