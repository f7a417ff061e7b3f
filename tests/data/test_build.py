import numpy as np
import pandas as pd
import pytest

from spepred.api import build_data
from spepred.data.converters import convert_bradford
from spepred.data.schema import LABELS
from tests.conftest import MIRROR, needs_mirror


@needs_mirror
def test_bradford_converter_on_the_real_file():
    rows, notes = convert_bradford(MIRROR / "bradford2023" / "clean_train_data.csv")
    raw = pd.read_csv(MIRROR / "bradford2023" / "clean_train_data.csv")
    assert len(rows) == len(raw) - raw.duplicated().sum()
    assert any("7 exact duplicate rows removed" in n for n in notes)
    assert not rows["monomer_smiles"].str.contains(r"\[Cu\]|\[Au\]").any()
    assert rows["monomer_smiles"].str.contains(r"\*").all()
    # ~40 upstream salt spellings -> names where the dictionary knows the salt
    assert {"LiTFSI", "LiClO4", "LiBF4", "LiPF6", "LiFSI", "none"} <= set(rows["salt"])
    assert rows["salt"].nunique() < raw["salt smiles"].nunique()
    single_ion = rows["flags"].str.contains("single_ion")
    assert (rows.loc[single_ion, "salt"] == "none").all()
    assert rows["flags"].str.contains("molality_implausible").sum() == (raw.drop_duplicates()["molality"] > 20).sum()
    # one polymer = one group; a curve never has two polymers
    assert rows.groupby("curve_id")["group"].nunique().max() == 1


def test_bradford_converter_on_a_tiny_file(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "smiles,conductivity,mw,salt smiles,molality,temperature\n"
        "[Cu]CCO[Au],-5.0,100000,O=S(=O)([N-]S(=O)(=O)C(F)(F)F)C(F)(F)F.[Li+],1.0,60\n"
        "[Cu]CCO[Au],-5.0,100000,O=S(=O)([N-]S(=O)(=O)C(F)(F)F)C(F)(F)F.[Li+],1.0,60\n"
        "[Cu]OCC[Au],-4.0,100000,O=S([N-]S(=O)(C(F)(F)F)=O)(C(F)(F)F)=O.[Li+],50,80\n"
        "[Cu]CC(C(=O)[O-])[Au],-7.0,,,,25\n"
    )
    rows, notes = convert_bradford(path)
    assert len(rows) == 3
    assert rows["group"].nunique() == 2  # two spellings of PEO are one polymer
    assert list(rows["salt"]) == ["LiTFSI", "LiTFSI", "none"]
    assert "molality_implausible" in rows["flags"].iloc[1]


@needs_mirror
@pytest.mark.slow
def test_build_from_review_and_mirror_is_idempotent(mirror, tmp_path):
    out = tmp_path / "f.parquet"
    table, card = build_data(out)
    assert set(card.rows_per_source) == {
        "pei2025_review", "bradford2023", "htpmd2022", "radonpy_pi1070", "hatakeyama2022", "literature"
    }
    assert card.labels_per_source["bradford2023"]["log10_sigma_S_cm"] > 10000
    assert card.labels_per_source["htpmd2022"]["log10_sigma_S_cm"] == 0  # simulated stays aux
    assert card.labels_per_source["htpmd2022"]["sim_log10_sigma_S_cm"] > 6000
    assert not card.missing_sources
    again, card2 = build_data(out)
    assert card2.data_hash == card.data_hash
    pd.testing.assert_frame_equal(pd.read_parquet(out), again)
    assert "data hash" in card.render()


def test_offline_without_mirror_builds_from_the_committed_sources_alone(no_mirror, tmp_path):
    table, card = build_data(tmp_path / "f.parquet")
    assert set(table["source"]) == {"pei2025_review", "literature"}  # both live in the repository
    assert set(card.missing_sources) == {"bradford2023", "htpmd2022", "radonpy_pi1070", "hatakeyama2022"}
    assert "MISSING bradford2023" in card.render()
    assert table[list(LABELS)].notna().any(axis=1).sum() >= 20
    assert np.isfinite(table["temperature_C"]).all()
