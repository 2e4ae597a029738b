"""Bad input raises a Python exception carrying dshap's one-line message."""
import numpy as np
import pytest

import dshap


def test_missing_model_file(tmp_path):
    path = str(tmp_path / "nope.h5")
    with pytest.raises(dshap.DshapError) as e:
        dshap.Model(path)
    assert path in str(e.value) and "\n" not in str(e.value)


def test_not_a_model(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"not hdf5 at all")
    with pytest.raises(dshap.DshapError) as e:
        dshap.Model(str(path))
    assert str(path) in str(e.value)


def test_model_from_memory_equals_file(cp29):
    with open(cp29["model"], "rb") as f:
        m = dshap.Model(f.read())
    assert np.array_equal(m.predict(cp29["x"]), dshap.Model(cp29["model"]).predict(cp29["x"]))


def test_bad_class_and_nan_and_shape(cp29):
    e = dshap.DeepExplainer(cp29["model"], cp29["bg"], progress=False)
    with pytest.raises(dshap.DshapError, match=r"class 7 \(sample 0\) is out of range for a model with 2 classes"):
        e.explain(cp29["x"], classes=[7])
    x = cp29["x"].copy()
    x[1, 2, 0, 3, 4, 0] = np.nan
    with pytest.raises(dshap.DshapError, match="x sample 1 holds a non-finite value"):
        e.explain(x, classes=[0])
    with pytest.raises(ValueError, match=r"shape \(3, 4, 4, 24, 28, 1\), the model takes \(N, 4, 4, 24, 29, 1\)"):
        e.explain(cp29["x"][..., :28, :], classes=[0])
    with pytest.raises(ValueError, match="rules='fast'"):
        dshap.DeepExplainer(cp29["model"], cp29["bg"], rules="fast")


def test_unknown_layer(cp29):
    with pytest.raises(dshap.DshapError, match="no layer 'main_stream.nope'"):
        dshap.gradcam(cp29["model"], cp29["x"], "main_stream.nope")
