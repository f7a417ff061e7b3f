"""Reliability, round two: what spepred reads and accepts (issue 21 items 3, 8, 9, 10 and the
input half of issue 19 item 4). Each test is an attack that was answered with a traceback, a
misleading message or a silently wrong prediction before its fix."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from spepred.cli import main, parse_temperatures
from spepred.errors import InvalidSmilesError, InvalidValueError, SpepredError, UnknownChemicalError

HEA = "C=CC(=O)OCCO"


@pytest.fixture(scope="module")
def model():
    from spepred.api import shipped_model_path

    return str(shipped_model_path())


@pytest.fixture(scope="module")
def predictor(model):
    from spepred.api import load_predictor

    return load_predictor(model)


def _run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(rc: int, err: str, *expected: str) -> None:
    assert rc == 2, err
    assert "Traceback" not in err
    assert err.startswith("spepred: error: "), err
    assert len(err.strip().splitlines()) == 1, err
    for text in expected:
        assert text in err, err


# -- 21.8: one start:stop:step parser, NaN and infinite parts refused ---------------------
BAD_RANGES = ["0:nan:1", "0:inf:1", "0:10:inf", "nan:10:1", "-inf:0:1", "nan", "inf"]


@pytest.mark.parametrize("value", BAD_RANGES)
def test_predict_temperature_with_nan_or_inf_parts_is_one_line(value, model, capsys):
    rc, _, err = _run(["predict", "--smiles", HEA, "--model", model, f"--temperature={value}"], capsys)
    _one_line_error(rc, err, "--temperature", repr(value), "finite")


@pytest.mark.parametrize("value", BAD_RANGES)
def test_screen_temperature_with_nan_or_inf_parts_is_one_line(value, model, tmp_path, capsys):
    argv = ["screen", "--monomers", HEA, "--model", model, "--output", str(tmp_path / "out"), "-q",
            f"--temperature={value}"]
    rc, _, err = _run(argv, capsys)
    assert rc == 2 and "Traceback" not in err, err
    assert "temperature_C" in err and repr(value) in err and "finite" in err, err
    assert "required column missing" not in err


def test_one_range_parser_for_predict_and_screen():
    from spepred.screen.spec import load_spec

    cli = parse_temperatures(["0:0.3:0.1"])
    lib = load_spec({"monomers": [HEA], "temperature_C": ["0:0.3:0.1"]})
    spec = lib.rows(np.arange(lib.n_rows))["temperature_C"].tolist()
    assert cli == spec == [0.0, 0.1, 0.2, 0.3]  # not 0.30000000000000004, stop included
    assert parse_temperatures(["-10:10:5"]) == [-10.0, -5.0, 0.0, 5.0, 10.0]


# -- 21.9: silent wrong answers ----------------------------------------------------------
def test_text_after_a_space_in_a_smiles_is_an_error_not_a_name(predictor):
    with pytest.raises(InvalidSmilesError, match="contains whitespace"):
        from spepred.chem.mol import parse_smiles

        parse_smiles(HEA + " junk text")
    table = pd.DataFrame(
        {
            "monomer_smiles": [HEA + " junk text", HEA, HEA, HEA],
            "crosslinker": ["", "PETEA junk", "C=CC(=O)OCCOC(=O)C=C junk", ""],
            "salt": ["", "", "", "[Li+].[Cl-] junk"],
        }
    )
    pred = predictor.predict(table)
    assert (pred["status"] != "ok").all(), pred["status"].tolist()
    assert "whitespace" in pred["status"].iloc[0]


def test_whitespace_smiles_in_every_entry_point(model, tmp_path, capsys):
    rc, _, err = _run(["predict", "--smiles", HEA + " junk text", "--model", model], capsys)
    _one_line_error(rc, err, "--smiles", "whitespace")
    rc, _, err = _run(["predict", "--smiles", HEA, "--crosslinker", "C=CC(=O)OCCOC(=O)C=C junk", "--model", model], capsys)
    _one_line_error(rc, err, "crosslinker")
    src = tmp_path / "in.csv"
    src.write_text(f"monomer_smiles\n{HEA} junk text\n{HEA}\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, stdout, err = _run(["predict", "--input", str(src), "--output", str(out), "--model", model], capsys)
    assert rc == 0, err
    status = pd.read_csv(out, dtype=str, keep_default_na=False)["status"].tolist()
    assert "whitespace" in status[0] and status[1] == "ok"


def test_whitespace_smiles_over_http(model):
    from fastapi.testclient import TestClient

    from spepred.server import create_app

    client = TestClient(create_app(model), raise_server_exceptions=False)
    r = client.post("/predict", json={"monomer_smiles": HEA + " junk text"})
    assert r.status_code == 422 and "whitespace" in r.text
    r = client.post("/predict", json=[{"monomer_smiles": HEA}, {"monomer_smiles": HEA, "salt": "LiTFSI junk"}])
    assert r.status_code == 200
    assert [p["status"] == "ok" for p in r.json()] == [True, False]


@pytest.mark.parametrize("option", ["--temperature", "--molality", "--mw", "--filler-wt-pct"])
def test_nan_numbers_are_refused_in_single_mode(option, model, capsys):
    argv = ["predict", "--smiles", HEA, "--model", model, option, "nan"]
    if option == "--filler-wt-pct":
        argv += ["--filler", "SiO2"]
    rc, _, err = _run(argv, capsys)
    _one_line_error(rc, err, option, "nan")


@pytest.mark.parametrize("value", [float("nan"), [20.0, float("nan")], 1j, 25 + 0j, np.complex128(25 + 3j)])
def test_nan_and_complex_temperatures_are_refused_by_keyword(value, predictor):
    with pytest.raises(InvalidValueError, match="temperature"):
        predictor.predict(smiles=HEA, temperature=value)
    with pytest.raises(InvalidValueError, match="molality"):
        predictor.predict(smiles=HEA, molality=value if not isinstance(value, list) else value[1])


def test_complex_numbers_in_a_table_are_not_cut_to_their_real_part(predictor):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ComplexWarning: "discards the imaginary part"
        temps = pd.Series([25 + 3j, 1j, 25.0], dtype=object)  # as JSON-ish cells arrive
        pred = predictor.predict(pd.DataFrame({"monomer_smiles": [HEA] * 3, "temperature_C": temps}))
    assert pred["status"].tolist()[:2] == ["temperature_C: expected a number (°C)"] * 2
    assert pred["status"].iloc[2] == "ok"


def test_a_lone_dot_is_one_line_without_numpy_warnings(model, capsys):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rc, _, err = _run(["predict", "--smiles", ".", "--model", model], capsys)
    _one_line_error(rc, err, "--smiles '.'", "no component")


# -- 19.4: names before SMILES ----------------------------------------------------------
@pytest.mark.parametrize("name", ["FOO", "NO", "CCO"])
def test_a_name_that_parses_as_smiles_is_an_unknown_name(name, model, capsys):
    from spepred.chem.resolve import resolve_crosslinkers

    resolve_crosslinkers.cache_clear()
    with pytest.raises(UnknownChemicalError, match=f"smiles:{name}"):
        resolve_crosslinkers(name)
    rc, _, err = _run(["predict", "--smiles", HEA, "--crosslinker", name, "--model", model], capsys)
    _one_line_error(rc, err, f"unknown crosslinker {name!r}", f"smiles:{name}")


def test_no_is_not_silently_none_and_suggests_none():
    from spepred.chem.resolve import resolve_crosslinkers

    with pytest.raises(UnknownChemicalError, match="did you mean 'none'"):
        resolve_crosslinkers("NO")


def test_smiles_prefix_reads_a_smiles(predictor):
    from spepred.chem.resolve import resolve_crosslinkers, resolve_salt

    assert resolve_crosslinkers("smiles:NO")[0].label == "NO"
    assert resolve_salt("smiles:[Li+].[Cl-]").smiles == "[Cl-].[Li+]"
    with pytest.raises(UnknownChemicalError):
        resolve_salt("FOO")
    # a real SMILES with bonds or rings is still read without the prefix
    assert resolve_crosslinkers("C=CC(=O)OCCOC(=O)C=C")[0].reactive_group == "acrylate"
    pred = predictor.predict(smiles=HEA, crosslinker="smiles:C=CC(=O)OCCOC(=O)C=C")
    assert pred["status"].iloc[0] == "ok"


def test_one_word_list_for_none_and_for_true_false():
    from spepred.chem import resolve
    from spepred.data import schema
    from spepred.screen import spec
    from spepred.values import FALSE_WORDS, NONE_WORDS, TRUE_WORDS, parse_bool

    assert resolve.NONE_WORDS is NONE_WORDS and spec.NONE_WORDS is NONE_WORDS
    assert schema._TRUE is TRUE_WORDS and schema._FALSE == FALSE_WORDS | {""}
    lib = spec.load_spec({"monomers": [HEA], "crosslinkers": ["n/a", "PETEA"], "plasticized": ["y", "no"]})
    rows = lib.rows(np.arange(lib.n_rows))
    assert set(rows["crosslinker"]) == {"", "PETEA"} and set(rows["plasticized"]) == {True, False}
    assert parse_bool("Y") is True and parse_bool("0") is False
