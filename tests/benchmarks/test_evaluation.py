"""The benchmark machinery (``benchmarks/evaluation.py``, ``benchmarks/anchor.py``: not in
the installed package): anchor recipe features, folds, models on the same folds."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spepred.data.schema import require_valid
from tests.conftest import TINY

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
try:  # the scripts import each other by name, as `python benchmarks/x.py` runs them
    anchor = importlib.import_module("anchor")
    evaluation = importlib.import_module("evaluation")
finally:
    sys.path.remove(str(BENCH))
ANCHOR_BITS, anchor_features = anchor.ANCHOR_BITS, anchor.anchor_features
curve_folds, fold_mae, replicate_agreement = evaluation.curve_folds, evaluation.fold_mae, evaluation.replicate_agreement
run_models, summarize, within_curve_rmse = evaluation.run_models, evaluation.summarize, evaluation.within_curve_rmse


def _tiny() -> pd.DataFrame:
    table = require_valid(pd.read_csv(TINY), source="tiny")
    return table[table["log10_sigma_S_cm"].notna()].reset_index(drop=True)


def test_anchor_features_follow_the_published_recipe():
    table = require_valid(
        pd.DataFrame(
            {
                "monomer_smiles": ["[*]CCO[*]", "[*]CCO[*]", "[*]CC([*])C(=O)OCCS(=O)(=O)[N-]S(=O)(=O)C(F)(F)F"],
                "salt": ["LiTFSI", "LiClO4", "none"],
                "salt_molality_mol_kg": [1.0, None, None],
                "mw_g_mol": [1e5, None, None],
                "temperature_C": [25.0, 60.0, 90.0],
            }
        ),
        source="test",
    )
    X = anchor_features(table)
    assert X.shape == (3, 2 * ANCHOR_BITS + 3)
    assert np.array_equal(X[0, :ANCHOR_BITS], X[1, :ANCHOR_BITS])  # same polymer
    assert not np.array_equal(X[0, ANCHOR_BITS:-3], X[1, ANCHOR_BITS:-3])  # other salt
    assert set(np.unique(X[:, : 2 * ANCHOR_BITS])) <= {0.0, 1.0}  # bit vectors
    np.testing.assert_allclose(X[:, -3], [5.0, np.log10(65000.0), np.log10(65000.0)], rtol=1e-6)
    np.testing.assert_allclose(X[:, -2], [1.0, 0.0, 0.0])  # blank molality -> 0
    np.testing.assert_allclose(X[:, -1], [25.0, 60.0, 90.0])
    assert X[2, ANCHOR_BITS:-3].sum() > 0  # single-ion polymer: the [Li+] fingerprint


@pytest.mark.slow
def test_models_run_on_the_same_folds_and_report_honestly():
    rows = _tiny()
    folds = curve_folds(rows, 3, seed=0)
    tested = np.sort(np.concatenate([f.test for f in folds]))
    assert tested.tolist() == list(range(len(rows)))
    for f in folds:  # no curve straddles train and test
        assert not set(rows["curve_id"].iloc[f.train]) & set(rows["curve_id"].iloc[f.test])
    from spepred.models.config import TrainConfig

    preds = run_models(rows, folds, config=TrainConfig(cv_folds=2), n_jobs=1)
    assert set(preds["model"]) == {"mean", "anchor", "spepred"}
    for _, g in preds.groupby("model"):
        assert sorted(g["record_id"]) == sorted(rows["record_id"])
    summary = summarize(preds).set_index("model")
    assert np.isnan(summary.loc["mean baseline", "coverage_90"])
    cov = summary.loc["spepred σ model", "coverage_90"]
    assert 0.0 <= cov <= 1.0
    sp = preds[preds["model"] == "spepred"]
    assert (sp["y_lo"] <= sp["y_pred"]).all() and (sp["y_pred"] <= sp["y_hi"]).all()
    assert fold_mae(preds).shape == (3, 3)


def test_within_curve_rmse_ignores_offsets_but_not_shapes():
    frame = pd.DataFrame({"curve_id": ["a"] * 4 + ["b"] * 4, "y_true": [0.0, 1, 2, 3, 5, 6, 7, 8]})
    assert within_curve_rmse(frame.assign(y_pred=frame["y_true"] + np.repeat([3.0, -2.0], 4))) == 0.0
    flat = within_curve_rmse(frame.assign(y_pred=0.0))
    assert np.isclose(flat, np.sqrt(np.mean(np.array([1.5, 0.5, 0.5, 1.5]) ** 2)))


def test_replicate_agreement_compares_other_curves_of_the_same_formulation():
    rows = pd.DataFrame(
        {
            "record_id": list("abcdefg"),
            "group": ["P1"] * 6 + ["P2"],
            "salt": ["LiTFSI"] * 7,
            "curve_id": ["c1", "c1", "c2", "c2", "c3", "c4", "c5"],
            "temperature_C": [25.0, 60.0, 25.2, 60.0, 25.0, 25.0, 25.0],
            # c3 is the same polymer and salt at another molality: not a replicate
            "salt_molality_mol_kg": [1.0, 1.0, 1.02, 1.02, 2.0, np.nan, 1.0],
            "log10_sigma_S_cm": [-5.0, -4.0, -6.0, -4.5, -3.0, -7.0, -5.0],
        }
    )
    preds = pd.DataFrame({"model": "spepred", "record_id": rows["record_id"], "y_pred": -5.5})
    floor = replicate_agreement(rows, preds)
    # replicate pairs: (a, c) at 25 °C and (b, d) at 60 °C; |Δ| = 1.0 and 0.5
    assert floor["rows"] == 4 and floor["curves"] == 2 and floor["polymers"] == 1
    assert np.isclose(floor["replicate_mae"], (1.0 + 1.0 + 0.5 + 0.5) / 4)
    assert np.isclose(floor["model_mae"], (0.5 + 0.5 + 1.5 + 1.0) / 4)
