"""The kinds of electrolyte spepred tells apart, from the components a row names.

``composite`` holds a filler; ``gel`` a liquid component (solvent, plasticizer, ionic
liquid) and no filler; ``dry_network`` is crosslinked without liquid or filler;
``dry_linear`` is the rest. Crosslinked or not is a second axis (a gel or a composite can be
either). Nothing is guessed: a row is crosslinked when it names a crosslinker or a crosslink
type, or a converter flagged an unnamed network (``network_crosslinker_unnamed``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spepred.chem.resolve import is_none

REGIMES = ("dry_linear", "dry_network", "gel", "composite")
NETWORK_FLAG = "network_crosslinker_unnamed"


def _per_unique(values, fn) -> np.ndarray:
    """``fn`` of every cell (bool), computed once per distinct value; missing cells
    (None, NaN) are ``fn(None)``."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if len(arr) <= 64:  # a request's few rows: calling fn is cheaper than factorizing
        return np.fromiter((bool(fn(None if _missing(v) else v)) for v in arr), bool, len(arr))
    codes, uniq = pd.factorize(arr)
    mapped = np.array([bool(fn(u)) for u in uniq] + [bool(fn(None))], dtype=bool)
    return mapped[codes]  # code -1 (missing) picks the last entry


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _is_named(v) -> bool:
    return v is not None and not is_none(v)


def _is_typed(v) -> bool:
    return v is not None and str(v).strip().casefold() not in ("", "none", "nan")


def _is_flagged(v) -> bool:
    return v is not None and NETWORK_FLAG in str(v)


def _is_true(v) -> bool:
    return v is not None and v == v and bool(v)


def crosslinked_arrays(crosslinker, crosslink_type, flags=None) -> np.ndarray:
    """:func:`crosslinked` of columns given as arrays (no DataFrame: the predictor calls it
    for every request)."""
    out = _per_unique(crosslinker, _is_named) | _per_unique(crosslink_type, _is_typed)
    if flags is not None:
        out |= _per_unique(flags, _is_flagged)
    return out


def regime_arrays(filler, plasticized, crosslinker, crosslink_type, flags=None) -> np.ndarray:
    """:func:`regime` of columns given as arrays: an object array of regime names."""
    filler = _per_unique(filler, _is_named)
    liquid = _per_unique(plasticized, _is_true)
    network = crosslinked_arrays(crosslinker, crosslink_type, flags)
    return np.where(filler, "composite", np.where(liquid, "gel", np.where(network, "dry_network", "dry_linear"))).astype(object)


def crosslinked(table: pd.DataFrame) -> pd.Series:
    """True for the rows of a formulation table that describe a network."""
    flags = table["flags"].to_numpy(dtype=object) if "flags" in table else None
    out = crosslinked_arrays(table["crosslinker"].to_numpy(dtype=object), table["crosslink_type"].to_numpy(dtype=object), flags)
    return pd.Series(out, index=table.index)


def regime(table: pd.DataFrame) -> pd.Series:
    """The regime (one of :data:`REGIMES`) of every row of a formulation table."""
    flags = table["flags"].to_numpy(dtype=object) if "flags" in table else None
    out = regime_arrays(
        table["filler"].to_numpy(dtype=object), table["plasticized"].to_numpy(dtype=object),
        table["crosslinker"].to_numpy(dtype=object), table["crosslink_type"].to_numpy(dtype=object), flags,
    )
    return pd.Series(out, index=table.index)
