"""Build the harmonized formulation table from the review and the public sources."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from spepred.data import converters
from spepred.data import literature
from spepred.data.hatakeyama import convert_hatakeyama
from spepred.data.regimes import REGIMES, crosslinked, regime
from spepred.data.schema import AUX_LABELS, COLUMNS, LABELS, require_valid
from spepred.data.sources import SOURCES, DataSourceError, fetch
from spepred.errors import ChecksumError

log = logging.getLogger(__name__)

#: Sources of the default training table, in order: the review, Bradford's linear polymers,
#: the auxiliary signals, then the gels, networks and composites of Hatakeyama-Sato and the
#: curated literature (without them the σ model learns almost only dry linear polymers).
DEFAULT_SOURCES = (
    "pei2025_review",
    "bradford2023",
    "htpmd2022",
    "radonpy_pi1070",
    "hatakeyama2022",
    "literature",
)
_CONVERTERS = {
    "bradford2023": converters.convert_bradford,
    "htpmd2022": converters.convert_htpmd,
    "radonpy_pi1070": converters.convert_radonpy,
    "hatakeyama2022": convert_hatakeyama,
}
#: Every source ``data build --sources`` can take (the lookup tables are read by converters).
BUILDABLE_SOURCES = (converters.REVIEW_SOURCE, literature.SOURCE, *_CONVERTERS)


@dataclass
class DataCard:
    """What went into a formulation table: counts, ranges, flags, missing sources."""

    rows_per_source: dict[str, int]
    labels_per_source: dict[str, dict[str, int]]
    ranges: dict[str, tuple[float, float]]
    flagged: dict[str, int]
    missing_sources: dict[str, str]
    notes: list[str] = field(default_factory=list)
    data_hash: str = ""
    #: source -> regime -> label -> count ("rows" and "crosslinked" too)
    labels_per_regime: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "rows_per_source": self.rows_per_source,
            "labels_per_source": self.labels_per_source,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "flagged": self.flagged,
            "missing_sources": self.missing_sources,
            "notes": self.notes,
            "data_hash": self.data_hash,
            "labels_per_regime": self.labels_per_regime,
        }

    def render(self) -> str:
        """A plain-text card for the terminal."""
        lines = ["Formulation table", ""]
        label_cols = [*LABELS, *AUX_LABELS]
        header = f"{'source':<18}{'rows':>8}" + "".join(f"{c:>22}" for c in label_cols)
        lines.append(header)
        for src, n in self.rows_per_source.items():
            counts = self.labels_per_source.get(src, {})
            lines.append(
                f"{src:<18}{n:>8}" + "".join(f"{counts.get(c, 0):>22}" for c in label_cols)
            )
        total = sum(self.rows_per_source.values())
        lines.append(f"{'total':<18}{total:>8}")
        lines.append("")
        lines += self.render_regimes()
        lines.append("")
        lines.append("value ranges:")
        for col, (lo, hi) in self.ranges.items():
            lines.append(f"  {col:<24} {lo:>10.4g} .. {hi:<10.4g}")
        if self.flagged:
            lines.append("rows flagged:")
            for flag, n in sorted(self.flagged.items()):
                lines.append(f"  {flag:<36} {n}")
        for src, why in self.missing_sources.items():
            lines.append(f"MISSING {src}: {why}")
        for note in self.notes:
            lines.append(f"note: {note}")
        lines.append(f"data hash: {self.data_hash}")
        return "\n".join(lines)


    def render_regimes(self) -> list[str]:
        """Labels per source and regime (dry linear, dry network, gel, composite), and how
        many of the rows are crosslinked."""
        if not self.labels_per_regime:
            return []
        cols = ("rows", "crosslinked", *LABELS)
        lines = ["labels per regime:", f"{'source':<18}{'regime':<13}" + "".join(f"{c:>18}" for c in cols)]
        totals: dict[str, dict[str, int]] = {}
        for src, per in self.labels_per_regime.items():
            for reg, counts in per.items():
                lines.append(f"{src:<18}{reg:<13}" + "".join(f"{counts.get(c, 0):>18}" for c in cols))
                tot = totals.setdefault(reg, {})
                for c in cols:
                    tot[c] = tot.get(c, 0) + counts.get(c, 0)
        for reg in REGIMES:
            if reg in totals:
                lines.append(f"{'all sources':<18}{reg:<13}" + "".join(f"{totals[reg].get(c, 0):>18}" for c in cols))
        return lines


def regime_counts(table: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Rows, crosslinked rows and labels per source and regime."""
    reg, xl = regime(table), crosslinked(table)
    out: dict[str, dict[str, dict[str, int]]] = {}
    for src in table["source"].unique():
        in_src = table["source"] == src
        per: dict[str, dict[str, int]] = {}
        for name in REGIMES:
            mask = in_src & (reg == name)
            if not mask.any():
                continue
            counts = {"rows": int(mask.sum()), "crosslinked": int((mask & xl).sum())}
            counts.update({c: int(table.loc[mask, c].notna().sum()) for c in LABELS})
            per[name] = counts
        out[str(src)] = per
    return out


def table_hash(table: pd.DataFrame) -> str:
    """A content hash of a table (row order and values), stable across runs."""
    hashed = pd.util.hash_pandas_object(table.reset_index(drop=True), index=True)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:16]


def make_card(table: pd.DataFrame, notes: list[str], missing: dict[str, str]) -> DataCard:
    rows = table.groupby("source", sort=False).size().to_dict()
    labels = {
        src: {c: int(g[c].notna().sum()) for c in (*LABELS, *AUX_LABELS)}
        for src, g in table.groupby("source", sort=False)
    }
    ranges = {}
    for col in (*LABELS, *AUX_LABELS, "temperature_C", "salt_molality_mol_kg", "mw_g_mol"):
        vals = table[col].dropna()
        if len(vals):
            ranges[col] = (float(vals.min()), float(vals.max()))
    flagged: dict[str, int] = {}
    for f in table["flags"]:
        for flag in filter(None, str(f).split(";")):
            key = flag.split(":")[0]
            flagged[key] = flagged.get(key, 0) + 1
    return DataCard(
        rows_per_source={k: int(v) for k, v in rows.items()},
        labels_per_source=labels,
        ranges=ranges,
        flagged=flagged,
        missing_sources=missing,
        notes=notes,
        data_hash=table_hash(table[list(COLUMNS)]),
        labels_per_regime=regime_counts(table),
    )


def build_formulations(
    sources: tuple[str, ...] = DEFAULT_SOURCES, *, download: bool = True
) -> tuple[pd.DataFrame, DataCard]:
    """Convert, harmonize and validate every available source into one table.

    A public source that cannot be had (offline, no mirror) is reported in
    ``card.missing_sources`` and left out; the review's records are always available.
    A source whose file fails its checksum raises :class:`~spepred.errors.ChecksumError`.
    Every row is validated; a bad row raises :class:`TableValidationError` listing all.
    """
    unknown = [k for k in sources if k not in BUILDABLE_SOURCES]
    if unknown:
        raise DataSourceError(
            f"unknown data source(s) {', '.join(map(repr, unknown))}; expected some of: "
            + ", ".join(BUILDABLE_SOURCES)
        )
    parts, notes, missing = [], [], {}
    for key in sources:
        if key == converters.REVIEW_SOURCE:
            rows, n = converters.convert_review(converters.read_review_records())
        elif key == literature.SOURCE:
            corpus = literature.read_literature()
            if corpus.empty:
                missing[key] = f"no curated parts in {literature.LITERATURE_DIR}"
                continue
            rows, n = literature.convert_literature(corpus)
        else:
            try:
                path = fetch(key, download=download)
            except ChecksumError:
                raise  # a corrupted or truncated file is an error, not a missing source
            except DataSourceError as err:
                missing[key] = str(err)
                log.warning("skipping %s: %s", key, err)
                continue
            rows, n = _CONVERTERS[key](path)
        notes += n
        normalized = require_valid(rows, source=key)
        parts.append(normalized)
    table = pd.concat(parts, ignore_index=True)[list(COLUMNS)]
    return table, make_card(table, notes, missing)


def write_parquet_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` as Parquet through :func:`spepred.files.atomic_write`."""
    from spepred.files import atomic_write

    with atomic_write(path) as tmp:
        table.to_parquet(tmp, index=False)


def known_sources() -> tuple[str, ...]:
    return (converters.REVIEW_SOURCE, *SOURCES)


__all__ = ["BUILDABLE_SOURCES", "DEFAULT_SOURCES", "DataCard", "build_formulations"]
