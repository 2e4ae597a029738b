"""dshap in Python: models, DeepExplainer (shap's interface), Grad-CAM."""
import ctypes
import os
import sys

import numpy as np

from . import _lib
from ._lib import check, lib

_RULES = {"exact": 0, "shap": 1}
_STORES = {"joint": 0, "channel-joint": 1, "frame": 2, "full": 3}
_VARIANTS = {"standard": 0, "shapgcn": 1}
_PERSONS = {"sum": 0, "mean": 1, "first": 2}


def _fptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


def _choice(name, value, table):
    if value not in table:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(sorted(table))}")
    return table[value]


class Model:
    """A loaded model: a model.h5 path (dshap model init, tools/export_pytorch.py,
    dshap model import-onnx), a ShapGCN checkpoint path (*.pth, *.pth.tar, *.pt:
    converted in memory by the package's copy of tools/export_pytorch.py; needs
    torch; arch: a dict when the checkpoint has no 'actions'), an ONNX model
    (a *.onnx path or its bytes: imported in memory as dshap model import-onnx),
    a torch.nn.Module (exported to ONNX in memory with `sample`, one input row
    (1, C, T, V[, M]), then imported), or the bytes of a model.h5. layout
    ('ntu25', 'cp29', 'cp19') and input (the graph input's name) are the
    import's --layout and --input; layout None: the one with the input's V."""

    def __init__(self, source, arch=None, layout=None, input=None, sample=None):
        self._h = ctypes.c_void_p()
        opts = None if layout is None and input is None else _import_options(layout, input)
        if _is_torch_module(source):
            if sample is None:
                raise ValueError("model: a torch.nn.Module needs a sample input (DeepExplainer uses the background's first row)")
            from ._export import module_to_onnx
            opts = opts or _import_options(layout, "x")
            self.path = f"<{type(source).__name__} exported to ONNX>"
            opts.name = self.path.encode()
            self._import_onnx(module_to_onnx(source, sample), opts)
        elif isinstance(source, (bytes, bytearray)):
            if opts is not None:
                self._import_onnx(bytes(source), opts)
            else:  # model.h5 or ONNX, told apart by content
                check(lib.dshap_model_load_memory(bytes(source), len(source), ctypes.byref(self._h)))
            self.path = "<memory>"
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if path.endswith((".pth", ".pth.tar", ".pt", ".tar")):
                from ._export import checkpoint_to_model_h5
                image = checkpoint_to_model_h5(path, arch)
                check(lib.dshap_model_load_memory(image, len(image), ctypes.byref(self._h)))
            elif opts is not None:  # with options the C API takes the bytes
                opts.name = path.encode()
                with open(path, "rb") as f:
                    self._import_onnx(f.read(), opts)
            else:  # model.h5 or ONNX, told apart by content
                check(lib.dshap_model_load(path.encode(), ctypes.byref(self._h)))
            self.path = path
        else:
            raise TypeError("model: expected a model.h5, checkpoint or .onnx path, model.h5 or ONNX bytes, or a "
                            f"torch.nn.Module; got {type(source).__name__}")
        info = _lib.ModelInfo()
        lib.dshap_model_get_info(self._h, ctypes.byref(info))
        self.num_class = info.num_class
        self.branch_shape = tuple(int(d) for d in info.input_shape)  # (4, 2C, T, V, M); imported: (B, C, T, V, M)
        dims = (ctypes.c_int64 * 5)()
        rank = lib.dshap_model_input_dims(self._h, dims)
        self.input_shape = tuple(int(d) for d in dims[:rank])  # one sample as the model declares it

    def _import_onnx(self, image, opts):
        check(lib.dshap_model_import_onnx(image, len(image), ctypes.byref(opts) if opts is not None else None,
                                          ctypes.byref(self._h)))

    def __del__(self):
        h = getattr(self, "_h", None)
        if h:
            lib.dshap_model_free(h)
            self._h = None

    def inputs(self, x, what="X"):
        """x as a C-contiguous float32 (N, *input_shape) array (numpy or torch)."""
        if hasattr(x, "detach"):
            x = x.detach().cpu().numpy()
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim == len(self.input_shape):
            x = x[None]
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"{what}: shape {tuple(x.shape)}, the model takes (N, {', '.join(map(str, self.input_shape))})")
        if x.shape[0] < 1:
            raise ValueError(f"{what}: no samples")
        return x

    def predict(self, x):
        """Logits (N, K) float32 of the eval-mode model."""
        x = self.inputs(x)
        out = np.empty((x.shape[0], self.num_class), np.float32)
        check(lib.dshap_predict(self._h, _fptr(x), x.shape[0], _fptr(out)))
        return out

    def classes(self, x, classes, labels=None):
        """(N, K') int32 class list: 'pred', 'all', 'true' (needs labels), an int,
        a list of ints for every sample, or an (N, K') array."""
        n, K = x.shape[0], self.num_class
        if isinstance(classes, str):
            if classes == "pred":
                return self.predict(x).argmax(axis=1).astype(np.int32)[:, None]
            if classes == "all":
                return np.tile(np.arange(K, dtype=np.int32), (n, 1))
            if classes == "true":
                if labels is None:
                    raise ValueError("classes='true' needs labels=")
                return np.ascontiguousarray(np.asarray(labels, dtype=np.int32).reshape(n, 1))
            raise ValueError(f"classes={classes!r}: expected 'pred', 'all', 'true', a list or an array")
        c = np.asarray(classes)
        if c.ndim <= 1:
            c = np.tile(c.reshape(1, -1), (n, 1))
        if c.ndim != 2 or c.shape[0] != n:
            raise ValueError(f"classes: shape {c.shape}, expected (K',) or ({n}, K')")
        return np.ascontiguousarray(c, dtype=np.int32)


def _model(model, layout=None, sample=None):
    return model if isinstance(model, Model) else Model(model, layout=layout, sample=sample)


def _is_torch_module(obj):
    """A torch.nn.Module, found without importing torch where it is absent."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _import_options(layout, input):
    o = _lib.ImportOptions()
    o.layout = None if layout is None else layout.encode()
    o.input = None if input is None else input.encode()
    return o


class _Progress:
    """The C progress callback: a callable(done, total), or tqdm when present."""

    def __init__(self, progress, desc):
        self.fn, self.bar = None, None
        if callable(progress):
            self.fn = progress
        elif progress is None or progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.tqdm, self.desc = tqdm, desc
                self.fn = self._tqdm
        self.c = _lib.PROGRESS_FN(self._call) if self.fn else _lib.PROGRESS_FN()

    def _tqdm(self, done, total):
        if self.bar is None:
            self.bar = self.tqdm(total=total, desc=self.desc, unit="unit")
        self.bar.update(done - self.bar.n)

    def _call(self, user, done, total):
        try:
            return 1 if self.fn(int(done), int(total)) is False else 0
        except Exception:  # a raising callback cancels the call
            return 1

    def close(self):
        if self.bar is not None:
            self.bar.close()


class Explanation:
    """The result of DeepExplainer.explain: values (store layout, float32),
    expected_value φ0 (K,) float64, output f(x) (N, K), residual (N, K')
    = Σφ − (f_c(x) − φ0_c), classes (N, K')."""

    def __init__(self, values, expected_value, output, residual, classes, store):
        self.values, self.expected_value, self.output = values, expected_value, output
        self.residual, self.classes, self.store = residual, classes, store

    def __repr__(self):
        return (f"Explanation(store={self.store!r}, values={self.values.shape}, classes={self.classes.shape}, "
                f"max |residual|={float(np.abs(self.residual).max()):.3g})")


class DeepExplainer:
    """DeepSHAP of a dshap model against a background, shap.DeepExplainer's interface.

    model: a model.h5, ShapGCN checkpoint or .onnx path, model.h5 or ONNX bytes,
    a torch.nn.Module (exported to ONNX in memory with the background's first
    row as the sample), or a Model (see there); layout: the ONNX import's
    (None: by V).
    background: (R, *model input) float32 (numpy or torch), used in this order:
    (R, 4, 2C, T, V, M) for ShapGCN, e.g. (R, C, T, V, M) for an imported model.
    rules: 'exact' (additive DeepLIFT/Shapley rules) or 'shap' (shap.DeepExplainer's
    handlers). chunk, block, memory_gib: as dshap explain (φ's last bits depend on
    chunk; with the same chunk the bytes equal the CLI's). threads: OpenMP threads
    of the calling thread (0: unchanged). progress: None (tqdm when installed),
    False, or callable(done, total) returning False to cancel. comm: an mpi4py
    communicator: explain and shap_values are then collective over its ranks
    (every rank calls them alike and gets the one-process values;
    dshap_explainer_set_mpi_comm)."""

    def __init__(self, model, background, rules="exact", chunk=20, block=4, memory_gib=0.0, threads=0,
                 progress=None, comm=None, layout=None):
        self._comm = _comm_address(comm)
        self.model = _model(model, layout, background[:1] if _is_torch_module(model) else None)
        self.rules = rules
        self._rules = _choice("rules", rules, _RULES)
        self._bg = self.model.inputs(background, "background")
        self._kw = dict(chunk=chunk, block=block, memory_gib=memory_gib, threads=threads)
        self.progress = progress
        self._handles = {}
        h = self._handle("joint", False)
        phi0 = np.empty(self.model.num_class, np.float64)
        lib.dshap_explainer_expected_value(h, phi0.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        self.phi0 = phi0
        # shap: the mean model output over the background, float32 (K,)
        self.expected_value = phi0.astype(np.float32)

    def _handle(self, store, persons_each):
        key = (store, bool(persons_each))
        if key not in self._handles:
            o = _lib.Options()
            lib.dshap_options_default(ctypes.byref(o))
            o.rules, o.store, o.persons_each = self._rules, _choice("store", store, _STORES), int(bool(persons_each))
            o.chunk, o.block = self._kw["chunk"], self._kw["block"]
            o.memory_gib, o.threads = self._kw["memory_gib"], self._kw["threads"]
            h = ctypes.c_void_p()
            check(lib.dshap_explainer_create(self.model._h, _fptr(self._bg), self._bg.shape[0], ctypes.byref(o),
                                             ctypes.byref(h)))
            self._handles[key] = h
            if self._comm is not None:
                check(lib.dshap_explainer_set_mpi_comm(h, self._comm))
        return self._handles[key]

    def __del__(self):
        for h in getattr(self, "_handles", {}).values():
            lib.dshap_explainer_free(h)
        self._handles = {}

    def explain(self, X, classes="pred", store="joint", persons_each=False, labels=None):
        """φ at a store granularity for a class list (see Model.classes): an Explanation."""
        x = self.model.inputs(X)
        pred = isinstance(classes, str) and classes == "pred"
        # 'pred': picked inside the call from the forward it runs anyway
        cls = np.zeros((x.shape[0], 1), np.int32) if pred else self.model.classes(x, classes, labels)
        h = self._handle(store, persons_each)
        n, nk, K = x.shape[0], cls.shape[1], self.model.num_class
        G = lib.dshap_explainer_store_size(h)
        shape = (n,) + self.model.input_shape + (nk,) if store == "full" else (n, nk, G)
        values = np.empty(shape, np.float32)
        output = np.empty((n, K), np.float32)
        residual = np.empty((n, nk), np.float32)
        pr = _Progress(self.progress, "dshap")
        try:
            _set_progress(h, pr)
            cptr = cls.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
            if pred:
                check(lib.dshap_explain_predicted(h, _fptr(x), n, cptr, _fptr(values), _fptr(output), _fptr(residual)))
            else:
                check(lib.dshap_explain(h, _fptr(x), n, nk, cptr, _fptr(values), _fptr(output), _fptr(residual)))
        finally:
            _set_progress(h, None)
            pr.close()
        if store != "full":
            g = _store_shape(store, persons_each, self.model.branch_shape)
            values = values.reshape((n, nk) + g)
        return Explanation(values, self.phi0.copy(), output, residual, cls, store)

    def shap_values(self, X, ranked_outputs=None, output_rank_order="max", check_additivity=True):
        """shap 0.46's layout for a one-input PyTorch model: float64
        (N, *input_shape, K), e.g. (N, 4, 2C, T, V, M, K) or (N, C, T, V, M, K)
        (K = 1: no class axis); with ranked_outputs = r,
        ((N, ..., r), the (N, r) explained classes per sample)."""
        x = self.model.inputs(X)
        K = self.model.num_class
        if ranked_outputs is not None and K > 1:
            out = self.model.predict(x)
            key = {"max": -out, "min": out, "max_abs": -np.abs(out)}.get(output_rank_order)
            if key is None:
                raise ValueError("output_rank_order must be max, min, or max_abs!")
            ranks = np.argsort(key, axis=1, kind="stable")[:, :ranked_outputs].astype(np.int64)
            cls = ranks
        else:
            ranks, cls = None, "all"
        e = self.explain(x, classes=cls, store="full")
        if check_additivity:
            worst = float(np.abs(e.residual).max())
            if worst >= 1e-2:
                raise AssertionError(
                    "The SHAP explanations do not sum up to the model's output! Max. diff: "
                    f"{worst} - Tolerance: 0.01 (rules={self.rules!r}; rules='shap' reproduces shap, which is "
                    "not additive for every operator)")
        values = e.values.astype(np.float64)
        if ranks is not None:
            return values, ranks
        return values if K > 1 else values[..., 0]


def _store_shape(store, persons_each, input_shape):
    """Per (sample, class) shape of a reduced store (RULES.md / dshap explain --store)."""
    B, C2, T, V, M = input_shape
    p = (M,) if persons_each else ()
    return {"joint": (V,) + p, "channel-joint": (B, C2, V) + p, "frame": (T, V) + p}[store]


def _comm_address(comm):
    """The address of an mpi4py communicator's MPI_Comm (None: one process)."""
    if comm is None:
        return None
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ValueError("comm needs mpi4py (Debian: python3-mpi4py)") from err
    if not isinstance(comm, MPI.Comm) or comm == MPI.COMM_NULL:
        raise ValueError(f"comm must be an mpi4py communicator, not {comm!r}")
    return ctypes.c_void_p(MPI._addressof(comm))


def _set_progress(h, pr):
    """The progress callback of one call (dshap_explainer_set_progress)."""
    lib.dshap_explainer_set_progress(h, pr.c if pr is not None else _lib.PROGRESS_FN(), None)


class GradCAM:
    """Grad-CAM maps at one layer: map (N, T', V) and joint (N, V) for one class
    per sample, (N, K', T', V) and (N, K', V) for several (dshap gradcam's layout);
    classes (N, K')."""

    def __init__(self, layer, map, joint, classes):
        self.layer, self.map, self.joint, self.classes = layer, map, joint, classes


def gradcam(model, X, layer, classes="pred", variant="standard", negate=False, persons="sum", labels=None,
            block=8, memory_gib=1.0):
    """Grad-CAM of the eval-mode model at a layer (PyTorch module path)."""
    m = _model(model)
    x = m.inputs(X)
    cls = m.classes(x, classes, labels)
    o = _lib.GradcamOptions()
    lib.dshap_gradcam_options_default(ctypes.byref(o))
    o.variant, o.negate = _choice("variant", variant, _VARIANTS), int(bool(negate))
    o.persons, o.block, o.memory_gib = _choice("persons", persons, _PERSONS), block, memory_gib
    T, V = ctypes.c_int(), ctypes.c_int()
    check(lib.dshap_gradcam_layer_shape(m._h, layer.encode(), ctypes.byref(T), ctypes.byref(V)))
    n, nk = x.shape[0], cls.shape[1]
    cam = np.empty((n, nk, T.value, V.value), np.float32)
    joint = np.empty((n, nk, V.value), np.float32)
    check(lib.dshap_gradcam(m._h, layer.encode(), _fptr(x), n, nk, cls.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                            ctypes.byref(o), _fptr(cam), _fptr(joint)))
    if nk == 1:
        cam, joint = cam[:, 0], joint[:, 0]
    return GradCAM(layer, cam, joint, cls)
