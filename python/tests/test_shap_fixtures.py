"""shap_values / explain against the committed references (tests/fixtures/shap,
gen_shap.py): rules 'shap' == shap.DeepExplainer on the PyTorch model, rules
'exact' == the float64 implementation of RULES.md's exact rules. Tolerances as
tests/unit/test_shap_fixtures.c states them: every (instance, class, branch)
sum within 1e-4 * its sum of |phi|; elementwise within 1e-4 * max |phi| in every
(instance, branch) block but at most one per fixture and rule set, that one
within 5e-2 (a float32 run can cross the rescale rule's |dx| < 1e-6 threshold
on the other side from the float64 reference)."""
import glob
import os

import h5py
import numpy as np
import pytest

import dshap
from conftest import FIXTURES

NAMES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(FIXTURES, "shap", "*.h5")))


def compare(ours, ref):
    n, K = ref.shape[0], ref.shape[-1]
    o = ours.reshape(n, 4, -1, K)
    r = ref.reshape(n, 4, -1, K)
    mx = np.abs(r).max()
    sums_o, sums_r, sabs = o.sum(axis=2), r.sum(axis=2), np.abs(r).sum(axis=2)
    assert np.all(np.abs(sums_o - sums_r) <= 1e-4 * sabs + 1e-9)
    block = np.abs(o - r).max(axis=(2, 3))
    assert (block > 1e-4 * mx).sum() <= 1
    assert block.max() <= 5e-2 * mx


def test_there_are_fixtures():
    assert len(NAMES) >= 5


# The C test (test_shap_fixtures.c) fails the same way on this fixture on main
# (2 loose blocks, 1.6e-2 of max |phi|: the engine, not the bindings); strict,
# so a fix of the engine turns this into a failure to remove the mark.
KNOWN = {("shap", "sg_pa_tanh_cp19")}


def cases():
    for rules in ("shap", "exact"):
        for name in NAMES:
            marks = [pytest.mark.xfail(strict=True, reason="as test_shap_fixtures.c on main")] \
                if (rules, name) in KNOWN else []
            yield pytest.param(name, rules, marks=marks, id=f"{rules}-{name}")


@pytest.mark.parametrize("name,rules", list(cases()))
def test_explain_matches_reference(name, rules):
    with h5py.File(os.path.join(FIXTURES, "shap", name + ".h5"), "r") as f:
        x, bg, cls = (np.asarray(f[k]) for k in ("x", "background", "classes"))
        ref, ev = np.asarray(f[rules + "_values"]), np.asarray(f["expected_value"])
    e = dshap.DeepExplainer(os.path.join(FIXTURES, "forward", name + ".model.h5"), bg, rules=rules, progress=False)
    r = e.explain(x, classes=cls, store="full")
    compare(r.values.astype(np.float64), ref)
    np.testing.assert_allclose(e.expected_value, ev, rtol=1e-5, atol=1e-6)


def test_shap_values_layout_and_ranked_outputs():
    """shap 0.46 for a one-input multi-output PyTorch model: float64
    (N, *X.shape[1:], K), expected_value (K,); ranked_outputs=r gives
    ((N, ..., r), (N, r) classes ordered by output)."""
    name = "cp29"
    with h5py.File(os.path.join(FIXTURES, "shap", name + ".h5"), "r") as f:
        x, bg, logits = np.asarray(f["x"]), np.asarray(f["background"]), np.asarray(f["logits"])
    e = dshap.DeepExplainer(os.path.join(FIXTURES, "forward", name + ".model.h5"), bg, rules="shap", progress=False)
    K = e.model.num_class
    sv = e.shap_values(x, check_additivity=False)
    assert sv.dtype == np.float64 and sv.shape == x.shape + (K,)
    assert e.expected_value.shape == (K,) and e.expected_value.dtype == np.float32
    full = e.explain(x, classes="all", store="full").values
    assert np.array_equal(sv, full.astype(np.float64))
    top, ranks = e.shap_values(x, ranked_outputs=1, check_additivity=False)
    assert ranks.shape == (x.shape[0], 1) and np.array_equal(ranks[:, 0], logits.argmax(axis=1))
    for i in range(x.shape[0]):
        assert np.array_equal(top[i, ..., 0], sv[i, ..., ranks[i, 0]])


def test_shap_values_additivity_check():
    name = "cp29"
    with h5py.File(os.path.join(FIXTURES, "shap", name + ".h5"), "r") as f:
        x, bg, logits = np.asarray(f["x"]), np.asarray(f["background"]), np.asarray(f["logits"])
    e = dshap.DeepExplainer(os.path.join(FIXTURES, "forward", name + ".model.h5"), bg, progress=False)
    sv = e.shap_values(x)  # exact rules: Σφ = f(x) − φ0 for every class
    total = sv.reshape(x.shape[0], -1, sv.shape[-1]).sum(axis=1)
    np.testing.assert_allclose(total, logits - e.expected_value, atol=1e-3)
