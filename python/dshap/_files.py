"""Reading the attributions.h5 files the CLI writes (dshap explain, dshap gradcam)."""
import numpy as np


class Attributions:
    """An attributions.h5: .values (/shap/values, at the file's store), .expected_value
    (K,), .output (N, K), .residual, .classes, .attrs (the /shap attributes), and
    .gradcam {layer: {"map", "joint", "classes"}}; .labels and .names where stored."""

    def __init__(self, path):
        import h5py
        self.path = path
        self.gradcam = {}
        self.attrs = {}
        with h5py.File(path, "r") as f:
            if "shap" not in f and "gradcam" not in f:
                raise ValueError(f"{path}: neither /shap nor /gradcam; not a dshap attributions file")
            if "shap" in f:
                g = f["shap"]
                self.attrs = {k: _attr(v) for k, v in g.attrs.items()}
                for name in ("values", "expected_value", "output", "residual", "classes"):
                    setattr(self, name, np.asarray(g[name]) if name in g else None)
            else:
                self.values = self.expected_value = self.output = self.residual = self.classes = None
            if "gradcam" in f:
                def visit(name, obj):
                    if isinstance(obj, h5py.Group) and "map" in obj:
                        self.gradcam[name] = {k: np.asarray(obj[k]) for k in ("map", "joint", "classes") if k in obj}
                f["gradcam"].visititems(visit)
            self.labels = np.asarray(f["labels"]) if "labels" in f else None
            self.names = [n.decode() if isinstance(n, bytes) else n for n in f["names"][()]] if "names" in f else None


def _attr(v):
    return v.decode() if isinstance(v, bytes) else v


def read_attributions(path):
    """An Attributions object for a file written by dshap explain / dshap gradcam."""
    return Attributions(path)
