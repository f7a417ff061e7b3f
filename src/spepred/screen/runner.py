"""One screen, start to end: chunks (local or Spark) -> ranking, Pareto front, tables, plot."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from spepred.data.output import neutralize_formulas
from spepred.errors import InvalidValueError
from spepred.files import atomic_write
from spepred.data.columns import FORMULATION_COLUMNS, PROPERTIES
from spepred.screen.objectives import PROPERTIES as OBJECTIVES, Objective, Threshold, property_values
from spepred.screen.pareto import pareto_front
from spepred.screen.spec import MAX_FORMULATIONS, ROW_COLUMN, Library, check_size
from spepred.screen.store import ChunkStore, prediction_schema, write_text_atomic

log = logging.getLogger(__name__)

ENGINES = ("local", "spark")
FORMATS = ("parquet", "csv")
#: Columns the screen adds after the prediction columns.
SCREEN_COLUMNS = ("feasible", "score", "rank", "pareto_front")
DEFAULT_CHUNK_ROWS = 50_000
#: Columns of top.csv / pareto.csv (those present in the library).
SUMMARY_COLUMNS = (
    "rank", ROW_COLUMN, *FORMULATION_COLUMNS,
    *(c for p in PROPERTIES.values() for c in (p.quantity_pred, p.lo, p.hi)),
    "in_domain", "domain_similarity", "score", "pareto_front",
)


@dataclass
class ScreenResult:
    """What a screen produced (files in ``output``) and its numbers."""

    output: Path
    files: dict[str, Path]
    n_rows: int
    n_ok: int
    n_feasible: int
    n_front: int
    engine: str
    stats: dict[str, int]
    timings_s: dict[str, float]
    top: pd.DataFrame
    front: pd.DataFrame
    summary: dict = field(default_factory=dict)


def run_screen(
    library: Library,
    bundle_dir: str | Path,
    output: str | Path,
    *,
    engine: str = "local",
    spark_master: str = "local[2]",
    spark=None,
    workers: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    objective: Objective | None = None,
    thresholds: Sequence[Threshold] = (),
    in_domain_only: bool = False,
    top: int = 20,
    output_format: str = "parquet",
    overwrite: bool = False,
    plot: bool = True,
    progress: Callable[[int, int], None] | None = None,
    max_formulations: int | None = MAX_FORMULATIONS,
) -> ScreenResult:
    """Predict every formulation of ``library`` (resumably) and rank them.

    See :func:`spepred.api.screen` for the parameters.
    """
    # before anything is planned or written: 10^9 formulations would be accepted, started,
    # run for half a day and then ranked with every row in memory
    check_size(library.n_rows, max_formulations, library.describe(), library.origin or "library spec")
    if engine not in ENGINES:
        raise InvalidValueError("engine", engine, "one of " + ", ".join(ENGINES))
    if output_format not in FORMATS:
        raise InvalidValueError("format", output_format, "one of " + ", ".join(FORMATS))
    if not isinstance(top, int) or top < 1:
        raise InvalidValueError("top", top, "a whole number >= 1")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise InvalidValueError("chunk rows", chunk_rows, "a whole number >= 1")
    objective = objective or Objective()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from spepred.models.bundle import read_bundle_meta

    # the version and identity only: each worker loads (and fully verifies) the bundle itself
    meta = read_bundle_meta(bundle_dir)
    bundle_dir, model_version = meta.path, meta.model_version
    store = ChunkStore(
        output,
        library_hash=library.fingerprint(),
        model_hash=meta.manifest_sha256,
        n_rows=library.n_rows,
        chunk_rows=chunk_rows,
        model_version=model_version,
        overwrite=overwrite,
    )
    timings["prepare"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if engine == "local":
        from spepred.screen.local import run_local

        stats = run_local(library, bundle_dir, store, workers=workers, progress=progress)
    else:
        from spepred.screen.spark import run_spark

        stats = run_spark(library, bundle_dir, store, master=spark_master, spark=spark, progress=progress)
    timings["predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = summarize(
        store, library, objective=objective, thresholds=thresholds, in_domain_only=in_domain_only,
        top=top, output_format=output_format, plot=plot, timings=timings,
    )
    result.engine, result.stats = engine, stats
    timings["summarize"] = time.perf_counter() - t0
    result.summary.update({"engine": engine, "chunks": stats, "timings_s": {k: round(v, 3) for k, v in timings.items()}})
    write_text_atomic(json.dumps(result.summary, indent=1, default=str), store.dir / "summary.json")
    result.files["summary"] = store.dir / "summary.json"
    return result


def _gather(store: ChunkStore, columns: list[str]) -> dict[str, np.ndarray]:
    parts: dict[str, list] = {c: [] for c in columns}
    for k in range(store.n_chunks):
        t = store.read_chunk(k, columns=columns)
        for c in columns:
            parts[c].append(t.column(c).to_numpy(zero_copy_only=False))
    return {c: (np.concatenate(v) if v else np.array([])) for c, v in parts.items()}


def summarize(
    store: ChunkStore,
    library: Library,
    *,
    objective: Objective,
    thresholds: Sequence[Threshold] = (),
    in_domain_only: bool = False,
    top: int = 20,
    output_format: str = "parquet",
    plot: bool = True,
    timings: dict[str, float] | None = None,
) -> ScreenResult:
    """Rank the finished chunks, flag the Pareto front, write the result files."""
    timings = timings if timings is not None else {}
    bound = objective.bound
    value_cols = sorted({p.column(b) for p in OBJECTIVES.values() for b in {bound, "pred"}})
    cols = [ROW_COLUMN, "status", "in_domain", *value_cols]
    data = _gather(store, cols)
    n = store.key["n_rows"]
    if len(data[ROW_COLUMN]) != n or (n and (data[ROW_COLUMN] != np.arange(n)).any()):
        raise RuntimeError(f"chunks of {store.dir} do not cover rows 0..{n - 1} in order")
    ok = data["status"] == "ok"
    values = property_values(data, bound)
    feasible = ok.copy()
    for th in thresholds:
        feasible &= th.mask(values)
    if in_domain_only:
        feasible &= data["in_domain"].astype(bool)
    score = objective.score(values)
    score = np.where(feasible, score, np.nan)
    rank = np.zeros(n, dtype=np.int64)
    rankable = np.flatnonzero(np.isfinite(score))
    tie = objective.tiebreak(values)
    order = rankable[np.lexsort((-tie[rankable], -score[rankable]))]
    rank[order] = np.arange(1, len(order) + 1)
    t1 = time.perf_counter()
    pts = np.column_stack([values["sigma"], values["window"], values["strength"]])
    front = np.zeros(n, dtype=bool)
    fidx = np.flatnonzero(feasible)
    front[fidx] = pareto_front(pts[fidx])
    timings["pareto"] = time.perf_counter() - t1

    files: dict[str, Path] = {}
    schema = prediction_schema(library)
    extra = pa.schema(
        [pa.field("feasible", pa.bool_()), pa.field("score", pa.float64()), pa.field("rank", pa.int64()),
         pa.field("pareto_front", pa.bool_())]
    )
    full_schema = pa.schema([*schema, *extra])
    out_path = store.dir / f"predictions.{output_format}"
    picked: list[pd.DataFrame] = []
    wanted = (rank >= 1) & (rank <= top) | front
    t1 = time.perf_counter()
    with atomic_write(out_path) as tmp:
        writer = (
            pq.ParquetWriter(tmp, full_schema, compression="zstd")
            if output_format == "parquet"
            else pacsv.CSVWriter(tmp, full_schema)
        )
        try:
            for k in range(store.n_chunks):
                start, stop = store.bounds(k)
                t = store.read_chunk(k).select(schema.names).cast(schema)
                sl = slice(start, stop)
                rk = rank[sl]
                t = pa.Table.from_arrays(
                    [*t.columns, pa.array(feasible[sl]), pa.array(score[sl], from_pandas=True),
                     pa.array(rk, mask=rk == 0), pa.array(front[sl])],
                    schema=full_schema,
                )
                # a spreadsheet must not run a formula from a user's cell (Parquet is no spreadsheet)
                writer.write_table(t if output_format == "parquet" else neutralize_formulas(t))
                w = np.flatnonzero(wanted[sl])
                if len(w):
                    picked.append(t.take(pa.array(w)).to_pandas())
        finally:
            writer.close()
    files["predictions"] = out_path
    timings["write"] = time.perf_counter() - t1
    sel = pd.concat(picked, ignore_index=True) if picked else pd.DataFrame(columns=full_schema.names)
    show = [c for c in SUMMARY_COLUMNS if c in sel.columns]
    top_df = sel[(sel["rank"] >= 1) & (sel["rank"] <= top)].sort_values("rank")[show].reset_index(drop=True)
    front_df = sel[sel["pareto_front"].astype(bool)].sort_values("sigma_S_cm_pred", ascending=False)[show].reset_index(drop=True)
    from spepred.data.schema import write_table

    files["top"] = write_table(top_df, store.dir / "top.csv")
    files["pareto"] = write_table(front_df, store.dir / "pareto.csv")
    if plot:
        from spepred.screen.plot import pareto_plot

        t1 = time.perf_counter()
        sigma_col = f"log10_sigma_S_cm_{bound}"
        title = f"{library.name}: {library.describe()}" + (f"\n{'; '.join(map(str, thresholds))}" if thresholds else "")
        files["plot"] = pareto_plot(
            np.where(feasible, 10.0 ** data[sigma_col], np.nan),
            np.where(feasible, data[f"strength_MPa_{bound}"], np.nan),
            data[f"esw_V_{bound}"],
            front,
            store.dir / "pareto.png",
            title=title,
        )
        timings["plot"] = time.perf_counter() - t1
    summary = {
        "library": library.name,
        "library_description": library.describe(),
        "unique_components": library.unique_components(),
        "rows": n,
        "ok": int(ok.sum()),
        "not_predicted": int(n - ok.sum()),
        "in_domain": int((ok & data["in_domain"].astype(bool)).sum()),
        "feasible": int(feasible.sum()),
        "pareto_front": int(front.sum()),
        "objective": objective.describe(),
        "thresholds": [str(t) for t in thresholds],
        "in_domain_only": in_domain_only,
        "model_version": store.model_version,
        "library_hash": store.key["library_hash"],
        "model_hash": store.key["model_hash"],
    }
    return ScreenResult(
        output=store.dir, files=files, n_rows=n, n_ok=int(ok.sum()), n_feasible=int(feasible.sum()),
        n_front=int(front.sum()), engine="", stats={}, timings_s=timings, top=top_df, front=front_df,
        summary=summary,
    )
