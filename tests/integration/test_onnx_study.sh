#!/usr/bin/env bash
# The study commands on an imported model (the ST-GCN ONNX fixture,
# tests/fixtures/onnx_models): import, explain (joint store), then
#  - perturb --edge-tensors on its adjacency constants in each mode: the
#    model --save-model writes equals the hand rule applied with numpy to
#    the imported model's constants ((j, j) of every (V, V) block where it
#    is nonzero, d = thresh * the block's range), exactly (float32), and
#    dshap predict on a copy whose constants numpy edited gives the curve's
#    metric (mean softmax probability of the label) to 1e-6 and logits that
#    moved;
#  - evaluate --pg-perturb freeze: PGI / PGU equal to dshap predict on data.h5
#    copies whose top / bottom joints numpy froze (to 1e-6); rank, gradcam,
#    correlate, perturb on Grad-CAM scores, plot skeleton run;
#  - refusals: a pattern matching nothing, a constant that is not
#    (..., V, V), --edge-tensors on a ShapGCN model, an imported model
#    without it, a full or channel-joint store as scores (the latter would
#    read as frames): one line, non-zero exit, no output.
# Needs python3 with h5py and numpy (Debian's packages; skips without).
set -uo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
F=$(cd "$2" && pwd)/onnx_models
py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import h5py, numpy' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "skip: no python3 with h5py and numpy"; exit 77; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
run() { "$dshap" "$@" >"$t/out.log" 2>"$t/err.log" || { bad "dshap $*: $(tail -n 3 "$t/err.log")"; return 1; }; ok; }
refuse() { # refuse "what" "expected message part" output-file dshap args...
  local what=$1 want=$2 out=$3; shift 3
  if "$dshap" "$@" >/dev/null 2>"$t/err.log"; then bad "$what: exit 0"; return; fi
  if [ "$(wc -l <"$t/err.log")" != 1 ] || ! grep -qF -- "$want" "$t/err.log"; then
    bad "$what: expected one line with '$want', got: $(cat "$t/err.log")"; return; fi
  if [ -e "$out" ]; then bad "$what: left $out"; return; fi
  ok
}
cd "$t" || exit 1

run model import-onnx "$F/stgcn.onnx" --layout ntu25 -o m.h5
run model info m.h5 --constants
# the einsum's (K, V, V) adjacency, stored as (K·V, V) = (75, 25): 3 blocks
adj=$(grep -E '^[0-9]+ .* float32 +\(75, 25\) +3$' out.log | awk '{print $2}')
[ "$(echo "$adj" | grep -c .)" = 4 ] || bad "model info --constants: expected 4 (75, 25) constants of 3 blocks, got: $adj"
pattern='*Einsum_output_0:in1*'
run explain --model m.h5 --data "$F/stgcn.x.h5" --background "$F/stgcn.bg.h5" --n-background 2 --rules exact \
    --classes true --store joint --no-progress -o a.h5
run predict --model m.h5 --input "$F/stgcn.x.h5" -o base.pred.h5

for mode in amplify toward-zero zero-out; do
  run perturb --model m.h5 --data "$F/stgcn.x.h5" --scores a.h5:/shap/values --edge-tensors "$pattern" --k 1,3 \
      --select top --mode $mode --thresh 0.5 --metric probability --save-model p.$mode.h5 -o c.$mode.h5 --quiet
  # numpy's own perturbation of m.h5's constants, written as a model.h5 copy
  "$py" - m.h5 c.$mode.h5 p.$mode.h5 hand.$mode.h5 $mode <<'EOF' || bad "$mode: perturbed constants"
import sys, json, shutil, h5py, numpy as np
src, curves, saved, hand, mode = sys.argv[1:]
shutil.copy(src, hand)
with h5py.File(curves, "r") as c:
    n = int(c["/top/n_joints"][0, -1]); joints = [int(j) for j in c["/top/joints"][0, -1, :n]]
    assert c.attrs["edge_tensors"] == "*Einsum_output_0:in1*"
assert n == 3, n
V, thresh = 25, 0.5
with h5py.File(hand, "r+") as f, h5py.File(saved, "r") as s:
    names = json.loads(f.attrs["graph"])["constants"]
    changed = 0
    for i, name in enumerate(names):
        a = f[f"/constants/{i}"][...]
        if ":in1''" not in name or "Einsum_output_0" not in name:
            assert np.array_equal(a, s[f"/constants/{i}"][...]), name
            continue
        blocks = a.astype(np.float64).reshape(-1, V, V)
        out = blocks.copy()
        for b in range(blocks.shape[0]):
            d = thresh * (blocks[b].max() - blocks[b].min())
            for j in joints:
                e = blocks[b, j, j]
                if e == 0: continue
                out[b, j, j] = {"amplify": e + d if e > 0 else e - d, "toward-zero": e - d if e > 0 else e + d,
                                "zero-out": 1e-5}[mode]
                changed += 1
        new = out.astype(np.float32).reshape(a.shape)
        got = s[f"/constants/{i}"][...]
        if not np.array_equal(new, got):
            sys.exit(f"{mode}: {name}: max |hand - dshap| {np.abs(new - got).max():.3g}")
        del f[f"/constants/{i}"]
        f[f"/constants/{i}"] = new
    assert changed > 0, "no self-loop changed"
print(f"{mode}: joints {joints}, {changed} self-loops changed, constants equal")
EOF
  run predict --model hand.$mode.h5 --input "$F/stgcn.x.h5" -o hand.$mode.pred.h5
  "$py" - base.pred.h5 hand.$mode.pred.h5 c.$mode.h5 "$F/stgcn.x.h5" <<'EOF' || bad "$mode: metric from the hand-perturbed model"
import sys, h5py, numpy as np
base, pert, curves, data = sys.argv[1:]
def logits(p):
    with h5py.File(p, "r") as f: return f["/logits"][...].astype(np.float64)
z0, z = logits(base), logits(pert)
with h5py.File(data, "r") as f: y = f["/y"][...]
with h5py.File(curves, "r") as c: metric = c["/top/metric"][-1]
p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
want = p[np.arange(len(y)), y].mean()
assert np.abs(z - z0).max() > 1e-6, "perturbing the adjacency did not move the logits"
if abs(want - metric) > 1e-6: sys.exit(f"curve metric {metric} vs {want} from the hand-perturbed model")
print(f"metric {metric:.6f} = {want:.6f}; max |logit change| {np.abs(z - z0).max():.3g}")
EOF
done

run evaluate --model m.h5 --data "$F/stgcn.x.h5" --scores a.h5:/shap/values --pg-k 3 --pg-perturb freeze -o e.h5
[ -s e.h5 ] || bad "evaluate wrote nothing"
# PGI / PGU by hand: the 3 top / bottom joints held at their mean over each
# person's present frames, written into data.h5 copies, through dshap predict
"$py" - "$F/stgcn.x.h5" a.h5 fz <<'EOF' || bad "evaluate: frozen copies"
import sys, shutil, h5py, numpy as np
data, attr, stem = sys.argv[1:]
with h5py.File(attr, "r") as a: s = a["/shap/values"][:, 0, :].astype(np.float64)
for which in ("top", "bottom"):
    shutil.copy(data, f"{stem}.{which}.h5")
    with h5py.File(f"{stem}.{which}.h5", "r+") as f:
        x = f["/x"][...]
        for i in range(x.shape[0]):
            order = sorted(range(s.shape[1]), key=lambda v: (-s[i, v], v))
            sel = order[:3] if which == "top" else order[-3:]
            for m in range(x.shape[4]):
                present = np.abs(x[i, :, :, :, m]).sum(axis=(0, 2)) > 0
                if not present.any(): continue
                for v in sel:
                    mean = x[i][:, present, v, m].astype(np.float64).mean(axis=1)
                    x[i][:, present, v, m] = mean.astype(np.float32)[:, None]
        f["/x"][...] = x
EOF
for which in top bottom; do run predict --model m.h5 --input fz.$which.h5 -o fz.$which.pred.h5; done
"$py" - base.pred.h5 fz.top.pred.h5 fz.bottom.pred.h5 e.h5 <<'EOF' || bad "evaluate: PGI / PGU against the frozen copies"
import sys, h5py, numpy as np
def prob(p):
    with h5py.File(p, "r") as f: z = f["/logits"][...].astype(np.float64)
    e = np.exp(z - z.max(1, keepdims=True)); return e / e.sum(1, keepdims=True)
p0, pt, pb = (prob(p) for p in sys.argv[1:4])
c = p0.argmax(1); r = np.arange(len(c))
with h5py.File(sys.argv[4], "r") as f: pgi, pgu = f["/pgi"][0], f["/pgu"][0]
want_i, want_u = np.abs(p0[r, c] - pt[r, c]), np.abs(p0[r, c] - pb[r, c])
if np.abs(pgi - want_i).max() > 1e-6 or np.abs(pgu - want_u).max() > 1e-6:
    sys.exit(f"PGI {pgi} vs {want_i}, PGU {pgu} vs {want_u}")
print(f"PGI {pgi} PGU {pgu}: as the frozen copies' predictions")
EOF
run rank --scores a.h5:/shap/values -o r.h5
G=/gradcam/blocks/blocks.3/relu/Relu/joint
run gradcam --model m.h5 --data "$F/stgcn.x.h5" --layer /blocks/blocks.3/relu/Relu -o gc.h5
run correlate --scores a.h5:/shap/values --scores gc.h5:$G -o co.h5
run perturb --model m.h5 --data "$F/stgcn.x.h5" --scores gc.h5:$G --edge-tensors "$pattern" --k 1..3 --repeats 2 \
    --select top,bottom,random -o gcp.h5 --quiet
run plot skeleton --data "$F/stgcn.x.h5" --scores a.h5:/shap/values -o s.svg
grep -q '<svg' s.svg 2>/dev/null || bad "plot skeleton wrote no SVG"

P=(perturb --model m.h5 --data "$F/stgcn.x.h5" --scores a.h5:/shap/values --k 1 --select top -o x.h5)
refuse "pattern matching nothing" "matches no constant" x.h5 "${P[@]}" --edge-tensors 'no_such*'
refuse "constant not (..., V, V)" "not (..., 25, 25)" x.h5 "${P[@]}" --edge-tensors '*'
refuse "imported model without --edge-tensors" "--edge-tensors PATTERN" x.h5 "${P[@]}"
run model init --arch ntu-xview --frames 12 -o sg.h5
refuse "--edge-tensors on a ShapGCN model" "is for imported models" x.h5 perturb --model sg.h5 --data "$F/stgcn.x.h5" \
    --scores a.h5:/shap/values --k 1 --select top --edge-tensors '*' -o x.h5
run explain --model m.h5 --data "$F/stgcn.x.h5" --background "$F/stgcn.bg.h5" --n-background 2 --classes true \
    --store full --no-progress -o full.h5
refuse "a full store as scores" "has rank" x.h5 rank --scores full.h5:/shap/values -o x.h5
run explain --model m.h5 --data "$F/stgcn.x.h5" --background "$F/stgcn.bg.h5" --n-background 2 --classes true \
    --store channel-joint --no-progress -o cj.h5
refuse "a channel-joint store as scores" "is a channel-joint store" x.h5 rank --scores cj.h5:/shap/values -o x.h5

echo "onnx study: $pass passed, $fail failed"
[ $fail = 0 ]
