"""spepred.data.regimes: the arrays version (what the predictor calls per request) and the
table version agree with the rule as written (the pandas reference of 2026-12-01)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spepred.chem.resolve import is_none
from spepred.data.regimes import NETWORK_FLAG, crosslinked, regime, regime_arrays


def _reference(table: pd.DataFrame) -> np.ndarray:
    named = lambda s: ~s.map(is_none).to_numpy(bool)  # noqa: E731
    ctype = table["crosslink_type"].fillna("").astype(str).str.strip().str.casefold()
    flags = table["flags"].fillna("").astype(str)
    network = named(table["crosslinker"]) | ~ctype.isin(["", "none", "nan"]).to_numpy()
    network |= flags.str.contains(NETWORK_FLAG, regex=False).to_numpy()
    filler = named(table["filler"])
    liquid = table["plasticized"].fillna(False).astype(bool).to_numpy()
    return np.where(filler, "composite", np.where(liquid, "gel", np.where(network, "dry_network", "dry_linear")))


def test_every_combination_of_awkward_cells_gets_the_reference_regime():
    crosslinkers = [None, np.nan, pd.NA, "", "none", " None ", "PETEA", "nan"]
    types = [None, np.nan, "", "none", " NONE", "covalent", "nan"]
    fillers = [None, np.nan, "", "none", "LLZTO"]
    plasticized = [None, np.nan, pd.NA, False, True]
    flags = [None, np.nan, "", f"single_ion;{NETWORK_FLAG}", "single_ion"]
    rows = [
        {"crosslinker": c, "crosslink_type": t, "filler": f, "plasticized": p, "flags": g}
        for c in crosslinkers for t in types for f in fillers for p in plasticized for g in flags
    ]
    table = pd.DataFrame(rows)
    expected = _reference(table)
    assert regime(table).tolist() == expected.tolist()
    got = regime_arrays(*(table[c].to_numpy(dtype=object) for c in ("filler", "plasticized", "crosslinker", "crosslink_type", "flags")))
    assert got.tolist() == expected.tolist()
    assert set(expected) == {"dry_linear", "dry_network", "gel", "composite"}
    # one row at a time (the single-request path) gives the same
    for i in range(0, len(table), 97):
        one = regime_arrays(*([table[c].iloc[i]] for c in ("filler", "plasticized", "crosslinker", "crosslink_type", "flags")))
        assert one.tolist() == [expected[i]]
    assert crosslinked(table.drop(columns="flags")).dtype == bool
