"""The hand-curated review dataset: every quote is the review's own words, values are sane."""

import math
import re

import pandas as pd
import pytest

from spepred.data.converters import convert_review, read_review_records
from tests.conftest import REVIEW, ROOT, needs_review

RECORDS = ROOT / "data" / "raw" / "review" / "records.csv"
LINEAR = ROOT / "data" / "raw" / "review" / "linear_references.csv"
SEP = " [...] "
NUMERIC = [
    "sigma_S_cm", "sigma_T_C", "esw_V", "strength_MPa", "modulus_MPa", "elongation_pct",
    "toughness_MJ_m3", "t_li", "ea_eV", "mw_g_mol", "thickness_um", "filler_wt_pct",
]
REQUIRED = [
    "ref", "system", "crosslink_class", "crosslink_type", "application", "matrix",
    "crosslinkers", "fillers", "salt", "plasticized", "sigma_S_cm", "sigma_T_C", "esw_V",
    "strength_MPa", "modulus_MPa", "elongation_pct", "t_li", "ea_eV", "quote", "notes",
]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def records():
    return pd.read_csv(RECORDS)


def test_required_columns_and_vocabularies(records):
    assert set(REQUIRED) <= set(records.columns)
    assert records["record_id"].is_unique
    assert set(records["crosslink_class"]) <= {"physical", "chemical", "none"}
    assert set(records["application"]) <= {"spe", "gpe", "cpe", "binder", "asei", "other"}
    assert records["ref"].dtype.kind == "i"
    assert 35 <= len(records) <= 60


@needs_review
@pytest.mark.parametrize("path", [RECORDS, LINEAR])
def test_every_quote_is_verbatim_in_the_review(path):
    review = _norm(REVIEW.read_text("utf-8"))
    table = pd.read_csv(path)
    missing = []
    for row in table.itertuples():
        for fragment in str(row.quote).split(SEP):
            if _norm(fragment) not in review:
                missing.append((getattr(row, "record_id", row.system), fragment[:80]))
    assert not missing, missing


def test_units_are_converted_and_plausible(records):
    for col in NUMERIC:
        assert pd.to_numeric(records[col], errors="coerce").notna().sum() == records[col].notna().sum(), col
    sigma = records["sigma_S_cm"].dropna()
    assert sigma.between(1e-9, 1e-1).all()  # S/cm, not mS/cm
    assert records["esw_V"].dropna().between(3, 7).all()
    assert records["t_li"].dropna().between(0, 1).all()


@pytest.mark.parametrize(
    ("record_id", "column", "value"),
    [
        ("pei2025-029a", "strength_MPa", 88.3),  # PTMG-HDI-BHDS
        ("pei2025-043a", "sigma_S_cm", 2.1e-4),
        ("pei2025-064a", "sigma_S_cm", 5.93e-3),
        ("pei2025-078a", "sigma_S_cm", 1.1e-3),  # 1.1 mS/cm converted
        ("pei2025-099a", "esw_V", 5.2),
        ("pei2025-100a", "strength_MPa", 10.63),
        ("pei2025-109a", "elongation_pct", 45.4),
    ],
)
def test_spot_values_match_the_text(records, record_id, column, value):
    row = records.set_index("record_id").loc[record_id]
    assert math.isclose(float(row[column]), value, rel_tol=1e-9)


def test_mislabelled_values_are_flagged_and_excluded(records):
    r = records.set_index("record_id")
    # "breaking strength (~29 MJ m-3)" is a toughness
    assert pd.isna(r.loc["pei2025-038a", "strength_MPa"])
    assert r.loc["pei2025-038a", "toughness_MJ_m3"] == 29
    # 7.0e-4 mS/cm for a gel with liquid electrolyte: kept as said, excluded from training
    assert "sigma_S_cm" in r.loc["pei2025-122a", "excluded_labels"]
    table, _ = convert_review(read_review_records())
    rows = table.set_index("record_id")
    assert math.isnan(rows.loc["pei2025-122a", "log10_sigma_S_cm"])
    assert math.isnan(rows.loc["pei2025-079a", "esw_V"])  # a charging voltage, not a window


def test_linear_peo_reference_values():
    lin = pd.read_csv(LINEAR)
    sigma = lin[lin["property"] == "sigma_S_cm"]
    assert ((sigma["value_low"] == 1e-7) & (sigma["value_high"] == 1e-5)).any()
    assert (lin["property"] == "esw_V").any()


def test_review_rows_map_into_the_formulation_table():
    table, notes = convert_review(read_review_records())
    # 10: the review states the temperature of only some of its σ values (the rest stay out)
    assert table["log10_sigma_S_cm"].notna().sum() >= 10
    assert table["esw_V"].notna().sum() >= 5
    assert table["strength_MPa"].notna().sum() >= 5
    assert table["group"].str.startswith("pei2025:ref").all()
    # records that could not be mapped are named, not dropped silently
    n_records = len(read_review_records())
    skipped = sum(n.count("pei2025-") for n in notes if "not in the formulation table" in n)
    assert len(table) + skipped == n_records
