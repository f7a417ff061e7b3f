"""Boosters through libxgboost (ctypes) predict exactly what xgboost.Booster predicts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xgboost as xgb

from spepred.models import xgb_native
from spepred.models.bundle import load_bundle


@pytest.fixture(scope="module")
def bundle_dir(tiny_trained):
    return tiny_trained[0].bundle_dir


def _features(n: int, n_features: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).astype(np.float32) * 50
    X[rng.random(X.shape) < 0.3] = np.nan  # missing values take the default branch
    return X


@pytest.mark.parametrize("model", ["sigma", "esw", "strength"])
def test_native_predictions_are_bit_identical(bundle_dir, model):
    bundle = load_bundle(bundle_dir, booster_loader=xgb_native.load_booster)
    native = bundle.boosters[model]
    assert isinstance(native, xgb_native.NativeBooster)
    reference = xgb.Booster(model_file=str(bundle_dir / f"model_{model}.ubj"))
    assert native.feature_names == reference.feature_names
    X = _features(500, native.num_features())
    for rows in (X[:1], X[:7], X[:64], X[:65], X):  # one-thread twin and the main handle
        np.testing.assert_array_equal(native.inplace_predict(rows), reference.inplace_predict(rows))
    native.set_param({"nthread": 1})
    np.testing.assert_array_equal(native.inplace_predict(X), reference.inplace_predict(X))
    assert native.inplace_predict(X[:0]).shape == (0,)
    with pytest.raises(ValueError, match="Feature shape mismatch"):
        native.inplace_predict(X[:, :5])
    np.testing.assert_array_equal(xgb_native.as_xgboost(native).inplace_predict(X), reference.inplace_predict(X))


@pytest.mark.slow
def test_prediction_process_does_not_import_the_xgboost_package(bundle_dir):
    """The point of the native path: no xgboost/sklearn/scipy import on the predict path."""
    code = (
        "import sys, spepred\n"
        f"p = spepred.load_predictor({str(bundle_dir)!r})\n"
        "out = p.predict(smiles='C=CC(=O)OCCO', crosslinker='PETEA')\n"
        "assert out['status'].iloc[0] == 'ok', out['status'].iloc[0]\n"
        "print(sorted(m for m in ('xgboost', 'sklearn', 'scipy', 'mlflow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_fallback_to_the_xgboost_package(bundle_dir, monkeypatch):
    monkeypatch.setattr(xgb_native, "_LIB", None)
    monkeypatch.setattr(xgb_native, "_LIB_ERROR", "pretend libxgboost is missing")
    booster = xgb_native.load_booster(bundle_dir / "model_sigma.ubj")
    assert isinstance(booster, xgb.Booster)
