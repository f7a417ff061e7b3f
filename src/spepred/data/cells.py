"""Cells -> typed column arrays: the parsers behind :meth:`spepred.data.columns.Column.parse`.

One parser per column kind (``matrix``, ``chemicals``, ``category``, ``number``, ``bool``),
each returning a :class:`Parsed`: one value per row and one error per bad cell (row,
value, reason). Parsing is vectorized: a million screening rows hold a few hundred distinct
building blocks, and text and number cells are parsed once per distinct value, with results
identical to parsing every cell. Below :data:`_SMALL` rows plain loops beat pandas'
per-call overhead (the single formulations of ``predict --smiles`` and HTTP): kept because
``benchmarks/predict_speed.py`` shows it (one formulation, interleaved in one process:
``validate_columns`` 0.26 ms with it, 0.57 ms without; ``predict_records`` 6.09 ms vs
6.96 ms, on a loaded 2-core machine). A column the table does not have is one value for
every row, resolved once.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from spepred.errors import SpepredError
from spepred.values import FALSE_WORDS, TRUE_WORDS

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
    errors: list[tuple[int, object, str]],
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
            errors.extend((int(i), value, reason) for i in rows)
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


def _duplicates(names) -> list[str]:
    """Names that occur more than once (blank names never count: pandas calls them
    ``Unnamed: k``, never equal)."""
    seen: dict[str, int] = {}
    for name in names:
        if str(name).strip():
            seen[name] = seen.get(name, 0) + 1
    return [n for n, k in seen.items() if k > 1]


def _join(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Row-wise ``"|".join`` of object arrays of ``str``."""
    out = np.empty(n, dtype=object)
    for i, t in enumerate(zip(*parts)):
        out[i] = "|".join(t)
    return out



@dataclass
class Parsed:
    """One column, parsed.

    Attributes
    ----------
    values
        One value per row: ``str`` objects for text kinds (``""`` for a missing cell, the
        canonical text for columns whose resolver gives one), float64 for numbers (NaN
        when missing and no default), bool for booleans.
    errors
        ``(row position, cell as given, reason)`` for every bad cell, row positions from 0.
    bad
        Rows with an error in this column (None: none).
    defaulted
        Rows where the column's default stood in for a missing cell (None: none).
    given
        Rows whose cell held anything at all (a bool column's explicit ``false``).
    resolved
        Chemical columns with chemistry checked: distinct text -> what the resolver gave.
    codes, uniques
        The distinct cells the resolver saw and each row's code into them (before a
        canonical text replaced them), so that other rules reuse them.
    """

    values: np.ndarray
    errors: list[tuple[int, object, str]] = field(default_factory=list)
    bad: np.ndarray | None = None
    defaulted: np.ndarray | None = None
    given: np.ndarray | None = None
    resolved: dict[str, object] = field(default_factory=dict)
    codes: np.ndarray | None = None
    uniques: list[str] | None = None


@lru_cache(maxsize=None)
def _resolver(path: str) -> Callable[[str], object]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _absent_text(spec, n: int, check_chemistry: bool) -> Parsed:
    """A text column the table does not have: one value for every row (its default, or
    ''), resolved once, without looking at n cells."""
    value = spec.default if spec.has_default else ""
    out = Parsed(np.full(n, value, dtype=object), codes=np.zeros(n, dtype=np.intp), uniques=[value])
    if spec.has_default:
        out.defaulted = np.ones(n, dtype=bool)
    if spec.kind == "category" or not check_chemistry or not spec.resolver:
        return out
    if spec.kind == "matrix":  # required: never absent past validate_columns' header check
        return _parse_text(spec, out.values, n, check_chemistry)
    bad = np.zeros(n, dtype=bool)
    out.resolved, _, _ = _check_unique(np.array([value], dtype=object), _resolver(spec.resolver), out.errors, bad[:1])
    if out.errors:  # the default itself does not resolve: every row is bad
        (_, v, reason), out.errors = out.errors[0], [(i, v, reason) for i in range(n)]
        out.bad = np.ones(n, dtype=bool)
    elif spec.canonical:
        out.values = np.full(n, out.resolved[value], dtype=object)
    return out


def _parse_text(spec, column, n: int, check_chemistry: bool) -> Parsed:
    if column is None:
        return _absent_text(spec, n, check_chemistry)
    values = _text_column(column, n)
    out = Parsed(values, bad=np.zeros(n, dtype=bool))
    if spec.kind == "category":
        text = _map_text(values, str.casefold)
        known = _isin(text, frozenset([*spec.choices, ""]))
        for i in np.flatnonzero(~known):
            out.errors.append((int(i), values[i], "expected one of " + ", ".join(spec.choices)))
        out.bad |= ~known
        out.values = text
        return out
    if spec.has_default:
        empty = values == ""
        if empty.any():
            out.values = values = np.where(empty, spec.default, values)
            out.defaulted = empty
    if not check_chemistry:
        return out
    skip = None
    if spec.kind == "matrix":
        skip = values == ""
        for i in np.flatnonzero(skip):
            out.errors.append((int(i), "", "empty: at least one matrix SMILES is required"))
        out.bad |= skip
    if spec.resolver:
        resolved, codes, uniques = _check_unique(values, _resolver(spec.resolver), out.errors, out.bad, skip=skip)
        out.resolved, out.codes, out.uniques = resolved, codes, uniques
        if spec.canonical:
            labels = np.empty(len(uniques), dtype=object)
            labels[:] = [resolved.get(v, v) for v in uniques]
            out.values = labels[codes]
    return out


def _parse_number_cells(spec, column, n: int, check_chemistry: bool) -> Parsed:
    if column is None:
        values = np.full(n, spec.default if spec.default is not None else math.nan, dtype=np.float64)
        return Parsed(values, defaulted=np.ones(n, dtype=bool) if spec.has_default else None)
    values, present = _number_column(column, n)
    out = Parsed(values, bad=np.zeros(n, dtype=bool), given=present)
    raw = None
    finite = np.isfinite(values)
    not_number = present & np.isnan(values)
    not_finite = np.isinf(values)
    checked = np.where(finite, values, spec.low)  # no NaN compared: no warning to silence
    out_of_range = finite & ((checked < spec.low) | (checked > spec.high))
    unit = f" ({spec.unit})" if spec.unit else ""
    for mask, why in (
        (not_number, f"expected a number{unit}"),
        (not_finite, f"expected a finite number{unit}"),
        (out_of_range, f"expected {spec.range_text}"),
    ):
        if mask.any():
            raw = _objects(column) if raw is None else raw
            out.errors.extend((int(i), raw[i], why) for i in np.flatnonzero(mask))
            out.bad |= mask
    values = np.where(finite, values, np.nan)
    if spec.has_default:
        missing = np.isnan(values)
        out.defaulted = missing & ~out.bad
        values = np.where(missing, float(spec.default), values)
    out.values = values
    return out


def _parse_bool(spec, column, n: int, check_chemistry: bool) -> Parsed:
    if column is None:
        return Parsed(np.full(n, bool(spec.default), dtype=bool), given=np.zeros(n, dtype=bool))
    text = _map_text(_text_column(column, n), str.casefold)
    is_true = _isin(text, _TRUE)
    valid = is_true | _isin(text, _FALSE)
    out = Parsed(is_true, bad=~valid, given=text != "")
    if not valid.all():
        raw = _objects(column)
        out.errors.extend((int(i), raw[i], "expected true or false") for i in np.flatnonzero(~valid))
    return out


PARSERS: dict[str, Callable[..., Parsed]] = {
    "matrix": _parse_text,
    "chemicals": _parse_text,
    "category": _parse_text,
    "number": _parse_number_cells,
    "bool": _parse_bool,
}


def parse_column(spec, column, n: int, *, check_chemistry: bool = True) -> Parsed:
    """Parse one column by its declaration (see :meth:`spepred.data.columns.Column.parse`)."""
    return PARSERS[spec.kind](spec, column, n, check_chemistry)
