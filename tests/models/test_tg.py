"""The Tg model (issue 17): merge rule, polymer-grouped CV, intervals, persistence, bad rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from spepred.chem.resolve import matrix_key
from spepred.data.tg import merge_tg, reliability_label
from spepred.errors import ModelBundleError, SpepredError, TableValidationError
from spepred.models.tg import FPS_FILE, META_FILE, MODEL_FILE, TgConfig, TgModel
from tests.conftest import MIRROR, skip_unless_required

TG_FILE = MIRROR / "polymetrix_tg" / "Polymer_Tg.csv"
BAD_SMILES = "*C(C)(C)(C)(C)C*"  # pentavalent carbon
#: Several spellings of three polymers: rotations and repetitions of one repeat unit.
SPELLINGS = {
    "PEO": ["*CCO*", "*OCC*", "*COC*", "*CCOCCO*"],
    "polystyrene": ["*CC(*)c1ccccc1", "*C(c1ccccc1)C*"],
    "polypropylene": ["*CC(*)C", "*C(C)C*"],
}


def _raw(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["polymer", "PSMILES", "Exp_Tg(K)", "source", "number of points", "reliability", "stdev"]
    )


def test_merge_weights_rows_by_their_reports():
    raw = _raw(
        [
            ("PEO", "*CCO*", 200.0, "A", 1, "black", np.nan),
            (None, "*OCC*", 210.0, "B", 3, "gold", 5.0),
            (None, "*CCOCCO*", 240.0, "C", 1, "black", np.nan),
            ("polystyrene", "*CC(*)c1ccccc1", 373.0, "A", 2, "yellow", 2.0),
            ("bad", BAD_SMILES, 300.0, "A", 1, "black", np.nan),
            ("no Tg", "*CC(*)C", "n/a", "A", 1, "black", np.nan),
        ]
    )
    table = merge_tg(raw)
    # every input row accounted for, bad ones with the reason naming the value
    assert list(table.rows["row"]) == [1, 2, 3, 4, 5, 6]
    assert list(table.rows["status"][:4]) == ["ok"] * 4
    assert BAD_SMILES in table.rows["status"][4] and "invalid PSMILES" in table.rows["status"][4]
    assert "Exp_Tg(K)" in table.rows["status"][5] and "'n/a'" in table.rows["status"][5]
    assert [e.row for e in table.errors] == [5, 6]
    assert len(table.polymers) == 2
    peo = table.polymers.set_index("polymer_key").loc[matrix_key("*CCO*")]
    # inverse variance of each row's mean: one report 1/10², three agreeing (sd 5) 3/5²
    w = np.array([1 / 10**2, 3 / 5**2, 1 / 10**2])
    assert peo["Tg_K"] == pytest.approx(float(w @ [200, 210, 240] / w.sum()))
    # spread of all five reports: within the 3-report row (sd 5) and between the rows
    ss = 2 * 5.0**2 + (200 - 214) ** 2 + 3 * (210 - 214) ** 2 + (240 - 214) ** 2
    assert peo["stdev_K"] == pytest.approx(math.sqrt(ss / 4))
    assert (peo["n_points"], peo["reliability"], peo["n_rows"]) == (5, "gold", 3)
    assert peo["sources"] == "A;B;C" and peo["polymer"] == "PEO"
    ps = table.polymers.set_index("polymer_key").loc[matrix_key("*CC(*)c1ccccc1")]
    assert (ps["Tg_K"], ps["stdev_K"], ps["reliability"]) == (373.0, pytest.approx(2.0), "yellow")


def test_disagreeing_reports_weigh_less():
    """PEO upstream: six reports spanning 206-331 K (mean 261 K) and one of 206 K."""
    raw = _raw(
        [
            ("poly(oxyethylene)", "*CCO*", 261.191667, "Mattioni", 6, "gold", 51.679013),
            ("Polyoxyethylene", "*OCC*", 206.0, "Schrodinger", 1, "black", np.nan),
        ]
    )
    peo = merge_tg(raw).polymers.iloc[0]
    assert peo["Tg_K"] == pytest.approx(216.1, abs=0.1)  # the count-weighted mean is 253 K
    assert peo["n_points"] == 7


def test_reliability_labels_follow_the_report_count():
    assert [reliability_label(n) for n in (1, 2, 3, 9)] == ["black", "yellow", "gold", "gold"]


def test_upstream_labels_are_that_function_of_the_count():
    """The merge recomputes the label from the pooled count: true to upstream only if
    upstream's label is that function of its own count."""
    if not TG_FILE.exists():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR)")
    raw = pd.read_csv(TG_FILE)
    assert (raw["number of points"].map(reliability_label) == raw["reliability"]).all()


def test_missing_columns_are_named():
    with pytest.raises(SpepredError, match="columns \\['number of points'"):
        merge_tg(pd.DataFrame({"PSMILES": ["*CCO*"], "Exp_Tg(K)": [200.0], "stdev": [1.0], "reliability": ["black"]}))


@pytest.fixture(scope="module")
def sample():
    """A few hundred real polymers plus several spellings of three of them."""
    if not TG_FILE.exists():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR)")
    raw = pd.read_csv(TG_FILE).sample(300, random_state=0)
    extra = [(s, t) for t, group in zip((210.0, 373.0, 265.0), SPELLINGS.values()) for s in group]
    smiles = [*raw["PSMILES"], *(s for s, _ in extra)]
    tg = [*raw["Exp_Tg(K)"], *(t for _, t in extra)]
    return pd.DataFrame({"psmiles": smiles, "Tg_K": tg})


@pytest.fixture(scope="module")
def fitted(sample):
    config = TgConfig(cv_folds=3, n_jobs=1, xgb={"n_estimators": 300, "learning_rate": 0.1, "max_depth": 6})
    return TgModel(config).fit(sample["psmiles"], sample["Tg_K"])


@pytest.mark.slow
def test_no_polymer_in_two_folds(fitted):
    cv = fitted.cv_predictions_
    assert (cv.groupby("polymer_key")["fold"].nunique() == 1).all()
    for spellings in SPELLINGS.values():
        rows = cv[cv["monomer_smiles"].isin(spellings)]
        assert len(rows) == len(spellings)
        assert rows["polymer_key"].nunique() == 1 and rows["fold"].nunique() == 1


@pytest.mark.slow
def test_cross_validation_beats_the_mean(fitted):
    assert fitted.beats_baseline
    assert fitted.metrics_["r2"] > 0.5 > fitted.baseline_metrics_["r2"]


@pytest.mark.slow
def test_overfits_its_training_set(fitted, sample):
    pred = fitted.predict(sample["psmiles"])["Tg_K_pred"].to_numpy()
    train_mae = float(np.mean(np.abs(pred - sample["Tg_K"].to_numpy())))
    assert train_mae < 10.0 < fitted.metrics_["mae"]


@pytest.mark.slow
def test_intervals(fitted, sample):
    cv = fitted.cv_predictions_
    covered = ((cv["Tg_K"] >= cv["Tg_K_lo"]) & (cv["Tg_K"] <= cv["Tg_K_hi"])).mean()
    assert covered == pytest.approx(fitted.metrics_["coverage_90"])
    assert 0.8 <= covered <= 0.98
    out = fitted.predict(["*CCO*", "*CC(*)c1ccccc1", "*[Si](*)(C)C", "*c1ccc(cc1)C(=O)c1ccc(cc1)Oc1ccc(cc1)O*"])
    assert (out["Tg_K_lo"] <= out["Tg_K_pred"]).all() and (out["Tg_K_pred"] <= out["Tg_K_hi"]).all()
    lo, hi = fitted.label_range_
    assert (out["Tg_K_lo"] >= lo).all() and (out["Tg_K_hi"] <= hi).all()
    # Mondrian: each query's half-width is the quantile of its similarity bin (unless clipped)
    bins = fitted.conformal_bins_
    for r in out.itertuples():
        b = 0 if r.domain_similarity >= bins["edges"][0] else 1 if r.domain_similarity >= bins["edges"][1] else 2
        q = bins["q"][b]
        if r.Tg_K_pred - q > lo and r.Tg_K_pred + q < hi:
            assert r.Tg_K_hi - r.Tg_K_lo == pytest.approx(2 * q, rel=1e-6)
    # a training polymer is fully familiar
    assert out["domain_similarity"].iloc[0] == 1.0


@pytest.mark.slow
def test_invalid_psmiles_is_reported_not_raised(fitted):
    query = pd.Series(["*CCO*", BAD_SMILES, "", "*CC(*)c1ccccc1"], index=[10, 11, 12, 13])
    out = fitted.predict(query)
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out["status"] == "ok") == [True, False, False, True]
    assert BAD_SMILES in out.loc[11, "status"] and "invalid" in out.loc[11, "status"]
    assert "empty" in out.loc[12, "status"]
    assert out.loc[[11, 12], ["Tg_K_pred", "Tg_K_lo", "Tg_K_hi"]].isna().all().all()
    assert out.loc[[10, 13], "Tg_K_pred"].notna().all()


def test_fit_lists_every_bad_row():
    smiles = ["*CCO*", BAD_SMILES, "*CC(*)C", "*CC(*)c1ccccc1", "*CC(*)Cl", "*CC(*)(C)C(=O)OC"]
    tg = [206.0, 300.0, -5.0, 373.0, 354.0, 378.0]
    with pytest.raises(TableValidationError, match="2 row") as info:
        TgModel(TgConfig(cv_folds=2, n_jobs=1)).fit(smiles, tg)
    assert [e.row for e in info.value.errors] == [2, 3]
    assert BAD_SMILES in str(info.value)


@pytest.mark.slow
def test_save_load_round_trip(fitted, tmp_path):
    directory = fitted.save(tmp_path / "tg")
    assert sorted(p.suffix for p in directory.iterdir()) == [".json", ".npy", ".npy", ".ubj"]  # no pickle
    loaded = TgModel.load(directory)
    query = ["*CCO*", "*CC(*)c1ccccc1", "*CC(*)C#N", BAD_SMILES]
    a, b = fitted.predict(query), loaded.predict(query)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)
    assert loaded.metrics_ == json.loads((directory / META_FILE).read_text())["metrics"]
    assert loaded.config == fitted.config


@pytest.mark.parametrize("name", [MODEL_FILE, FPS_FILE])
@pytest.mark.slow
def test_an_altered_file_is_refused(fitted, tmp_path, name):
    directory = fitted.save(tmp_path / "tg")
    with open(directory / name, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelBundleError, match=f"{name} fails its SHA-256"):
        TgModel.load(directory)


def test_loading_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(ModelBundleError, match="no Tg model"):
        TgModel.load(tmp_path)
    with pytest.raises(ModelBundleError, match="not fitted"):
        TgModel().predict(["*CCO*"])


def test_too_few_polymers_for_the_folds():
    with pytest.raises(TableValidationError, match="at least 3 distinct polymers for 3-fold CV"):
        TgModel(TgConfig(cv_folds=3, n_jobs=1)).fit(["*CCO*", "*OCC*", "*CC(*)C"], [206.0, 206.0, 265.0])
