"""Validating a formulation table: a loop over the column declarations, then the few rules
that tie columns together.

Every column of :mod:`spepred.data.columns` parses its own cells (:meth:`Column.parse`:
numbers range-checked, words read, chemistry resolved once per distinct value); this
module runs them in turn, adds the rules between columns (a filler loading needs a filler,
liquids make a formulation plasticized, an empty crosslink type is inferred from the
crosslinker), the identifiers, and numbers the rows from 1 in every error. It checks every
row before reporting: the normalized table plus one :class:`RowError` per problem, so
that training can fail once listing every bad row and prediction can give every bad row a
``status`` instead of stopping. Tables, library specs, ``predict`` options and HTTP
requests all end up here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spepred.data.cells import (
    _add_flag,
    _column,
    _duplicated,
    _duplicates,
    _float_text,
    _join,
    _map_text,
    _objects,
    _text_column,
)
from spepred.data.columns import (
    AUX_COLUMNS,
    COLUMNS,
    FORMULATION,
    INPUT_COLUMNS,
    LABEL_COLUMNS,
    LABELS,
)
from spepred.errors import RowError, TableValidationError
from spepred.values import is_none_word

#: The order columns are checked in, which is the order of a row's errors in its
#: ``status``: numbers (conditions, then labels, then auxiliary signals), words, categories,
#: then chemistry in table order.
_KIND_ORDER = {"number": 0, "bool": 1, "category": 2, "matrix": 3, "chemicals": 3}
_FORMULATION_ORDER = sorted(FORMULATION, key=lambda c: _KIND_ORDER[c.kind])
_NUMBER_ORDER = [c for c in _FORMULATION_ORDER if c.kind == "number"]
CHECK_ORDER = (
    *_NUMBER_ORDER,
    *LABEL_COLUMNS,
    *AUX_COLUMNS,
    *(c for c in _FORMULATION_ORDER if c.kind != "number"),
)


def _row_label(index_pos: int) -> int:
    """Rows are numbered from 1, as a chemist counts the data rows of a CSV."""
    return int(index_pos) + 1


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
        order. ``errors`` lists every problem found, each naming the row (from 1), the
        column, the value and what was expected.

    Raises
    ------
    TableValidationError
        Only when ``monomer_smiles`` is missing altogether, or a column name repeats.
    """
    names = list(table.columns) if isinstance(table, pd.DataFrame) else list(table)
    dups = _duplicates(names)
    if dups:  # a DataFrame may repeat a name; which of the two columns is meant is unknowable
        raise TableValidationError(
            [RowError(source, "header", str(d), names.count(d), "duplicate column name: expected each column once")
             for d in dups],
            what=source,
        )
    required = [c.name for c in FORMULATION if c.required and c.name not in names]
    if required:
        raise TableValidationError(
            [
                RowError(
                    source, "header", name, ", ".join(map(str, names[:20])),
                    f"required column missing (the table must have a {name} column)",
                )
                for name in required
            ],
            what=source,
        )
    n = len(table) if isinstance(table, pd.DataFrame) else len(table["monomer_smiles"])
    errors: list[RowError] = []
    bad = np.zeros(n, dtype=bool)
    cols: dict[str, np.ndarray] = {}
    parsed = {}
    raw_flags = _column(table, "flags")
    flags = _text_column(raw_flags, n) if raw_flags is not None else np.full(n, "", dtype=object)

    # every column parses its own cells
    for spec in CHECK_ORDER:
        p = spec.parse(_column(table, spec.name), n, check_chemistry=check_chemistry)
        if p.defaulted is not None:
            # numbers: a default that stood in for a missing cell, on rows without an error so far
            flags = _add_flag(flags, p.defaulted & ~bad if spec.kind == "number" else p.defaulted, f"{spec.name}_default")
        if p.errors:
            errors.extend(RowError(source, _row_label(i), spec.name, value, why) for i, value, why in p.errors)
            bad |= p.bad
        cols[spec.name] = p.values
        parsed[spec.name] = p

    # crosslink type inferred from the crosslinkers where the user left it empty
    ct = cols["crosslink_type"]
    empty_ct = ct == ""
    if check_chemistry:
        if empty_ct.any():
            from spepred.chem.resolve import infer_crosslink_type

            xl = parsed["crosslinker"]
            implied = np.empty(len(xl.uniques), dtype=object)
            implied[:] = [infer_crosslink_type(xl.resolved[v]) if v in xl.resolved else "none" for v in xl.uniques]
            inferred = implied[xl.codes]
            cols["crosslink_type"] = np.where(empty_ct, inferred, ct)
            flags = _add_flag(flags, empty_ct & (inferred != "none"), "crosslink_type_inferred")
    else:
        cols["crosslink_type"] = np.where(empty_ct, "none", ct)

    # a loading needs what it loads
    no_filler = _map_text(cols["filler"], is_none_word, dtype=bool)
    with np.errstate(invalid="ignore"):
        loading = np.nan_to_num(cols["filler_wt_pct"]) > 0
    for i in np.flatnonzero(no_filler & loading):
        errors.append(
            RowError(source, _row_label(i), "filler_wt_pct", cols["filler_wt_pct"][i],
                     "a filler loading was given but no filler")
        )
    bad |= no_filler & loading

    # liquids make a formulation plasticized: an empty plasticized cell is read as true, an
    # explicit false is a contradiction (plasticized alone, an unnamed liquid, stays valid)
    if _column(table, "liquids") is None:
        has_liquids = np.zeros(n, dtype=bool)
    else:
        has_liquids = ~_map_text(cols["liquids"], is_none_word, dtype=bool)
    if has_liquids.any():
        plast = parsed["plasticized"]
        said_false = has_liquids & plast.given & ~plast.values
        if plast.bad is not None:
            said_false &= ~plast.bad
        for i in np.flatnonzero(said_false):
            errors.append(
                RowError(source, _row_label(i), "plasticized", _objects(_column(table, "plasticized"))[i],
                         f"liquids {cols['liquids'][i]!r} are given, so the formulation is plasticized: "
                         "expected true (or leave plasticized empty)")
            )
        bad |= said_false
        inferred = has_liquids & ~cols["plasticized"]
        cols["plasticized"] = cols["plasticized"] | has_liquids
        flags = _add_flag(flags, inferred & ~said_false, "plasticized_from_liquids")
    if _column(table, "liquid_wt_pct") is not None:
        with np.errstate(invalid="ignore"):
            liquid = np.nan_to_num(cols["liquid_wt_pct"]) > 0
        unnamed = liquid & ~has_liquids & ~cols["plasticized"]
        for i in np.flatnonzero(unnamed):
            errors.append(
                RowError(source, _row_label(i), "liquid_wt_pct", cols["liquid_wt_pct"][i],
                         "a liquid content was given but no liquids (name them, or say plasticized)")
            )
        bad |= unnamed

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
        if has_liquids.any():  # another liquid content is another curve (dry rows keep their key)
            with_liquids = _join([key, cols["liquids"], _float_text(cols["liquid_wt_pct"])], n)
            key = np.where(has_liquids, with_liquids, key)
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


__all__ = ["CHECK_ORDER", "require_valid", "validate_columns", "validate_formulations"]
