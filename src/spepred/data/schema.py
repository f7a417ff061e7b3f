"""The formulation table: the one schema that training, prediction and screening share.

Validation is vectorized (a million screening rows validate in seconds) and checks every row
before reporting: it returns the normalized table plus one :class:`RowError` per problem,
so that training can fail once listing every bad row and prediction can give every bad row
a ``status`` instead of stopping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.chem.dictionary import CROSSLINK_TYPES
from spepred.chem.resolve import (
    canonical_salt_label,
    infer_crosslink_type,
    is_none,
    resolve_crosslinkers,
    resolve_fillers,
    resolve_matrix,
)
from spepred.errors import InvalidValueError, RowError, SpepredError, TableValidationError

DEFAULT_SALT = "LiTFSI"
DEFAULT_TEMPERATURE_C = 25.0
TEMPERATURE_RANGE_C = (-100.0, 300.0)
CROSSLINK_TYPE_VALUES = (*CROSSLINK_TYPES, "none")


@dataclass(frozen=True)
class NumericColumn:
    name: str
    low: float
    high: float
    unit: str
    description: str
    default: float = math.nan


#: Condition / composition columns: (range checked, NaN allowed unless a default exists).
CONDITION_COLUMNS = (
    NumericColumn("filler_wt_pct", 0.0, 100.0, "wt%", "filler loading"),
    NumericColumn("salt_molality_mol_kg", 0.0, 1000.0, "mol/kg", "salt per kg polymer"),
    NumericColumn("mw_g_mol", 1.0, 1e9, "g/mol", "polymer molecular weight"),
    NumericColumn(
        "temperature_C", *TEMPERATURE_RANGE_C, "°C", "temperature", DEFAULT_TEMPERATURE_C
    ),
)
#: Experimental labels, one model each.
LABEL_COLUMNS = (
    NumericColumn("log10_sigma_S_cm", -16.0, 1.0, "log10(S/cm)", "ionic conductivity"),
    NumericColumn("esw_V", 0.0, 10.0, "V", "electrochemical stability window (vs Li/Li+)"),
    NumericColumn("strength_MPa", 0.0, 2000.0, "MPa", "tensile / breaking strength"),
)
#: Auxiliary computed/simulated signals: never mixed with the experimental labels.
AUX_COLUMNS = (
    NumericColumn("sim_log10_sigma_S_cm", -16.0, 1.0, "log10(S/cm)", "MD-simulated conductivity"),
    NumericColumn("homo_eV", -30.0, 10.0, "eV", "computed HOMO of the monomer"),
    NumericColumn("lumo_eV", -20.0, 20.0, "eV", "computed LUMO of the monomer"),
    NumericColumn("bulk_modulus_GPa", 0.0, 1000.0, "GPa", "MD bulk modulus"),
)
TEXT_COLUMNS = ("monomer_smiles", "crosslinker", "crosslink_type", "filler", "salt")
ID_COLUMNS = ("record_id", "source", "group", "curve_id")
LABELS = tuple(c.name for c in LABEL_COLUMNS)
AUX_LABELS = tuple(c.name for c in AUX_COLUMNS)

#: Column order of the harmonized table.
COLUMNS = (
    *ID_COLUMNS,
    "monomer_smiles",
    "crosslinker",
    "crosslink_type",
    "filler",
    "filler_wt_pct",
    "salt",
    "salt_molality_mol_kg",
    "mw_g_mol",
    "plasticized",
    "temperature_C",
    *LABELS,
    *AUX_LABELS,
    "flags",
)
#: Columns a user's table may carry (everything else is passed through untouched).
INPUT_COLUMNS = frozenset(COLUMNS)

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})


def _add_flag(flags: pd.Series, mask: np.ndarray, flag: str) -> pd.Series:
    if not mask.any():
        return flags
    cur = flags[mask]
    flags = flags.copy()
    flags[mask] = np.where(cur == "", flag, cur + ";" + flag)
    return flags


def _row_label(index_pos: int) -> int:
    """Rows are numbered from 1, as a chemist counts the data rows of a CSV."""
    return int(index_pos) + 1


def _check_unique(
    values: pd.Series,
    resolver: Callable[[str], object],
    column: str,
    source: str,
    errors: list[RowError],
    bad: np.ndarray,
) -> dict[str, object]:
    """Resolve each distinct value once; record an error for every row holding a bad one."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    resolved: dict[str, object] = {}
    for k, value in enumerate(uniques):
        try:
            resolved[value] = resolver(value)
        except SpepredError as err:
            rows = np.flatnonzero(codes == k)
            bad[rows] = True
            reason = str(err)
            errors.extend(RowError(source, _row_label(i), column, value, reason) for i in rows)
    return resolved


def _as_text(series: pd.Series) -> pd.Series:
    out = series.astype(object).where(series.notna(), "")
    return out.map(lambda v: v if isinstance(v, str) else str(v)).str.strip()


def validate_formulations(
    table: pd.DataFrame,
    *,
    source: str = "input",
    check_chemistry: bool = True,
    require_labels: bool = False,
) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalize a formulation table.

    Parameters
    ----------
    table
        Any table with at least ``monomer_smiles``. Missing optional columns get their
        defaults (salt ``LiTFSI``, 25 °C, not plasticized, crosslink type inferred); each
        default that stands in for a missing value is recorded in ``flags``.
    source
        Name of the table, used in error messages.
    check_chemistry
        Also resolve every distinct SMILES and chemical name (cached per distinct value).
    require_labels
        Training tables: a row without any label is an error.

    Returns
    -------
    (normalized, errors)
        ``normalized`` has every input row, in order, with the schema's columns first and any
        extra input columns after them. ``errors`` lists every problem found.

    Raises
    ------
    TableValidationError
        Only when ``monomer_smiles`` is missing altogether.
    """
    if "monomer_smiles" not in table.columns:
        raise TableValidationError(
            [
                RowError(
                    source,
                    "header",
                    "monomer_smiles",
                    ", ".join(map(str, table.columns[:20])),
                    "required column missing (the table must have a monomer_smiles column)",
                )
            ],
            what=source,
        )
    n = len(table)
    errors: list[RowError] = []
    bad = np.zeros(n, dtype=bool)
    out = pd.DataFrame(index=table.index)
    flags = (
        _as_text(table["flags"]) if "flags" in table.columns else pd.Series("", index=table.index)
    )

    for col in TEXT_COLUMNS:
        out[col] = _as_text(table[col]) if col in table.columns else pd.Series("", index=table.index)

    # numbers: parse, range-check, default
    for spec in (*CONDITION_COLUMNS, *LABEL_COLUMNS, *AUX_COLUMNS):
        if spec.name not in table.columns:
            values = pd.Series(spec.default, index=table.index, dtype="float64")
            if not math.isnan(spec.default):
                flags = _add_flag(flags, np.ones(n, dtype=bool), f"{spec.name}_default")
            out[spec.name] = values
            continue
        raw = table[spec.name]
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        raw_present = raw.notna() & (_as_text(raw) != "")
        not_number = raw_present & values.isna()
        not_finite = values.notna() & ~np.isfinite(values)
        out_of_range = values.notna() & np.isfinite(values) & ~values.between(spec.low, spec.high)
        for mask, why in (
            (not_number, f"expected a number ({spec.unit})"),
            (not_finite, f"expected a finite number ({spec.unit})"),
            (out_of_range, f"expected {spec.description} between {spec.low:g} and {spec.high:g} {spec.unit}"),
        ):
            for i in np.flatnonzero(mask.to_numpy()):
                errors.append(RowError(source, _row_label(i), spec.name, raw.iloc[i], why))
            bad |= mask.to_numpy()
        values = values.where(np.isfinite(values))
        if not math.isnan(spec.default):
            missing = values.isna().to_numpy() & ~bad
            values = values.fillna(spec.default)
            flags = _add_flag(flags, missing, f"{spec.name}_default")
        out[spec.name] = values

    # plasticized
    if "plasticized" in table.columns:
        raw = table["plasticized"]
        text = _as_text(raw).str.casefold()
        is_true = text.isin(_TRUE).to_numpy()
        valid = is_true | text.isin(_FALSE).to_numpy()
        for i in np.flatnonzero(~valid):
            errors.append(RowError(source, _row_label(i), "plasticized", raw.iloc[i], "expected true or false"))
        bad |= ~valid
        out["plasticized"] = is_true
    else:
        out["plasticized"] = False

    # categories
    ct = out["crosslink_type"].str.casefold()
    known_ct = ct.isin(CROSSLINK_TYPE_VALUES) | (ct == "")
    for i in np.flatnonzero(~known_ct.to_numpy()):
        errors.append(
            RowError(
                source,
                _row_label(i),
                "crosslink_type",
                out["crosslink_type"].iloc[i],
                "expected one of " + ", ".join(CROSSLINK_TYPE_VALUES),
            )
        )
    bad |= ~known_ct.to_numpy()
    out["crosslink_type"] = ct

    # salt default
    no_salt = (out["salt"] == "").to_numpy()
    out.loc[no_salt, "salt"] = DEFAULT_SALT
    flags = _add_flag(flags, no_salt, "salt_default")

    if check_chemistry:
        empty = (out["monomer_smiles"] == "").to_numpy()
        for i in np.flatnonzero(empty):
            errors.append(
                RowError(source, _row_label(i), "monomer_smiles", "", "empty: at least one matrix SMILES is required")
            )
        bad |= empty
        _check_unique(out["monomer_smiles"].where(~empty), resolve_matrix, "monomer_smiles", source, errors, bad)
        xl = _check_unique(out["crosslinker"], resolve_crosslinkers, "crosslinker", source, errors, bad)
        _check_unique(out["filler"], resolve_fillers, "filler", source, errors, bad)
        salts = _check_unique(out["salt"], canonical_salt_label, "salt", source, errors, bad)
        out["salt"] = out["salt"].map(lambda s: salts.get(s, s))
        # crosslink type inferred from the crosslinkers where the user left it empty
        inferred = out["crosslinker"].map(
            lambda v: infer_crosslink_type(xl[v]) if v in xl else "none"
        )
        empty_ct = (out["crosslink_type"] == "").to_numpy()
        out.loc[empty_ct, "crosslink_type"] = inferred[empty_ct]
        flags = _add_flag(flags, empty_ct & (inferred != "none").to_numpy(), "crosslink_type_inferred")
    else:
        out.loc[out["crosslink_type"] == "", "crosslink_type"] = "none"

    # filler loading without filler
    no_filler = (out["filler"].map(is_none)).to_numpy()
    loading = out["filler_wt_pct"].fillna(0).to_numpy() > 0
    for i in np.flatnonzero(no_filler & loading):
        errors.append(
            RowError(source, _row_label(i), "filler_wt_pct", out["filler_wt_pct"].iloc[i],
                     "a filler loading was given but no filler")
        )
    bad |= no_filler & loading

    if require_labels:
        no_label = out[list(LABELS)].isna().all(axis=1).to_numpy()
        for i in np.flatnonzero(no_label):
            errors.append(
                RowError(source, _row_label(i), "labels", "", "no label: need one of " + ", ".join(LABELS))
            )
        bad |= no_label

    # identifiers
    rid = _as_text(table["record_id"]) if "record_id" in table.columns else pd.Series("", index=table.index)
    missing_id = (rid == "").to_numpy()
    rid = rid.where(~missing_id, [f"{source}:{i + 1}" for i in range(n)])
    dup = rid.duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(dup):
        errors.append(RowError(source, _row_label(i), "record_id", rid.iloc[i], "duplicate record_id"))
    bad |= dup
    out["record_id"] = rid
    out["source"] = _as_text(table["source"]).replace("", source) if "source" in table.columns else source
    polymer_key = out["monomer_smiles"] + "|" + out["crosslinker"]
    out["group"] = (
        _as_text(table["group"]).where(lambda s: s != "", polymer_key)
        if "group" in table.columns
        else polymer_key
    )
    curve_key = (
        out["group"] + "|" + out["salt"] + "|" + out["salt_molality_mol_kg"].astype(str)
        + "|" + out["mw_g_mol"].astype(str) + "|" + out["filler"] + "|" + out["filler_wt_pct"].astype(str)
    )
    out["curve_id"] = (
        _as_text(table["curve_id"]).where(lambda s: s != "", curve_key)
        if "curve_id" in table.columns
        else curve_key
    )
    out["flags"] = flags
    extra = [c for c in table.columns if c not in INPUT_COLUMNS]
    for col in extra:
        out[col] = table[col]
    out = out[[*COLUMNS, *extra]]
    errors.sort(key=lambda e: (e.row if isinstance(e.row, int) else -1))
    return out, errors


def require_valid(
    table: pd.DataFrame, *, source: str = "input", require_labels: bool = False
) -> pd.DataFrame:
    """Validate every row, then raise once listing every bad row (training tables)."""
    normalized, errors = validate_formulations(table, source=source, require_labels=require_labels)
    if errors:
        raise TableValidationError(errors, what=source)
    return normalized


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a user's CSV or Parquet formulation table with clear errors for bad files."""
    p = Path(path)
    if not p.exists():
        raise InvalidValueError("input file", str(p), "an existing CSV or Parquet file")
    if p.is_dir():
        raise InvalidValueError("input file", str(p), "a file, not a directory")
    try:
        if p.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(p)
        return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SpepredError(f"cannot read {p}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except pd.errors.ParserError as err:
        raise SpepredError(f"cannot read {p}: malformed CSV ({str(err).strip()})") from None
    except pd.errors.EmptyDataError:
        raise SpepredError(f"cannot read {p}: the file is empty (expected a header row)") from None
    except (OSError, ValueError) as err:
        raise SpepredError(f"cannot read {p}: {err}") from None
