"""The output directory of a screen: chunk files, a manifest, and the final tables.

::

    OUT/manifest.json          library and model fingerprints, chunk size, finished chunks
    OUT/chunks/part-000000.parquet ...   predictions of rows [k*C, (k+1)*C)
    OUT/predictions.parquet    every row (or .csv), + feasible, score, rank, pareto_front
    OUT/top.csv, OUT/pareto.csv, OUT/pareto.png, OUT/summary.json

Every file appears through a temporary name and an atomic rename, so a killed run never
leaves a half-written file under a final name. A chunk counts as finished only once the
manifest lists it with its SHA-256; a resumed run checks both fingerprints (same library,
same model, same chunk size) and the hash of every listed chunk, and recomputes the rest.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spepred.errors import SpepredError
# one atomic writer for all of spepred (umask mode, fsync, clear errors); importable from here
from spepred.files import sha256_file, write_bytes_atomic, write_text_atomic
from spepred.data.columns import OUTPUT_COLUMNS, OUTPUTS

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHUNK_DIR = "chunks"
FORMAT_VERSION = 1
RESULT_FILES = ("predictions.parquet", "predictions.csv", "top.csv", "pareto.csv", "pareto.png", "summary.json")


def hash_path(path: Path) -> str:
    """SHA-256 of a file (:func:`spepred.files.sha256_file`), or of the names and bytes of
    the sorted data files of a directory (a Spark output: one digest over all of them)."""
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))):
        h.update(f.relative_to(path).as_posix().encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# -- types of the library columns and of the prediction columns -------------------------
_ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}
_OUTPUT_TYPES = {name: _ARROW_TYPES[col.type] for name, col in OUTPUTS.items()}


def arrow_type(values: np.ndarray | pd.Series) -> pa.DataType:
    dtype = values.dtype
    if dtype == bool:
        return pa.bool_()
    if pd.api.types.is_integer_dtype(dtype):
        return pa.int64()
    if pd.api.types.is_float_dtype(dtype):
        return pa.float64()
    return pa.string()


def prediction_schema(library) -> pa.Schema:
    """Library columns (``library_row`` first) then :data:`OUTPUT_COLUMNS`, with types."""
    from spepred.screen.spec import ROW_COLUMN

    fields = [pa.field(ROW_COLUMN, pa.int64())]
    for col, values in library.column_values():
        fields.append(pa.field(col, arrow_type(values)))
    order = {c: i for i, c in enumerate(library.columns)}
    fields.sort(key=lambda f: order[f.name])
    fields += [pa.field(c, _OUTPUT_TYPES.get(c, pa.float64())) for c in OUTPUT_COLUMNS]
    return pa.schema(fields)


def to_arrow(pred: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """A prediction table as Arrow with exactly ``schema`` (both engines write this)."""
    arrays = []
    for f in schema:
        col = pred[f.name]
        if pa.types.is_string(f.type):
            values = col.to_numpy(dtype=object)
            arrays.append(pa.array(values, type=pa.string(), from_pandas=True))
        else:
            arrays.append(pa.array(col.to_numpy(), type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


@dataclass
class ChunkInfo:
    rows: int
    sha256: str
    seconds: float
    engine: str


class ChunkStore:
    """Chunks of one library predicted by one model, in ``directory``.

    Parameters
    ----------
    directory
        The screen's output directory (created).
    library_hash, model_hash
        Fingerprints; a directory holding chunks of another library or model is refused
        (``overwrite=True`` clears it instead).
    n_rows, chunk_rows
        Library size and rows per chunk (part of the key: chunk k is rows [k*C, (k+1)*C)).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        library_hash: str,
        model_hash: str,
        n_rows: int,
        chunk_rows: int,
        model_version: str = "",
        overwrite: bool = False,
    ) -> None:
        if chunk_rows < 1:
            raise SpepredError(f"invalid chunk size {chunk_rows!r}: expected at least 1 row")
        self.dir = Path(directory)
        self.chunk_dir = self.dir / CHUNK_DIR
        self.key = {
            "format_version": FORMAT_VERSION,
            "library_hash": library_hash,
            "model_hash": model_hash,
            "n_rows": int(n_rows),
            "chunk_rows": int(chunk_rows),
        }
        self.model_version = model_version
        self.n_chunks = -(-int(n_rows) // int(chunk_rows)) if n_rows else 0
        self.chunks: dict[int, ChunkInfo] = {}
        self._open(overwrite)

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def _open(self, overwrite: bool) -> None:
        try:
            self.dir.exists()
        except OSError as err:  # a name too long for the file system, a loop of links
            raise SpepredError(
                f"invalid output {str(self.dir)[:200]!r}: cannot create or write a directory there ({err.strerror or err})"
            ) from None
        if self.dir.exists() and not self.dir.is_dir():
            raise SpepredError(f"invalid output {str(self.dir)!r}: expected a directory, found a file")
        if self.dir.is_dir() and not self.manifest_path.is_file() and any(self.dir.iterdir()):
            raise SpepredError(
                f"invalid output {str(self.dir)!r}: a directory that is not empty and holds no "
                f"screen ({MANIFEST} missing): expected a new or empty directory"
            )
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / f".write-test-{os.getpid()}"
            probe.touch()  # /proc, /sys, a read-only mount: one line now, not a traceback later
            probe.unlink()
        except OSError as err:
            raise SpepredError(
                f"invalid output {str(self.dir)[:200]!r}: cannot create or write a directory there ({err.strerror or err})"
            ) from None
        old = None
        had_manifest = self.manifest_path.is_file()
        if had_manifest:
            try:
                old = json.loads(self.manifest_path.read_text("utf-8"))
            except ValueError:
                log.warning("%s is unreadable; starting the screen afresh", self.manifest_path)
        if old is not None and any(old.get(k) != v for k, v in self.key.items()):
            if not overwrite:
                diffs = []
                for k, v in self.key.items():
                    if old.get(k) == v:
                        continue
                    if k.endswith("_hash"):
                        diffs.append(f"{k.removesuffix('_hash')} fingerprint {str(old.get(k))[:12]} there, {v[:12]} now")
                    else:
                        diffs.append(f"{k} {old.get(k)!r} there, {v!r} now")
                raise SpepredError(
                    f"output directory {str(self.dir)!r} holds another screen ({'; '.join(diffs)}): "
                    "use another --output, or --overwrite to discard it"
                )
            old = None
        if old is None or overwrite:
            if self.chunk_dir.exists():
                shutil.rmtree(self.chunk_dir)
            if had_manifest:  # a screen's own results, never a stranger's files
                for name in RESULT_FILES:
                    (self.dir / name).unlink(missing_ok=True)
            old = None
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        if old is not None:
            for k, info in old.get("chunks", {}).items():
                self.chunks[int(k)] = ChunkInfo(**info)
        self._save()

    def _save(self) -> None:
        manifest = {
            **self.key,
            "model_version": self.model_version,
            "n_chunks": self.n_chunks,
            "complete": len(self.chunks) == self.n_chunks,
            "chunks": {str(k): vars(v) for k, v in sorted(self.chunks.items())},
        }
        write_text_atomic(json.dumps(manifest, indent=1), self.manifest_path)

    # -- chunks -------------------------------------------------------------------------
    def bounds(self, k: int) -> tuple[int, int]:
        c = self.key["chunk_rows"]
        return k * c, min((k + 1) * c, self.key["n_rows"])

    def chunk_path(self, k: int) -> Path:
        return self.chunk_dir / f"part-{k:06d}.parquet"

    def verified(self) -> set[int]:
        """Chunks listed in the manifest whose file exists and matches its SHA-256; the
        others are forgotten (and will be recomputed)."""
        good = set()
        for k, info in list(self.chunks.items()):
            p = self.chunk_path(k)
            if p.exists() and hash_path(p) == info.sha256:
                good.add(k)
            else:
                log.warning("chunk %d is missing or altered; recomputing it", k)
                del self.chunks[k]
        if len(good) != len(self.chunks):
            self._save()
        self._sweep()
        return good

    def _sweep(self) -> None:
        """Remove what an interrupted run left: temporary files, chunks never recorded."""
        for p in self.chunk_dir.iterdir():
            if p.name.startswith("."):
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
            elif p.name.startswith("part-"):
                try:
                    k = int(p.name[5:11])
                except ValueError:
                    continue
                if k not in self.chunks:
                    shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)

    def todo(self) -> list[int]:
        done = self.verified()
        return [k for k in range(self.n_chunks) if k not in done]

    def start(self, progress=None) -> tuple[list[int], dict, int]:
        """What an engine does first: the chunks still to compute, the engine's stats so
        far and the rows already done (which the progress callback is told)."""
        todo = self.todo()
        left = set(todo)
        done_rows = sum(self.bounds(k)[1] - self.bounds(k)[0] for k in range(self.n_chunks) if k not in left)
        stats = {"chunks_total": self.n_chunks, "chunks_reused": self.n_chunks - len(todo), "chunks_computed": 0}
        if progress is not None:
            progress(done_rows, self.key["n_rows"])
        return todo, stats, done_rows

    def record(self, k: int, info: ChunkInfo) -> None:
        self.chunks[k] = info
        self._save()

    def read_chunk(self, k: int, columns: list[str] | None = None) -> pa.Table:
        from spepred.screen.spec import ROW_COLUMN

        table = pq.read_table(self.chunk_path(k), columns=columns)
        rows = table.column(ROW_COLUMN).to_numpy() if ROW_COLUMN in table.column_names else None
        if rows is not None and len(rows) > 1 and (np.diff(rows) < 0).any():
            table = table.take(pa.array(np.argsort(rows, kind="stable")))
        return table


def write_chunk_file(path: Path, table: pa.Table) -> str:
    """Write one chunk atomically; return its SHA-256."""
    data = table_to_parquet_bytes(table)
    write_bytes_atomic(data, path)
    return hashlib.sha256(data).hexdigest()


def replace_dir(src: Path, dst: Path) -> None:
    """Move a finished directory into place (a Spark chunk): old target first out of the way."""
    if dst.exists():
        trash = dst.with_name(f".trash-{uuid.uuid4().hex}")
        os.replace(dst, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(src, dst)
