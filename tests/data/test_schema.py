import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spepred.data.schema import COLUMNS, read_table, require_valid, validate_formulations
from spepred.errors import SpepredError, TableValidationError
from tests.conftest import FIXTURES

BAD = FIXTURES / "formulations_bad_rows.csv"


def test_every_bad_row_is_listed_once_validation_finishes():
    table = read_table(BAD)
    with pytest.raises(TableValidationError) as info:
        require_valid(table, source="bad.csv", require_labels=True)
    errors = info.value.errors
    by_row = {}
    for e in errors:
        by_row.setdefault(e.row, set()).add(e.column)
    assert by_row == {
        3: {"monomer_smiles"},
        4: {"crosslinker"},
        5: {"temperature_C"},
        6: {"crosslink_type"},
        7: {"salt_molality_mol_kg"},
        8: {"filler_wt_pct"},
        9: {"salt"},
        10: {"plasticized"},
        11: {"labels"},
        1: {"record_id"},
        12: {"record_id"},
    }
    text = str(info.value)
    assert "bad.csv row 4: column 'crosslinker' = 'PETA': unknown crosslinker 'PETA'; did you mean 'PETEA'?" in text
    assert "row 5: column 'temperature_C' = '-150': expected temperature between -100 and 300" in text


def test_no_row_is_lost_and_defaults_are_flagged():
    table = read_table(BAD)
    normalized, _ = validate_formulations(table, source="bad.csv")
    assert len(normalized) == len(table)
    assert list(normalized["record_id"]) == list(table["record_id"])
    assert tuple(normalized.columns[: len(COLUMNS)]) == COLUMNS
    row = normalized.iloc[0]
    assert row["crosslink_type"] == "small_molecule"  # inferred from PETEA
    assert "crosslink_type_inferred" in row["flags"]
    assert normalized.iloc[1]["salt"] == "LiClO4"


def test_minimal_table_gets_defaults():
    normalized, errors = validate_formulations(pd.DataFrame({"monomer_smiles": ["[*]CCO[*]"]}))
    assert errors == []
    row = normalized.iloc[0]
    assert row["salt"] == "LiTFSI" and row["temperature_C"] == 25.0
    assert {"salt_default", "temperature_C_default"} <= set(row["flags"].split(";"))
    assert math.isnan(row["mw_g_mol"])  # missing stays missing


def test_missing_required_column_is_one_clear_error():
    with pytest.raises(TableValidationError, match="monomer_smiles"):
        validate_formulations(pd.DataFrame({"smiles": ["CCO"]}))


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(SpepredError, match="expected an existing CSV"):
        read_table(tmp_path / "nope.csv")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("monomer_smiles,salt\nCCO,Li\xe9\n".encode("latin-1"))
    with pytest.raises(SpepredError, match="not UTF-8"):
        read_table(latin)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SpepredError, match="empty"):
        read_table(empty)


cells = st.one_of(
    st.sampled_from(["[*]CCO[*]", "C=CC(=O)OCCO", "C1CC", "", "PETA", "nan", "CC(", "PEGDA"]),
    st.text(max_size=12),
)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.none())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cells, cells, numbers, numbers), min_size=1, max_size=12))
@pytest.mark.slow
def test_every_row_is_either_valid_or_reported(rows):
    table = pd.DataFrame(rows, columns=["monomer_smiles", "crosslinker", "temperature_C", "filler_wt_pct"])
    normalized, errors = validate_formulations(table)
    assert len(normalized) == len(table)
    bad_rows = {e.row for e in errors}
    assert bad_rows <= set(range(1, len(table) + 1))
    good = np.setdiff1d(np.arange(1, len(table) + 1), list(bad_rows))
    temps = normalized["temperature_C"].to_numpy()[good - 1]
    assert np.all((temps >= -100) & (temps <= 300))
