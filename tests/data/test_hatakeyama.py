"""The Hatakeyama-Sato database (``hatakeyama2022``) in the formulation table."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from rdkit import Chem

from spepred.chem.polymer import canonical_polymer_smiles
from spepred.data.build import build_formulations
from spepred.data.hatakeyama import _kind, _reference_group, convert_hatakeyama
from spepred.data.schema import require_valid
from tests.conftest import MIRROR, needs_mirror, skip_unless_required

HATA = MIRROR / "hatakeyama2022"


@pytest.fixture(scope="module")
def converted():
    if not (HATA / "Composite-2022-03-16-1.csv").exists():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR)")
    return convert_hatakeyama(
        HATA / "Composite-2022-03-16-1.csv",
        HATA / "Chemical-2022-03-16.csv",
        MIRROR / "bradford2023" / "clean_train_data.csv",
    )


@pytest.mark.parametrize(
    ("smiles", "polymer", "kind"),
    [
        ("[O-][Cl+3]([O-])([O-])[O-]", False, "anion"),  # perchlorate: net charge decides
        ("O=S(=O)([N-]S(=O)(=O)C(F)(F)F)C(F)(F)F", False, "anion"),
        ("CCn1cc[n+](C)c1.O=S(=O)([N-]S(=O)(=O)C(F)(F)F)C(F)(F)F", False, "ionic_liquid"),
        ("O=C1OCCO1", False, "neutral"),
        ("*CC(*)c1ccc(S(=O)(=O)[N-]S(=O)(=O)C(F)(F)F)cc1", True, "polyanion"),
        ("*CCO*", True, "polymer"),
    ],
)
def test_components_are_classified_by_net_charge(smiles, polymer, kind):
    assert _kind(Chem.MolFromSmiles(smiles), polymer)[0] == kind


@needs_mirror
@pytest.mark.slow
def test_every_measurement_is_accounted_for(converted):
    rows, notes = converted
    line = next(n for n in notes if "measurements" in n)
    total, kept, dropped = map(int, re.findall(r"(\d+) measurements, (\d+) in the table, (\d+) dropped", line)[0])
    assert total == len(pd.read_csv(HATA / "Composite-2022-03-16-1.csv")) == kept + dropped
    assert kept == len(rows)
    reasons = dict(re.findall(r"([a-zA-Z][^:;]+): (\d+)", line.split("dropped: ", 1)[1]))
    assert sum(map(int, reasons.values())) == dropped
    assert int(reasons["no polymer (liquid electrolyte)"]) > 3000  # the liquids are not SPEs
    assert int(reasons["repeats a Bradford 2023 point"]) > 0


@needs_mirror
@pytest.mark.slow
def test_molality_from_the_mole_ratio(converted):
    rows, _ = converted
    row = rows.set_index("record_id").loc["hatakeyama2022:1"]  # PEO / LiClO4, 0.909/0.0455
    peo = canonical_polymer_smiles(Chem.MolFromSmiles("[*]CCO[*]"))
    assert row["monomer_smiles"] == peo and row["salt"] == "LiClO4"
    assert row["salt_molality_mol_kg"] == pytest.approx(0.0455 / (0.909 * 44.053e-3), rel=1e-3)
    assert not row["plasticized"] and row["group"] == "hatakeyama2022:10.1007/s11581-011-0640-5"


@needs_mirror
@pytest.mark.slow
def test_a_gel_names_its_liquid_and_its_content(converted):
    rows, _ = converted
    row = rows.set_index("record_id").loc["hatakeyama2022:100"]  # PEO / EC / LiPF6 (mol)
    assert row["plasticized"] and row["liquids"] == "O=C1OCCO1" and row["salt"] == "LiPF6"
    masses = {"EO": 0.279 * 44.053, "EC": 0.129 * 88.062, "LiPF6": 0.296 * 151.905}
    assert row["liquid_wt_pct"] == pytest.approx(100 * masses["EC"] / sum(masses.values()), rel=1e-3)
    assert row["tg_C"] == -76.0


@needs_mirror
@pytest.mark.slow
def test_groups_are_papers_and_unreferenced_rows_share_one(converted):
    rows, _ = converted
    raw = pd.read_csv(HATA / "Composite-2022-03-16-1.csv").set_index("id")
    ids = rows["record_id"].str.split(":").str[1].astype(int)
    ref = raw.loc[ids, "reference"].to_numpy()
    no_ref = ref == "not available"
    assert (rows.loc[no_ref, "group"] == "hatakeyama2022:no-reference").all()
    # one group per reference, and a curve never spans two references
    assert rows.groupby("group")["curve_id"].nunique().sum() == rows["curve_id"].nunique()
    assert rows.loc[~no_ref].groupby("group").size().size == len({_reference_group(r) for r in ref[~no_ref]})
    # spellings of one DOI are one paper
    assert _reference_group("org/10.1007/X") == _reference_group("10.1007/x") == _reference_group("0.1007/x")
    assert _reference_group("j.electacta.2013.09.151") == _reference_group("10.1016/j.electacta.2013.09.151")
    assert not rows["group"].str.contains(":j\\.", regex=True).any()  # every Elsevier DOI has its 10.1016/


@needs_mirror
@pytest.mark.slow
def test_rows_pass_the_schema_and_are_featurized(converted):
    from spepred import api

    rows, _ = converted
    sample = pd.concat([
        rows[rows["plasticized"]].head(3),
        rows[rows["flags"].str.contains("single_ion")].head(3),
        rows[~rows["plasticized"] & (rows["salt"] != "none")].head(3),
    ])
    valid = require_valid(sample, source="hatakeyama2022")
    assert len(valid) == len(sample)
    _, result = api.featurize(valid)
    assert not result.errors and result.ok.all() and result.features.shape[0] == len(sample)


@needs_mirror
@pytest.mark.slow
def test_data_build_reports_labels_per_regime(mirror):
    table, card = build_formulations(("pei2025_review", "hatakeyama2022"))
    per = card.labels_per_regime["hatakeyama2022"]
    assert per["gel"]["log10_sigma_S_cm"] > 500 and per["dry_linear"]["rows"] > 1000
    assert sum(c["rows"] for c in per.values()) == card.rows_per_source["hatakeyama2022"]
    text = card.render()
    assert "labels per regime:" in text and re.search(r"hatakeyama2022\s+gel\s+\d+", text)
    assert math.isclose(sum(card.rows_per_source.values()), len(table))
