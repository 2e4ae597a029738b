#!/usr/bin/env bash
# The Python package's overhead over the CLI's engine on the demo job
# (scripts/demo.sh: NTU X-View, T = 150, 8 instances x 20 references in
# chunks of 10, the predicted class, joint store), one process, one thread,
# CLI and Python runs alternating, REPEATS (default 3) of each:
#   CLI     `dshap explain`: the engine's phases (background + instance
#           forward + backward + reduce, from /timings; load and write left
#           out) in wall seconds, and the whole process's CPU seconds
#   Python  DeepExplainer.explain(x, classes="pred") on the same inputs
#           (numpy in and out, the ctypes call): wall and CPU seconds
# The fastest of each is compared; CPU seconds are the measure that holds on
# a shared machine (wall time there is mostly waiting for a core; the CLI's
# CPU includes its load and write, so it errs against Python). The outputs
# must be the same bytes.
#   jobs/bench/bench_python.sh [PYTHON]   (default: python3 with the package
#   importable; DSHAP_LIBRARY=build/libdshap.so.0 is set when unset)
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${1:-python3}
repeats=${REPEATS:-3}
[ -x build/dshap ] || scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export DSHAP_LIBRARY=${DSHAP_LIBRARY:-$PWD/build/libdshap.so.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=build/dshap
$d model init --arch ntu-xview --seed 1 -o "$tmp/model.h5" >/dev/null
$d data synth --layout ntu25 --n 8 --classes 60 --frames 150 --seed 2 --second-person interactions -o "$tmp/val.h5" >/dev/null
$d data synth --layout ntu25 --n 60 --classes 60 --frames 150 --seed 3 --second-person interactions -o "$tmp/train.h5" >/dev/null
$d features --data "$tmp/val.h5" --frames 150 -o "$tmp/val_in.h5" >/dev/null
$d features --data "$tmp/train.h5" --frames 150 -o "$tmp/train_in.h5" >/dev/null
seq 0 19 > "$tmp/idx.txt"
"$py" - "$tmp" "$repeats" "$d" <<'PY'
import resource, subprocess, sys, time
import h5py, numpy as np
import dshap
tmp, repeats, cli = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


x = np.asarray(h5py.File(f"{tmp}/val_in.h5", "r")["x"])
bg = np.asarray(h5py.File(f"{tmp}/train_in.h5", "r")["x"])[:20]
e = dshap.DeepExplainer(f"{tmp}/model.h5", bg, chunk=10, progress=False)
res = {"cli_wall": [], "cli_cpu": [], "py_wall": [], "py_cpu": []}
for i in range(repeats):
    c0 = cpu(resource.RUSAGE_CHILDREN)
    subprocess.run([cli, "explain", "--model", f"{tmp}/model.h5", "--data", f"{tmp}/val_in.h5", "--background",
                    f"{tmp}/train_in.h5", "--background-indices", f"{tmp}/idx.txt", "--chunk", "10", "--classes",
                    "pred", "--store", "joint", "--bind", "none", "--no-progress", "-o", f"{tmp}/cli.h5"],
                   check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    res["cli_cpu"].append(cpu(resource.RUSAGE_CHILDREN) - c0)
    with h5py.File(f"{tmp}/cli.h5", "r") as f:
        res["cli_wall"].append(float(np.asarray(f["timings"])[0][1:5].sum()))
        ref = np.asarray(f["shap/values"])
    c0, t0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
    r = e.explain(x, classes="pred", store="joint")
    res["py_wall"].append(time.perf_counter() - t0)
    res["py_cpu"].append(cpu(resource.RUSAGE_SELF) - c0)
    assert r.values.tobytes() == ref.tobytes(), "Python and CLI attributions differ"
for k, v in res.items():
    print(f"  {k:9s} " + " ".join(f"{t:7.2f}" for t in v))
b = {k: min(v) for k, v in res.items()}
print(f"demo job, 1 process, 1 thread, best of {repeats} (same bytes):")
print(f"  CLI engine {b['cli_wall']:.2f} s wall, CLI process {b['cli_cpu']:.2f} s CPU")
print(f"  Python explain() {b['py_wall']:.2f} s wall, {b['py_cpu']:.2f} s CPU")
print(f"  overhead: CPU {100 * (b['py_cpu'] - b['cli_cpu']) / b['cli_cpu']:+.2f} %, "
      f"wall {100 * (b['py_wall'] - b['cli_wall']) / b['cli_wall']:+.2f} %")
PY
