"""The literature corpus: crosslinked, gel and composite electrolytes curated from papers.

One row per system in ``data/raw/literature/part_*.csv`` (columns in
``data/raw/literature/COLUMNS.md``, declared here once as :data:`LITERATURE_COLUMNS`). Every
number comes from a short verbatim quote of a stored public page, re-checked by
``curation/check_quotes.py``; this module reads the parts and checks the table's own
invariants (vocabularies, units and ranges, names that resolve, SMILES that parse), and tells
the regime of each system from its components.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pandas as pd

from spepred.chem.resolve import is_none, resolve_crosslinkers, resolve_fillers, resolve_matrix, resolve_salt
from spepred.data.regimes import REGIMES
from spepred.errors import SpepredError

__all__ = ["LITERATURE_COLUMNS", "REGIMES", "literature_problems", "paper_key", "read_literature", "regime"]

#: The repository's folder of curated parts (the corpus is not shipped inside the package).
#: The curated parts, shipped with the package (``spepred/resources/literature`` is the
#: repository's ``data/raw/literature``), so a wheel install trains on them too.
LITERATURE_DIR = Path(str(resources.files("spepred.resources").joinpath("literature")))

LITERATURE_COLUMNS: tuple[str, ...] = (
    "record_id", "doi", "url", "title", "year", "system", "is_control",
    "crosslink_class", "crosslink_type", "application",
    "matrix", "crosslinkers", "crosslinker_wt_pct", "fillers", "filler_wt_pct",
    "salt", "salt_content", "liquids", "liquid_wt_pct", "liquid_content", "plasticized",
    "sigma_S_cm", "sigma_T_C", "sigma_T_basis", "esw_V", "strength_MPa", "modulus_MPa",
    "elongation_pct", "t_li", "ea_eV", "tg_C", "mw_g_mol",
    "bounds", "excluded_labels", "quote", "notes",
)

#: Numeric columns and the range a value in the column's unit must fall in.
RANGES: dict[str, tuple[float, float]] = {
    "year": (1970, 2027),
    "crosslinker_wt_pct": (0, 100),
    "filler_wt_pct": (0, 100),
    "liquid_wt_pct": (0, 100),
    "sigma_S_cm": (1e-12, 0.1),
    "sigma_T_C": (-80, 250),
    "esw_V": (1.5, 7.5),
    "strength_MPa": (1e-4, 1000),
    "modulus_MPa": (1e-5, 1e5),
    "elongation_pct": (0, 1e5),
    "t_li": (0, 1),
    "ea_eV": (0, 3),
    "tg_C": (-150, 300),
    "mw_g_mol": (50, 1e8),
}
#: Label columns (what a model could learn from); ``bounds`` and ``excluded_labels`` name these.
LABEL_COLUMNS = (
    "sigma_S_cm", "esw_V", "strength_MPa", "modulus_MPa", "elongation_pct", "t_li", "ea_eV",
    "tg_C", "filler_wt_pct", "crosslinker_wt_pct", "liquid_wt_pct",
)
CHOICES: dict[str, frozenset[str]] = {
    "is_control": frozenset({"true", "false"}),
    "plasticized": frozenset({"true", "false"}),
    "crosslink_class": frozenset({"chemical", "physical", "none"}),
    "crosslink_type": frozenset({
        "small_molecule", "macromolecular", "h_bond", "metal_coordination",
        "mechanical_interlock", "inorganic_particle", "organic_inorganic_hybrid", "biomass", "none",
    }),
    "application": frozenset({"spe", "gpe", "cpe"}),
    "sigma_T_basis": frozenset({"stated", "room_temperature", "unstated", ""}),
}
REQUIRED = ("record_id", "url", "title", "system", "matrix", "quote")
_BOUND = re.compile(r"^(?P<col>[a-z_A-Z]+)(?P<op>[<>~])$")



def read_literature(folder: Path | None = None) -> pd.DataFrame:
    """Every part of the corpus as one table of strings (empty cells as ``""``).

    Raises
    ------
    SpepredError
        A part whose header is not :data:`LITERATURE_COLUMNS`, in order.
    """
    folder = LITERATURE_DIR if folder is None else folder
    frames = []
    for path in sorted(folder.glob("part_*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if tuple(frame.columns) != LITERATURE_COLUMNS:
            extra = sorted(set(frame.columns) - set(LITERATURE_COLUMNS))
            missing = sorted(set(LITERATURE_COLUMNS) - set(frame.columns))
            raise SpepredError(
                f"{path.name}: columns are not those of COLUMNS.md (missing {missing}, "
                f"unexpected {extra}, or out of order)"
            )
        frame.insert(0, "part", path.stem)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=("part", *LITERATURE_COLUMNS), dtype=str)
    return pd.concat(frames, ignore_index=True)


def is_true(text: str) -> bool:
    return text.strip().casefold() == "true"


def regime(row: pd.Series | dict) -> str:
    """The regime (one of :data:`~spepred.data.regimes.REGIMES`) of a literature row, by the
    rule of :mod:`spepred.data.regimes`: ``composite`` (a filler), ``gel`` (a liquid, no
    filler), ``dry_network`` or ``dry_linear``."""
    if not is_none(row.get("fillers", "")):
        return "composite"
    if not is_none(row.get("liquids", "")) or is_true(str(row.get("plasticized", ""))):
        return "gel"
    crosslinked = not is_none(row.get("crosslinkers", "")) or str(row.get("crosslink_class", "")) not in ("", "none")
    return "dry_network" if crosslinked else "dry_linear"


def paper_key(row: pd.Series | dict) -> str:
    """The paper a row belongs to, for grouped splits: its DOI, else its URL."""
    doi = str(row.get("doi", "")).strip().casefold()
    return f"doi:{doi}" if doi else f"url:{str(row.get('url', '')).strip()}"


def _liquid_resolves(name: str) -> None:
    from spepred.chem.dictionary import load_dictionary

    dictionary = load_dictionary()
    chem = dictionary.get(name)
    if chem is None:
        raise SpepredError(f"unknown liquid {name!r}")
    if not chem.has_role("solvent", "plasticizer", "ionic_liquid", "monomer", "additive"):
        raise SpepredError(f"liquid {name!r} is a {'/'.join(sorted(chem.roles))} in the dictionary")


def _matrix_resolves(text: str) -> None:
    from spepred.chem.dictionary import load_dictionary

    dictionary = load_dictionary()
    parts = []
    for item in (p.strip() for p in text.split(";") if p.strip()):
        chem = dictionary.get(item)
        if chem is not None:
            if not chem.smiles:
                raise SpepredError(f"matrix {item!r} has no structure in the dictionary")
            parts.append(chem.smiles)
        else:
            parts.append(item)  # a SMILES: resolve_matrix says if it is not one
    resolve_matrix(".".join(parts), field="matrix")


def literature_problems(table: pd.DataFrame) -> list[str]:
    """Every broken invariant of the corpus, one line each (empty when the table holds).

    Checked: required cells, unique ``record_id``, vocabularies, numbers in their columns'
    ranges, ``bounds`` and ``excluded_labels`` naming label columns that hold a value, paired
    list columns of equal length, ``plasticized`` agreeing with ``liquids``, and every matrix,
    crosslinker, filler, salt and liquid resolving through the chemical dictionary.
    """
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, row in table.iterrows():
        rid = row.get("record_id", "") or f"row {i}"

        def bad(msg: str) -> None:
            problems.append(f"{rid}: {msg}")

        if rid in seen:
            bad("record_id repeated")
        seen[rid] = i
        for col in REQUIRED:
            if not str(row.get(col, "")).strip():
                bad(f"{col} is empty")
        if not (row["doi"] or row["url"]):
            bad("neither doi nor url")
        for col, choices in CHOICES.items():
            if row[col] not in choices:
                bad(f"{col} {row[col]!r} not one of {sorted(choices)}")
        for col, (lo, hi) in RANGES.items():
            for cell in (c.strip() for c in row[col].split(";")):
                if not cell:
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    bad(f"{col} {cell!r} is not a number")
                    continue
                if not (math.isfinite(value) and lo <= value <= hi):
                    bad(f"{col} {value} outside {lo}..{hi}")
        for spec in (s.strip() for s in row["bounds"].split(";") if s.strip()):
            m = _BOUND.match(spec)
            if not m or m["col"] not in LABEL_COLUMNS:
                bad(f"bounds {spec!r} is not <label column><, > or ~")
            elif not row[m["col"]].strip():
                bad(f"bounds {spec!r} names an empty column")
        for col in (s.strip() for s in row["excluded_labels"].split(";") if s.strip()):
            if col not in LABEL_COLUMNS:
                bad(f"excluded_labels {col!r} is not a label column")
        if row["sigma_S_cm"].strip() and not row["sigma_T_C"].strip() and row["sigma_T_basis"] == "stated":
            bad("sigma_T_basis 'stated' without sigma_T_C")
        if row["sigma_T_C"].strip() and row["sigma_T_basis"] != "stated":
            bad("sigma_T_C given but sigma_T_basis is not 'stated'")
        if row["fillers"].strip() and row["filler_wt_pct"].strip():
            if len(row["fillers"].split(";")) != len(row["filler_wt_pct"].split(";")):
                bad("fillers and filler_wt_pct have different lengths")
        has_liquid = not is_none(row["liquids"])
        if has_liquid != is_true(row["plasticized"]):
            bad(f"plasticized={row['plasticized']} but liquids={row['liquids']!r}")
        checks: list[tuple[str, Callable[[], object]]] = [
            ("matrix", lambda: _matrix_resolves(row["matrix"])),
            ("crosslinkers", lambda: resolve_crosslinkers(row["crosslinkers"])),
            ("fillers", lambda: resolve_fillers(row["fillers"])),
        ]
        checks += [
            ("salt", lambda name=name: resolve_salt(name))
            for name in (n.strip() for n in row["salt"].split(";") if n.strip())
        ]
        checks += [
            ("liquids", lambda name=name: _liquid_resolves(name))
            for name in (n.strip() for n in row["liquids"].split(";") if n.strip())
        ]
        for col, check in checks:
            try:
                check()
            except SpepredError as err:
                bad(f"{col}: {err}")
    return problems


SOURCE = "literature"
#: "Room temperature", "RT", "ambient": read as 25 °C and flagged ``sigma_at_room_temperature``.
ROOM_TEMPERATURE_C = 25.0
#: Literature label column -> formulation-table label column (σ goes in as log10).
_TABLE_LABELS = {"sigma_S_cm": "log10_sigma_S_cm", "esw_V": "esw_V", "strength_MPa": "strength_MPa", "t_li": "t_li"}


def _number(cell: str) -> float:
    try:
        value = float(cell.split(";")[0]) if cell.strip() else math.nan
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def convert_literature(table: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The literature corpus -> formulation rows (plus the liquid columns), and notes.

    Grouped by paper (:func:`paper_key`). The label hygiene of the review applies: labels in
    ``excluded_labels`` and labels stated as bounds (``col>``/``col<``) are not point
    labels, and a σ without a stated temperature stays out of the σ(T) fit; each is flagged.
    A row whose components do not resolve is left out and named in the notes.
    """
    from spepred.chem.dictionary import load_dictionary

    table = read_literature() if table is None else table
    dictionary = load_dictionary()
    rows, skipped = [], []
    for rec in table.to_dict("records"):
        rid = rec["record_id"]
        try:
            _matrix_resolves(rec["matrix"])
        except SpepredError as err:
            skipped.append(f"{rid}: {err}")
            continue
        parts = []
        for item in (p.strip() for p in rec["matrix"].split(";") if p.strip()):
            chem = dictionary.get(item)
            parts.append(chem.smiles if chem is not None else item)
        excluded = {e.strip() for e in rec["excluded_labels"].split(";") if e.strip()}
        bounded = {b.strip()[:-1] for b in rec["bounds"].split(";") if b.strip()[-1:] in "<>"}
        flags = []
        labels = {}
        for col, out_col in _TABLE_LABELS.items():
            value = math.nan if col in excluded or col in bounded else _number(rec[col])
            labels[out_col] = value
        temp = _number(rec["sigma_T_C"])
        if math.isnan(temp) and rec["sigma_T_basis"] == "room_temperature":
            temp = ROOM_TEMPERATURE_C  # as the review's records read "room temperature"
        sigma = labels.pop("log10_sigma_S_cm")
        sigma = math.log10(sigma) if sigma > 0 else math.nan
        if not math.isnan(sigma):
            if math.isnan(temp):
                flags.append("sigma_temperature_unstated")
                sigma = math.nan
            elif rec["sigma_T_basis"] == "room_temperature":
                flags.append("sigma_at_room_temperature")
        if rec["bounds"].strip():
            flags.append("bounds:" + rec["bounds"].replace(";", ","))
        salts = [s.strip() for s in rec["salt"].split(";") if s.strip()]
        if len(salts) > 1:
            flags.append("dual_salt")
        if is_true(rec["is_control"]):
            flags.append("linear_control")
        rows.append(
            {
                "record_id": rid,
                "source": SOURCE,
                "group": f"{SOURCE}:{paper_key(rec)}",
                "curve_id": f"{SOURCE}:{rid}",
                "monomer_smiles": ".".join(parts),
                "crosslinker": rec["crosslinkers"],
                "crosslinker_wt_pct": _number(rec["crosslinker_wt_pct"]),
                "crosslink_type": rec["crosslink_type"] or "",
                "filler": rec["fillers"],
                "filler_wt_pct": _number(rec["filler_wt_pct"]),
                "salt": salts[0] if salts else "",
                "salt_molality_mol_kg": math.nan,
                "mw_g_mol": _number(rec["mw_g_mol"]),
                "plasticized": is_true(rec["plasticized"]),
                "temperature_C": temp,
                "log10_sigma_S_cm": sigma,
                **labels,
                "flags": ";".join(flags),
                "liquids": rec["liquids"],
                "liquid_wt_pct": _number(rec["liquid_wt_pct"]),
                "tg_C": _number(rec["tg_C"]),
            }
        )
    notes = [f"{SOURCE}: {len(table)} curated systems, {len(rows)} in the table"]
    if skipped:
        notes.append(f"{SOURCE}: {len(skipped)} system(s) not in the table: " + "; ".join(skipped))
    return pd.DataFrame(rows), notes
