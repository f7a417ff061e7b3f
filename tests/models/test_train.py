"""Training on a tiny table: metrics, artifacts, MLflow run and registry, pyfunc parity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.api import load_predictor, train
from spepred.errors import TableValidationError
from spepred.models.config import TrainConfig
from spepred.models.predictor import OUTPUT_COLUMNS
from spepred.models.train import conformal_quantile, train_models
from tests.models.conftest import TINY

QUERY = pd.DataFrame(
    [
        {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "temperature_C": 60.0, "salt_molality_mol_kg": 1.0},
        {"monomer_smiles": "C1CC", "temperature_C": 25.0},
    ]
)


@pytest.mark.slow
def test_the_run_has_metrics_artifacts_and_a_registered_model(tiny_tracked):
    import mlflow

    report, uri, _ = tiny_tracked
    client = mlflow.MlflowClient(uri)
    run = client.get_run(report.run["run_id"])
    metrics = run.data.metrics
    for key in ("sigma", "esw", "strength"):
        for name in ("mae", "rmse", "r2", "spearman"):
            assert f"{key}.cv.{name}" in metrics and f"{key}.baseline.{name}" in metrics
    assert "sigma.cv.within_1_order" in metrics and "sigma.cv.coverage_90" in metrics
    assert run.data.params["data_hash"] == report.result.data_hash
    assert run.data.params["seed"] == "0"
    assert run.data.tags["lib.xgboost"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {
        "parity_log10_sigma_S_cm.png",
        "residuals_esw_V.png",
        "cv_predictions_log10_sigma_S_cm.csv",
        "feature_importance_strength_MPa.csv",
        "model_card.md",
        "config.json",
    } <= artifacts
    versions = client.search_model_versions("name='spepred'")
    assert versions and versions[0].run_id == run.info.run_id


@pytest.mark.slow
def test_registered_pyfunc_gives_the_bundle_predictions(tiny_tracked):
    import mlflow

    report, uri, _ = tiny_tracked
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(report.run["registered"])
    from_mlflow = model.predict(QUERY)
    from_bundle = load_predictor(report.bundle_dir).predict(QUERY)
    cols = list(OUTPUT_COLUMNS)
    pd.testing.assert_frame_equal(from_mlflow[cols].reset_index(drop=True), from_bundle[cols])
    assert list(from_bundle["status"][:2]) == ["ok", "ok"]
    assert "monomer_smiles" in from_bundle["status"][2]


def test_cv_is_grouped_and_reported_against_the_baseline(tiny_trained):
    report, _, _ = tiny_trained
    sigma = report.result.targets["sigma"]
    cv = sigma.cv_predictions
    assert cv.groupby("group")["fold"].nunique().max() == 1  # no group straddles folds
    assert sigma.n_groups == 7
    assert "mean baseline" in report.metrics_text
    esw = report.result.targets["esw"]
    assert esw.cv_scheme.startswith("logo")
    assert len(esw.fold_mae) == 7


def test_sigma_is_monotone_in_temperature(tiny_trained):
    report, _, _ = tiny_trained
    p = load_predictor(report.bundle_dir)
    for smi, xl in (("C=CC(=O)OCCO", "PETEA"), ("[*]CCO[*]", ""), ("C1OCCO1", "TTE")):
        curve = p.sigma_curve(range(-20, 121, 5), smiles=smi, crosslinker=xl or None)
        assert (np.diff(curve["log10_sigma_S_cm_pred"]) >= -1e-9).all()


def test_a_tiny_set_can_be_overfit():
    table = pd.read_csv(TINY)
    from spepred.data.schema import require_valid

    cfg = TrainConfig(targets=("sigma",), cv_folds=3)
    result = train_models(require_valid(table), cfg)
    target = result.targets["sigma"]
    X = result.featurizer.transform(require_valid(table)).features
    cols = [result.featurizer.feature_names.index(f) for f in target.features]
    fit = target.booster.inplace_predict(X[:, cols])
    assert np.mean(np.abs(fit - table["log10_sigma_S_cm"].to_numpy())) < 0.1


def test_bad_rows_in_user_data_fail_once_listing_all(tmp_path):
    bad = tmp_path / "bad.csv"
    table = pd.read_csv(TINY, dtype=str)
    table.loc[3, "monomer_smiles"] = "C1CC"
    table.loc[9, "temperature_C"] = "hot"
    table.loc[12, "crosslinker"] = "PETA"
    table.to_csv(bad, index=False)
    with pytest.raises(TableValidationError) as info:
        train([bad], model_dir=tmp_path / "b", track=False)
    rows = sorted({e.row for e in info.value.errors})
    assert rows == [4, 10, 13]
    assert not (tmp_path / "b").exists()


def test_conformal_quantile():
    r = np.arange(1, 20, dtype=float)  # 19 residuals: ceil(20 * 0.9) = 18th smallest
    assert conformal_quantile(r, 0.1) == 18.0
    assert conformal_quantile(np.array([1.0, 2.0]), 0.1) == 2.0


def test_crosslinked_subset_is_judged_against_the_crosslinked_mean():
    from spepred.models.train import _crosslinked_metrics

    y = np.array([0.0, 0.0, 0.0, 0.0, 5.0, 5.1, 4.9, 5.0])
    ids = pd.DataFrame({"crosslinked": [False] * 4 + [True] * 4})
    folds = [(np.array([0, 1, 4, 5]), np.array([2, 3, 6, 7])), (np.array([2, 3, 6, 7]), np.array([0, 1, 4, 5]))]
    good = _crosslinked_metrics(y, y + 0.01, folds, ids)
    assert good["n"] == 4 and good["beats_baseline"] == 1.0
    # predicting the overall mean (2.5) for crosslinked rows loses to their own mean (~5)
    bad = _crosslinked_metrics(y, np.full(8, 2.5), folds, ids)
    assert bad["beats_baseline"] == 0.0 and bad["baseline_mae"] < 0.2
    assert _crosslinked_metrics(y, y, folds, ids.assign(crosslinked=True)) == {}


def test_crosslinked_queries_are_warned_when_the_model_fails_on_crosslinked_systems(tiny_trained):
    from spepred.models.bundle import load_bundle
    from spepred.models.predictor import Predictor

    report, _, root = tiny_trained
    bundle = load_bundle(report.bundle_dir)
    bundle.targets["sigma"]["crosslinked_metrics"] = {"n": 7.0, "mae": 0.9, "baseline_mae": 0.5, "beats_baseline": 0.0}
    for t in bundle.targets.values():  # a bundle from before the per-regime verdicts
        t.pop("regime_metrics", None)
    p = Predictor(bundle)
    out = p.predict(
        pd.DataFrame(
            {
                "monomer_smiles": ["C=CC(=O)OCCO", "[*]CCO[*]"],
                "crosslinker": ["PETEA", ""],
                "temperature_C": [25.0, 25.0],
            }
        )
    )
    assert out["status"].tolist() == ["ok", "ok"]
    assert "7 crosslinked systems" in out["warnings"].iloc[0]
    assert "crosslinked systems" not in out["warnings"].iloc[1]


def test_queries_are_warned_for_the_regimes_where_the_model_loses_to_their_mean(tiny_trained):
    from spepred.models.bundle import load_bundle
    from spepred.models.predictor import Predictor

    report, _, root = tiny_trained
    bundle = load_bundle(report.bundle_dir)
    assert set(bundle.targets["sigma"]["regime_metrics"]) <= {"dry_linear", "dry_network", "gel", "composite"}
    for t in bundle.targets.values():
        t["regime_metrics"] = {}
    bundle.targets["esw"]["regime_metrics"] = {
        "gel": {"n": 37.0, "mae": 0.52, "baseline_mae": 0.50, "beats_baseline": 0.0, "coverage_90": 0.9},
        "dry_network": {"n": 14.0, "mae": 0.40, "baseline_mae": 0.54, "beats_baseline": 1.0, "coverage_90": 0.9},
    }
    bundle.targets["sigma"]["crosslinked_metrics"] = {"n": 7.0, "mae": 0.9, "baseline_mae": 0.5, "beats_baseline": 0.0}
    p = Predictor(bundle)
    out = p.predict(
        pd.DataFrame(
            {
                "monomer_smiles": ["C=CC(=O)OCCO", "C=CC(=O)OCCO"],
                "crosslinker": ["PETEA", "PETEA"],
                "plasticized": [True, False],
                "temperature_C": [25.0, 25.0],
            }
        )
    )
    assert out["status"].tolist() == ["ok", "ok"]
    gel, dry = out["warnings"].tolist()
    assert "esw_V: on the 37 gel systems" in gel and "MAE 0.52" in gel and "for a gel formulation" in gel
    assert "gel systems" not in dry and "dry network systems" not in dry
    # the per-regime verdicts replace the crosslinked one
    assert "crosslinked systems" not in gel + dry
    assert "gel" in p.regime_warnings() and "dry_network" not in p.regime_warnings()


def test_the_training_table_names_the_regimes_where_a_model_loses_to_their_mean():
    from spepred.models.report import metrics_table

    m = {"mae": 0.5, "rmse": 0.7, "r2": 0.8, "spearman": 0.9}
    t = {"n_labels": 119, "n_groups": 113, "metrics": m, "baseline_metrics": {**m, "mae": 0.6}, "beats_baseline": True,
         "cv_scheme": "logo", "crosslinked_metrics": {"n": 45.0, "mae": 0.4, "baseline_mae": 0.3, "beats_baseline": 0.0},
         "regime_metrics": {
             "gel": {"n": 53.0, "mae": 0.39, "baseline_mae": 0.46, "beats_baseline": 1.0, "coverage_90": 0.89},
             "composite": {"n": 30.0, "mae": 0.51, "baseline_mae": 0.49, "beats_baseline": 0.0, "coverage_90": 0.83},
         }}
    text = metrics_table({"esw": t})
    assert "esw_V: the model does NOT beat the regime mean on composite (30 labels, MAE 0.510 vs 0.490)" in text
    assert "gel (53" not in text and "crosslinked systems" not in text  # per regime replaces it
    old = {k: v for k, v in t.items() if k != "regime_metrics"}
    assert "on the 45 crosslinked systems" in metrics_table({"esw": old})


def test_the_curves_row_counts_curves_not_polymers():
    from spepred.models.report import metrics_rows, metrics_table

    m = {"mae": 0.5, "rmse": 0.7, "r2": 0.8, "spearman": 0.9}
    t = {"n_labels": 100, "n_groups": 4, "metrics": m, "baseline_metrics": {**m, "mae": 1.0},
         "curve_metrics": {**m, "n_groups": 30.0}, "beats_baseline": True}
    rows = {r["who"]: r["groups"] for r in metrics_rows({"sigma": t})}
    assert rows == {"model": 4, "mean baseline": 4, "model, curves": 30}
    assert "held-out σ(T) curves" in metrics_table({"sigma": {**t, "cv_scheme": "group_kfold"}})


def test_the_suite_trains_with_one_thread_and_the_default_is_set_by_environment(monkeypatch):
    """Every TrainConfig / TgConfig made in the suite uses one thread (tests/conftest.py
    sets $SPEPRED_N_JOBS=1); outside it the default is two, and a bad value is one line."""
    from spepred.errors import ConfigError
    from spepred.models.config import DEFAULT_N_JOBS, N_JOBS_ENV, TrainConfig
    from spepred.models.tg import TgConfig

    assert TrainConfig().n_jobs == TgConfig().n_jobs == 1
    monkeypatch.delenv(N_JOBS_ENV)
    assert TrainConfig().n_jobs == TgConfig().n_jobs == DEFAULT_N_JOBS == 2
    monkeypatch.setenv(N_JOBS_ENV, "many")
    with pytest.raises(ConfigError, match=r"\$SPEPRED_N_JOBS='many': expected a whole number of threads >= 1"):
        TrainConfig()


def test_unnamed_networks_count_as_crosslinked_in_training():
    """One rule for "a network" (spepred.data.regimes): a row a converter flagged as an
    unnamed network is crosslinked for training's crosslinked baseline too, not only in the
    regime table (Hatakeyama's networks name no crosslinker)."""
    from spepred.data.schema import require_valid

    table = pd.read_csv(TINY)
    linear = table.index[table["crosslink_type"] == "none"]
    table["flags"] = ""
    table.loc[linear[:5], "flags"] = "network_crosslinker_unnamed"
    n_crosslinked = int((table["crosslink_type"] != "none").sum()) + 5
    result = train_models(require_valid(table), TrainConfig(targets=("sigma",), cv_folds=3))
    assert result.targets["sigma"].crosslinked_metrics["n"] == n_crosslinked
