"""XGBoost boosters for prediction through the library's C API, without ``import xgboost``.

Importing the xgboost Python package imports scikit-learn and SciPy (``xgboost.compat``):
about 1.5 s of a 3 s cold ``spepred predict``. Prediction needs four functions of
``libxgboost`` (create, load, set a parameter, predict from a dense array), so the
predictor calls them through :mod:`ctypes`, exactly as ``Booster.inplace_predict`` does:
same library, same model file, same arguments, bit-identical predictions (a test pins
that). Training, SHAP explanations and MLflow keep using the Python package.

When the shared library cannot be found or loaded (an unusual install), :func:`load_booster`
falls back to ``xgboost.Booster``, which offers the same ``inplace_predict``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import logging
import sys
import threading
from pathlib import Path

import numpy as np

from spepred.errors import ModelBundleError

log = logging.getLogger(__name__)

#: XGBoost parallelizes prediction over blocks of this many rows; fewer rows run on one
#: thread anyway, and a second OpenMP thread only waits (badly so on a busy machine).
ONE_BLOCK_ROWS = 64
_PREDICT_CONFIG = json.dumps(  # what Booster.inplace_predict sends (xgboost.core.make_jcargs)
    {
        "type": 0,
        "training": False,
        "iteration_begin": 0,
        "iteration_end": 0,
        "missing": float("nan"),
        "strict_shape": False,
        "cache_id": 0,
    }
).encode()

_c_ulong_p = ctypes.POINTER(ctypes.c_uint64)
_LIB: ctypes.CDLL | None = None
_LIB_ERROR: str | None = None
_LIB_LOCK = threading.Lock()


def _library_path() -> Path | None:
    """``libxgboost`` inside the installed xgboost package (found without importing it)."""
    spec = importlib.util.find_spec("xgboost")
    if spec is None or not spec.submodule_search_locations:
        return None
    name = {"win32": "xgboost.dll", "darwin": "libxgboost.dylib"}.get(sys.platform, "libxgboost.so")
    for root in spec.submodule_search_locations:
        path = Path(root) / "lib" / name
        if path.is_file():
            return path
    return None


def _library() -> ctypes.CDLL | None:
    """The C library with the signatures used here, or None (reason in ``_LIB_ERROR``)."""
    global _LIB, _LIB_ERROR
    with _LIB_LOCK:
        if _LIB is not None or _LIB_ERROR is not None:
            return _LIB
        path = _library_path()
        if path is None:
            _LIB_ERROR = "libxgboost not found in the xgboost package"
            return None
        try:
            lib = ctypes.CDLL(str(path))
            lib.XGBGetLastError.restype = ctypes.c_char_p
            lib.XGBGetLastError.argtypes = []
            lib.XGBoosterCreate.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.POINTER(ctypes.c_void_p)]
            lib.XGBoosterFree.argtypes = [ctypes.c_void_p]
            lib.XGBoosterLoadModel.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.XGBoosterSetParam.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
            lib.XGBoosterGetNumFeature.argtypes = [ctypes.c_void_p, _c_ulong_p]
            lib.XGBoosterGetStrFeatureInfo.argtypes = [
                ctypes.c_void_p,
                ctypes.c_char_p,
                _c_ulong_p,
                ctypes.POINTER(ctypes.POINTER(ctypes.c_char_p)),
            ]
            lib.XGBoosterPredictFromDense.argtypes = [
                ctypes.c_void_p,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_void_p,
                ctypes.POINTER(_c_ulong_p),
                _c_ulong_p,
                ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
            ]
            for fn in (
                lib.XGBoosterCreate,
                lib.XGBoosterFree,
                lib.XGBoosterLoadModel,
                lib.XGBoosterSetParam,
                lib.XGBoosterGetNumFeature,
                lib.XGBoosterGetStrFeatureInfo,
                lib.XGBoosterPredictFromDense,
            ):
                fn.restype = ctypes.c_int
        except (OSError, AttributeError) as err:
            _LIB_ERROR = f"cannot use {path}: {err}"
            return None
        _LIB = lib
        return lib


def _check(lib: ctypes.CDLL, code: int, what: str) -> None:
    if code != 0:
        raise RuntimeError(f"xgboost {what} failed: {lib.XGBGetLastError().decode(errors='replace')}")


class NativeBooster:
    """A booster loaded from a model file, predicting through ``libxgboost``.

    Offers what prediction uses of ``xgboost.Booster``: :meth:`inplace_predict`,
    :meth:`set_param` (``nthread``), :attr:`feature_names`, :meth:`num_features`.
    Safe to call from several threads at once (XGBoost's in-place prediction is).
    """

    def __init__(self, path: str | Path, lib: ctypes.CDLL) -> None:
        self.path = Path(path)
        self._lib = lib
        self._nthread: int | None = None
        self._handle = self._create()
        self._single: ctypes.c_void_p | None = None  # a one-thread twin for small inputs
        self._single_lock = threading.Lock()
        n = ctypes.c_uint64()
        _check(lib, lib.XGBoosterGetNumFeature(self._handle, ctypes.byref(n)), "GetNumFeature")
        self._n_features = int(n.value)

    def _create(self, nthread: int | None = None) -> ctypes.c_void_p:
        lib = self._lib
        handle = ctypes.c_void_p()
        _check(lib, lib.XGBoosterCreate(None, 0, ctypes.byref(handle)), "BoosterCreate")
        try:
            _check(lib, lib.XGBoosterSetParam(handle, b"validate_parameters", b"True"), "SetParam")
            _check(lib, lib.XGBoosterLoadModel(handle, str(self.path).encode()), f"loading {self.path.name}")
            if nthread is not None:
                _check(lib, lib.XGBoosterSetParam(handle, b"nthread", str(nthread).encode()), "SetParam")
        except RuntimeError:
            lib.XGBoosterFree(handle)
            raise
        return handle

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is None:
            return
        for handle in (getattr(self, "_handle", None), getattr(self, "_single", None)):
            if handle is not None:
                lib.XGBoosterFree(handle)

    @property
    def feature_names(self) -> list[str] | None:
        length = ctypes.c_uint64()
        names = ctypes.POINTER(ctypes.c_char_p)()
        _check(
            self._lib,
            self._lib.XGBoosterGetStrFeatureInfo(
                self._handle, b"feature_name", ctypes.byref(length), ctypes.byref(names)
            ),
            "GetStrFeatureInfo",
        )
        out = [names[i].decode() for i in range(length.value)]
        return out or None

    def num_features(self) -> int:
        return self._n_features

    def set_param(self, params: dict) -> None:
        """Only ``nthread`` matters for prediction; other keys go to XGBoost as given."""
        for key, value in params.items():
            _check(
                self._lib,
                self._lib.XGBoosterSetParam(self._handle, str(key).encode(), str(value).encode()),
                "SetParam",
            )
            if key in ("nthread", "n_jobs"):
                self._nthread = int(value)

    def _one_thread_handle(self) -> ctypes.c_void_p:
        if self._nthread == 1:
            return self._handle
        with self._single_lock:
            if self._single is None:
                self._single = self._create(nthread=1)
            return self._single

    def inplace_predict(self, data: np.ndarray) -> np.ndarray:
        """Predictions (float32, one per row) for a 2-D float array (NaN = missing)."""
        X = np.asarray(data)
        if X.ndim != 2 or X.shape[1] != self._n_features:
            raise ValueError(f"Feature shape mismatch, expected: {self._n_features}, got {X.shape}")
        if X.dtype != np.float32 and X.dtype != np.float64:
            X = X.astype(np.float32)
        if not X.flags.aligned:
            X = np.require(X, requirements="A")
        n = X.shape[0]
        if n == 0:
            return np.empty(0, dtype=np.float32)
        handle = self._one_thread_handle() if n <= ONE_BLOCK_ROWS else self._handle
        interface = json.dumps(X.__array_interface__).encode()
        shape = _c_ulong_p()
        dims = ctypes.c_uint64()
        preds = ctypes.POINTER(ctypes.c_float)()
        lib = self._lib
        _check(
            lib,
            lib.XGBoosterPredictFromDense(
                handle,
                interface,
                _PREDICT_CONFIG,
                None,
                ctypes.byref(shape),
                ctypes.byref(dims),
                ctypes.byref(preds),
            ),
            "prediction",
        )
        size = 1
        for i in range(dims.value):
            size *= int(shape[i])
        # the buffer belongs to the booster (reused by its next prediction): copy it
        return np.ctypeslib.as_array(preds, shape=(size,)).copy()

    def to_xgboost(self):
        """The same model as an ``xgboost.Booster`` (SHAP contributions, plots)."""
        import xgboost as xgb

        booster = xgb.Booster(model_file=str(self.path))
        if self._nthread is not None:
            booster.set_param({"nthread": self._nthread})
        return booster


def load_booster(path: str | Path):
    """A booster for prediction: :class:`NativeBooster` when ``libxgboost`` can be loaded
    directly, else ``xgboost.Booster``."""
    lib = _library()
    if lib is not None:
        try:
            return NativeBooster(path, lib)
        except RuntimeError as err:
            raise ModelBundleError(f"{Path(path).parent}: {err}") from None
    log.debug("predicting through the xgboost package: %s", _LIB_ERROR)
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster


def as_xgboost(booster):
    """``xgboost.Booster`` of a booster returned by :func:`load_booster`."""
    return booster.to_xgboost() if isinstance(booster, NativeBooster) else booster
