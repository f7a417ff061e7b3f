"""PolyMetriX's curated glass transition temperatures -> one row per polymer.

The file (``polymetrix_tg``, MIT) lists about 7,250 repeat units (``PSMILES``, ``*`` ends)
with an experimental Tg in K, gathered from nine published collections. Upstream already
averaged the reports of one spelling: ``number of points`` is how many reports a row
averages, ``stdev`` their standard deviation (blank for one report) and ``reliability``
a label of that count (``black`` one report, ``yellow`` two, ``gold`` three or more; in
this commit the label is exactly that function of the count).

The same polymer can still appear under several spellings (``*C(F)(F)*`` and
``*C(*)(F)F``; a polyimide written from either end by two collections): keyed by
:func:`spepred.chem.resolve.matrix_key` (the canonical repeat unit), 7,252 rows are
6,922 polymers.

Merge rule
----------
The rows of one polymer are combined by an inverse-variance weighted mean of their Tg:
a row's Tg is the mean of its ``number of points`` reports, so its variance is
``sd² / n`` with ``sd`` its own ``stdev`` (floored at :data:`MIN_REPORT_SD_K`: two copies
of one value are not a 0 K measurement) or, for a row of one report, the typical spread
between reports of one polymer, :data:`TYPICAL_REPORT_SD_K` (the median ``stdev`` of the
163 upstream rows that average two or more reports, 10.4 K). The merged ``stdev`` is the
spread of all reports (within each row and between rows), ``number of points`` the sum,
``reliability`` the label of that sum.

Why this rule: it uses both reliability columns the way they are meant. More reports
weigh more, and a row whose own reports disagree weighs less. PEO shows why the second
part matters: one collection's row averages six reports spanning 206-331 K (stdev 52 K,
mean 261 K) and another gives 206 K, the textbook value; pooling every report as equal
(the mean weighted by count) gives 253 K, this rule 216 K. Taking only the "most
reliable" row would keep the 261 K. One caveat, stated rather than fixed: two
collections may have copied the same original report, which then counts twice.

Every input row is accounted for: ``rows`` carries each one with its polymer key and a
``status`` (``ok``, or why it was left out: an invalid PSMILES, a Tg that is not a
positive number).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.chem.resolve import matrix_key
from spepred.errors import RowError, SpepredError

log = logging.getLogger(__name__)

SOURCE = "polymetrix_tg"
TG_COLUMN = "Exp_Tg(K)"
#: Upstream columns the merge needs.
REQUIRED_COLUMNS = ("PSMILES", TG_COLUMN, "number of points", "stdev", "reliability")
#: Upstream's reliability labels by number of reports (``gold`` from three on).
RELIABILITY_BY_POINTS = {1: "black", 2: "yellow"}
GOLD = "gold"
#: Spread assumed for the one report behind a single-report row (K): the median ``stdev``
#: of the upstream rows that average two or more reports (10.36 K over 163 rows).
TYPICAL_REPORT_SD_K = 10.0
#: Smallest spread credited to a row's own reports (K).
MIN_REPORT_SD_K = 5.0


def reliability_label(n_points: int) -> str:
    """The upstream label of a Tg averaged over ``n_points`` reports."""
    return RELIABILITY_BY_POINTS.get(int(n_points), GOLD)


@dataclass
class TgTable:
    """The merged table and the account of every input row.

    ``polymers``: one row per canonical polymer with ``polymer_key`` (canonical repeat
    unit), ``psmiles`` (the first upstream spelling), ``polymer`` (a name when upstream
    gives one), ``Tg_K``, ``stdev_K``, ``n_points``, ``reliability``, ``n_rows`` (input rows
    merged) and ``sources``. ``rows``: every input row (``row`` 1-based as in the file's
    data lines, ``psmiles``, ``polymer_key``, ``status``). ``errors``: the rows left out, as
    :class:`~spepred.errors.RowError`.
    """

    polymers: pd.DataFrame
    rows: pd.DataFrame
    errors: list[RowError]

    def notes(self) -> list[str]:
        n_dup = int((self.polymers["n_rows"] > 1).sum())
        out = [
            f"{SOURCE}: {len(self.rows)} rows, {len(self.polymers)} polymers "
            f"({n_dup} written in more than one spelling, merged), {len(self.errors)} rows left out"
        ]
        out += [f"{SOURCE}: {e}" for e in self.errors[:20]]
        return out


def _pooled(group: pd.DataFrame) -> tuple[float, float, int]:
    """(merged Tg, spread of all reports, number of reports) of the rows of one polymer."""
    n = group["number of points"].to_numpy(dtype=float)
    m = group[TG_COLUMN].to_numpy(dtype=float)
    s = group["stdev"].to_numpy(dtype=float)
    own = np.where(n >= 2, np.nan_to_num(s, nan=TYPICAL_REPORT_SD_K), TYPICAL_REPORT_SD_K)
    weight = n / np.maximum(own, MIN_REPORT_SD_K) ** 2  # 1 / variance of the row's mean
    merged = float((weight * m).sum() / weight.sum())
    total = n.sum()
    if total < 2:
        return merged, math.nan, int(total)
    grand = (n * m).sum() / total
    within = np.where(n >= 2, np.nan_to_num(s, nan=0.0), 0.0)
    ss = float(((n - 1) * within**2).sum() + (n * (m - grand) ** 2).sum())
    return merged, math.sqrt(ss / (total - 1)), int(total)


def merge_tg(raw: pd.DataFrame, *, source: str = SOURCE) -> TgTable:
    """Key every row by its canonical repeat unit and merge the rows of one polymer.

    Parameters
    ----------
    raw
        The upstream table (at least :data:`REQUIRED_COLUMNS`).

    Raises
    ------
    SpepredError
        A table without the required columns (nothing else: bad rows are reported).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise SpepredError(
            f"{source}: columns {missing} missing (expected {list(REQUIRED_COLUMNS)}; got {list(raw.columns)})"
        )
    raw = raw.reset_index(drop=True)
    keys = np.full(len(raw), None, dtype=object)
    status = np.full(len(raw), "ok", dtype=object)
    errors: list[RowError] = []
    tg = pd.to_numeric(raw[TG_COLUMN], errors="coerce").to_numpy(dtype=float)
    points = pd.to_numeric(raw["number of points"], errors="coerce").to_numpy(dtype=float)
    for i, (smiles, value, n) in enumerate(zip(raw["PSMILES"], tg, points, strict=True)):
        try:
            keys[i] = matrix_key(str(smiles) if isinstance(smiles, str) else "", field="PSMILES")
        except SpepredError as err:
            errors.append(RowError(source, i + 1, "PSMILES", smiles, str(err)))
            status[i] = str(err)
            continue
        if not (math.isfinite(value) and value > 0):
            reason = f"{TG_COLUMN} must be a positive temperature in K"
            errors.append(RowError(source, i + 1, TG_COLUMN, raw.at[i, TG_COLUMN], reason))
            status[i] = f"invalid {TG_COLUMN} {raw.at[i, TG_COLUMN]!r}: expected a positive temperature in K"
            keys[i] = None
        elif not (math.isfinite(n) and n >= 1):
            # a count that is missing or zero still stands for one report
            points[i] = 1.0
    rows = pd.DataFrame(
        {"row": np.arange(1, len(raw) + 1), "psmiles": raw["PSMILES"], "polymer_key": keys, "status": status}
    )
    good = raw[status == "ok"].assign(
        polymer_key=keys[status == "ok"], **{"number of points": points[status == "ok"]}
    )
    records = []
    for key, group in good.groupby("polymer_key", sort=False):
        mean, sd, total = _pooled(group)
        names = group["polymer"].dropna() if "polymer" in group else pd.Series(dtype=object)
        records.append(
            {
                "polymer_key": key,
                "psmiles": group["PSMILES"].iloc[0],
                "polymer": str(names.iloc[0]).strip() if len(names) else "",
                "Tg_K": mean,
                "stdev_K": sd,
                "n_points": total,
                "reliability": reliability_label(total),
                "n_rows": len(group),
                "sources": ";".join(dict.fromkeys(group["source"].astype(str))) if "source" in group else "",
            }
        )
    polymers = pd.DataFrame(
        records,
        columns=["polymer_key", "psmiles", "polymer", "Tg_K", "stdev_K", "n_points", "reliability", "n_rows", "sources"],
    )
    if errors:
        log.warning("%s: %d rows left out, e.g. %s", source, len(errors), errors[0])
    return TgTable(polymers=polymers, rows=rows, errors=errors)


def load_polymetrix_tg(path: str | Path | None = None) -> TgTable:
    """Read and merge the pinned PolyMetriX Tg file (mirror, cache or download)."""
    if path is None:
        from spepred.data.sources import fetch

        path = fetch(SOURCE)
    return merge_tg(pd.read_csv(path))
