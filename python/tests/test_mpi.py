"""DeepExplainer(..., comm=) under mpirun -np 2: each rank's values, outputs,
residuals and classes are the bytes of the same explain on one process
(dshap_explainer_set_mpi_comm); a comm that is not an mpi4py communicator is
a ValueError."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import dshap

RANKS = r"""
import sys
import numpy as np
from mpi4py import MPI
import dshap
model, x, bg, out = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3]), sys.argv[4]
e = dshap.DeepExplainer(model, bg, chunk=2, block=1, progress=False, comm=MPI.COMM_WORLD)
for classes, store in (("all", "channel-joint"), ("pred", "full")):
    r = e.explain(x, classes=classes, store=store)
    np.savez(f"{out}.{classes}.{MPI.COMM_WORLD.rank}.npz", values=r.values, output=r.output,
             residual=r.residual, classes=r.classes)
"""


def test_two_ranks_give_the_one_process_bytes(cp29, tmp_path):
    pytest.importorskip("mpi4py", reason="comm= needs mpi4py (scripts/setup.sh installs python3-mpi4py)")
    if not shutil.which("mpirun"):
        pytest.skip("no mpirun (scripts/setup.sh installs openmpi-bin)")
    np.save(tmp_path / "x.npy", cp29["x"])
    np.save(tmp_path / "bg.npy", cp29["bg"])
    (tmp_path / "ranks.py").write_text(RANKS)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1")
    out = str(tmp_path / "r")
    r = subprocess.run(["mpirun", "-np", "2", sys.executable, str(tmp_path / "ranks.py"), cp29["model"],
                        str(tmp_path / "x.npy"), str(tmp_path / "bg.npy"), out], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    e = dshap.DeepExplainer(cp29["model"], cp29["bg"], chunk=2, block=1, progress=False)
    for classes, store in (("all", "channel-joint"), ("pred", "full")):
        one = e.explain(cp29["x"], classes=classes, store=store)
        for rank in (0, 1):
            got = np.load(f"{out}.{classes}.{rank}.npz")
            for name in ("values", "output", "residual", "classes"):
                want = getattr(one, name)
                assert got[name].tobytes() == want.tobytes(), f"{classes}, rank {rank}: {name} differs"


def test_comm_must_be_an_mpi4py_communicator(cp29):
    pytest.importorskip("mpi4py", reason="comm= needs mpi4py (scripts/setup.sh installs python3-mpi4py)")
    with pytest.raises(ValueError, match="mpi4py communicator"):
        dshap.DeepExplainer(cp29["model"], cp29["bg"], progress=False, comm="world")
