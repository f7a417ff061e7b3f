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


def _named(values: pd.Series) -> np.ndarray:
    return ~values.map(is_none).to_numpy(bool)


def crosslinked(table: pd.DataFrame) -> pd.Series:
    """True for the rows of a formulation table that describe a network."""
    ctype = table["crosslink_type"].fillna("").astype(str).str.strip().str.casefold()
    flags = table["flags"].fillna("").astype(str) if "flags" in table else pd.Series("", index=table.index)
    out = _named(table["crosslinker"]) | ~ctype.isin(["", "none", "nan"]).to_numpy()
    out |= flags.str.contains(NETWORK_FLAG, regex=False).to_numpy()
    return pd.Series(out, index=table.index)


def regime(table: pd.DataFrame) -> pd.Series:
    """The regime (one of :data:`REGIMES`) of every row of a formulation table."""
    filler = _named(table["filler"])
    liquid = table["plasticized"].fillna(False).astype(bool).to_numpy()
    network = crosslinked(table).to_numpy()
    out = np.where(filler, "composite", np.where(liquid, "gel", np.where(network, "dry_network", "dry_linear")))
    return pd.Series(out, index=table.index)
