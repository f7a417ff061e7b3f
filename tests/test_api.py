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
