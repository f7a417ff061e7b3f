"""The literature corpus (``data/raw/literature/``): its own invariants, and the checks that
keep them."""

from __future__ import annotations

import math
import re
import sys

import pandas as pd
import pytest

from spepred.data.literature import (
    LITERATURE_COLUMNS,
    LITERATURE_DIR,
    literature_problems,
    paper_key,
    read_literature,
    regime,
)
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "curation"))
import check_quotes  # noqa: E402


def _row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(LITERATURE_COLUMNS, "")
    row.update(
        record_id="lit-t-001", url="https://example.org/p", title="t", system="s",
        is_control="false", crosslink_class="chemical", crosslink_type="small_molecule",
        application="gpe", matrix="HEA", crosslinkers="PETEA", salt="LiTFSI",
        liquids="EC;DEC", plasticized="true", sigma_S_cm="1.2e-3", sigma_T_C="25",
        sigma_T_basis="stated", esw_V="4.6", quote="1.2 mS cm-1 at 25 °C [...] 4.6 V",
    )
    row.update(cells)
    return row


def test_columns_md_documents_exactly_the_declared_columns():
    text = (LITERATURE_DIR / "COLUMNS.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z_A-Z0-9]+)` \|", text, flags=re.M)
    assert tuple(documented) == LITERATURE_COLUMNS


def test_the_corpus_holds_its_invariants():
    table = read_literature()
    assert literature_problems(table) == []
    assert table["record_id"].is_unique


def test_a_good_row_passes_and_bad_rows_are_each_named():
    good = _row()
    bad = [
        _row(record_id="b1", sigma_S_cm="12"),                       # S/cm out of range
        _row(record_id="b2", crosslinkers="PETA"),                   # unknown name
        _row(record_id="b3", liquids="", plasticized="true"),        # flag without liquid
        _row(record_id="b4", bounds="sigma>"),                       # not a label column
        _row(record_id="b5", matrix="C1CC"),                         # unparsable SMILES
        _row(record_id="b6", application="gel"),                     # vocabulary
        _row(record_id="b7", sigma_T_C="", sigma_T_basis="stated"),  # no temperature
        _row(record_id="b8", liquids="LiTFSI"),                      # a salt is no liquid
    ]
    assert literature_problems(pd.DataFrame([good])) == []
    problems = literature_problems(pd.DataFrame([good, *bad]))
    for rid in ("b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"):
        assert any(p.startswith(f"{rid}:") for p in problems), (rid, problems)
    assert "did you mean 'PETEA'" in " ".join(problems)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({}, "gel"),
        ({"fillers": "LLZTO", "filler_wt_pct": "10"}, "composite"),
        ({"liquids": "", "plasticized": "false"}, "dry_network"),
        ({"liquids": "", "plasticized": "false", "crosslinkers": "", "crosslink_class": "none"}, "dry_linear"),
    ],
)
def test_regime_comes_from_the_components(cells, expected):
    assert regime(_row(**cells)) == expected


def test_papers_are_keyed_by_doi_then_url():
    assert paper_key(_row(doi="10.1/ABC")) == "doi:10.1/abc"
    assert paper_key(_row()) == "url:https://example.org/p"


@pytest.mark.parametrize(
    ("col", "value", "quote", "found"),
    [
        ("sigma_S_cm", 1.46e-3, "conductivity (1.46 × 10−3 S cm−1)", True),
        ("sigma_S_cm", 3.8e-4, "0.38mScm−1 at 293K", True),
        ("sigma_S_cm", 3.8e-5, "0.38mScm−1 at 293K", False),
        ("sigma_T_C", 20.0, "0.38mScm−1 at 293K", True),
        ("strength_MPa", 0.35, "a tensile strength of 350 kPa", True),
        ("ea_eV", 0.3, "activation energy of 28.9 kJ mol-1", True),
        ("esw_V", 4.6, "stable up to 4.7 V", False),
        ("sigma_S_cm", 1e-4, "reaches values higher than 10(-4) S cm(-1)", True),
        ("sigma_S_cm", 1e-3, "exceeding 10 \u22123 S/cm at 25 \u00b0C", True),
        ("sigma_S_cm", 1e-3, "exceeding 10 \u22124 S/cm", False),
        ("sigma_S_cm", 6.28e-4, "6.28 \u00d7 10<sup>\u22124</sup> S cm<sup>\u22121</sup>", True),
        ("sigma_S_cm", 8.37e-4, "sebesar 8,37 x 10-4 S cm-1 dan 38,81 MPa", True),
        ("sigma_S_cm", 2.39e-5, "2,39x10-5 S/cm", True),
        ("sigma_S_cm", 8.73e-4, "sebesar 8,37 x 10-4 S cm-1", False),
    ],
)
def test_label_numbers_are_looked_for_in_the_quote(col, value, quote, found):
    assert check_quotes.value_in_quote(col, value, check_quotes.numbers(quote)) is found


def test_quote_fragments_are_looked_for_in_the_saved_text(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEPRED_CURATION_CACHE", str(tmp_path))
    url = "https://example.org/abstract"
    check_quotes.source_path(url).write_text("The GPE shows 1.2 mS\u2009cm\u22121 at 25 °C.\nIt is stable to 4.6 V.")
    part = tmp_path / "part_t.csv"
    pd.DataFrame([
        _row(url=url, quote="shows 1.2 mS cm-1 at 25 °C [...] stable to 4.6 V"),
        _row(record_id="lit-t-002", url=url, quote="shows 1.2 mS cm-1 at 25 °C [...] stable to 4.9 V", esw_V="4.9"),
    ]).to_csv(part, index=False)
    _, problems = check_quotes.check_rows(part)
    assert problems == ["lit-t-002: quote fragment not in the saved text of "
                        f"{url}: 'stable to 4.9 V'"]


def test_rows_convert_with_the_label_hygiene_of_the_review():
    from spepred.data.literature import convert_literature
    from spepred.data.schema import require_valid

    table = pd.DataFrame([
        _row(),
        _row(record_id="lit-t-002", sigma_T_C="", sigma_T_basis="unstated"),
        _row(record_id="lit-t-003", esw_V="4.8", bounds="esw_V>"),
        _row(record_id="lit-t-004", strength_MPa="2.0", excluded_labels="strength_MPa",
             doi="10.1/X", fillers="LLZTO", filler_wt_pct="10", application="cpe"),
        _row(record_id="lit-t-005", matrix="not a chemical"),
        _row(record_id="lit-t-006", sigma_T_C="", sigma_T_basis="room_temperature"),
    ])
    rows, notes = convert_literature(table)
    by_id = rows.set_index("record_id")
    assert by_id.loc["lit-t-001", "log10_sigma_S_cm"] == pytest.approx(math.log10(1.2e-3))
    assert by_id.loc["lit-t-001", "esw_V"] == 4.6 and by_id.loc["lit-t-001", "liquids"] == "EC;DEC"
    assert math.isnan(by_id.loc["lit-t-002", "log10_sigma_S_cm"])
    assert "sigma_temperature_unstated" in by_id.loc["lit-t-002", "flags"]
    assert math.isnan(by_id.loc["lit-t-003", "esw_V"])  # a bound is not a point
    assert math.isnan(by_id.loc["lit-t-004", "strength_MPa"])
    assert by_id.loc["lit-t-004", "group"] == "literature:doi:10.1/x"
    assert "lit-t-005" not in by_id.index and "lit-t-005" in " ".join(notes)
    assert by_id.loc["lit-t-006", "temperature_C"] == 25.0
    assert "sigma_at_room_temperature" in by_id.loc["lit-t-006", "flags"]
    assert len(require_valid(rows, source="literature")) == 5


def test_transference_numbers_are_labels_with_the_same_hygiene():
    """t_li (t+) became the fourth property once the corpus held >= 100 point values."""
    from spepred.data.converters import convert_review, read_review_records
    from spepred.data.literature import convert_literature
    from spepred.data.schema import require_valid

    table = pd.DataFrame([
        _row(t_li="0.45"),
        _row(record_id="lit-t-002", t_li="0.8", bounds="t_li>"),
        _row(record_id="lit-t-003", t_li="0.6", excluded_labels="t_li"),
    ])
    rows, _ = convert_literature(table)
    by_id = rows.set_index("record_id")
    assert by_id.loc["lit-t-001", "t_li"] == 0.45
    assert math.isnan(by_id.loc["lit-t-002", "t_li"]) and math.isnan(by_id.loc["lit-t-003", "t_li"])
    assert require_valid(rows, source="literature")["t_li"].notna().sum() == 1
    review, _ = convert_review(read_review_records())
    assert review["t_li"].between(0, 1).sum() >= 8  # the review's own t+ values
