"""The CLI under hostile files and arguments, through the real ``main()``: every run ends
with exit 0 (every row accounted for) or exit 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._cli import run_cli
from tests.reliability.test_fuzz_api import TOKENS

GOOD = "monomer_smiles,crosslinker,temperature_C\nC=CC(=O)OCCO,PETEA,25\n"


@pytest.fixture(scope="module")
def model(tiny_trained):
    return str(tiny_trained[0].bundle_dir)


_run = run_cli


def _write(path, content) -> str:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


HOSTILE_FILES = {
    # name: (file content, expected exit code, text expected on stderr or in the output)
    "missing_monomer_column": ("smi,temperature_C\nCCO,25\n", 2, "required column missing"),
    "header_only": ("monomer_smiles\n", 0, "0 rows"),
    "empty_file": ("", 2, "the file is empty"),
    "only_newlines": ("\n\n\n", 2, "the file is empty"),
    "extra_columns": ("monomer_smiles,colour,notes\nCCO,red,hi\n", 0, "1 predicted"),
    "output_column_names_in_input": ("monomer_smiles,status,log10_sigma_S_cm_pred,warnings\nCCO,x,1,y\n", 0, "1 predicted"),
    "duplicate_header_names": ("monomer_smiles,monomer_smiles\nCCO,CCC\n", 2, "duplicate column names"),
    "old_mac_line_endings": ("monomer_smiles,temperature_C\rCCO,25\rCCO,30\r", 0, "2 predicted"),
    "latin1_encoding": ("monomer_smiles,notes\nCCO,café\n".encode("latin-1"), 2, "not UTF-8 text"),
    "utf16_encoding": ("monomer_smiles\nCCO\n".encode("utf-16"), 2, "not UTF-8 text"),
    "utf8_byte_order_mark": ("\ufeffmonomer_smiles\nCCO\n".encode("utf-8"), 0, "1 predicted"),
    "nul_bytes_in_cells": (b"monomer_smiles,temperature_C\nCC\x00O,2\x005\nCCO,25\n", 0, "2 rows"),
    "ragged_rows": ("monomer_smiles,temperature_C\nCCO,25,7,8\nCCO\n", 2, "more fields than the header"),
    "ragged_later_row": ("monomer_smiles,temperature_C\nCCO,25\nCCO,25,7\n", 2, "malformed CSV"),
    "short_rows": ("monomer_smiles,temperature_C\nCCO\nCCO,25\n", 0, "2 predicted"),
    "unbalanced_quote": ('monomer_smiles,temperature_C\n"CCO,25\nCCO,25\n', 2, "malformed CSV"),
    "crlf_line_endings": ("monomer_smiles,temperature_C\r\nCCO,25\r\n", 0, "1 predicted"),
    "binary_garbage": (bytes(range(256)) * 40, 2, "cannot read"),
    "million_columns": ("monomer_smiles," + ",".join(f"c{i}" for i in range(1_000_000)) + "\n", 2, "more than 1000 columns"),
    "1001_columns": ("monomer_smiles," + ",".join(f"c{i}" for i in range(1000)) + "\nCCO" + ",1" * 1000 + "\n", 2, "more than 1000 columns"),
    "a_one_megabyte_cell": ("monomer_smiles\n" + "C" * 1_000_000 + "\nCCO\n", 0, "1 predicted, 1 with a status"),
    "hundred_thousand_star_cell": ("monomer_smiles\n" + "[*]" * 100_000 + "\n", 0, "0 predicted"),
    "numbers_out_of_range": ("monomer_smiles,temperature_C,salt_molality_mol_kg,mw_g_mol\nCCO,1e999,-1,nan\nCCO,-1e308,1e400,0\nCCO,25,1,1e5\n", 0, "1 predicted, 2 with a status"),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_hostile_csv_files(name, model, tmp_path, capsys):
    content, code, expected = HOSTILE_FILES[name]
    src = _write(tmp_path / "input.csv", content)
    out_csv = tmp_path / "predictions.csv"
    rc, out, err = _run(["predict", "--input", src, "--output", str(out_csv), "--model", model], capsys)
    assert rc == code, (out, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("spepred: error: ") and expected in err
        assert len(err.strip().splitlines()) <= 3  # one message (a table may list a few rows)
        assert not out_csv.exists()
    else:
        assert expected in out
        pred = pd.read_csv(out_csv, dtype=str, keep_default_na=False)
        table = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert len(pred) == len(table)


def test_not_a_parquet_file_and_a_directory(model, tmp_path, capsys):
    bad = _write(tmp_path / "table.parquet", b"PAR1 this is not parquet")
    rc, _, err = _run(["predict", "--input", bad, "--model", model], capsys)
    assert rc == 2 and "cannot read" in err and "Traceback" not in err
    rc, _, err = _run(["predict", "--input", str(tmp_path), "--model", model], capsys)
    assert rc == 2 and "not a directory" in err


def test_featurize_with_hostile_rows_accounts_for_every_row(tmp_path, capsys):
    rows = ["C" * 5000, "[*]" * 50, "CC\x00O", "C1CC", "CCé", "C=CC(=O)OCCO"]
    src = tmp_path / "in.csv"
    pd.DataFrame({"monomer_smiles": rows}).to_csv(src, index=False)
    out = tmp_path / "features.parquet"
    rc, _, err = _run(["featurize", "--input", str(src), "--output", str(out), "-q"], capsys)
    assert rc == 0, err
    feats = pd.read_parquet(out)
    errors = pd.read_csv(tmp_path / "features.errors.csv")
    assert set(feats["row"]) | set(errors["row"]) == set(range(1, len(rows) + 1))
    assert list(feats["row"]) == [6]


def test_train_on_a_hostile_table_lists_every_bad_row(tmp_path, capsys):
    src = tmp_path / "train.csv"
    pd.DataFrame(
        {
            "monomer_smiles": ["C" * 5000, "C1CC", "CCO", "CCO"],
            "log10_sigma_S_cm": ["-4", "-4", "inf", "1e400"],
        }
    ).to_csv(src, index=False)
    rc, _, err = _run(["train", "--data", str(src), "--model-dir", str(tmp_path / "m"), "--no-track", "-q"], capsys)
    assert rc == 2 and "Traceback" not in err
    for row in ("row 1", "row 2", "row 3", "row 4"):
        assert row in err
    assert not (tmp_path / "m").exists()


argument = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    st.text(max_size=40).filter(lambda s: "\x00" not in s),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-0", "0:100:0", "100:0:10", "0:1e9:1e-9", "a:b:c", "--", "-h"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    smiles=argument,
    crosslinker=st.one_of(st.none(), argument),
    temperature=st.one_of(st.none(), argument),
    molality=st.one_of(st.none(), argument),
    fmt=st.sampled_from(["table", "json", "csv"]),
)
def test_predict_arguments_never_crash(model, capsys, smiles, crosslinker, temperature, molality, fmt):
    argv = ["predict", "--model", model, "--format", fmt, f"--smiles={smiles}"]
    if crosslinker is not None:
        argv.append(f"--crosslinker={crosslinker}")
    if temperature is not None:
        argv.append(f"--temperature={temperature}")
    if molality is not None:
        argv.append(f"--molality={molality}")
    rc, out, err = _run(argv, capsys)
    assert rc in (0, 2), (argv, rc, err)
    assert "Traceback" not in err
    if rc == 2:
        assert err.strip(), argv
    else:
        assert out.strip()
