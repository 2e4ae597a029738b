"""The Python results are the bytes the CLI writes for the same inputs."""
import numpy as np

import dshap
from conftest import run


def cli_explain(c, out, *flags):
    run("explain", "--model", c["model"], "--data", c["val"], "--background", c["bgfile"], "--background-indices",
        c["idx"], "--chunk", "2", "--block", "2", *flags, "-o", out)
    return dshap.read_attributions(out)


def same_bytes(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_explain_joint_exact_equals_cli(cp29):
    a = cli_explain(cp29, str(cp29["dir"] / "a_joint.h5"), "--classes", "all", "--store", "joint")
    e = dshap.DeepExplainer(cp29["model"], cp29["bg"], chunk=2, block=2, progress=False)
    r = e.explain(cp29["x"], classes="all", store="joint")
    assert same_bytes(r.values, a.values)
    assert same_bytes(r.output, a.output)
    assert same_bytes(r.residual, a.residual)
    assert same_bytes(r.classes, a.classes)
    # the file stores φ0 as float32
    assert same_bytes(r.expected_value.astype(np.float32), a.expected_value)
    # exact rules are additive: float32 sums of ~10^4 terms, 1e-3 of max(1, |f(x) - phi0|)
    delta = np.take_along_axis(r.output, r.classes, axis=1) - r.expected_value[r.classes]
    assert np.all(np.abs(r.residual) <= 1e-3 * np.maximum(1, np.abs(delta)))


def test_explain_full_shap_pred_equals_cli(cp29):
    a = cli_explain(cp29, str(cp29["dir"] / "a_full.h5"), "--classes", "pred", "--store", "full", "--rules", "shap")
    e = dshap.DeepExplainer(cp29["model"], cp29["bg"], rules="shap", chunk=2, block=2, progress=False)
    r = e.explain(cp29["x"], classes="pred", store="full")
    assert r.values.shape == (3, 4, 4, 24, 29, 1, 1)
    assert same_bytes(r.values, a.values)
    assert same_bytes(r.classes, a.classes)


def test_gradcam_equals_cli(cp29):
    layer = "main_stream.block-1_tcn_main.conv"
    out = str(cp29["dir"] / "gc.h5")
    run("gradcam", "--model", cp29["model"], "--data", cp29["val"], "--layer", layer, "--classes", "all", "-o", out)
    a = dshap.read_attributions(out).gradcam[layer]
    g = dshap.gradcam(cp29["model"], cp29["x"], layer, classes="all")
    assert same_bytes(g.map, a["map"])
    assert same_bytes(g.joint, a["joint"])
    assert same_bytes(g.classes, a["classes"])


def test_progress_callback_sees_every_unit_and_can_cancel(cp29):
    seen = []
    e = dshap.DeepExplainer(cp29["model"], cp29["bg"], chunk=2, block=2, progress=lambda d, t: seen.append((d, t)))
    e.explain(cp29["x"][:1], classes=[0])
    assert seen == [(1, 3), (2, 3), (3, 3)]  # 1 block x 3 chunks of the 5 references
    e.progress = lambda d, t: False
    try:
        e.explain(cp29["x"][:1], classes=[0])
    except dshap.DshapError as err:
        assert "cancelled by the progress callback after 1 of 3 work units" in str(err)
    else:
        raise AssertionError("a False from the progress callback did not cancel")
