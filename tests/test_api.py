"""The Python API a notebook uses: load_predictor, predict, sigma_curve, explain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spepred
from spepred.errors import InvalidValueError, SpepredError
from spepred.models.predictor import OUTPUT_COLUMNS


@pytest.fixture(scope="module")
def predictor(tiny_trained):
    return spepred.load_predictor(tiny_trained[0].bundle_dir)


def test_shipped_default_bundle_loads_and_predicts():
    p = spepred.load_predictor()
    out = p.predict(smiles="C=CC(=O)OCCO", crosslinker="PETEA", salt="LiTFSI", temperature=25)
    assert out["status"].iloc[0] == "ok"
    assert 1e-9 < out["sigma_S_cm_pred"].iloc[0] < 1e-1
    assert p.label_counts["log10_sigma_S_cm"] > 10000


def test_keywords_and_dataframe_agree(predictor):
    a = predictor.predict(smiles="C=CC(=O)OCCO", crosslinker="PETEA", temperature=40)
    b = predictor.predict(pd.DataFrame([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "temperature_C": 40}]))
    cols = [c for c in OUTPUT_COLUMNS if c != "warnings"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_index_and_order_are_kept(predictor):
    df = pd.DataFrame(
        {"monomer_smiles": ["[*]CCO[*]", "C1CC", "C=CC(=O)OCCO"], "temperature_C": [60, 25, 25]},
        index=[10, 20, 30],
    )
    out = predictor.predict(df)
    assert list(out.index) == [10, 20, 30]
    assert list(out["status"] == "ok") == [True, False, True]


def test_sigma_curve_and_bands(predictor):
    curve = predictor.sigma_curve(range(0, 101, 20), smiles="[*]CCO[*]", salt="LiTFSI", molality=1.0)
    assert list(curve["temperature_C"]) == [0, 20, 40, 60, 80, 100]
    assert (curve["log10_sigma_S_cm_lo"] <= curve["log10_sigma_S_cm_pred"]).all()
    assert (curve["log10_sigma_S_cm_pred"] <= curve["log10_sigma_S_cm_hi"]).all()
    with pytest.raises(InvalidValueError):
        predictor.sigma_curve([], smiles="[*]CCO[*]")


def test_explain_maps_contributions_to_readable_names(predictor):
    ex = predictor.explain(smiles="C=CC(=O)OCCO", crosslinker="PETEA", temperature=60)
    assert ex["feature"].iloc[-1] == "bias"
    assert ex["description"].str.len().min() > 3
    # SHAP contributions add up to the prediction
    total = predictor.explain(smiles="C=CC(=O)OCCO", crosslinker="PETEA", temperature=60, top=10_000)["contribution"].sum()
    pred = predictor.predict(smiles="C=CC(=O)OCCO", crosslinker="PETEA", temperature=60)["log10_sigma_S_cm_pred"].iloc[0]
    assert total == pytest.approx(pred, abs=1e-3)
    with pytest.raises(SpepredError, match="unclosed ring"):
        predictor.explain(smiles="C1CC")


def test_info_reports_labels_metrics_and_version(predictor):
    info = predictor.info()
    assert info["model_version"] == predictor.model_version
    assert info["targets"]["esw_V"]["n_labels"] == 7
    assert "mae" in info["targets"]["log10_sigma_S_cm"]["metrics"]


def test_unknown_keyword_is_a_clear_error(predictor):
    with pytest.raises(InvalidValueError, match="invalid argument 'colour'"):
        predictor.predict(smiles="CCO", colour="red")


@pytest.fixture(scope="module")
def shipped():
    return spepred.load_predictor()


BASE = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0}


@settings(max_examples=25, deadline=None)
@given(
    column=st.sampled_from(["temperature_C", "salt", "crosslinker", "monomer_smiles", "salt_molality_mol_kg"]),
    data=st.data(),
)
def test_condition_columns_change_predictions(shipped, column, data):
    """A classic silent bug: a condition column that never reaches the model (checked on
    the shipped model, whose training data vary every one of these columns)."""
    predictor = shipped
    alternatives = {
        "temperature_C": st.sampled_from([-20.0, 80.0, 120.0]),
        "salt": st.sampled_from(["LiClO4", "LiBF4", "none"]),
        "crosslinker": st.sampled_from(["PEGDA", "TTE", "HDI", ""]),
        "monomer_smiles": st.sampled_from(["[*]CCO[*]", "[*]CC([*])C#N", "C1OCCO1"]),
        "salt_molality_mol_kg": st.sampled_from([0.1, 3.0]),
    }
    value = data.draw(alternatives[column])
    rows = pd.DataFrame([BASE, {**BASE, column: value}])
    out = predictor.predict(rows)
    preds = out[["log10_sigma_S_cm_pred", "esw_V_pred", "strength_MPa_pred"]].to_numpy()
    assert not np.allclose(preds[0], preds[1]), f"{column}={value!r} did not change any prediction"


#: A mixed batch: good rows, and one of each kind of bad row (every row must come back).
MIXED = [
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
    {"monomer_smiles": "[*]CCO[*]", "filler": "SiO2", "filler_wt_pct": 5.0, "salt_molality_mol_kg": 1.0, "temperature_C": 60.0},
    {"monomer_smiles": "C1CC", "crosslinker": "PETEA"},  # invalid SMILES
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETA"},  # unknown crosslinker
    {"monomer_smiles": "[*]CCO[*]", "temperature_C": -150.0},  # out of range
    {"monomer_smiles": "[*]CCO[*]", "crosslinker": "PEGDA", "crosslink_type": "covalent"},
    {"monomer_smiles": "[*]CCO[*]", "filler_wt_pct": 3.0},  # loading without filler
    {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFS"},
    {"monomer_smiles": "[*]CCO[*]", "temperature_C": "hot"},
    {"monomer_smiles": "", "crosslinker": "C1CC"},  # two problems in one row
    {"monomer_smiles": "[*]CC([*])C#N", "crosslinker": "TTE", "mw_g_mol": 1e5, "plasticized": True, "temperature_C": 80.0},
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
]


def _as_records(frame: pd.DataFrame) -> list[dict]:
    """A prediction table as JSON would carry it (NaN -> None, NumPy -> Python)."""

    def clean(v):
        if hasattr(v, "item") and not isinstance(v, str):
            v = v.item()
        return None if isinstance(v, float) and v != v else v

    return [{c: clean(v) for c, v in zip(frame.columns, row)} for row in frame.itertuples(index=False)]


def test_fast_path_and_dataframe_path_agree_on_a_mixed_batch(tiny_trained):
    """predict_records (dicts in, no DataFrame, cached building blocks) returns exactly what
    predict(DataFrame) returns, bad rows and their messages included, cold or warm."""
    cold = spepred.load_predictor(tiny_trained[0].bundle_dir)
    fast = cold.predict_records(MIXED, source="request")
    frame = spepred.load_predictor(tiny_trained[0].bundle_dir).predict(pd.DataFrame(MIXED), source="request")
    assert len(fast) == len(MIXED) == len(frame)
    # same columns: the rows' own fields (missing ones are None), then the outputs
    slow = _as_records(frame)
    assert [list(r) for r in fast] == [list(r) for r in slow]
    assert fast == slow
    statuses = [r["status"] for r in fast]
    assert statuses[0] == statuses[1] == statuses[-1] == "ok"
    assert sum(s != "ok" for s in statuses) == 8
    assert "unclosed ring" in statuses[2] and "did you mean 'PETEA'" in statuses[3]
    assert "monomer_smiles" in statuses[9] and "crosslinker" in statuses[9]
    # warm caches (same predictor again, rows in another order) change nothing
    again = cold.predict_records(MIXED[::-1], source="request")
    assert again[::-1] == fast
    # one row at a time gives the same predictions as the batch
    alone = [cold.predict_records([r], source="request")[0] for r in MIXED]
    assert [{c: r[c] for c in OUTPUT_COLUMNS} for r in alone] == [{c: r[c] for c in OUTPUT_COLUMNS} for r in fast]


def test_fast_path_strict_errors_match_the_dataframe_path(predictor):
    for row in MIXED[2:10]:
        with pytest.raises(SpepredError) as fast:
            predictor.predict_records([row], strict=True)
        with pytest.raises(SpepredError) as slow:
            predictor.predict(pd.DataFrame([row]), strict=True)
        assert str(fast.value) == str(slow.value)


def test_cached_building_block_errors_are_raised_again_each_time(predictor):
    first = predictor.predict(smiles="C1CC", crosslinker="PETEA")["status"].iloc[0]
    second = predictor.predict(smiles="C1CC", crosslinker="PETEA")["status"].iloc[0]
    assert first == second and "unclosed ring" in first
