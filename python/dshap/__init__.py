"""dshap: DeepSHAP attributions and Grad-CAM maps of ShapGCN / AutoGCN
skeleton models, computed by libdshap (the engine of the dshap CLI).

    import dshap
    e = dshap.DeepExplainer("model.h5", background)      # (R, 4, 2C, T, V, M) float32
    phi = e.shap_values(x)                               # shap's layout (N, 4, 2C, T, V, M, K)
    res = e.explain(x, classes="pred", store="joint")    # phi, phi0, f(x), residual
    e = dshap.DeepExplainer("model.onnx", bg)           # or ONNX bytes, or a torch.nn.Module: phi
                                                         # in its input's shape, e.g. (N, C, T, V, M, K)
"""
from ._core import DeepExplainer, Explanation, GradCAM, Model, gradcam
from ._files import Attributions, read_attributions
from ._lib import DshapError, lib as _clib

__version__ = _clib.dshap_version().decode()


def blas_core():
    """The OpenBLAS kernel family in use (e.g. 'SkylakeX')."""
    return _clib.dshap_blas_core().decode()


__all__ = ["DeepExplainer", "Explanation", "GradCAM", "Model", "gradcam", "Attributions", "read_attributions",
           "DshapError", "blas_core"]
