"""The curated review records against the review text: coverage, refs, sections, numbers.

``test_review_records.py`` checks that quotes are verbatim and values plausible; these tests
check the other direction too: that every property number the review states is held by a
record, that each record sits under the right reference and section, and that each number in
a record is one of the numbers of its own quote.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from spepred.chem.dictionary import PHYSICAL_TYPES
from spepred.data.converters import convert_review, read_review_records
from tests.conftest import REVIEW, ROOT, needs_review

RECORDS = ROOT / "data" / "raw" / "review" / "records.csv"
LINEAR = ROOT / "data" / "raw" / "review" / "linear_references.csv"
SEP = " [...] "

#: Review sections -> the crosslink type of every system discussed in them.
SECTIONS = [
    ("3.1. H-bonds and multiple H-bonds crosslinking", "h_bond"),
    ("3.2. Metal ion coordination crosslinking", "metal_coordination"),
    ("3.3. Mechanically interlocked crosslinking", "mechanical_interlock"),
    ("4.1. Small molecule crosslinking", "small_molecule"),
    ("4.2. Inorganic particle crosslinking", "inorganic_particle"),
    ("4.3. Organic-inorganic hybrid crosslinking", "organic_inorganic_hybrid"),
    ("4.4. Macromolecular crosslinking", "macromolecular"),
    ("4.5. Biomass crosslinking", "biomass"),
    ("5. Summary and prospects", None),
]

#: Property numbers of the review body that belong to no single system, with the reason.
#: Each entry is a piece of text around the unit; an entry that no longer matches fails too.
NOT_A_SYSTEM = {
    "(4.3–4.8 V) of the SPEs": "sec. 5.1, oxidative decomposition range of SPEs in general",
    "A very small amount (0.5 mol%) The addition": "repeated words; the 0.5 mol% is quoted in pei2025-067a",
}

#: Units of the properties the records hold (figure captions are not scanned).
PROPERTY_UNITS = re.compile(
    r"S cm|MPa|\beV\b|MJ m|J m\^\{-2\}|\d\s*V\b|\\text\{\s*V\}|t_\{?\\?(?:text\{)?Li"
    r"|transference number[^.]{0,30}?\d|g mol|μm|wt%|mol%|°C"
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _fragments(quote: str) -> list[str]:
    return [_norm(f) for f in str(quote).split(SEP)]


def _cited_refs(text: str) -> set[int]:
    """Every reference number cited in ``text`` ('[91, 105]', '[139–141]' ...)."""
    refs: set[int] = set()
    for group in re.findall(r"\[(\d[\d,\s–-]*)\]", text):
        for part in re.split(r",\s*", group.strip()):
            bounds = re.split(r"\s*[–-]\s*", part.strip())
            if len(bounds) == 2 and all(b.isdigit() for b in bounds):
                refs.update(range(int(bounds[0]), int(bounds[1]) + 1))
            elif part.strip().isdigit():
                refs.add(int(part))
    return refs


@pytest.fixture(scope="module")
def review() -> str:
    return _norm(REVIEW.read_text("utf-8"))


@pytest.fixture(scope="module")
def body() -> str:
    """The review from the introduction to the end of section 5, without figure captions."""
    raw = REVIEW.read_text("utf-8")
    raw = raw[raw.index("1. Introduction") : raw.index("CRedit authorship")]
    return _norm("\n".join(line for line in raw.split("\n") if not line.startswith("Fig. ")))


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(RECORDS)


@needs_review
def test_every_property_number_of_the_review_is_in_a_record(body):
    spans = []
    for path in (RECORDS, LINEAR):
        for quote in pd.read_csv(path)["quote"]:
            for fragment in _fragments(quote):
                start = body.find(fragment)
                if start >= 0:
                    spans.append((start, start + len(fragment)))
    allowed = {key: body.find(_norm(key)) for key in NOT_A_SYSTEM}
    assert all(pos >= 0 for pos in allowed.values()), allowed
    allowed_spans = [(pos, pos + len(_norm(key))) for key, pos in allowed.items()]
    orphans = [
        body[max(0, m.start() - 80) : m.end() + 20]
        for m in PROPERTY_UNITS.finditer(body)
        if not any(a <= m.start() < b for a, b in spans + allowed_spans)
    ]
    assert not orphans, "numbers of the review held by no record:\n" + "\n".join(orphans)


@needs_review
def test_each_record_is_cited_next_to_its_quote(review, records):
    """The record's ref is cited close to its first quote (catches a mistyped ref)."""
    wrong = []
    for rec in records.itertuples():
        fragment = _fragments(rec.quote)[0]
        start = review.find(fragment)
        window = review[max(0, start - 1500) : start + len(fragment) + 800]
        if rec.ref not in _cited_refs(window):
            wrong.append((rec.record_id, rec.ref, sorted(_cited_refs(window))))
    assert not wrong, wrong


@needs_review
def test_crosslink_type_follows_the_review_section(body, records):
    # figure captions float (Fig. 11 sits after the start of sec. 5), so only body text counts
    starts = [(body.index(_norm(title)), kind) for title, kind in SECTIONS]
    wrong = []
    for rec in records.itertuples():
        if rec.crosslink_class == "none":  # the linear comparison polymer of [79]
            assert rec.crosslink_type == "none"
            continue
        pos = min(p for p in (body.find(f) for f in _fragments(rec.quote)) if p >= 0)
        kind = [k for s, k in starts if s <= pos][-1]
        if rec.crosslink_type != kind:
            wrong.append((rec.record_id, rec.crosslink_type, kind))
        physical = rec.crosslink_type in PHYSICAL_TYPES
        if rec.crosslink_class != ("physical" if physical else "chemical"):
            wrong.append((rec.record_id, rec.crosslink_class, rec.crosslink_type))
    assert not wrong, wrong


def _numbers(text: str) -> list[float]:
    """Every number written in a quote, 'a × 10⁻ⁿ' and LaTeX forms included."""
    text = text.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻−", "0123456789--"))
    out = [
        float(m.group(1)) * 10.0 ** (-int(m.group(2)))
        for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(?:×|\\times)\s*10\^?\{?\s*-\s*(\d+)\}?", text)
    ]
    out += [
        float(m.group(1)) * 10.0 ** int(m.group(2))
        for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(?:×|\\times)\s*10\^\{?\s*(\d+)\}?", text)
    ]
    out += [float(m.group()) for m in re.finditer(r"\d+(?:\.\d+)?", text)]
    return out


NUMERIC = [
    "sigma_S_cm", "sigma_T_C", "esw_V", "strength_MPa", "modulus_MPa", "elongation_pct",
    "toughness_MJ_m3", "t_li", "ea_eV", "mw_g_mol", "thickness_um", "filler_wt_pct",
]
#: Values derived from the words rather than copied: (record, column) -> why.
DERIVED = {
    ("pei2025-053a", "elongation_pct"): "stretched beyond 20 times its length = stretch ratio 20",
}


def test_every_number_of_a_record_is_a_number_of_its_quote(records):
    wrong = []
    for rec in records.to_dict("records"):
        quote = rec["quote"]
        written = _numbers(quote)
        in_ms = "mS cm" in quote
        for col in NUMERIC:
            value = rec[col]
            if pd.isna(value) or (rec["record_id"], col) in DERIVED:
                continue
            if col == "sigma_T_C" and rec["sigma_T_basis"] == "room_temperature":
                ok = value == 25 and re.search(r"room[ -]temperature", quote) is not None
            elif col == "sigma_S_cm":
                # S/cm as written, or mS/cm converted (never mS/cm left unconverted)
                ok = any(math.isclose(value, n, rel_tol=1e-9) for n in written if n < 1) or (
                    in_ms and any(math.isclose(value, n * 1e-3, rel_tol=1e-9) for n in written)
                )
            else:
                ok = any(math.isclose(value, n, rel_tol=1e-9) for n in written)
            if not ok:
                wrong.append((rec["record_id"], col, value))
    assert not wrong, wrong


def test_sigma_temperature_basis_matches_the_quote(records):
    for rec in records.dropna(subset=["sigma_S_cm"]).itertuples():
        if rec.sigma_T_basis == "stated":
            assert re.search(rf"{rec.sigma_T_C:g}\s*°C", rec.quote), rec.record_id
        elif rec.sigma_T_basis == "room_temperature":
            assert rec.sigma_T_C == 25, rec.record_id
        else:
            assert rec.sigma_T_basis == "unstated" and pd.isna(rec.sigma_T_C), rec.record_id
    assert records.loc[records["sigma_S_cm"].isna(), "sigma_T_basis"].isna().all()


def test_bounds_name_a_filled_column_and_the_quote_says_so(records):
    for rec in records.dropna(subset=["bounds"]).itertuples():
        for bound in rec.bounds.split(";"):
            col, sign = bound[:-1], bound[-1]
            assert sign in "<>" and not pd.isna(getattr(rec, col)), (rec.record_id, bound)
            words = ("<", "less than", "below") if sign == "<" else (">", "more than", "beyond", "over")
            assert any(w in rec.quote for w in words), (rec.record_id, bound)


#: Every training label of the review, typed from the review's own words.
#: (sigma S/cm, sigma °C, window V, strength MPa); None = no label. A σ whose temperature the
#: review does not state, and any value stated as a bound, is not a label (see
#: ``test_label_hygiene``).
TRAINING_LABELS = {
    "pei2025-029a": (None, None, None, 88.3),  # 88.3 MPa (breaking strength)
    "pei2025-042a": (None, None, 5.1, None),  # wide electrochemical window (5.1 V)
    "pei2025-043a": (2.1e-4, 25, None, 42.8),  # 2.1 × 10⁻⁴ S cm⁻¹ room temperature; 42.8 MPa
    "pei2025-051a": (1.5e-3, 25, 4.5, None),  # 1.5 × 10⁻³ S cm⁻¹ at room temperature; 4.5 V
    "pei2025-056a": (2e-4, 30, None, None),  # 0.2 mS cm^{-1} (30°C)
    "pei2025-055a": (1.17e-4, 30, 5.0, 18.7),  # 1.17 × 10^{-4} (30°C), 5.0 V, 18.7 MPa
    "pei2025-064a": (5.93e-3, 25, None, None),  # σ = 5.93 × 10^{-3} S cm^{-1} at 25°C
    "pei2025-080a": (None, None, 5.1, None),  # high voltage oxidation resistance (5.1 V)
    "pei2025-081a": (None, None, 4.5, None),  # ~2.4 mS cm⁻¹, ~4.5 V
    "pei2025-082a": (None, None, 4.9, None),  # 0.3 mS cm⁻¹, 4.9 V
    "pei2025-094a": (None, None, 6.5, None),  # 1.32 mS cm⁻¹, up to 6.5 V
    "pei2025-098a": (1e-4, 25, None, 33.6),  # ~0.1 mS cm^{-1} at room temperature; 33.6 MPa
    "pei2025-099a": (None, None, 5.2, None),  # 2.22 × 10^{-3} S cm^{-1}, 5.2 V
    "pei2025-104a": (1.1e-4, 25, None, None),  # ~1.1 × 10^{-4} S cm^{-1} (25°C)
    "pei2025-100a": (1.34e-4, 25, None, 10.63),  # room-temperature 1.34 × 10^{-4}; 10.63 MPa
    "pei2025-107a": (1.41e-3, 30, None, None),  # 1.41 mS cm^{-1} at 30°C; >4.8 V is a bound
    "pei2025-108a": (None, None, None, 9.4),  # ~0.23 mS cm^{-1}; 9.4 MPa
    "pei2025-109a": (None, None, None, 1.85),  # ~0.65 mS cm^{-1}; tensile strength 1.85 MPa
    "pei2025-119a": (None, None, 4.95, None),  # 4.0 × 10^{-4} S cm^{-1}; 4.95 V
    "pei2025-130a": (3.4e-4, 25, None, None),  # 0.34 mS cm^{-1} at 25°C
}


def test_the_formulation_table_carries_exactly_the_pinned_labels():
    table, _ = convert_review(read_review_records())
    table = table.set_index("record_id")
    got = {}
    for rid, row in table.iterrows():
        sigma = 10.0 ** row["log10_sigma_S_cm"] if not math.isnan(row["log10_sigma_S_cm"]) else None
        labels = (sigma, row["esw_V"], row["strength_MPa"])
        if any(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in labels):
            got[rid] = row
    assert set(got) == set(TRAINING_LABELS)
    for rid, (sigma, temp, esw, strength) in TRAINING_LABELS.items():
        row = got[rid]
        if sigma is None:
            assert math.isnan(row["log10_sigma_S_cm"]), rid
        else:
            assert math.isclose(row["log10_sigma_S_cm"], math.log10(sigma), abs_tol=1e-9), rid
            assert (math.isnan(row["temperature_C"]) if temp is None else row["temperature_C"] == temp), rid
        for col, want in (("esw_V", esw), ("strength_MPa", strength)):
            assert math.isnan(row[col]) if want is None else math.isclose(row[col], want), (rid, col)


def test_excluded_labels_never_reach_the_table_and_are_explained(records):
    table, _ = convert_review(read_review_records())
    table = table.set_index("record_id")
    to_table = {"sigma_S_cm": "log10_sigma_S_cm", "esw_V": "esw_V", "strength_MPa": "strength_MPa"}
    excluded = records.dropna(subset=["excluded_labels"])
    assert len(excluded) >= 4
    for rec in excluded.itertuples():
        for label in rec.excluded_labels.split(";"):
            assert label in to_table, (rec.record_id, label)
            assert re.search(r"exclu|not for training", rec.notes), rec.record_id
            if rec.record_id in table.index:
                assert math.isnan(table.loc[rec.record_id, to_table[label]]), (rec.record_id, label)


#: Values the review states that must not be point labels, and why (issue: label hygiene).
KEPT_OUT = {
    ("pei2025-069a", "log10_sigma_S_cm"): "sigma_temperature_unstated",
    ("pei2025-078a", "log10_sigma_S_cm"): "sigma_temperature_unstated",
    ("pei2025-081a", "log10_sigma_S_cm"): "sigma_temperature_unstated",
    ("pei2025-108a", "log10_sigma_S_cm"): "sigma_temperature_unstated",
    ("pei2025-098b", "log10_sigma_S_cm"): "bounds:sigma_S_cm>",
    ("pei2025-131a", "log10_sigma_S_cm"): "bounds:sigma_S_cm>",
    ("pei2025-107a", "esw_V"): "bounds:esw_V>",
}


def test_label_hygiene():
    table, _ = convert_review(read_review_records())
    rows = table.set_index("record_id")
    for (rid, col), flag in KEPT_OUT.items():
        assert math.isnan(rows.loc[rid, col]), (rid, col)
        assert flag in rows.loc[rid, "flags"], (rid, rows.loc[rid, "flags"])
    # no σ label without its temperature, and "room temperature" is said so
    sigma = rows.dropna(subset=["log10_sigma_S_cm"])
    assert sigma["temperature_C"].notna().all()
    assert "sigma_at_room_temperature" in rows.loc["pei2025-043a", "flags"]
