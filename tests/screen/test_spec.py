"""Library specs: parsing, clear errors naming the key and the value, expansion counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.screen.spec import LibrarySpecError, load_spec

HEA = "C=CC(=O)OCCO"
PEO = "[*]CCO[*]"


def test_cartesian_expansion_counts_and_order():
    lib = load_spec(
        {
            "monomers": [HEA, PEO],
            "crosslinkers": ["PETEA", "PEGDA", "none"],
            "fillers": ["none", "SiO2:5,10", {"name": "LLZO", "wt_pct": 20}],
            "salts": ["LiTFSI"],
            "temperature_C": "0:60:20",
        }
    )
    assert lib.n_rows == 2 * 3 * 4 * 1 * 4
    assert lib.shape == (2, 3, 4, 1, 4)
    table = lib.chunk(0, lib.n_rows)
    assert len(table) == lib.n_rows
    assert list(table.columns) == [
        "library_row", "monomer_smiles", "crosslinker", "filler", "filler_wt_pct", "salt", "temperature_C"
    ]
    assert table["library_row"].tolist() == list(range(lib.n_rows))
    # every combination exactly once; the first axis varies slowest, the last fastest
    combos = table.drop(columns="library_row").astype(str).drop_duplicates()
    assert len(combos) == lib.n_rows
    assert table["temperature_C"].tolist()[:5] == [0, 20, 40, 60, 0]
    assert (table["monomer_smiles"].iloc[: lib.n_rows // 2] == HEA).all()
    assert table.loc[table["filler"] == "SiO2", "filler_wt_pct"].unique().tolist() == [5, 10]
    assert table.loc[table["filler"] == "", "filler_wt_pct"].isna().all()
    assert table.loc[table["crosslinker"] == "", "crosslinker"].size == lib.n_rows // 3
    # any slice equals the same rows of the whole
    part = lib.rows(np.array([5, 77, 3]))
    pd.testing.assert_frame_equal(part.reset_index(drop=True), table.iloc[[5, 77, 3]].reset_index(drop=True))
    assert lib.unique_components() == {"monomer_smiles": 2, "crosslinker": 3, "filler": 3, "salt": 1}


def test_fingerprint_changes_with_levels_and_order():
    a = load_spec({"monomers": [HEA, PEO], "temperature_C": [25, 60]})
    assert a.fingerprint() == load_spec({"monomers": [HEA, PEO], "temperature_C": [25, 60]}).fingerprint()
    assert a.fingerprint() != load_spec({"monomers": [HEA, PEO], "temperature_C": [25, 61]}).fingerprint()
    assert a.fingerprint() != load_spec({"monomers": [PEO, HEA], "temperature_C": [25, 60]}).fingerprint()


def test_yaml_and_toml_files_and_relative_csv(tmp_path):
    (tmp_path / "mons.csv").write_text("smiles\nC=CC(=O)OCCO\n[*]CCO[*]\n")
    (tmp_path / "lib.yaml").write_text(
        "name: demo\nmonomers_csv: mons.csv\ncrosslinkers: [PETEA]\nfillers:\n  - none\n  - {name: SiO2, wt_pct: [5, 10]}\n"
        "temperature_C: [25, 60]\n"
    )
    (tmp_path / "lib.toml").write_text(
        'name = "demo"\nmonomers_csv = "mons.csv"\ncrosslinkers = ["PETEA"]\nfillers = ["none", "SiO2:5,10"]\n'
        "temperature_C = [25, 60]\n"
    )
    y, t = load_spec(tmp_path / "lib.yaml"), load_spec(tmp_path / "lib.toml")
    assert y.n_rows == t.n_rows == 2 * 1 * 3 * 2
    assert y.fingerprint() == t.fingerprint()
    assert y.name == "demo"
    # options replace the file's keys
    assert load_spec(tmp_path / "lib.yaml", overrides={"temperature_C": ["0:100:10"]}).n_rows == 2 * 3 * 11


def test_input_table_crossed_with_crosslinkers(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("record_id,monomer_smiles,crosslinker,temperature_C\na,[*]CCO[*],,25\nb,C=CC(=O)OCCO,,bad\n")
    lib = load_spec({"input": str(path), "crosslinkers": ["PETEA", "PEGDA"]})
    t = lib.chunk(0, lib.n_rows)
    assert lib.n_rows == 4
    # the input's own crosslinker column gives way to the axis; ids of the input rows kept
    assert t["crosslinker"].tolist() == ["PETEA", "PEGDA", "PETEA", "PEGDA"]
    assert t["input_record_id"].tolist() == ["a", "a", "b", "b"]
    # a column with a bad number stays text: the predictor gives that row a status
    assert t["temperature_C"].tolist() == ["25", "25", "bad", "bad"]


@pytest.mark.slow
def test_polyinfo_candidates_through_the_source_registry(mirror):
    lib = load_spec({"input": "polyinfo_candidates", "crosslinkers": ["PETEA", "PEGDA", "HDI", "TEGDMA", "none"]})
    assert lib.n_rows == 19_704 * 5
    assert lib.unique_components()["monomer_smiles"] == 821
    first = lib.chunk(0, 5)
    assert "[Cu]" not in first["monomer_smiles"].iloc[0]  # converted by the Bradford converter
    assert first["mw_g_mol"].iloc[0] == pytest.approx(1e5)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"monomers": [HEA], "temperatures": [25]}, r"unknown key 'temperatures'; did you mean 'temperature_C'\?"),
        ({"monomers": [HEA], "temperature_C": [-500]}, r"temperature_C: invalid value -500: expected temperature between -100 and 300 °C"),
        ({"monomers": [HEA], "temperature_C": ["0:100:-5"]}, r"temperature_C: invalid range '0:100:-5'"),
        ({"monomers": [HEA], "temperature_C": ["hot"]}, r"temperature_C: invalid value 'hot': expected a number \(°C\)"),
        ({"monomers": ["C(C)(C)(C)(C)C"]}, r"monomers: invalid monomer_smiles 'C\(C\)\(C\)\(C\)\(C\)C'"),
        ({"monomers": [HEA], "crosslinkers": ["PETA"]}, r"crosslinkers: unknown crosslinker 'PETA'; did you mean 'PETEA'"),
        ({"monomers": [HEA], "fillers": ["SiO3:5"]}, r"fillers: unknown filler 'SiO3'"),
        ({"monomers": [HEA], "fillers": ["SiO2:-5"]}, r"filler_wt_pct: invalid value -5: expected filler loading between 0 and 100 wt%"),
        ({"monomers": [HEA], "fillers": ["none:5"]}, r"fillers: loading \['5'\] given for no filler"),
        ({"monomers": [HEA], "salts": ["LiXYZ"]}, r"salts: .*'LiXYZ'"),
        ({"monomers": [HEA], "salt_molality_mol_kg": [True]}, r"salt_molality_mol_kg: invalid value True: expected a number"),
        ({"monomers": [HEA], "plasticized": ["maybe"]}, r"plasticized: invalid value 'maybe': expected true or false"),
        ({"monomers": [HEA], "crosslink_type": ["glue"]}, r"crosslink_type: invalid value 'glue': expected one of"),
        ({"monomers": [HEA, HEA]}, r"monomers: value 'C=CC\(=O\)OCCO' listed twice"),
        ({"monomers": []}, r"monomers: empty list"),
        ({"crosslinkers": ["PETEA"]}, r"nothing to screen: give monomers, monomers_csv or input"),
        ({"input": "nowhere.csv"}, r"input: file not found: 'nowhere.csv'"),
        ({"input": "x.csv", "monomers": [HEA]}, r"give either input .* or monomers/monomers_csv, not both"),
    ],
)
def test_spec_errors_name_key_and_value(spec, message):
    with pytest.raises(LibrarySpecError, match=message):
        load_spec(spec)


def test_every_problem_is_listed_at_once():
    with pytest.raises(LibrarySpecError) as info:
        load_spec({"monomers": ["not a smiles ("], "crosslinkers": ["PETA"], "temperature_C": [999], "colour": "red"})
    text = str(info.value)
    assert "4 problem(s)" in text
    for part in ("monomers: invalid", "unknown crosslinker 'PETA'", "temperature_C: invalid value 999", "unknown key 'colour'"):
        assert part in text


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("monomers: [C=CC(=O)OCCO\n")
    with pytest.raises(LibrarySpecError, match=r"bad.yaml: cannot parse"):
        load_spec(bad)
    with pytest.raises(LibrarySpecError, match=r"spec file not found"):
        load_spec(tmp_path / "missing.yaml")
    (tmp_path / "lib.ini").write_text("x")
    with pytest.raises(LibrarySpecError, match=r"unknown spec format '.ini'"):
        load_spec(tmp_path / "lib.ini")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(LibrarySpecError, match=r"expected a mapping of keys"):
        load_spec(tmp_path / "list.yaml")
    (tmp_path / "m.csv").write_text("name\nfoo\n")
    with pytest.raises(LibrarySpecError, match=r"monomers_csv: m.csv has no monomer_smiles or smiles column \(columns: name\)"):
        load_spec({"monomers_csv": str(tmp_path / "m.csv")})
    (tmp_path / "m2.csv").write_text("smiles\n[*]CCO[*]\nC1CC\n")
    with pytest.raises(LibrarySpecError, match=r"monomers_csv \(m2.csv\) row 2: invalid monomer_smiles 'C1CC'"):
        load_spec({"monomers_csv": str(tmp_path / "m2.csv")})
