"""The vocabulary declared once (spepred.data.columns) and everything derived from it:
output columns, training targets, objectives, plots, the HTTP models, the MLflow input
schema, the CLI options, the library-spec keys; the validation loop over the column specs;
the liquid and crosslinker-content columns end to end."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from spepred.data import columns as C
from spepred.data.columns import FORMULATION, OUTPUT_COLUMNS, PROPERTIES
from spepred.data.validate import validate_columns, validate_formulations
from tests._cli import run_cli

HEA = "C=CC(=O)OCCO"


# -- derived artefacts: every Property ---------------------------------------------------
def test_every_property_is_in_the_outputs_targets_objectives_and_plots():
    from spepred import plots
    from spepred.models.config import TARGETS
    from spepred.screen import objectives

    assert TARGETS is PROPERTIES
    for p in PROPERTIES.values():
        assert {p.pred, p.lo, p.hi} <= set(OUTPUT_COLUMNS)
        assert p.label in C.LABELS and p.label in C.COLUMNS
        assert objectives.PROPERTIES[p.objective] is p
        assert p.objective in objectives.OBJECTIVES and p.objective in objectives.DEFAULT_RANGES
        assert plots.AXIS_LABELS[p.label] == p.axis_label
    # σ's special case is a declaration now: its quantity column follows its interval
    sigma = PROPERTIES["sigma"]
    i = OUTPUT_COLUMNS.index(sigma.hi)
    assert OUTPUT_COLUMNS[i + 1] == "sigma_S_cm_pred" == sigma.quantity_pred


def test_output_columns_are_unchanged_for_their_readers():
    from spepred.models.predictor import OUTPUT_COLUMNS as predictor_outputs

    assert predictor_outputs is OUTPUT_COLUMNS
    assert OUTPUT_COLUMNS[:10] == (
        "log10_sigma_S_cm_pred", "log10_sigma_S_cm_lo", "log10_sigma_S_cm_hi", "sigma_S_cm_pred",
        "esw_V_pred", "esw_V_lo", "esw_V_hi", "strength_MPa_pred", "strength_MPa_lo", "strength_MPa_hi",
    )
    assert OUTPUT_COLUMNS[-2:] == ("model_version", "status")


def test_every_property_and_output_is_in_the_http_response_model():
    pytest.importorskip("fastapi")
    from spepred.server import Prediction

    fields = Prediction.model_fields
    assert list(fields) == list(OUTPUT_COLUMNS)
    for p in PROPERTIES.values():
        for c in p.output_columns:
            assert fields[c].annotation == (float | None)
    assert fields["status"].is_required() and fields["in_domain"].annotation is bool


def test_every_property_is_a_cli_choice_and_a_table_column(capsys):
    from spepred.cli import _table_columns, build_parser

    screen = next(a for a in build_parser()._subparsers._group_actions[0].choices["screen"]._actions
                  if "--objective" in a.option_strings)
    assert [p.objective for p in PROPERTIES.values()] == [c for c in screen.choices if c in C.OBJECTIVE_PROPERTIES]
    assert [t[0] for t in _table_columns()] == list(PROPERTIES.values())
    code, out, _ = run_cli(["train", "--help"], capsys)
    assert code == 0 and all(k in out for k in PROPERTIES)


# -- derived artefacts: every FormulationColumn ------------------------------------------
def test_every_formulation_column_has_an_option_a_keyword_an_http_field_and_a_spec_key():
    pytest.importorskip("fastapi")
    from spepred.cli import build_parser
    from spepred.models.predictor import KWARG_COLUMNS, formulation_rows
    from spepred.screen.spec import SPEC_KEYS
    from spepred.server import Formulation

    parser = build_parser()
    predict = parser._subparsers._group_actions[0].choices["predict"]
    screen = parser._subparsers._group_actions[0].choices["screen"]
    by_option = {o: a for a in predict._actions for o in a.option_strings}
    screen_options = {o: a for a in screen._actions for o in a.option_strings}
    http = Formulation.model_fields
    for col in FORMULATION:
        assert col.option in by_option and by_option[col.option].dest == col.name, col.name
        assert col.name in http, col.name
        assert KWARG_COLUMNS[col.name] == col.name and all(KWARG_COLUMNS[a] == col.name for a in col.aliases)
        if col.spec_key:
            assert col.spec_key in SPEC_KEYS, col.name
        if col.screen_flag:
            assert screen_options[col.screen_flag].dest == col.spec_key
    # filler_wt_pct travels with its filler (fillers: SiO2:5,10), not on an axis of its own
    assert C.FORMULATION_BY_NAME["filler_wt_pct"].spec_key is None
    assert http["monomer_smiles"].is_required() and http["temperature_C"].default == 25.0
    rows = formulation_rows(smiles=[HEA, "[*]CCO[*]"], liquids=["EC", "DEC"], molality=1.0)
    assert rows == [{"monomer_smiles": f"{HEA}.[*]CCO[*]", "liquids": "EC;DEC", "salt_molality_mol_kg": 1.0,
                     "temperature_C": 25.0}]


def test_every_formulation_column_is_in_the_mlflow_input_schema():
    pytest.importorskip("mlflow")
    from spepred.tracking.runs import _input_schema

    schema = {c.name: c for c in _input_schema().inputs}
    assert list(schema) == list(C.FORMULATION_COLUMNS)
    kinds = {"number": "double", "bool": "boolean"}
    for col in FORMULATION:
        assert str(schema[col.name].type).lower().endswith(kinds.get(col.kind, "string")), col.name
        assert schema[col.name].required == col.required


def test_crosslink_types_are_declared_once():
    from spepred.chem.dictionary import CROSSLINK_TYPES
    from spepred.data import schema
    from spepred.featurize import blocks

    assert C.CROSSLINK_TYPES is CROSSLINK_TYPES
    assert schema.CROSSLINK_TYPE_VALUES is C.CROSSLINK_TYPE_VALUES
    assert blocks.CROSSLINK_TYPE_VALUES == C.CROSSLINK_TYPE_VALUES  # the one-hot layout of bundles


# -- the validation loop -----------------------------------------------------------------
@pytest.mark.parametrize(
    "column, bad, expected",
    [
        ("temperature_C", "hot", "expected a number (°C)"),
        ("temperature_C", "400", "expected temperature between -100 and 300 °C"),
        ("crosslinker_wt_pct", "120", "expected crosslinker content between 0 and 100 wt%"),
        ("liquid_wt_pct", "inf", "expected a finite number (wt%)"),
        ("plasticized", "maybe", "expected true or false"),
        ("crosslink_type", "glue", "expected one of h_bond"),
        ("liquids", "EC;DECX", "unknown liquid 'DECX'; did you mean 'DEC'?"),
        ("liquids", "LiTFSI", "a liquid component (solvent, plasticizer, ionic liquid), not a salt"),
        ("salt", "LiTFSX", "unknown salt 'LiTFSX'"),
        ("monomer_smiles", "C1CC", "invalid monomer_smiles 'C1CC'"),
    ],
)
def test_each_column_names_the_value_the_row_and_what_was_expected(column, bad, expected):
    table = pd.DataFrame({"monomer_smiles": [HEA, HEA, HEA]})
    table[column] = [None, bad, None] if column != "monomer_smiles" else [HEA, bad, HEA]
    _, errors = validate_columns(table, source="t.csv")
    assert [(e.row, e.column, e.value) for e in errors] == [(2, column, bad)]
    assert expected in errors[0].reason
    assert str(errors[0]).startswith(f"t.csv row 2: column '{column}' = '{bad}': ")


@pytest.mark.parametrize(
    "key, column, bad",
    [("temperature_C", "temperature_C", 400.0), ("liquid_wt_pct", "liquid_wt_pct", 101.0),
     ("liquids", "liquids", "DECX"), ("salts", "salt", "LiTFSX"), ("crosslinkers", "crosslinker", "PETA")],
)
def test_a_spec_and_a_table_refuse_a_value_in_the_same_words(key, column, bad):
    """One parser per column: a library spec is checked by the table's own column specs."""
    from spepred.screen.spec import LibrarySpecError, load_spec

    _, errors = validate_columns({"monomer_smiles": [HEA], column: [bad]})
    with pytest.raises(LibrarySpecError) as err:
        load_spec({"monomers": [HEA], key: [bad]})
    assert errors[0].reason in str(err.value)


def test_the_loop_visits_every_declared_column_once():
    from spepred.data.validate import CHECK_ORDER

    names = [c.name for c in CHECK_ORDER]
    assert sorted(names) == sorted([*C.FORMULATION_COLUMNS, *C.LABELS, *C.AUX_LABELS])


def test_small_and_large_tables_validate_alike():
    """The < 64-row loops and the per-distinct-value pandas paths give the same columns."""
    rows = pd.DataFrame({
        "monomer_smiles": [HEA, "[*]CCO[*]", "BAD(", HEA],
        "liquids": ["EC;DEC", "", "none", "TEGDME"],
        "liquid_wt_pct": ["60", None, "", 30],
        "crosslinker_wt_pct": [5.0, None, 200.0, None],
        "plasticized": ["", "yes", "no", "true"],
        "temperature_C": [25, "30", None, "x"],
    })
    small, e_small = validate_columns(rows)
    big, e_big = validate_columns(pd.concat([rows] * 20, ignore_index=True))
    for name, values in small.items():
        if name in ("record_id", "curve_id"):
            continue
        a, b = pd.Series(values), pd.Series(big[name][: len(rows)])
        assert a.equals(b) or np.allclose(a, b, equal_nan=True), name
    assert [(e.row, e.column, e.reason) for e in e_small] == [(e.row, e.column, e.reason) for e in e_big[: len(e_small)]]


# -- the new formulation columns --------------------------------------------------------
def test_liquids_reach_the_validated_frame_and_make_it_plasticized():
    table = pd.DataFrame({
        "monomer_smiles": [HEA] * 4,
        "liquids": ["EC;DEC", "O=C1OCCO1", "", ""],
        "liquid_wt_pct": [60, 40, None, None],
        "crosslinker_wt_pct": [10, None, None, 5],
        "plasticized": [None, None, "true", None],
    })
    normalized, errors = validate_formulations(table)
    assert errors == []
    for col in ("liquids", "liquid_wt_pct", "crosslinker_wt_pct"):  # the featurizer reads them from here
        assert col in normalized.columns
    assert normalized["plasticized"].tolist() == [True, True, True, False]  # plasticized alone stays valid
    assert normalized["liquids"].tolist() == ["EC;DEC", "O=C1OCCO1", "", ""]
    assert normalized["liquid_wt_pct"].iloc[0] == 60 and math.isnan(normalized["liquid_wt_pct"].iloc[2])
    assert normalized["crosslinker_wt_pct"].iloc[3] == 5
    assert "plasticized_from_liquids" in normalized["flags"].iloc[0]
    # a different liquid content is a different σ(T) curve; a dry row keeps its old key
    assert normalized["curve_id"].iloc[0] != normalized["curve_id"].iloc[2]
    dry, _ = validate_formulations(table.iloc[2:4][["monomer_smiles"]].reset_index(drop=True))
    assert normalized["curve_id"].iloc[2] == dry["curve_id"].iloc[0]


def test_liquids_contradicting_plasticized_and_unnamed_contents_are_row_errors():
    table = pd.DataFrame({
        "monomer_smiles": [HEA] * 3,
        "liquids": ["EC", "", ""],
        "liquid_wt_pct": [None, 30, 30],
        "plasticized": ["false", "", "true"],
    })
    _, errors = validate_columns(table, source="gel.csv")
    assert [(e.row, e.column) for e in errors] == [(1, "plasticized"), (2, "liquid_wt_pct")]
    assert "liquids 'EC' are given" in errors[0].reason and "expected true" in errors[0].reason
    assert "no liquids" in errors[1].reason


def test_liquid_names_and_smiles_resolve_through_the_dictionary_and_rdkit():
    from spepred.chem.resolve import resolve_liquids

    ec, dec = resolve_liquids("EC; DEC")
    assert (ec.label, ec.liquid_class) == ("EC", "carbonate") and dec.label == "DEC"
    (by_smiles,) = resolve_liquids("O=C1OCCO1")
    assert by_smiles.label == "EC" and by_smiles.smiles == ec.smiles  # a SMILES meets its name
    (dme,) = resolve_liquids("COCCOC")  # letters only, as the Hatakeyama converter writes it
    assert dme.smiles == "COCCOC"
    assert resolve_liquids("none") == ()
    (unnamed,) = resolve_liquids("liquid electrolyte")
    assert unnamed.smiles == ""


def test_cli_predict_takes_liquids(capsys):
    code, out, err = run_cli(
        ["predict", "--smiles", HEA, "--liquids", "EC;DEC", "--liquid-wt-pct", "60", "--crosslinker-wt-pct", "8",
         "--format", "json", "--neighbours", "0"], capsys,
    )
    assert code == 0, err
    (row,) = json.loads(out)["predictions"]
    assert row["liquids"] == "EC;DEC" and row["liquid_wt_pct"] == 60 and row["crosslinker_wt_pct"] == 8
    assert row["status"] == "ok"
    code, _, err = run_cli(["predict", "--smiles", HEA, "--liquids", "EC;DECX"], capsys)
    assert code == 2 and "unknown liquid 'DECX'; did you mean 'DEC'?" in err
    code, _, err = run_cli(["predict", "--smiles", HEA, "--liquid-wt-pct", "160"], capsys)
    assert code == 2 and "invalid --liquid-wt-pct 160: expected liquid content between 0 and 100 wt%" in err


def test_http_predict_takes_liquids():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from spepred.server import create_app

    client = TestClient(create_app())
    good = {"monomer_smiles": HEA, "liquids": "EC;DEC", "liquid_wt_pct": 60, "crosslinker_wt_pct": 8}
    r = client.post("/predict", json=good)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["liquids"] == "EC;DEC" and body["liquid_wt_pct"] == 60 and body["status"] == "ok"
    r = client.post("/predict", json={**good, "liquids": "DECX"})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "liquids"] and "unknown liquid 'DECX'" in detail["msg"]
    r = client.post("/predict", json=[good, {**good, "liquid_wt_pct": 120}])
    assert [b["status"] for b in r.json()][0] == "ok"
    assert "liquid_wt_pct: expected liquid content between 0 and 100 wt%" in r.json()[1]["status"]
    props = client.get("/openapi.json").json()["components"]["schemas"]["Formulation"]["properties"]
    assert {"liquids", "liquid_wt_pct", "crosslinker_wt_pct"} <= set(props)


def test_library_spec_takes_liquids():
    from spepred.screen.spec import LibrarySpecError, load_spec

    lib = load_spec({"monomers": [HEA], "liquids": ["TEGDME", "EC;DEC"], "liquid_wt_pct": [0, 60],
                     "crosslinker_wt_pct": "0:10:5"})
    rows = lib.rows(np.arange(lib.n_rows))
    assert lib.n_rows == 12 and {"liquids", "liquid_wt_pct", "crosslinker_wt_pct"} <= set(rows.columns)
    assert set(rows["liquids"]) == {"TEGDME", "EC;DEC"} and sorted(set(rows["crosslinker_wt_pct"])) == [0, 5, 10]
    normalized, errors = validate_formulations(rows)
    assert errors == [] and normalized["plasticized"].all()
    with pytest.raises(LibrarySpecError) as err:
        load_spec({"monomers": [HEA], "liquids": ["EC", "DECX"], "liquid_wt_pct": [150]})
    text = str(err.value)
    assert "liquids: unknown liquid 'DECX'" in text
    assert "liquid_wt_pct: invalid value 150: expected liquid content between 0 and 100 wt%" in text


def test_literature_converter_emits_crosslinker_content():
    from spepred.data import literature

    corpus = literature.read_literature()
    rows, _ = literature.convert_literature(corpus)
    assert "crosslinker_wt_pct" in rows.columns
    stated = corpus["crosslinker_wt_pct"].str.strip() != ""
    got = rows.set_index("record_id")["crosslinker_wt_pct"]
    for rid, value in corpus.loc[stated, ["record_id", "crosslinker_wt_pct"]].itertuples(index=False):
        if rid in got.index:
            assert got[rid] == float(value)


# -- no import cycles --------------------------------------------------------------------
@pytest.mark.parametrize(
    "module",
    ["spepred.data.columns", "spepred.data.schema", "spepred.data.validate", "spepred.models.predictor",
     "spepred.screen.spec", "spepred.screen.objectives", "spepred.tracking.runs", "spepred.cli", "spepred.api"],
)
def test_each_module_imports_on_its_own(module):
    """Imported first in a fresh interpreter, so that a cycle through it cannot hide."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_declarations_import_nothing_heavy():
    code = "import sys, spepred.data.columns; print(sorted({'numpy', 'pandas', 'rdkit'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cli_screen_takes_liquid_axes(tmp_path, capsys):
    out = tmp_path / "screen"
    code, text, err = run_cli(
        ["screen", "--monomers", HEA, "--liquids", "EC;DEC", "TEGDME", "--liquid-wt-pct", "30", "60",
         "--workers", "1", "--no-plot", "--output", str(out)], capsys,
    )
    assert code == 0, err
    assert "liquids EC;DEC 60 wt%" in text
    pred = pd.read_parquet(out / "predictions.parquet")
    assert len(pred) == 4 and (pred["status"] == "ok").all()
    assert sorted(zip(pred["liquids"], pred["liquid_wt_pct"])) == [
        ("EC;DEC", 30.0), ("EC;DEC", 60.0), ("TEGDME", 30.0), ("TEGDME", 60.0)]
    code, _, err = run_cli(["screen", "--monomers", HEA, "--liquids", "DECX", "--output", str(tmp_path / "x")], capsys)
    assert code == 2 and "liquids: unknown liquid 'DECX'; did you mean 'DEC'?" in err


def test_the_validated_frame_hands_the_liquid_columns_to_feature_blocks(monkeypatch):
    """Blocks read their columns from the validated frame: a block keyed by ``liquids`` and
    a row block reading ``liquid_wt_pct`` see what the user gave (through a table, keywords
    or a request alike, since all three are validated the same way)."""
    from spepred.featurize import blocks
    from spepred.featurize.formulation import FeaturizerConfig, FormulationFeaturizer
    from spepred.models.predictor import _columns_of, formulation_rows

    class LiquidProbe(blocks.KeyedBlock):
        name = "liquid_probe"
        key_columns = ("liquids",)

        def _names(self):
            return ["n_liquids"]

        def compute(self, liquids: str) -> np.ndarray:
            from spepred.chem.resolve import resolve_liquids

            return np.array([len(resolve_liquids(liquids))], dtype=np.float32)

    monkeypatch.setitem(blocks.BLOCKS, "liquid_probe", LiquidProbe)
    featurizer = FormulationFeaturizer(FeaturizerConfig(blocks=("liquid_probe",)))
    rows = formulation_rows(smiles=HEA, liquids=["EC", "DEC", "FEC"], liquid_wt_pct=60)
    normalized, errors = validate_columns(_columns_of(rows))
    assert errors == [] and normalized["liquid_wt_pct"][0] == 60 and normalized["plasticized"][0]
    assert featurizer.transform(normalized).features[0, 0] == 3


def test_the_table_shows_the_properties_the_bundle_predicts(capsys):
    from spepred import api

    trained = set(api.load_predictor(None).label_counts)
    code, out, err = run_cli(["predict", "--smiles", "[*]CCO[*]", "--neighbours", "0"], capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.lstrip().startswith("T (°C)"))
    for p in PROPERTIES.values():
        assert (p.name in header) == (p.label in trained), p.key
