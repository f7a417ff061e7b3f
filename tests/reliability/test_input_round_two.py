"""Reliability, round two: what spepred reads and accepts (issue 21 items 3, 8, 9, 10 and the
input half of issue 19 item 4). Each test is an attack that was answered with a traceback, a
misleading message or a silently wrong prediction before its fix."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spepred.cli import parse_temperatures
from spepred.errors import InvalidSmilesError, InvalidValueError, SpepredError, UnknownChemicalError
from tests._cli import run_cli

HEA = "C=CC(=O)OCCO"


@pytest.fixture(scope="module")
def model():
    from spepred.api import shipped_model_path

    return str(shipped_model_path())


@pytest.fixture(scope="module")
def predictor(model):
    from spepred.api import load_predictor

    return load_predictor(model)


_run = run_cli


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
    _one_line_error(rc, err, "crosslinker", "whitespace")
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
    from spepred.data import cells
    from spepred.screen import spec
    from spepred.values import FALSE_WORDS, NONE_WORDS, TRUE_WORDS, parse_bool

    assert resolve.NONE_WORDS is NONE_WORDS and spec.NONE_WORDS is NONE_WORDS
    assert cells._TRUE is TRUE_WORDS and cells._FALSE == FALSE_WORDS | {""}
    lib = spec.load_spec({"monomers": [HEA], "crosslinkers": ["n/a", "PETEA"], "plasticized": ["y", "no"]})
    rows = lib.rows(np.arange(lib.n_rows))
    assert set(rows["crosslinker"]) == {"", "PETEA"} and set(rows["plasticized"]) == {True, False}
    assert parse_bool("Y") is True and parse_bool("0") is False


# -- 21.3 / 21.8 / 21.10: reading files --------------------------------------------------
def _cpu_run(argv, capsys):
    t0 = time.process_time()
    rc, out, err = _run(argv, capsys)
    return rc, out, err, time.process_time() - t0


@pytest.mark.parametrize("where", ["first_row", "third_row"])
def test_a_million_fields_under_a_one_column_header_is_refused_quickly(where, model, tmp_path, capsys):
    src = tmp_path / "wide.csv"
    wide = ",".join(["C"] * 1_000_000)
    rows = [wide] if where == "first_row" else ["CCO", "CCO", wide]
    src.write_text("monomer_smiles\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, _, err, cpu = _cpu_run(["predict", "--input", str(src), "--output", str(out), "--model", model], capsys)
    _one_line_error(rc, err, "more fields than the header" if where == "first_row" else "Expected 1 fields")
    assert not out.exists()
    assert cpu < 10, f"{cpu:.1f} CPU s (was 66 CPU s and 1.6 GB before the first row was counted)"


def test_old_mac_line_endings_are_read(model, tmp_path, capsys):
    src = tmp_path / "mac.csv"
    src.write_bytes(b"monomer_smiles,temperature_C\rCCO,25\rC=CC(=O)OCCO,60\r")
    out = tmp_path / "out.csv"
    rc, stdout, err = _run(["predict", "--input", str(src), "--output", str(out), "--model", model], capsys)
    assert rc == 0, err
    pred = pd.read_csv(out)
    assert pred["monomer_smiles"].tolist() == ["CCO", "C=CC(=O)OCCO"]
    assert pred["temperature_C"].tolist() == [25, 60] and (pred["status"] == "ok").all()


@pytest.mark.parametrize("header", ["monomer_smiles,monomer_smiles", "monomer_smiles,temperature_C,temperature_C"])
def test_duplicate_header_names_are_refused_by_name(header, model, tmp_path, capsys):
    src = tmp_path / "dup.csv"
    n = header.count(",") + 1
    src.write_text(header + "\n" + ",".join(["CCO"] + ["25"] * (n - 1)) + "\n", encoding="utf-8")
    rc, _, err = _run(["predict", "--input", str(src), "--model", model], capsys)
    name = header.split(",")[-1]
    _one_line_error(rc, err, "duplicate column names", repr(name))


def test_duplicate_names_in_parquet_and_dataframes_are_refused(predictor, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from spepred.data.schema import read_table
    from spepred.errors import TableValidationError

    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["CCO"]), pa.array(["CCC"])], names=["monomer_smiles", "monomer_smiles"]), path)
    with pytest.raises(SpepredError, match="duplicate column names.*'monomer_smiles'"):
        read_table(path)
    frame = pd.DataFrame([["CCO", "CCC"]], columns=["monomer_smiles", "monomer_smiles"])
    with pytest.raises(TableValidationError, match="duplicate column name"):
        predictor.predict(frame)


def test_input_dash_reads_standard_input(model, capsys, monkeypatch):
    import io
    import sys

    data = b"SMILES,temperature_C\nCCO,25\nC=CC(=O)OCCO,40\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc, out, err = _run(["predict", "--input", "-", "--model", model], capsys)
    assert rc == 0, err
    pred = pd.read_csv(io.StringIO(out))
    assert pred["monomer_smiles"].tolist() == ["CCO", "C=CC(=O)OCCO"] and (pred["status"] == "ok").all()


def test_smiles_column_option_and_case(model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("name,smi\nhea,C=CC(=O)OCCO\n", encoding="utf-8")
    rc, out, err = _run(["predict", "--input", str(src), "--smiles-column", "smi", "--model", model], capsys)
    assert rc == 0, err
    assert "C=CC(=O)OCCO" in out and out.rstrip().endswith((",ok", ",\"ok\""))  # pyarrow quotes text
    rc, _, err = _run(["predict", "--input", str(src), "--smiles-column", "nope", "--model", model], capsys)
    _one_line_error(rc, err, "--smiles-column 'nope'", "name, smi")
    rc, _, err = _run(["predict", "--input", str(src), "--model", model], capsys)
    assert rc == 2 and "required column missing" in err and "Traceback" not in err
    for name in ("SMILES", "Smiles", "Monomer_SMILES"):
        src.write_text(f"{name}\nC=CC(=O)OCCO\n", encoding="utf-8")
        rc, out, err = _run(["predict", "--input", str(src), "--model", model], capsys)
        assert rc == 0 and out.rstrip().endswith((",ok", ",\"ok\"")), (name, err)


@pytest.mark.slow
def test_predict_input_is_streamed_in_chunks(model, tmp_path, capsys, monkeypatch):
    from spepred.models.predictor import Predictor

    src = tmp_path / "in.csv"
    rows = ["CCO", "C=CC(=O)OCCO", "C1CC", "[*]CCO[*]", "C=CC(=O)OCCO junk"] * 3
    pd.DataFrame({"monomer_smiles": rows, "temperature_C": range(15)}).to_csv(src, index=False)
    whole = tmp_path / "whole.csv"
    rc, _, err = _run(["predict", "--input", str(src), "--output", str(whole), "--model", model], capsys)
    assert rc == 0, err
    seen: list[int] = []
    real = Predictor.predict

    def spy(self, table=None, /, **kw):
        seen.append(len(table))
        return real(self, table, **kw)

    monkeypatch.setattr(Predictor, "predict", spy)
    for out_name in ("chunked.csv", "chunked.parquet"):
        out = tmp_path / out_name
        seen.clear()
        rc, stdout, err = _run(
            ["predict", "--input", str(src), "--output", str(out), "--chunk-rows", "4", "--model", model], capsys
        )
        assert rc == 0, err
        assert seen == [4, 4, 4, 3] and "15 rows: 9 predicted" in stdout
        expected = pd.read_csv(whole)
        if out.suffix == ".csv":
            pd.testing.assert_frame_equal(pd.read_csv(out), expected)
        else:  # Parquet keeps the input cells as the text they were read as
            got = pd.read_parquet(out)
            assert got["temperature_C"].tolist() == [str(t) for t in range(15)]
            for col in ("monomer_smiles", "status", "log10_sigma_S_cm_pred", "in_domain"):
                pd.testing.assert_series_equal(got[col], expected[col], check_dtype=False)


def test_a_bad_row_in_a_later_chunk_leaves_no_output(model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("monomer_smiles\n" + "CCO\n" * 10 + "CCO,1,2\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, _, err = _run(["predict", "--input", str(src), "--output", str(out), "--chunk-rows", "3", "--model", model], capsys)
    _one_line_error(rc, err, "malformed CSV")
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))


# -- 19.4: a Unix-friendly command line ---------------------------------------------------
def test_version(capsys):
    rc, out, _ = _run(["--version"], capsys)
    assert rc == 0 and out.startswith("spepred ")


@pytest.mark.parametrize("command", [["data", "build"], ["featurize"], ["train"], ["predict"], ["screen"], ["serve"]])
@pytest.mark.parametrize("flag", ["-q", "-v", "--quiet", "--verbose"])
def test_quiet_and_verbose_on_every_subcommand(command, flag, capsys):
    rc, out, err = _run([*command, flag, "--help"], capsys)
    assert rc == 0, err
    assert "-q, --quiet" in out and "-v, --verbose" in out


def test_predict_quiet_drops_the_summary_line(model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("monomer_smiles\nCCO\n", encoding="utf-8")
    rc, out, err = _run(["-q", "predict", "--input", str(src), "--output", str(tmp_path / "o.csv"), "--model", model], capsys)
    assert rc == 0 and out == "" and err == ""


def test_the_model_is_never_taken_from_the_working_directory(tiny_trained, tmp_path, monkeypatch, capsys):
    import shutil

    from spepred import api

    monkeypatch.delenv("SPEPRED_MODEL", raising=False)
    shutil.copytree(tiny_trained[0].bundle_dir, tmp_path / "models" / "default")
    monkeypatch.chdir(tmp_path)
    assert api.default_model_path() == api.shipped_model_path()
    shipped = api.load_predictor().model_version
    tiny = api.load_predictor("models/default").model_version
    assert shipped != tiny
    rc, out, err = _run(["predict", "--smiles", HEA, "--format", "json"], capsys)
    assert rc == 0 and f'"model_version": "{shipped}"' in out
    rc, out, err = _run(["predict", "--smiles", HEA, "--format", "json", "--model", "models/default"], capsys)
    assert rc == 0 and f'"model_version": "{tiny}"' in out


# -- 21.3: a screen's size is capped before it is planned --------------------------------
def test_a_billion_formulation_spec_is_refused_before_planning(model, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["screen", "--monomers", HEA, "--temperature", "0:299.7:0.3", "--molality", "0:999:1",
            "--mw", "1:1000:1", "--output", str(out), "--model", model, "-q"]
    rc, _, err, cpu = _cpu_run(argv, capsys)
    _one_line_error(rc, err, "1,000,000,000 formulations", "10,000,000", "--max-formulations 1000000000")
    assert not out.exists() and cpu < 10


def test_the_cap_is_raised_by_a_flag_and_holds_for_a_library_object(model, tmp_path, capsys):
    from spepred import api
    from spepred.screen import LibrarySpecError, load_spec

    argv = ["screen", "--monomers", HEA, "--temperature", "0:20:10", "--output", str(tmp_path / "a"), "--model", model,
            "-q", "--no-plot"]
    rc, _, err = _run([*argv, "--max-formulations", "2"], capsys)
    _one_line_error(rc, err, "3 formulations", "limit of 2")
    rc, out, err = _run([*argv, "--max-formulations", "3"], capsys)
    assert rc == 0, err
    lib = load_spec({"monomers": [HEA], "temperature_C": ["0:20:10"]})
    with pytest.raises(LibrarySpecError, match="3 formulations"):
        api.screen(lib, output=tmp_path / "b", model=model, max_formulations=2, plot=False)


def test_an_input_table_over_the_cap_is_refused_while_read(model, tmp_path, monkeypatch, capsys):
    from spepred.data import schema
    from spepred.screen import LibrarySpecError, load_spec

    src = tmp_path / "big.csv"
    src.write_text("monomer_smiles\n" + "CCO\n" * 25, encoding="utf-8")
    monkeypatch.setattr(schema, "READ_CHUNK_ROWS", 10)
    read: list[int] = []
    real = schema.iter_table

    def spy(*a, **kw):
        for chunk in real(*a, chunk_rows=10):
            read.append(len(chunk))
            yield chunk

    monkeypatch.setattr(schema, "iter_table", spy)
    with pytest.raises(LibrarySpecError, match="more than 12 rows"):
        load_spec({"input": str(src)}, max_formulations=12)
    assert read == [10, 10]  # stopped at the chunk that crossed the cap, never read the rest
    assert load_spec({"input": str(src)}, max_formulations=25).n_rows == 25


def test_screen_input_dash_reads_standard_input(model, tmp_path, capsys, monkeypatch):
    import io
    import sys

    data = b"SMILES,temperature_C\nCCO,25\nC=CC(=O)OCCO,40\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "out"
    rc, stdout, err = _run(["screen", "--input", "-", "--output", str(out), "--model", model, "-q", "--no-plot"], capsys)
    assert rc == 0, err
    pred = pd.read_parquet(out / "predictions.parquet")
    assert pred["monomer_smiles"].tolist() == ["CCO", "C=CC(=O)OCCO"] and (pred["status"] == "ok").all()


_NUMBER_TEXT = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e-999999999", "1e999999999", "1e-400", "1e308", "-0", "0x10", "1_0",
                     "", " ", "1j", "٣", "1e", "--1"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_NUMBER_TEXT, min_size=1, max_size=4))
@example(parts=["0", "10", "5"]).via("a range: the values branch runs on every run")
@example(parts=["25"]).via("one number")
@example(parts=["0", "nan", "1"]).via("an error")
def test_the_range_parser_answers_any_text_with_values_or_one_error(parts):
    from spepred.values import MAX_RANGE_POINTS, parse_number_or_range

    text = ":".join(parts)
    try:
        values = parse_number_or_range(text, field="--temperature")
    except InvalidValueError as err:
        assert len(str(err)) < 400 and "\n" not in str(err)
        return
    assert 1 <= len(values) <= MAX_RANGE_POINTS and all(math.isfinite(v) for v in values)


def test_the_range_parser_examples_reach_both_branches():
    """The property above can fail on either branch: these inputs give values, and an error."""
    from spepred.values import parse_number_or_range

    assert parse_number_or_range("0:10:5", field="--temperature") == [0.0, 5.0, 10.0]
    assert parse_number_or_range("25", field="--temperature") == [25.0]
    with pytest.raises(InvalidValueError):
        parse_number_or_range("0:nan:1", field="--temperature")
