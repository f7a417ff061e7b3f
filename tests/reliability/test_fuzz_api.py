"""Property-based fuzzing (Hypothesis) of the Python API: any text, any cell type, any mix
of columns gives either a result or one clear ``SpepredError``; batch prediction returns
every input row, in order, each either predicted or with a ``status`` saying why not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spepred.chem.mol import parse_smiles
from spepred.chem.resolve import resolve_crosslinkers, resolve_fillers, resolve_matrix, resolve_salt
from spepred.errors import InvalidSmilesError, SpepredError, TableValidationError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: SMILES building blocks: atoms (odd elements, charges, isotopes, stereo, dummy atoms and
#: dataset markers), bonds, branches, ring closures (one and two digits), dots.
TOKENS = (
    "C", "c", "N", "n", "O", "o", "S", "s", "F", "Cl", "Br", "I", "P", "B", "Si", "[Si]",
    "[*]", "*", "[Cu]", "[Au]", "[Mg]", "[Li+]", "[N-]", "[O-]", "[NH4+]", "[2H]", "[13C]",
    "[C@@H]", "[C@H]", "[U]", "[Og]", "[Xe]", "[Fe+3]", "[se]", "[te]", "[H]", "[CH2-]",
    "=", "#", "$", ":", "/", "\\", "(", ")", "1", "2", "3", "9", "%10", "%99", ".", "-", "+",
    "C=O", "OCCO", "c1ccccc1", "C(=O)O", "C=C", "N=C=O", "C1OC1", "S(=O)(=O)",
)
smiles_like = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
any_text = st.text(max_size=120)  # every unicode category, NUL and control characters
weird_text = st.one_of(
    any_text,
    st.sampled_from(["", " ", "\x00", "nan", "None", "null", "-", "∞", "1e999", "Infinity", "0x1A", "١٢", "\ufeff"]),
    st.integers(1, 8).map(lambda k: "C" * (10**k // 100 + 3990)),  # around the length cap
)
cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    weird_text,
    smiles_like,
    st.binary(max_size=16),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
REAL = ["C=CC(=O)OCCO", "[*]CCO[*]", "C1OCCO1", "[*]CC([*])C#N", "C=CC(=O)OCCOC", "CCO"]
monomers = st.one_of(st.sampled_from(REAL), smiles_like, weird_text, cells)
COLUMNS = (
    "crosslinker", "crosslink_type", "filler", "filler_wt_pct", "salt", "salt_molality_mol_kg",
    "mw_g_mol", "plasticized", "temperature_C", "record_id", "group", "flags",
    "log10_sigma_S_cm", "an_extra_column", "status", "log10_sigma_S_cm_pred",
)
good_values = {
    "crosslinker": st.sampled_from(["PETEA", "PEGDA", "HDI", "", "none", "PETEA;PEGDA", "C=CC(=O)OCCOC(=O)C=C"]),
    "salt": st.sampled_from(["LiTFSI", "LiPF6", "none", "", "[Li+].[O-]Cl(=O)(=O)=O"]),
    "temperature_C": st.floats(-100, 300),
}
row = st.fixed_dictionaries(
    {"monomer_smiles": monomers},
    optional={c: st.one_of(good_values[c], cells) if c in good_values else cells for c in COLUMNS},
)


@pytest.fixture(scope="module")
def predictor(tiny_trained):
    from spepred.api import load_predictor

    return load_predictor(tiny_trained[0].bundle_dir)


def _one_line(err: BaseException) -> None:
    text = str(err)
    assert text and "Traceback" not in text
    assert len(text) < 2000


@FUZZ
@given(st.one_of(smiles_like, weird_text, cells))
def test_parse_smiles_gives_a_molecule_or_one_clear_error(value):
    try:
        mol = parse_smiles(value, field="monomer_smiles")
    except InvalidSmilesError as err:
        _one_line(err)
        assert str(err).startswith("invalid monomer_smiles ")
    else:
        assert mol.GetNumAtoms() > 0


@FUZZ
@given(st.one_of(smiles_like, weird_text))
@pytest.mark.slow
def test_resolvers_give_a_result_or_one_clear_error(text):
    for resolver in (resolve_matrix, resolve_crosslinkers, resolve_fillers, resolve_salt):
        try:
            resolver(text)
        except SpepredError as err:
            _one_line(err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(row, min_size=1, max_size=6))
@pytest.mark.slow
def test_predict_returns_every_row_with_a_status(predictor, rows):
    table = pd.DataFrame(rows)
    table.index = [f"r{i}" for i in range(len(table))]  # the caller's index must come back
    try:
        out = predictor.predict(table)
    except TableValidationError as err:  # only when a column the schema needs is absent
        _one_line(err)
        assert "monomer_smiles" in str(err)
        return
    assert len(out) == len(table)
    assert list(out.index) == list(table.index)
    status = out["status"].iloc[:, -1] if isinstance(out["status"], pd.DataFrame) else out["status"]
    for i, s in enumerate(status):
        assert isinstance(s, str) and s, f"row {i}: empty status"
        sigma = out["log10_sigma_S_cm_pred"]
        value = (sigma.iloc[i, -1] if isinstance(sigma, pd.DataFrame) else sigma.iloc[i])
        if s == "ok":
            assert math.isfinite(value)
        else:
            assert math.isnan(value)
            assert ": " in s  # "column: reason"


@FUZZ
@given(
    smiles=st.one_of(st.sampled_from(REAL), smiles_like, weird_text),
    temperature=st.one_of(cells, st.lists(st.floats(allow_nan=True), max_size=4)),
    molality=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
)
def test_keyword_predictions_give_a_table_or_one_clear_error(predictor, smiles, temperature, molality):
    try:
        out = predictor.predict(smiles=smiles, temperature=temperature, molality=molality, strict=True)
    except SpepredError as err:
        _one_line(err)
    else:
        assert (out["status"] == "ok").all()
        assert np.isfinite(out["log10_sigma_S_cm_pred"]).all()
