"""The PyTorch side of the package (ShapGCN checkpoints -> model.h5) is the
repository's own exporter: tools/export_pytorch.py and the reference model
it validates against, tests/reference/shapgcn_torch.py, copied into
dshap/_torch at build time (metadata: pyproject.toml)."""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = [os.path.join("..", "tools", "export_pytorch.py"), os.path.join("..", "tests", "reference", "shapgcn_torch.py")]


class BuildWithExporter(build_py):
    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "dshap", "_torch")
        os.makedirs(dest, exist_ok=True)
        for src in SOURCES:
            path = os.path.join(HERE, src)
            if not os.path.exists(path):
                raise SystemExit(f"dshap: {path} is missing; build the package from a dshap checkout (pip install ./python)")
            shutil.copy(path, dest)


setup(cmdclass={"build_py": BuildWithExporter})
