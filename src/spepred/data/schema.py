"""The formulation table: the one schema that training, prediction and screening share.

Validation is vectorized (a million screening rows validate in seconds) and checks every row
before reporting: it returns the normalized table plus one :class:`RowError` per problem,
so that training can fail once listing every bad row and prediction can give every bad row
a ``status`` instead of stopping.
"""

from __future__ import annotations

import io
import math
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
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
from spepred.values import FALSE_WORDS, TRUE_WORDS

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
#: The columns that describe a formulation (no ids, no labels), in table order.
FORMULATION_COLUMNS = (
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
)
COLUMNS = (
    *ID_COLUMNS,
    *FORMULATION_COLUMNS,
    *LABELS,
    *AUX_LABELS,
    "flags",
)
#: Columns a user's table may carry (everything else is passed through untouched).
INPUT_COLUMNS = frozenset(COLUMNS)

_TRUE = TRUE_WORDS
_FALSE = FALSE_WORDS | {""}  # an empty plasticized cell means not plasticized


def _add_flag(flags: np.ndarray, mask: np.ndarray, flag: str) -> np.ndarray:
    """Append ``flag`` to the ``;``-separated flags of the rows in ``mask``."""
    if not mask.any():
        return flags
    flags = flags.copy()
    cur = flags[mask]
    flags[mask] = np.where(cur == "", flag, cur + (";" + flag))
    return flags


def _row_label(index_pos: int) -> int:
    """Rows are numbered from 1, as a chemist counts the data rows of a CSV."""
    return int(index_pos) + 1


#: Below this many rows plain loops beat pandas' per-call overhead; above it, text and
#: number cells are parsed once per distinct value (a million screening rows hold a few
#: hundred building blocks), with results identical to parsing every cell.
_SMALL = 64
_NONE_TYPE = type(None)
_NA_TYPE = type(pd.NA)


def _factorize_text(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``(codes, uniques)`` of an object array of ``str``, uniques in order of appearance."""
    if len(values) < _SMALL:
        index: dict[str, int] = {}
        codes = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.intp)
        return codes, list(index)
    codes, uniques = pd.factorize(values)
    return codes, list(uniques)


def _map_text(values: np.ndarray, fn: Callable[[str], object], dtype=object) -> np.ndarray:
    """``fn`` of every cell of an object array of ``str``, computed once per distinct value."""
    codes, uniques = _factorize_text(values)
    mapped = np.empty(len(uniques), dtype=dtype)
    for k, u in enumerate(uniques):
        mapped[k] = fn(u)
    return mapped[codes]


def _check_unique(
    values: np.ndarray,
    resolver: Callable[[str], object],
    column: str,
    source: str,
    errors: list[RowError],
    bad: np.ndarray,
    skip: np.ndarray | None = None,
) -> tuple[dict[str, object], np.ndarray, list[str]]:
    """Resolve each distinct value once; record an error for every row holding a bad one.

    Returns the resolved values by text, and ``(codes, uniques)`` of ``values``.
    """
    codes, uniques = _factorize_text(values)
    resolved: dict[str, object] = {}
    for k, value in enumerate(uniques):
        try:
            resolved[value] = resolver(value)
        except SpepredError as err:
            rows = np.flatnonzero(codes == k)
            if skip is not None:
                rows = rows[~skip[rows]]
            bad[rows] = True
            reason = str(err)
            errors.extend(RowError(source, _row_label(i), column, value, reason) for i in rows)
    return resolved, codes, uniques


def _text(values: np.ndarray) -> np.ndarray:
    """Cells as stripped ``str`` (object array); missing cells become ``""``."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            out[i] = ""
        else:
            out[i] = (v if isinstance(v, str) else str(v)).strip()
    return out


def _present(v: object) -> bool:
    """A cell that holds something (not None, NaN, pd.NA or blank text)."""
    return not (
        v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
    )


def _parse_numbers(raw: np.ndarray) -> np.ndarray:
    try:
        parsed = pd.to_numeric(pd.Series(raw, copy=False), errors="coerce")
        if parsed.dtype.kind in "fiub":
            return parsed.to_numpy(dtype=np.float64)
        # complex cells: a cast to float would silently drop the imaginary part (25+3j
        # predicted at 25 °C); the per-cell parser refuses them as "expected a number"
        raise TypeError(parsed.dtype)
    except (OverflowError, TypeError, ValueError):
        # a cell that even errors="coerce" chokes on (an int beyond the float range):
        # parse cell by cell, such ints become +-inf and fail as "not a finite number"
        return np.array([_parse_number(v) for v in raw], dtype=np.float64)


def _parse_number(value: object) -> float:
    if isinstance(value, (complex, np.complexfloating)):
        return math.nan  # not a real number: reported as "expected a number"
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    try:
        parsed = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce")
        return float(parsed.iloc[0]) if parsed.dtype.kind in "fiub" else math.nan
    except (OverflowError, TypeError, ValueError):
        return math.nan


def _column(table, name: str):
    """A column of a DataFrame (a Series) or of a mapping (a sequence); None if absent."""
    if isinstance(table, pd.DataFrame):
        return table[name] if name in table.columns else None
    return table[name] if name in table else None


def _objects(column) -> np.ndarray:
    """The cells of a column as an object array."""
    if hasattr(column, "to_numpy"):
        return column.to_numpy(dtype=object)
    if isinstance(column, np.ndarray):
        return column.astype(object, copy=False)
    out = np.empty(len(column), dtype=object)
    for i, v in enumerate(column):
        out[i] = v
    return out


def _distinct(column) -> tuple[np.ndarray, list[str]] | None:
    """``(codes, uniques)`` of a column holding only text and plain missing cells (None,
    float NaN, pd.NA; code -1), else None.

    Equal text cells are equal ``str``, so whatever is derived from a cell's text can be
    derived once per distinct value; anything else (numbers, exotic missing values such as
    NaT) goes through the per-cell code instead.
    """
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.StringDtype):
        codes, uniques = column.factorize()  # native for Arrow-backed text; missing -> -1
        return np.asarray(codes, dtype=np.intp), list(uniques)
    values = _objects(column)
    if values.ndim != 1:
        return None
    try:
        codes, uniques = pd.factorize(values)
    except (TypeError, ValueError):  # unhashable cells
        return None
    if not all(isinstance(u, str) for u in uniques):
        return None
    missing = codes < 0
    if missing.any():
        kinds = set(map(type, values[missing]))
        if not all(t is _NONE_TYPE or t is _NA_TYPE or issubclass(t, float) for t in kinds):
            return None
    return np.asarray(codes, dtype=np.intp), list(uniques)


def _text_column(column, n: int) -> np.ndarray:
    """:func:`_text` of a column, computed once per distinct value on large tables."""
    if n >= _SMALL:
        d = _distinct(column)
        if d is not None:
            codes, uniques = d
            stripped = np.empty(len(uniques) + 1, dtype=object)
            for k, u in enumerate(uniques):
                stripped[k] = u.strip()
            stripped[-1] = ""  # code -1: missing
            return stripped[codes]
    return _text(_objects(column))


def _number_column(column, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values, present)``: the cells parsed as ``pd.to_numeric(errors="coerce")`` does,
    and which cells hold anything at all (:func:`_present`)."""
    dtype = getattr(column, "dtype", None)
    if isinstance(column, pd.Series) and isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        values = column.to_numpy(dtype=np.float64)
        return values, ~np.isnan(values)
    if n >= _SMALL:
        d = _distinct(column)
        if d is not None:
            codes, uniques = d
            reps = np.empty(len(uniques) + 1, dtype=object)
            reps[: len(uniques)] = uniques
            missing = np.flatnonzero(codes < 0)
            parsed = np.full(len(uniques) + 1, np.nan)
            if len(missing):  # the parser sees the same kinds of cells as the whole column
                reps[-1] = _objects(column)[missing[0]]
                parsed[:-1] = _parse_numbers(reps)[:-1]
            else:
                parsed[:-1] = _parse_numbers(reps[:-1])
            present = np.array([bool(u.strip()) for u in uniques] + [False], dtype=bool)
            return parsed[codes], present[codes]
    raw = _objects(column)
    if n < _SMALL and all(
        v is None or type(v) is float or (type(v) is int and -(2**53) <= v <= 2**53) for v in raw
    ):  # JSON numbers and keyword arguments: what pd.to_numeric would return, without it
        values = np.array([math.nan if v is None else v for v in raw], dtype=np.float64)
        return values, ~np.isnan(values)
    return _parse_numbers(raw), np.array([_present(v) for v in raw], dtype=bool)


def _float_text(values: np.ndarray) -> np.ndarray:
    """``values.astype(str).astype(object)``, formatting each distinct value once."""
    if len(values) < _SMALL:
        return values.astype(str).astype(object)
    # by bit pattern, so that -0.0 and 0.0 keep their own text
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    codes, uniques = pd.factorize(bits)
    return uniques.view(np.float64).astype(str).astype(object)[codes]


def _isin(values: np.ndarray, choices: frozenset[str]) -> np.ndarray:
    """``np.isin(values, list(choices))`` for an object array of ``str``."""
    if len(values) < _SMALL:
        return np.array([v in choices for v in values], dtype=bool)
    return np.isin(values, list(choices))


def _duplicated(values: np.ndarray) -> np.ndarray:
    """Cells whose text occurs more than once (``duplicated(keep=False)``)."""
    if len(values) < _SMALL:
        seen: dict[str, int] = {}
        for v in values:
            seen[v] = seen.get(v, 0) + 1
        return np.array([seen[v] > 1 for v in values], dtype=bool)
    return pd.Series(values, copy=False).duplicated(keep=False).to_numpy()


def _join(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Row-wise ``"|".join`` of object arrays of ``str``."""
    out = np.empty(n, dtype=object)
    for i, t in enumerate(zip(*parts)):
        out[i] = "|".join(t)
    return out


def validate_formulations(
    table: pd.DataFrame,
    *,
    source: str = "input",
    check_chemistry: bool = True,
    require_labels: bool = False,
) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and normalize a formulation table (see :func:`validate_columns`).

    Returns the normalized table as a DataFrame (schema columns first, extra input columns
    after them, the caller's index) and every problem found.
    """
    cols, errors = validate_columns(
        table, source=source, check_chemistry=check_chemistry, require_labels=require_labels
    )
    data = {c: cols[c] for c in COLUMNS}
    for col in table.columns:
        if col not in INPUT_COLUMNS:
            data[col] = table[col].to_numpy()
    return pd.DataFrame(data, index=table.index), errors


def validate_columns(
    table: pd.DataFrame | Mapping[str, Sequence],
    *,
    source: str = "input",
    check_chemistry: bool = True,
    require_labels: bool = False,
) -> tuple[dict[str, np.ndarray], list[RowError]]:
    """Validate and normalize a formulation table into one array per schema column.

    Parameters
    ----------
    table
        Any table with at least ``monomer_smiles``: a DataFrame, or a mapping of column name
        -> one-dimensional sequence of cells (a few rows from a request, without building a
        DataFrame). Missing optional columns get their defaults (salt ``LiTFSI``, 25 °C, not
        plasticized, crosslink type inferred); each default that stands in for a missing
        value is recorded in ``flags``.
    source
        Name of the table, used in error messages.
    check_chemistry
        Also resolve every distinct SMILES and chemical name (cached per distinct value).
    require_labels
        Training tables: a row without any label is an error.

    Returns
    -------
    (columns, errors)
        ``columns`` maps every schema column to an array with one value per input row, in
        order. ``errors`` lists every problem found.

    Raises
    ------
    TableValidationError
        Only when ``monomer_smiles`` is missing altogether.
    """
    names = list(table.columns) if isinstance(table, pd.DataFrame) else list(table)
    dups = _duplicates(names)
    if dups:  # a DataFrame may repeat a name; which of the two columns is meant is unknowable
        raise TableValidationError(
            [RowError(source, "header", str(d), names.count(d), "duplicate column name: expected each column once")
             for d in dups],
            what=source,
        )
    if "monomer_smiles" not in names:
        raise TableValidationError(
            [
                RowError(
                    source,
                    "header",
                    "monomer_smiles",
                    ", ".join(map(str, names[:20])),
                    "required column missing (the table must have a monomer_smiles column)",
                )
            ],
            what=source,
        )
    n = len(table) if isinstance(table, pd.DataFrame) else len(table["monomer_smiles"])
    errors: list[RowError] = []
    bad = np.zeros(n, dtype=bool)
    cols: dict[str, np.ndarray] = {}
    raw_flags = _column(table, "flags")
    flags = _text_column(raw_flags, n) if raw_flags is not None else np.full(n, "", dtype=object)

    for col in TEXT_COLUMNS:
        raw = _column(table, col)
        cols[col] = _text_column(raw, n) if raw is not None else np.full(n, "", dtype=object)

    # numbers: parse, range-check, default
    for spec in (*CONDITION_COLUMNS, *LABEL_COLUMNS, *AUX_COLUMNS):
        column = _column(table, spec.name)
        if column is None:
            values = np.full(n, spec.default, dtype=np.float64)
            if not math.isnan(spec.default):
                flags = _add_flag(flags, np.ones(n, dtype=bool), f"{spec.name}_default")
            cols[spec.name] = values
            continue
        values, present = _number_column(column, n)
        raw = None
        finite = np.isfinite(values)
        not_number = present & np.isnan(values)
        not_finite = np.isinf(values)
        with np.errstate(invalid="ignore"):
            out_of_range = finite & ((values < spec.low) | (values > spec.high))
        for mask, why in (
            (not_number, f"expected a number ({spec.unit})"),
            (not_finite, f"expected a finite number ({spec.unit})"),
            (out_of_range, f"expected {spec.description} between {spec.low:g} and {spec.high:g} {spec.unit}"),
        ):
            if mask.any():
                raw = _objects(column) if raw is None else raw
                for i in np.flatnonzero(mask):
                    errors.append(RowError(source, _row_label(i), spec.name, raw[i], why))
                bad |= mask
        values = np.where(finite, values, np.nan)
        if not math.isnan(spec.default):
            missing = np.isnan(values) & ~bad
            values = np.where(np.isnan(values), spec.default, values)
            flags = _add_flag(flags, missing, f"{spec.name}_default")
        cols[spec.name] = values

    # plasticized
    column = _column(table, "plasticized")
    if column is not None:
        text = _map_text(_text_column(column, n), str.casefold)
        is_true = _isin(text, _TRUE)
        valid = is_true | _isin(text, _FALSE)
        if not valid.all():
            raw = _objects(column)
            for i in np.flatnonzero(~valid):
                errors.append(RowError(source, _row_label(i), "plasticized", raw[i], "expected true or false"))
        bad |= ~valid
        cols["plasticized"] = is_true
    else:
        cols["plasticized"] = np.zeros(n, dtype=bool)

    # categories
    ct = _map_text(cols["crosslink_type"], str.casefold)
    known_ct = _isin(ct, frozenset([*CROSSLINK_TYPE_VALUES, ""]))
    for i in np.flatnonzero(~known_ct):
        errors.append(
            RowError(
                source,
                _row_label(i),
                "crosslink_type",
                cols["crosslink_type"][i],
                "expected one of " + ", ".join(CROSSLINK_TYPE_VALUES),
            )
        )
    bad |= ~known_ct
    cols["crosslink_type"] = ct

    # salt default
    no_salt = cols["salt"] == ""
    if no_salt.any():
        cols["salt"] = np.where(no_salt, DEFAULT_SALT, cols["salt"])
        flags = _add_flag(flags, no_salt, "salt_default")

    if check_chemistry:
        empty = cols["monomer_smiles"] == ""
        for i in np.flatnonzero(empty):
            errors.append(
                RowError(source, _row_label(i), "monomer_smiles", "", "empty: at least one matrix SMILES is required")
            )
        bad |= empty
        _check_unique(cols["monomer_smiles"], resolve_matrix, "monomer_smiles", source, errors, bad, skip=empty)
        xl, xl_codes, xl_uniques = _check_unique(
            cols["crosslinker"], resolve_crosslinkers, "crosslinker", source, errors, bad
        )
        _check_unique(cols["filler"], resolve_fillers, "filler", source, errors, bad)
        salts, salt_codes, salt_uniques = _check_unique(
            cols["salt"], canonical_salt_label, "salt", source, errors, bad
        )
        labels = np.empty(len(salt_uniques), dtype=object)
        labels[:] = [salts.get(v, v) for v in salt_uniques]
        cols["salt"] = labels[salt_codes]
        # crosslink type inferred from the crosslinkers where the user left it empty
        empty_ct = ct == ""
        if empty_ct.any():
            implied = np.empty(len(xl_uniques), dtype=object)
            implied[:] = [infer_crosslink_type(xl[v]) if v in xl else "none" for v in xl_uniques]
            inferred = implied[xl_codes]
            cols["crosslink_type"] = np.where(empty_ct, inferred, ct)
            flags = _add_flag(flags, empty_ct & (inferred != "none"), "crosslink_type_inferred")
    else:
        cols["crosslink_type"] = np.where(ct == "", "none", ct)

    # filler loading without filler
    no_filler = _map_text(cols["filler"], is_none, dtype=bool)
    with np.errstate(invalid="ignore"):
        loading = np.nan_to_num(cols["filler_wt_pct"]) > 0
    for i in np.flatnonzero(no_filler & loading):
        errors.append(
            RowError(source, _row_label(i), "filler_wt_pct", cols["filler_wt_pct"][i],
                     "a filler loading was given but no filler")
        )
    bad |= no_filler & loading

    if require_labels:
        no_label = np.all([np.isnan(cols[c]) for c in LABELS], axis=0)
        for i in np.flatnonzero(no_label):
            errors.append(
                RowError(source, _row_label(i), "labels", "", "no label: need one of " + ", ".join(LABELS))
            )
        bad |= no_label

    # identifiers
    raw = _column(table, "record_id")
    rid = _text_column(raw, n) if raw is not None else np.full(n, "", dtype=object)
    missing_id = rid == ""
    if missing_id.any():
        prefix = f"{source}:"
        rid[missing_id] = [prefix + str(i) for i in (np.flatnonzero(missing_id) + 1).tolist()]
    if n > 1:
        dup = _duplicated(rid)
        for i in np.flatnonzero(dup):
            errors.append(RowError(source, _row_label(i), "record_id", rid[i], "duplicate record_id"))
        bad |= dup
    cols["record_id"] = rid
    raw = _column(table, "source")
    src = _text_column(raw, n) if raw is not None else np.full(n, "", dtype=object)
    cols["source"] = np.where(src == "", source, src)
    raw = _column(table, "group")
    group = _text_column(raw, n) if raw is not None else np.full(n, "", dtype=object)
    no_group = group == ""
    if no_group.any():
        cols["group"] = np.where(no_group, _join([cols["monomer_smiles"], cols["crosslinker"]], n), group)
    else:
        cols["group"] = group
    raw = _column(table, "curve_id")
    curve = _text_column(raw, n) if raw is not None else np.full(n, "", dtype=object)
    if (curve == "").any():
        key = _join(
            [
                cols["group"],
                cols["salt"],
                _float_text(cols["salt_molality_mol_kg"]),
                _float_text(cols["mw_g_mol"]),
                cols["filler"],
                _float_text(cols["filler_wt_pct"]),
            ],
            n,
        )
        curve = np.where(curve == "", key, curve)
    cols["curve_id"] = curve
    cols["flags"] = flags
    errors.sort(key=lambda e: (e.row if isinstance(e.row, int) else -1))
    return cols, errors


def require_valid(
    table: pd.DataFrame, *, source: str = "input", require_labels: bool = False
) -> pd.DataFrame:
    """Validate every row, then raise once listing every bad row (training tables)."""
    normalized, errors = validate_formulations(table, source=source, require_labels=require_labels)
    if errors:
        raise TableValidationError(errors, what=source)
    return normalized


#: A user's table may carry extra columns (passed through), but not without bound: a
#: million-column CSV would take minutes and gigabytes before any row is looked at.
MAX_COLUMNS = 1000
_MAX_HEADER_BYTES = 1 << 20
#: Bytes read ahead of pandas to check the header and the first data row. pandas' C reader
#: refuses a later row wider than the header as soon as it meets it, but a wide *first*
#: row (one column in the header, a million fields below it) costs it a minute and
#: gigabytes before the refusal: the first row is counted here instead.
_SNIFF_BYTES = 4 << 20
#: ``--input -``: the table is read from standard input (as CSV).
STDIN = "-"
#: Rows per chunk when a table is read in chunks (:func:`iter_table`).
READ_CHUNK_ROWS = 50_000
_PARQUET_SUFFIXES = {".parquet", ".pq"}


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream``: what was read ahead to check the
    header is given back to the CSV reader (standard input cannot seek)."""

    def __init__(self, head: bytes, stream) -> None:
        self._head, self._pos, self._stream = head, 0, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pos < len(self._head):
            n = min(len(buffer), len(self._head) - self._pos)
            buffer[:n] = self._head[self._pos : self._pos + n]
            self._pos += n
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _duplicates(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    for name in names:
        if str(name).strip():  # blank names: pandas calls them Unnamed: k, never equal
            seen[name] = seen.get(name, 0) + 1
    return [n for n, k in seen.items() if k > 1]


def _refuse_duplicates(names: Sequence[str], where: str) -> None:
    dups = _duplicates(names)
    if dups:
        listed = ", ".join(f"{d!r} ({list(names).count(d)} times)" for d in dups[:10])
        raise SpepredError(
            f"cannot read {where}: duplicate column names in the header: {listed}; "
            "expected each column once (the second would silently be renamed or shadow the first)"
        )


def _check_csv_head(head: bytes, at_eof: bool, where: str) -> None:
    """Refuse, from the first bytes alone, a CSV whose header has more than
    :data:`MAX_COLUMNS` columns or a repeated name, or whose first data row has more fields
    than the header. Anything this cannot read is left to pandas, which says why."""
    import csv

    text = head.decode("utf-8-sig", errors="replace")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, _SNIFF_BYTES + 1))
    try:
        # newline="": \r, \n and \r\n all end a record (old-Mac files end lines with \r)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next((r for r in reader if r), None)
        if header is None:
            return
        if len(header) > MAX_COLUMNS or sum(map(len, header)) > _MAX_HEADER_BYTES:
            raise SpepredError(
                f"cannot read {where}: more than {MAX_COLUMNS} columns in the header "
                "(a formulation table needs monomer_smiles and a few condition columns)"
            )
        _refuse_duplicates(header, where)
        first = next((r for r in reader if r), None)
        if first is None:
            return
        complete = at_eof or next(reader, None) is not None
        if len(first) > len(header) and (complete or len(first) > MAX_COLUMNS):
            raise SpepredError(
                f"cannot read {where}: malformed CSV (a row has more fields than the header: "
                f"row 1 has {len(first):,}{'' if complete else '+'}, the header {len(header)})"
            )
    except csv.Error:
        return
    finally:
        csv.field_size_limit(limit)


def _csv_source(path: str | Path):
    """``(source, where)``: a path or a binary stream for pandas, checked by
    :func:`_check_csv_head` first."""
    if str(path) == STDIN:
        stream = sys.stdin.buffer
        head = stream.read(_SNIFF_BYTES)
        at_eof = len(head) < _SNIFF_BYTES
        _check_csv_head(head, at_eof, "standard input")
        return io.BufferedReader(_Prefixed(head, stream)), "standard input"
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        at_eof = not fh.read(1)
    _check_csv_head(head, at_eof, str(path))
    return path, str(path)


def _check_path(path: str | Path) -> Path | None:
    """The input path (None for standard input), refusing what is not a readable file."""
    if str(path) == STDIN:
        return None
    p = Path(path)
    if not p.exists():
        raise InvalidValueError("input file", str(p), "an existing CSV or Parquet file (or - for standard input)")
    if p.is_dir():
        raise InvalidValueError("input file", str(p), "a file, not a directory")
    return p


def _read_errors(where: str):
    """Context manager turning the readers' exceptions into one-line :class:`SpepredError`."""
    from contextlib import contextmanager

    @contextmanager
    def guard():
        try:
            with warnings.catch_warnings():
                # index_col=False: a first row longer than the header would otherwise
                # silently become an index and shift every value one column to the right
                warnings.simplefilter("error", pd.errors.ParserWarning)
                yield
        except SpepredError:
            raise
        except pd.errors.ParserWarning:
            raise SpepredError(f"cannot read {where}: malformed CSV (a row has more fields than the header)") from None
        except UnicodeDecodeError as err:
            raise SpepredError(f"cannot read {where}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        except pd.errors.ParserError as err:
            raise SpepredError(f"cannot read {where}: malformed CSV ({str(err).strip()})") from None
        except pd.errors.EmptyDataError:
            raise SpepredError(f"cannot read {where}: the file is empty (expected a header row)") from None
        except (OSError, ValueError) as err:
            raise SpepredError(f"cannot read {where}: {err}") from None

    return guard()


_CSV_OPTIONS = dict(dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", index_col=False)


def read_table(path: str | Path, *, smiles_column: str | None = None) -> pd.DataFrame:
    """Read a user's CSV or Parquet formulation table with clear errors for bad files.

    CSV is read as UTF-8 (a byte-order mark is accepted; lines may end in ``\\n``,
    ``\\r\\n`` or ``\\r``); ``-`` reads CSV from standard input. Tables with more than
    :data:`MAX_COLUMNS` columns, a repeated column name, or a first row wider than the
    header are refused before they are read. The SMILES column is found by
    :func:`rename_smiles_column`.
    """
    (table,) = iter_table(path, chunk_rows=None, smiles_column=smiles_column)
    return table


def iter_table(path: str | Path, *, chunk_rows: int | None = READ_CHUNK_ROWS, smiles_column: str | None = None):
    """:func:`read_table` in chunks of ``chunk_rows`` rows (``None``: one chunk), so that a
    table of any length is predicted in bounded memory. A table without rows is one empty
    chunk (its columns are known). Errors are raised as :func:`read_table` raises them, at
    the chunk where they are met."""
    p = _check_path(path)
    where = "standard input" if p is None else str(p)
    if p is not None and p.suffix.lower() in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        with _read_errors(where):
            try:
                pf = pq.ParquetFile(p)
            except Exception as err:  # pyarrow raises ArrowInvalid / OSError on a bad file
                raise SpepredError(f"cannot read {where}: {err}") from None
            names = pf.schema_arrow.names
            if len(names) > MAX_COLUMNS:
                raise SpepredError(
                    f"cannot read {where}: more than {MAX_COLUMNS} columns in the header "
                    "(a formulation table needs monomer_smiles and a few condition columns)"
                )
            _refuse_duplicates(names, where)
            if chunk_rows is None or pf.metadata.num_rows == 0:
                batches = iter([pf.read()])
            else:
                batches = pf.iter_batches(batch_size=chunk_rows)
    else:
        with _read_errors(where):
            source, where = _csv_source(path)
            if chunk_rows:
                batches = pd.read_csv(source, chunksize=chunk_rows, **_CSV_OPTIONS)
            else:
                batches = iter([pd.read_csv(source, **_CSV_OPTIONS)])
    while True:
        # read under the error guard, hand the chunk over outside it (a generator must not
        # keep warning filters changed while its consumer runs)
        with _read_errors(where):
            chunk = next(batches, None)
        if chunk is None:
            return
        if not isinstance(chunk, pd.DataFrame):  # an Arrow table or record batch
            chunk = chunk.to_pandas()
        yield rename_smiles_column(chunk, smiles_column, where=where)


def rename_smiles_column(table: pd.DataFrame, smiles_column: str | None = None, *, where: str = "input") -> pd.DataFrame:
    """The table with its SMILES column named ``monomer_smiles``.

    ``smiles_column`` names it explicitly (``--smiles-column NAME``, as chemprop's
    ``--smiles-columns``); otherwise a table without ``monomer_smiles`` may call it
    ``smiles`` or ``monomer_smiles`` in any case (``SMILES``, ``Monomer_SMILES``).
    """
    columns = [str(c) for c in table.columns]
    if smiles_column is not None:
        if smiles_column not in columns:
            raise InvalidValueError(
                "--smiles-column", smiles_column, f"a column of {where} (columns: {', '.join(columns[:20])})"
            )
        if smiles_column == "monomer_smiles":
            return table
        if "monomer_smiles" in columns:
            raise InvalidValueError(
                "--smiles-column", smiles_column,
                f"the only SMILES column, but {where} also has monomer_smiles (drop one of them)",
            )
        return table.rename(columns={smiles_column: "monomer_smiles"})
    if "monomer_smiles" in columns:
        return table
    matches = [c for c in columns if c.strip().casefold() in ("monomer_smiles", "smiles")]
    if len(matches) == 1:
        return table.rename(columns={matches[0]: "monomer_smiles"})
    if len(matches) > 1:
        raise InvalidValueError(
            "SMILES column", ", ".join(matches), f"one of them, named with --smiles-column ({where} has several)"
        )
    return table


def write_table(table: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path | str:
    """Write a table as CSV, TSV, Parquet or JSON (by suffix, or ``fmt``); ``-`` is standard
    output. See :func:`spepred.data.output.write_table` (kept here for its callers)."""
    from spepred.data.output import write_table as _write_table

    return _write_table(table, path, fmt)


def write_table_chunks(chunks, path: str | Path, fmt: str | None = None) -> tuple[Path | str, int]:
    """Write DataFrames one after another as one table: see
    :func:`spepred.data.output.write_table_chunks` (kept here for its callers)."""
    from spepred.data.output import write_table_chunks as _write_table_chunks

    return _write_table_chunks(chunks, path, fmt)
