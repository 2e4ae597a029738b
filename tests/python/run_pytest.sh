#!/usr/bin/env bash
# The Python package: `pip install ./python` into a fresh virtual environment
# (Debian's numpy, h5py and pytest through the system site packages; no
# network: no build isolation, no dependency download), then its pytest suite
# (python/tests) and the README's quick start, against this build's CLI and
# libdshap. Exit 77 (skip) only where the interpreter lacks numpy, h5py or
# pytest (scripts/setup.sh installs them); pytest finding no tests fails.
# usage: run_pytest.sh PYTHON DSHAP_CLI LIBDSHAP
set -euo pipefail
py=$1 cli=$2 lib=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ! "$py" -c 'import numpy, h5py, pytest, venv' 2>/dev/null; then
  echo "SKIP: $py lacks numpy, h5py, pytest or venv (scripts/setup.sh installs python3-h5py python3-pytest python3-venv)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m venv --system-site-packages "$tmp/venv"
# build in a copy (an in-tree build leaves build/ and *.egg-info in python/)
# with the two files setup.py takes from the checkout
mkdir -p "$tmp/src/tools" "$tmp/src/tests/reference"
cp -r "$repo/python" "$tmp/src/python"
cp "$repo/tools/export_pytorch.py" "$tmp/src/tools/"
cp "$repo/tests/reference/shapgcn_torch.py" "$tmp/src/tests/reference/"
"$tmp/venv/bin/pip" install -q --no-build-isolation --no-deps --no-index "$tmp/src/python" >/dev/null
export DSHAP_LIBRARY=$lib DSHAP_CLI=$cli
cd "$tmp"  # the installed package, not the source tree, is imported
"$tmp/venv/bin/python" -c 'import dshap, sys; sys.exit(0 if dshap.__file__.startswith(sys.prefix) else 1)' ||
  { echo "FAIL: dshap was not imported from the virtual environment"; exit 1; }
set +e
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/python/tests"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "FAIL: pytest collected no tests"; exit 1; fi
exit "$rc"
