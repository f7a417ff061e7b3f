"""What notebooks, the CLI and the HTTP service call: build data, featurize, train, predict.

Every function here is a thin orchestration over the sub-packages; none prints.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spepred.data.build import DEFAULT_SOURCES, DataCard, build_formulations, write_parquet_atomic

DEFAULT_TABLE = Path("data/processed/formulations.parquet")


def build_data(
    output: str | Path | None = DEFAULT_TABLE,
    *,
    sources: tuple[str, ...] = DEFAULT_SOURCES,
    download: bool = True,
) -> tuple[pd.DataFrame, DataCard]:
    """Build the formulation table from the review and the public sources.

    Writes ``output`` (Parquet, atomically) unless it is ``None``. Idempotent: the same
    inputs give a byte-identical table (same ``card.data_hash``).
    """
    table, card = build_formulations(sources, download=download)
    if output is not None:
        write_parquet_atomic(table, Path(output))
    return table, card


def featurize(
    table: pd.DataFrame,
    config=None,
    *,
    source: str = "input",
    progress=None,
):
    """Validate and featurize a formulation table.

    Returns a :class:`~spepred.featurize.FeatureResult` with one feature row per input row
    (NaN where ``ok`` is False) and every problem as a :class:`~spepred.errors.RowError`:
    each input row is either featurized or listed in ``errors``.
    """
    from spepred.data.schema import validate_formulations
    from spepred.featurize import FormulationFeaturizer

    normalized, errors = validate_formulations(table, source=source)
    bad_rows = {e.row for e in errors if isinstance(e.row, int)}
    ok = ~pd.Series(range(1, len(normalized) + 1)).isin(bad_rows).to_numpy()
    featurizer = FormulationFeaturizer(config)
    result = featurizer.transform(normalized, ok=ok, source=source, progress=progress)
    result.errors = sorted(errors + result.errors, key=lambda e: e.row if isinstance(e.row, int) else -1)
    return normalized, result
