"""Shared fixtures: the repository, the dshap CLI of the same build
(DSHAP_CLI, set by the ctest that runs these tests), small inputs."""
import os
import subprocess

import h5py
import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "tests", "fixtures")


def cli():
    path = os.environ.get("DSHAP_CLI") or os.path.join(REPO, "build", "dshap")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no dshap CLI at {path} (set DSHAP_CLI)")
    return path


def run(*args, cwd=None):
    r = subprocess.run([cli(), *args], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, f"dshap {' '.join(args)}: {r.stderr}"
    return r


@pytest.fixture(scope="session")
def cp29(tmp_path_factory):
    """The cp29 fixture model (T = 24) and model inputs of synthetic CP29 motion:
    3 instances, 5 background rows (as inputs.h5 files and arrays)."""
    d = tmp_path_factory.mktemp("cp29")
    model = os.path.join(FIXTURES, "forward", "cp29.model.h5")
    for name, n, seed in (("val", 3, 2), ("bg", 5, 3)):
        run("data", "synth", "--layout", "cp29", "--n", str(n), "--classes", "2", "--frames", "40", "--seed",
            str(seed), "-o", str(d / f"{name}.h5"))
        run("features", "--data", str(d / f"{name}.h5"), "--frames", "24", "-o", str(d / f"{name}_in.h5"))
    with open(d / "idx.txt", "w") as f:
        f.write("\n".join(str(i) for i in range(5)) + "\n")
    x = np.asarray(h5py.File(d / "val_in.h5", "r")["x"])
    bg = np.asarray(h5py.File(d / "bg_in.h5", "r")["x"])
    return dict(dir=d, model=model, x=x, bg=bg, val=str(d / "val_in.h5"), bgfile=str(d / "bg_in.h5"),
                idx=str(d / "idx.txt"))
