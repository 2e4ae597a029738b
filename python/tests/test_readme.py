"""The README's Python quick start runs as written: its shell lines (with the
dshap of this build) in a fresh directory, then its Python block."""
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
    assert len(py) == 1 and len(sh) == 2, "the README's Python section: install block, data block, Python block"
    assert len(py[0].strip().splitlines()) == 5, "the quick start is five lines of Python"
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(cli())) + os.pathsep + os.environ["PATH"])
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", sh[1]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-c", py[0]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # (2, 4, 2C, T, V, M, K) for cp29 at T = 24: C = 2 raw channels, 29 joints, 1 person, 2 classes
    assert r.stdout.startswith("(2, 4, 4, 24, 29, 1, 2) [")
    assert r.stdout.rstrip().endswith("(2, 1, 29)")
