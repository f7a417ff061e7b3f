"""The Spark engine: the same chunks, predicted by a Spark cluster (or ``local[2]``).

For each chunk, ``spark.range(start, stop)`` is mapped by an Arrow UDF (``mapInArrow``) that
builds the formulation rows of its ids from the library description (a broadcast: only the
axes travel, never the expanded rows) and predicts them with the same
:class:`~spepred.screen.local.ChunkPredictor` as the local engine, over the same model
bundle (shipped to the executors with ``SparkContext.addFile``). One predictor is kept per
Python worker (Spark reuses its Python workers), so building-block features are computed
once per worker. Executors write the chunk as Parquet into a temporary directory, which is
moved into place when the job has succeeded: a failed or killed job leaves no chunk.

The output directory must be visible to the driver and the executors (any path in
``local[N]`` mode; a shared file system on a cluster).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from spepred.errors import SpepredError
from spepred.screen.store import ChunkInfo, ChunkStore, hash_path, prediction_schema, replace_dir

log = logging.getLogger(__name__)

_PREDICTORS: dict = {}


class _PredictBatches:
    """``mapInArrow`` function: batches of ``id`` -> batches of predictions."""

    def __init__(self, library_bc, bundle_name: str, key: str) -> None:
        self.library_bc, self.bundle_name, self.key = library_bc, bundle_name, key

    def _worker(self):
        worker = _PREDICTORS.get(self.key)
        if worker is None:
            from pyspark import SparkFiles

            from spepred.screen.local import ChunkPredictor

            bundle = SparkFiles.get(self.bundle_name)
            worker = ChunkPredictor(self.library_bc.value, bundle, n_jobs=1)
            _PREDICTORS.clear()  # one library at a time per Python worker
            _PREDICTORS[self.key] = worker
        return worker

    def __call__(self, batches):
        worker = self._worker()
        for batch in batches:
            ids = batch.column(0).to_numpy(zero_copy_only=False)
            if len(ids) == 0:
                continue
            yield from worker.predict_rows(ids).to_batches()


def spark_session(master: str = "local[2]", *, app_name: str = "spepred-screen"):
    """A Spark session for screening (the UI off; Arrow on)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SpepredError(
            "the spark engine needs PySpark: pip install 'spepred[spark]' (and a Java runtime)"
        ) from None
    if master.startswith("local"):
        # local mode: Python workers run this interpreter (the one that has spepred)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        # and everything stays on the loopback interface
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master)
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    try:
        spark = (
            builder
            .appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    except Exception as err:  # no Java, bad master URL: py4j/Spark raise many types
        raise SpepredError(
            f"cannot start Spark with master {master!r} ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
            "expected local[N] or spark://host:port and a Java runtime (java on PATH or JAVA_HOME)"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_spark(
    library,
    bundle_dir: str | Path,
    store: ChunkStore,
    *,
    master: str = "local[2]",
    partitions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    spark=None,
) -> dict[str, int]:
    """Predict every chunk the store does not hold yet, on Spark (see :func:`run_local`).

    Parameters
    ----------
    master
        ``local[N]`` or ``spark://host:port`` (ignored when ``spark`` is given).
    partitions
        Spark partitions per chunk (default: the cluster's default parallelism).
    spark
        An existing ``SparkSession`` to use (it is left running); otherwise one is started
        and stopped at the end.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    todo, stats, done_rows = store.start(progress)
    total_rows = store.key["n_rows"]
    if not todo:
        return stats
    own = spark is None
    if own:
        spark = spark_session(master)
    try:
        sc = spark.sparkContext
        bundle_dir = Path(bundle_dir).resolve()
        sc.addFile(str(bundle_dir), recursive=True)
        library_bc = sc.broadcast(library)
        arrow_schema = prediction_schema(library)
        fn = _PredictBatches(library_bc, bundle_dir.name, f"{store.key['library_hash']}:{store.key['model_hash']}")
        n_part = partitions or max(1, sc.defaultParallelism)
        stats["partitions"] = n_part
        for k in todo:
            start, stop = store.bounds(k)
            t0 = time.perf_counter()
            final = store.chunk_path(k)
            tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
            frame = spark.range(start, stop, numPartitions=min(n_part, max(1, stop - start))).mapInArrow(
                fn, from_arrow_schema(arrow_schema)
            )
            frame.write.mode("overwrite").parquet(tmp.resolve().as_uri())
            replace_dir(tmp, final)
            info = ChunkInfo(rows=stop - start, sha256=hash_path(final), seconds=time.perf_counter() - t0, engine="spark")
            store.record(k, info)
            stats["chunks_computed"] += 1
            done_rows += info.rows
            if progress is not None:
                progress(done_rows, total_rows)
        library_bc.unpersist()
    finally:
        if own:
            spark.stop()
    return stats
