"""dshap gradcam on an imported ONNX model against PyTorch: the float64
ST-GCN and CTR-GCN reference models (models/, the weights of
tests/fixtures/onnx_models) with autograd, standard variant, persons
summed: map = sum_m ReLU(sum_c mean_tv(dy_c/dA) A), A the output of the
layer (N*M, C, T', V). Each ONNX node name maps to its torch module.
ctest's test_onnx_gradcam (run_check_gradcam_onnx.sh: skips without torch).

usage: check_gradcam_onnx.py DSHAP FIXTURES_ONNX_MODELS"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_onnx_models as g  # noqa: E402

TOL = 1e-4  # of max |map|: float32 activations and gradients
CASES = [("stgcn", "/blocks/blocks.3/relu/Relu", "blocks.3.relu"),
         # the exporter fused tcn.3 (BN) into this Conv: its output is the BN's
         ("stgcn", "/blocks/blocks.1/tcn/tcn.2/Conv", "blocks.1.tcn.3"),
         ("ctrgcn", "/blocks/blocks.2/relu/Relu", "blocks.2.relu")]


def torch_gradcam(model, module, x, classes):
    saved = {}
    h = module.register_forward_hook(lambda m, i, o: saved.__setitem__("a", o))
    maps = []
    for i in range(len(x)):
        xi = torch.from_numpy(x[i:i + 1]).double()
        out = model(xi)
        a = saved["a"]
        gr, = torch.autograd.grad(out[0, classes[i]], a)
        alpha = gr.mean(dim=(2, 3), keepdim=True)
        maps.append(torch.relu((alpha * a).sum(1)).sum(0).detach().numpy())
    h.remove()
    return np.stack(maps)


def main(dshap, fixtures):
    bad = 0
    with tempfile.TemporaryDirectory() as t:
        for name, layer, path in CASES:
            model = g.build(name).eval()
            mh5 = os.path.join(t, name + ".h5")
            subprocess.run([dshap, "model", "import-onnx", os.path.join(fixtures, name + ".onnx"), "--layout",
                            "ntu25", "-o", mh5], check=True, stdout=subprocess.DEVNULL)
            data = os.path.join(fixtures, name + ".x.h5")
            out = os.path.join(t, name + ".gc.h5")
            subprocess.run([dshap, "gradcam", "--model", mh5, "--data", data, "--layer", layer, "--classes", "pred",
                            "-o", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
            with h5py.File(out, "r") as f:
                ours = f["/gradcam/" + layer + "/map"][()].astype(np.float64)
                classes = f["/gradcam/" + layer + "/classes"][()][:, 0]
            x = h5py.File(data, "r")["/x"][()]
            want = torch_gradcam(model, model.get_submodule(path), x, classes)
            err = np.abs(ours - want).max() / np.abs(want).max()
            ok = ours.shape == want.shape and err <= TOL
            print(f"{name} {layer}: map {ours.shape}, max |diff| / max |map| = {err:.2e} (bound {TOL:g})"
                  + ("" if ok else "  FAIL"))
            bad |= not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
