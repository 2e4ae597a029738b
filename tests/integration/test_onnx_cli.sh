#!/usr/bin/env bash
# dshap model import-onnx on the committed fixtures (tests/fixtures/onnx):
# a good model imports, `model info` describes the reloaded model.h5; each
# refused input (unsupported op, wrong input rank, V != layout, truncated
# protobuf, not a file, a bad option) gives one line on stderr naming the
# file or the option, a non-zero exit and no output file (nor a .part). A
# damaged graph record in a model.h5 is refused by `model info` the same way.
set -uo pipefail
dshap=$1
fx=$2/onnx
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }

refused() { # NAME EXPECTED-SUBSTRING ARGS...
    local name=$1 want=$2; shift 2
    "$dshap" "$@" 2>"$t/err" >/dev/null
    local rc=$?
    [ $rc -ne 0 ] || die "$name: exit 0"
    [ "$(wc -l <"$t/err")" -eq 1 ] || die "$name: stderr is not one line: $(cat "$t/err")"
    grep -qF -- "$want" "$t/err" || die "$name: '$(cat "$t/err")' lacks '$want'"
    ls "$t"/out.h5* >/dev/null 2>&1 && die "$name: left an output file"
    rm -f "$t"/out.h5*
}

"$dshap" model import-onnx "$fx/stgcn_tiny_op17.onnx" -o "$t/good.h5" >"$t/log" 2>&1 || die "import: $(cat "$t/log")"
grep -q "5 classes" "$t/log" || die "import summary: $(cat "$t/log")"
"$dshap" model info "$t/good.h5" --nodes >"$t/info" 2>&1 || die "info: $(cat "$t/info")"
grep -q "imported graph" "$t/info" || die "info does not say imported"
grep -Eq "/gcn/Conv +Conv +\(N, 2, 24, 6, 25\)" "$t/info" || die "info lacks the gcn conv: $(cat "$t/info")"
grep -Eq "/fc/Gemm +Binary +\(N, 5\)" "$t/info" || die "info lacks the logits"

refused convtranspose "node '/up/ConvTranspose' (ConvTranspose) is not supported; nearest: Conv" \
    model import-onnx "$fx/bad_convtranspose.onnx" -o "$t/out.h5"
refused rank3 "bad_rank3.onnx: input 'x' has rank 3" model import-onnx "$fx/bad_rank3.onnx" -o "$t/out.h5"
refused v20 "stgcn_v20.onnx: input 'x' has V = 20 joints; the ntu25 layout has 25" \
    model import-onnx "$fx/stgcn_v20.onnx" -o "$t/out.h5"
"$dshap" model import-onnx "$fx/stgcn_v20.onnx" --layout cp29 -o "$t/out.h5" 2>"$t/err" >/dev/null
grep -qF "the cp29 layout has 29" "$t/err" || die "v20 with cp29: $(cat "$t/err")"
rm -f "$t"/out.h5*
head -c 5000 "$fx/stgcn_tiny_op13.onnx" >"$t/cut.onnx"
refused truncated "cut.onnx: truncated or malformed protobuf" model import-onnx "$t/cut.onnx" -o "$t/out.h5"
refused missing "nope.onnx: cannot open" model import-onnx "$t/nope.onnx" -o "$t/out.h5"
refused input-name "has no input named 'y'" model import-onnx "$fx/stgcn_tiny_op13.onnx" --input y -o "$t/out.h5"
refused layout "unknown --layout 'kinect'" model import-onnx "$fx/stgcn_tiny_op13.onnx" --layout kinect -o "$t/out.h5"
refused no-output "-o model.h5 is required" model import-onnx "$fx/stgcn_tiny_op13.onnx"

# a damaged graph record: the JSON cut short, then a node with an unknown op
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    /usr/bin/python3 - "$t/good.h5" "$t" <<'PY'
import h5py, shutil, sys
src, t = sys.argv[1], sys.argv[2]
for name, edit in (("cut", lambda g: g[: len(g) // 2]), ("op", lambda g: g.replace('"op":"Relu"', '"op":"Frobnicate"'))):
    shutil.copy(src, f"{t}/{name}.h5")
    with h5py.File(f"{t}/{name}.h5", "r+") as f:
        g = f.attrs["graph"]
        g = g.decode() if isinstance(g, bytes) else g
        f.attrs["graph"] = edit(g)
PY
    refused record-cut "cut.h5: the graph record is not valid JSON" model info "$t/cut.h5"
    refused record-op "op.h5: node '/Relu' (Frobnicate) is not supported" model info "$t/op.h5"
fi
[ $fail -eq 0 ] && echo "test_onnx_cli: ok"
exit $fail
