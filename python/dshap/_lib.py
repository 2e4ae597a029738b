"""ctypes bindings of libdshap.so (include/dshap/dshap.h).

The library is found as $DSHAP_LIBRARY (a path), else as libdshap.so.0
through the dynamic loader (`cmake --install build` puts it in
/usr/local/lib; scripts/setup.sh does that). ctypes releases the GIL for
the duration of every foreign call, so compute runs without it.

OpenBLAS picks its kernels when it is loaded. Where OpenBLAS 0.3.21 does not
know the CPU it falls back to slow SSE3 kernels; the dshap CLI re-executes
itself with OPENBLAS_CORETYPE set, a library cannot. So, unless
OPENBLAS_CORETYPE is set or DSHAP_BLAS_AUTO=0, a child process loads the
library once and asks it for the coretype (dshap_blas_coretype_hint), and
this process sets OPENBLAS_CORETYPE before loading it.
"""
import ctypes
import os
import subprocess
import sys

_PROBE = ("import ctypes, sys\n"
          "l = ctypes.CDLL(sys.argv[1])\n"
          "l.dshap_blas_coretype_hint.restype = ctypes.c_char_p\n"
          "h = l.dshap_blas_coretype_hint()\n"
          "print(h.decode() if h else '')\n")


class DshapError(RuntimeError):
    """A failure inside libdshap: str(e) is dshap's one-line message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _library_name():
    return os.environ.get("DSHAP_LIBRARY") or "libdshap.so.0"


def _coretype_hint(name):
    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("DSHAP_BLAS_AUTO") == "0":
        return None
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    hint = r.stdout.strip()
    return hint if r.returncode == 0 and hint else None


def _load():
    name = _library_name()
    hint = _coretype_hint(name)
    if hint:
        os.environ["OPENBLAS_CORETYPE"] = hint
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise ImportError(f"dshap: cannot load {name} ({e}); run scripts/setup.sh (it installs libdshap), "
                          "or set DSHAP_LIBRARY to the library's path") from None
    _declare(lib)
    st = lib.dshap_init()
    if st:
        raise DshapError(st, lib.dshap_last_error().decode())
    return lib


# ---- the C structs of dshap.h ----
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)


class Options(ctypes.Structure):
    _fields_ = [("rules", ctypes.c_int), ("store", ctypes.c_int), ("persons_each", ctypes.c_int),
                ("chunk", ctypes.c_int), ("block", ctypes.c_int), ("memory_gib", ctypes.c_double),
                ("threads", ctypes.c_int), ("progress", PROGRESS_FN), ("progress_user", ctypes.c_void_p)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("num_class", ctypes.c_int), ("input_shape", ctypes.c_int64 * 5), ("sample_size", ctypes.c_int64)]


class ImportOptions(ctypes.Structure):
    _fields_ = [("input", ctypes.c_char_p), ("layout", ctypes.c_char_p), ("name", ctypes.c_char_p)]


class GradcamOptions(ctypes.Structure):
    _fields_ = [("variant", ctypes.c_int), ("negate", ctypes.c_int), ("persons", ctypes.c_int),
                ("block", ctypes.c_int), ("memory_gib", ctypes.c_double)]


def _declare(lib):
    P, I, I64, F = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.POINTER(ctypes.c_float)
    I32 = ctypes.POINTER(ctypes.c_int32)
    sigs = {
        "dshap_init": (I, []),
        "dshap_version": (ctypes.c_char_p, []),
        "dshap_blas_core": (ctypes.c_char_p, []),
        "dshap_blas_coretype_hint": (ctypes.c_char_p, []),
        "dshap_last_error": (ctypes.c_char_p, []),
        "dshap_status_name": (ctypes.c_char_p, [I]),
        "dshap_options_default": (None, [ctypes.POINTER(Options)]),
        "dshap_gradcam_options_default": (None, [ctypes.POINTER(GradcamOptions)]),
        "dshap_model_load": (I, [ctypes.c_char_p, ctypes.POINTER(P)]),
        "dshap_model_load_memory": (I, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(P)]),
        "dshap_model_import_onnx": (I, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ImportOptions),
                                        ctypes.POINTER(P)]),
        "dshap_model_input_dims": (I, [P, ctypes.POINTER(I64)]),
        "dshap_model_free": (None, [P]),
        "dshap_model_get_info": (None, [P, ctypes.POINTER(ModelInfo)]),
        "dshap_predict": (I, [P, F, I64, F]),
        "dshap_explainer_create": (I, [P, F, I64, ctypes.POINTER(Options), ctypes.POINTER(P)]),
        "dshap_explainer_free": (None, [P]),
        "dshap_explainer_set_progress": (None, [P, PROGRESS_FN, P]),
        "dshap_explainer_set_mpi_comm": (I, [P, P]),
        "dshap_explainer_expected_value": (None, [P, ctypes.POINTER(ctypes.c_double)]),
        "dshap_explainer_store_size": (I64, [P]),
        "dshap_explain": (I, [P, F, I64, I, I32, F, F, F]),
        "dshap_explain_predicted": (I, [P, F, I64, I32, F, F, F]),
        "dshap_gradcam_layer_shape": (I, [P, ctypes.c_char_p, ctypes.POINTER(I), ctypes.POINTER(I)]),
        "dshap_gradcam": (I, [P, ctypes.c_char_p, F, I64, I, I32, ctypes.POINTER(GradcamOptions), F, F]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


lib = _load()


def check(status):
    """Raise DshapError with dshap's message for a failing status."""
    if status:
        raise DshapError(status, lib.dshap_last_error().decode())
