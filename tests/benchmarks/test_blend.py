"""benchmarks/blend_predictions.py: the blend is the mean of the two models on the rows
both predicted, and files that are not the same split are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import benchmark_fixture

blend_mod = benchmark_fixture("blend_predictions", "blend_mod")


def _preds(model: str, ids, y_true, y_pred, folds) -> pd.DataFrame:
    return pd.DataFrame(
        {"record_id": ids, "model": model, "fold": folds, "y_true": y_true, "y_pred": y_pred}
    ).set_index("record_id")


def test_blend_is_the_mean_on_common_rows(blend_mod):
    a = _preds("a", ["r1", "r2", "r3"], [-4.0, -5.0, -6.0], [-4.5, -5.0, -7.0], ["t=2", "t=2", "t=3"])
    b = _preds("b", ["r3", "r2", "r9"], [-6.0, -5.0, -3.0], [-5.0, -6.0, -3.0], ["t=3", "t=2", "t=4"])
    out = blend_mod.blend(a, b, None, ("a", "b"))
    assert sorted(out["record_id"].unique()) == ["r2", "r3"]
    mean = out[out["model"] == "mean of the two"].set_index("record_id")["y_pred"]
    np.testing.assert_allclose(mean.loc[["r2", "r3"]], [-5.5, -6.0])
    assert set(out["model"]) == {"a", "b", "mean of the two"}


def test_blend_refuses_different_rows_or_folds(blend_mod):
    a = _preds("a", ["r1"], [-4.0], [-4.5], ["t=2"])
    with pytest.raises(ValueError, match="y_true"):
        blend_mod.blend(a, _preds("b", ["r1"], [-3.0], [-4.0], ["t=2"]), None, ("a", "b"))
    with pytest.raises(ValueError, match="folds"):
        blend_mod.blend(a, _preds("b", ["r1"], [-4.0], [-4.0], ["t=5"]), None, ("a", "b"))
