"""The local engine: chunks of the library predicted by worker processes (both cores).

Each worker loads the model bundle once, with single-threaded XGBoost (two processes keep
two cores busy; validation and featurization are single-threaded Python, so processes
scale where threads would not), and keeps the feature vector of every building block it
has met across chunks (an unbounded :class:`~spepred.cache.FeatureCache` handed to its
predictor): a million rows from a few hundred components compute each component once per
worker. Workers build their chunk from
the library description (nothing large crosses process boundaries), predict it with
:meth:`Predictor.predict`, and write the chunk file atomically; the parent only records
finished chunks in the manifest.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from spepred.screen.store import ChunkInfo, ChunkStore, prediction_schema, to_arrow, write_chunk_file

log = logging.getLogger(__name__)


class ChunkPredictor:
    """Library + model -> the prediction table of any chunk (one per process)."""

    def __init__(self, library, bundle_dir: str | Path, *, n_jobs: int | None = None) -> None:
        from spepred.cache import FeatureCache
        from spepred.models.predictor import Predictor

        self.library = library
        # a library has a few hundred building blocks, met again in every chunk: keep them all
        self.predictor = Predictor.load(bundle_dir, n_jobs=n_jobs, cache=FeatureCache(maxsize=None))
        self.schema = prediction_schema(library)

    def predict(self, start: int, stop: int):
        """Arrow table of rows ``[start, stop)`` with the library columns and predictions."""
        return self._predict(self.library.chunk(start, stop))

    def predict_rows(self, index):
        """Arrow table of the library rows at positions ``index``."""
        return self._predict(self.library.rows(index))

    def _predict(self, table):
        pred = self.predictor.predict(table, source=self.library.name)
        return to_arrow(pred, self.schema)

    def run_chunk(self, k: int, start: int, stop: int, path: Path) -> tuple[int, ChunkInfo]:
        t0 = time.perf_counter()
        table = self.predict(start, stop)
        sha = write_chunk_file(path, table)
        return k, ChunkInfo(rows=table.num_rows, sha256=sha, seconds=time.perf_counter() - t0, engine="local")


_WORKER: ChunkPredictor | None = None


def _init_worker(library, bundle_dir: str, n_jobs: int) -> None:
    global _WORKER
    _WORKER = ChunkPredictor(library, bundle_dir, n_jobs=n_jobs)


def _work(k: int, start: int, stop: int, path: str) -> tuple[int, ChunkInfo]:
    assert _WORKER is not None
    return _WORKER.run_chunk(k, start, stop, Path(path))


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_local(
    library,
    bundle_dir: str | Path,
    store: ChunkStore,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Predict every chunk the store does not hold yet.

    Parameters
    ----------
    workers
        Processes (default: both cores). ``1`` runs in this process (no start-up cost:
        the right choice for small libraries).
    progress
        ``progress(rows_done, rows_total)`` after each chunk (reused chunks count at once).
        An exception raised by it (e.g. ``KeyboardInterrupt``) stops the run; finished
        chunks stay recorded.

    Returns
    -------
    dict
        ``{"chunks_total", "chunks_reused", "chunks_computed", "workers"}``.
    """
    todo, stats, done_rows = store.start(progress)
    total_rows = store.key["n_rows"]
    workers = default_workers() if workers is None else max(1, int(workers))
    workers = min(workers, max(1, len(todo)))
    stats["workers"] = workers
    if not todo:
        return stats

    def finished(k: int, info: ChunkInfo) -> None:
        nonlocal done_rows
        store.record(k, info)
        stats["chunks_computed"] += 1
        done_rows += info.rows
        if progress is not None:
            progress(done_rows, total_rows)

    if workers == 1:
        worker = ChunkPredictor(library, bundle_dir)
        for k in todo:
            start, stop = store.bounds(k)
            finished(*worker.run_chunk(k, start, stop, store.chunk_path(k)))
        return stats

    # spawn: a forked child would inherit the parent's OpenMP and RDKit state
    ctx = mp.get_context("spawn")
    pending = list(todo)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(library, str(bundle_dir), 1)
    ) as pool:
        running = set()
        try:
            while pending or running:
                # at most two chunks queued per worker: bounded memory, early progress
                while pending and len(running) < 2 * workers:
                    k = pending.pop(0)
                    start, stop = store.bounds(k)
                    running.add(pool.submit(_work, k, start, stop, str(store.chunk_path(k))))
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    finished(*fut.result())
        except BaseException:
            for fut in running:
                fut.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return stats
