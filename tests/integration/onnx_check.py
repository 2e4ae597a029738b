"""Checks of test_onnx_models.sh: dshap's outputs on an imported reference
model against its fixture (tests/fixtures/onnx_models/<name>.ref.h5,
tests/reference/README.md). Prints one line per check; exit 1 on a failure.

  onnx_check.py logits PRED.h5 REF.h5 TOL
  onnx_check.py exact ATTR.h5 REF.h5 TOL      phi vs mean_r exact_values, residual
  onnx_check.py shap ATTR.h5 REF.h5 TOL       phi vs shap_values, residual vs shap's
  onnx_check.py shap-maxpool ATTR.h5 REF.h5 TOL
                                              the fixture records shap's mis-summation
                                              and dshap's phi is not stock shap's
"""
import sys

import h5py
import numpy as np


def fail(msg):
    print("FAIL: " + msg)
    return 1


def logits(pred, ref, tol):
    ours = h5py.File(pred, "r")["/logits"][()].astype(np.float64)
    want = h5py.File(ref, "r")["/logits"][()]
    err = np.abs(ours - want).max() / np.abs(want).max()
    print(f"logits: max |diff| / max |logit| = {err:.2e} (bound {tol:g})")
    return 0 if err <= tol else fail("logits differ")


def ours_at_classes(attr, classes):
    """dshap's phi (n, C, T, V, M, K) of --classes all at the fixture's
    classes (n, 2) -> (n, 2, C, T, V, M), with output and residual."""
    f = h5py.File(attr, "r")
    phi = f["/shap/values"][()].astype(np.float64)
    res = f["/shap/residual"][()].astype(np.float64)
    out = f["/shap/output"][()].astype(np.float64)
    e0 = f["/shap/expected_value"][()].astype(np.float64)
    n = classes.shape[0]
    sel = np.stack([np.moveaxis(phi[i][..., classes[i]], -1, 0) for i in range(n)])
    delta = np.stack([out[i, classes[i]] - e0[classes[i]] for i in range(n)])
    r = np.stack([res[i, classes[i]] for i in range(n)])
    return sel, delta, r


def exact(attr, ref, tol):
    g = h5py.File(ref, "r")
    classes = g["/classes"][()]
    want = g["/exact_values"][()].mean(axis=1)  # (n, 2, C, T, V, M): mean over references
    ours, delta, res = ours_at_classes(attr, classes)
    scale = np.abs(want).max()
    err = np.abs(ours - want).max() / scale
    # f(x) - E f(b) of the float64 model, per instance and class
    fx = g["/logits"][()]
    fb = g["/background_logits"][()].mean(axis=0)
    d64 = np.stack([fx[i, classes[i]] - fb[classes[i]] for i in range(len(classes))])
    sums = ours.reshape(ours.shape[0], ours.shape[1], -1).sum(axis=2)
    add = np.abs(sums - d64).max() / np.abs(d64).max()
    rep = np.abs(res).max() / np.abs(delta).max()
    print(f"exact: max |diff| / max |phi| = {err:.2e}; |sum phi - (f(x) - E f(b))| / max |df| = {add:.2e}, "
          f"dshap's /shap/residual {rep:.2e} (bound {tol:g})")
    bad = 0
    if err > tol: bad = fail("exact phi differs from the float64 reference")
    if add > tol or rep > tol: bad = fail("exact phi does not sum to f(x) - E f(b)")
    return bad


def shap(attr, ref, tol):
    g = h5py.File(ref, "r")
    status = g.attrs["shap_status"]
    status = status.decode() if isinstance(status, bytes) else status
    if not status.startswith("ran"):
        print(f"shap: the fixture records that shap.DeepExplainer failed: {status}")
        return 0 if "shap_values" not in g else fail("a failed shap run with shap_values stored")
    classes = g["/classes"][()]
    want = np.moveaxis(g["/shap_values"][()], -1, 1)  # (n, 2, C, T, V, M)
    ours, delta, res = ours_at_classes(attr, classes)
    err = np.abs(ours - want).max() / np.abs(want).max()
    # shap's own summation error, recorded in the fixture, is also ours
    sres = g["/shap_residual"][()]
    d_res = np.abs(res - sres).max() / max(np.abs(delta).max(), 1.0)
    print(f"shap: max |diff| / max |phi| = {err:.2e}; residual {np.abs(res).max():.3g} "
          f"(shap's {np.abs(sres).max():.3g}, differ by {d_res:.2e} of max |df|) (bound {tol:g})")
    bad = 0
    if err > tol: bad = fail("shap phi differs from shap.DeepExplainer's")
    if d_res > tol: bad = fail("the residual differs from shap's recorded one")
    return bad


def shap_maxpool(attr, ref, tol):
    """CTR-GCN: stock shap 0.46 unpools its MaxPool2d multipliers with
    max_unpool2d, which overwrites where overlapping windows share an argmax
    (dshap's max rule sums them): the fixture must record shap's
    mis-summation, and dshap's shap phi must not be stock shap's."""
    g = h5py.File(ref, "r")
    classes = g["/classes"][()]
    ours, delta, res = ours_at_classes(attr, classes)
    want = np.moveaxis(g["/shap_values"][()], -1, 1)
    sres = np.abs(g["/shap_residual"][()]).max() / np.abs(delta).max()
    err = np.abs(ours - want).max() / np.abs(want).max()
    print(f"shap (max pool): fixture's shap residual {sres:.2e} of max |df| (recorded mis-summation); "
          f"dshap vs stock shap {err:.2e} of max |phi|")
    bad = 0
    if sres <= tol: bad = fail("the fixture no longer records shap's mis-summation: compare phi instead")
    if err <= tol: bad = fail("dshap's shap phi equals stock shap's: this model's max-pool note is out of date")
    return bad


if __name__ == "__main__":
    mode, a, b, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    sys.exit({"logits": logits, "exact": exact, "shap": shap, "shap-maxpool": shap_maxpool}[mode](a, b, tol))
