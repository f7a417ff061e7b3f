"""`spepred predict` through main(): exit codes, stderr text, JSON schema, batch accounting."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spepred.cli import main, parse_temperatures
from spepred.models.predictor import OUTPUT_COLUMNS
from tests.conftest import FIXTURES


@pytest.fixture
def model(tiny_trained):
    return str(tiny_trained[0].bundle_dir)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_single_prediction_table_is_readable(capsys, model):
    code, out, err = run(capsys, "predict", "--smiles", "C=CC(=O)OCCO", "--crosslinker", "PETEA", "--model", model)
    assert code == 0, err
    assert "σ (S/cm)" in out and "window (V)" in out and "strength (MPa)" in out
    assert "esw_V labels" in out  # how many labels each model had
    assert "Formulation: matrix C=CC(=O)OCCO | crosslinker PETEA" in out


def test_temperature_range_gives_a_sigma_table(capsys, model):
    code, out, _ = run(
        capsys, "predict", "--smiles", "[*]CCO[*]", "--temperature", "0:100:25", "--model", model, "--format", "csv"
    )
    assert code == 0
    table = pd.read_csv(__import__("io").StringIO(out))
    assert list(table["temperature_C"]) == [0, 25, 50, 75, 100]
    assert table["log10_sigma_S_cm_pred"].is_monotonic_increasing


def test_json_schema(capsys, model):
    code, out, _ = run(
        capsys, "predict", "--smiles", "C=CC(=O)OCCO", "--smiles", "[*]CCO[*]", "--crosslinker", "PEGDA",
        "--filler", "SiO2", "--filler-wt-pct", "5", "--salt", "LiFSI", "--molality", "1.0",
        "--plasticized", "--temperature", "25", "60", "--model", model, "--format", "json",
    )
    assert code == 0
    doc = json.loads(out)
    # neighbours_note only for a bundle without its training systems
    assert set(doc) - {"neighbours_note"} == {"model_version", "training_labels", "predictions", "neighbours"}
    assert isinstance(doc["neighbours"], list)
    assert set(doc["training_labels"]) == {"log10_sigma_S_cm", "esw_V", "strength_MPa"}
    assert len(doc["predictions"]) == 2
    for p in doc["predictions"]:
        assert set(OUTPUT_COLUMNS) <= set(p)
        assert p["status"] == "ok"
        assert p["monomer_smiles"] == "C=CC(=O)OCCO.[*]CCO[*]"
        assert p["esw_V_lo"] <= p["esw_V_pred"] <= p["esw_V_hi"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smiles", "C1CC"], "invalid --smiles 'C1CC': unclosed ring"),
        (["--smiles", "CCO", "--crosslinker", "PETA"], "unknown crosslinker 'PETA'; did you mean 'PETEA'?"),
        (["--smiles", "CCO", "--temperature", "-150"], "invalid --temperature -150: expected temperature between -100 and 300"),
        (["--smiles", "CCO", "--temperature", "400"], "invalid --temperature 400"),
        (["--smiles", "CCO", "--filler", "SiO2", "--filler-wt-pct", "-3"], "invalid --filler-wt-pct -3"),
        (["--smiles", "CCO", "--salt", "LiTFS"], "unknown salt 'LiTFS'; did you mean 'LiTFSI'?"),
        (["--smiles", "CCO", "--temperature", "0:abc"], "invalid --temperature '0:abc'"),
        (["--input", "/nonexistent/f.csv"], "invalid input file '/nonexistent/f.csv'"),
        (["--crosslinker", "PETEA"], "invalid --smiles"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, model, args, message):
    code, out, err = run(capsys, "predict", *args, "--model", model)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_verbose_shows_the_traceback(capsys, model):
    code, _, err = run(capsys, "-v", "predict", "--smiles", "C1CC", "--model", model)
    assert code == 2 and "Traceback" in err


def test_csv_without_monomer_smiles(capsys, model, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("smile,crosslinker\nCCO,PETEA\n")  # smiles (any case) is accepted
    code, _, err = run(capsys, "predict", "--input", str(bad), "--model", model)
    assert code == 2 and "monomer_smiles" in err and "required column missing" in err


def test_batch_returns_every_row_in_order(capsys, model, tmp_path):
    out = tmp_path / "pred.csv"
    src = FIXTURES / "formulations_bad_rows.csv"
    code, text, _ = run(capsys, "predict", "--input", str(src), "--output", str(out), "--model", model)
    assert code == 0
    pred = pd.read_csv(out)
    inp = pd.read_csv(src)
    assert len(pred) == len(inp)
    assert list(pred["record_id"]) == list(inp["record_id"])
    assert list(pred.columns[: len(inp.columns)]) == list(inp.columns)
    assert list(pred.columns[len(inp.columns):]) == list(OUTPUT_COLUMNS)
    ok = pred["status"] == "ok"
    assert ok.sum() >= 2 and (~ok).sum() >= 7
    assert pred.loc[ok, "log10_sigma_S_cm_pred"].notna().all()
    assert pred.loc[~ok, "log10_sigma_S_cm_pred"].isna().all()
    assert "PETEA" in pred.loc[pred["record_id"] == "bad_xl", "status"].iloc[0]
    assert "with a status explaining why not" in text


def test_missing_model_bundle_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "predict", "--smiles", "CCO", "--model", str(tmp_path / "nope"))
    assert code == 2 and "no model bundle" in err


def test_parse_temperatures():
    assert parse_temperatures(["0:20:10", "35"]) == [0, 10, 20, 35]
    assert parse_temperatures(None) == [25.0]


def test_help_is_fast_and_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("data", "featurize", "train", "predict", "serve"):
        assert cmd in out
