"""Formulation tables on disk: reading a user's CSV or Parquet (with clear errors for bad
files, in bounded memory) and writing result tables."""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from spepred.data.cells import _duplicates
from spepred.errors import InvalidValueError, SpepredError

#: A user's table may carry extra columns (passed through), but not without bound: a
#: million-column CSV would take minutes and gigabytes before any row is looked at.
MAX_COLUMNS = 1000
_MAX_HEADER_BYTES = 1 << 20
#: Bytes read ahead of pandas to check the header and the first data row. pandas' C reader
#: refuses a later row wider than the header as soon as it meets it, but a wide *first*
#: row (one column in the header, a million fields below it) costs it a minute and
#: gigabytes before the refusal: the first row is counted here instead.
_SNIFF_BYTES = 4 << 20
#: ``--input -``: the table is read from standard input (as CSV).
STDIN = "-"
#: Rows per chunk when a table is read in chunks (:func:`iter_table`).
READ_CHUNK_ROWS = 50_000
_PARQUET_SUFFIXES = {".parquet", ".pq"}


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream``: what was read ahead to check the
    header is given back to the CSV reader (standard input cannot seek)."""

    def __init__(self, head: bytes, stream) -> None:
        self._head, self._pos, self._stream = head, 0, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pos < len(self._head):
            n = min(len(buffer), len(self._head) - self._pos)
            buffer[:n] = self._head[self._pos : self._pos + n]
            self._pos += n
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _refuse_duplicates(names: Sequence[str], where: str) -> None:
    dups = _duplicates(names)
    if dups:
        listed = ", ".join(f"{d!r} ({list(names).count(d)} times)" for d in dups[:10])
        raise SpepredError(
            f"cannot read {where}: duplicate column names in the header: {listed}; "
            "expected each column once (the second would silently be renamed or shadow the first)"
        )


def _check_csv_head(head: bytes, at_eof: bool, where: str) -> None:
    """Refuse, from the first bytes alone, a CSV whose header has more than
    :data:`MAX_COLUMNS` columns or a repeated name, or whose first data row has more fields
    than the header. Anything this cannot read is left to pandas, which says why."""
    import csv

    text = head.decode("utf-8-sig", errors="replace")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, _SNIFF_BYTES + 1))
    try:
        # newline="": \r, \n and \r\n all end a record (old-Mac files end lines with \r)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next((r for r in reader if r), None)
        if header is None:
            return
        if len(header) > MAX_COLUMNS or sum(map(len, header)) > _MAX_HEADER_BYTES:
            raise SpepredError(
                f"cannot read {where}: more than {MAX_COLUMNS} columns in the header "
                "(a formulation table needs monomer_smiles and a few condition columns)"
            )
        _refuse_duplicates(header, where)
        first = next((r for r in reader if r), None)
        if first is None:
            return
        complete = at_eof or next(reader, None) is not None
        if len(first) > len(header) and (complete or len(first) > MAX_COLUMNS):
            raise SpepredError(
                f"cannot read {where}: malformed CSV (a row has more fields than the header: "
                f"row 1 has {len(first):,}{'' if complete else '+'}, the header {len(header)})"
            )
    except csv.Error:
        return
    finally:
        csv.field_size_limit(limit)


def _csv_source(path: str | Path):
    """``(source, where)``: a path or a binary stream for pandas, checked by
    :func:`_check_csv_head` first."""
    if str(path) == STDIN:
        stream = sys.stdin.buffer
        head = stream.read(_SNIFF_BYTES)
        at_eof = len(head) < _SNIFF_BYTES
        _check_csv_head(head, at_eof, "standard input")
        return io.BufferedReader(_Prefixed(head, stream)), "standard input"
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        at_eof = not fh.read(1)
    _check_csv_head(head, at_eof, str(path))
    return path, str(path)


def _check_path(path: str | Path) -> Path | None:
    """The input path (None for standard input), refusing what is not a readable file."""
    if str(path) == STDIN:
        return None
    p = Path(path)
    if not p.exists():
        raise InvalidValueError("input file", str(p), "an existing CSV or Parquet file (or - for standard input)")
    if p.is_dir():
        raise InvalidValueError("input file", str(p), "a file, not a directory")
    return p


def _read_errors(where: str):
    """Context manager turning the readers' exceptions into one-line :class:`SpepredError`."""
    from contextlib import contextmanager

    @contextmanager
    def guard():
        try:
            with warnings.catch_warnings():
                # index_col=False: a first row longer than the header would otherwise
                # silently become an index and shift every value one column to the right
                warnings.simplefilter("error", pd.errors.ParserWarning)
                yield
        except SpepredError:
            raise
        except pd.errors.ParserWarning:
            raise SpepredError(f"cannot read {where}: malformed CSV (a row has more fields than the header)") from None
        except UnicodeDecodeError as err:
            raise SpepredError(f"cannot read {where}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        except pd.errors.ParserError as err:
            raise SpepredError(f"cannot read {where}: malformed CSV ({str(err).strip()})") from None
        except pd.errors.EmptyDataError:
            raise SpepredError(f"cannot read {where}: the file is empty (expected a header row)") from None
        except (OSError, ValueError) as err:
            raise SpepredError(f"cannot read {where}: {err}") from None

    return guard()


_CSV_OPTIONS = dict(dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", index_col=False)


def read_table(path: str | Path, *, smiles_column: str | None = None) -> pd.DataFrame:
    """Read a user's CSV or Parquet formulation table with clear errors for bad files.

    CSV is read as UTF-8 (a byte-order mark is accepted; lines may end in ``\\n``,
    ``\\r\\n`` or ``\\r``); ``-`` reads CSV from standard input. Tables with more than
    :data:`MAX_COLUMNS` columns, a repeated column name, or a first row wider than the
    header are refused before they are read. The SMILES column is found by
    :func:`rename_smiles_column`.
    """
    (table,) = iter_table(path, chunk_rows=None, smiles_column=smiles_column)
    return table


def iter_table(path: str | Path, *, chunk_rows: int | None = READ_CHUNK_ROWS, smiles_column: str | None = None):
    """:func:`read_table` in chunks of ``chunk_rows`` rows (``None``: one chunk), so that a
    table of any length is predicted in bounded memory. A table without rows is one empty
    chunk (its columns are known). Errors are raised as :func:`read_table` raises them, at
    the chunk where they are met."""
    p = _check_path(path)
    where = "standard input" if p is None else str(p)
    if p is not None and p.suffix.lower() in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        with _read_errors(where):
            try:
                pf = pq.ParquetFile(p)
            except Exception as err:  # pyarrow raises ArrowInvalid / OSError on a bad file
                raise SpepredError(f"cannot read {where}: {err}") from None
            names = pf.schema_arrow.names
            if len(names) > MAX_COLUMNS:
                raise SpepredError(
                    f"cannot read {where}: more than {MAX_COLUMNS} columns in the header "
                    "(a formulation table needs monomer_smiles and a few condition columns)"
                )
            _refuse_duplicates(names, where)
            if chunk_rows is None or pf.metadata.num_rows == 0:
                batches = iter([pf.read()])
            else:
                batches = pf.iter_batches(batch_size=chunk_rows)
    else:
        with _read_errors(where):
            source, where = _csv_source(path)
            if chunk_rows:
                batches = pd.read_csv(source, chunksize=chunk_rows, **_CSV_OPTIONS)
            else:
                batches = iter([pd.read_csv(source, **_CSV_OPTIONS)])
    while True:
        # read under the error guard, hand the chunk over outside it (a generator must not
        # keep warning filters changed while its consumer runs)
        with _read_errors(where):
            chunk = next(batches, None)
        if chunk is None:
            return
        if not isinstance(chunk, pd.DataFrame):  # an Arrow table or record batch
            chunk = chunk.to_pandas()
        yield rename_smiles_column(chunk, smiles_column, where=where)


def rename_smiles_column(table: pd.DataFrame, smiles_column: str | None = None, *, where: str = "input") -> pd.DataFrame:
    """The table with its SMILES column named ``monomer_smiles``.

    ``smiles_column`` names it explicitly (``--smiles-column NAME``, as chemprop's
    ``--smiles-columns``); otherwise a table without ``monomer_smiles`` may call it
    ``smiles`` or ``monomer_smiles`` in any case (``SMILES``, ``Monomer_SMILES``).
    """
    columns = [str(c) for c in table.columns]
    if smiles_column is not None:
        if smiles_column not in columns:
            raise InvalidValueError(
                "--smiles-column", smiles_column, f"a column of {where} (columns: {', '.join(columns[:20])})"
            )
        if smiles_column == "monomer_smiles":
            return table
        if "monomer_smiles" in columns:
            raise InvalidValueError(
                "--smiles-column", smiles_column,
                f"the only SMILES column, but {where} also has monomer_smiles (drop one of them)",
            )
        return table.rename(columns={smiles_column: "monomer_smiles"})
    if "monomer_smiles" in columns:
        return table
    matches = [c for c in columns if c.strip().casefold() in ("monomer_smiles", "smiles")]
    if len(matches) == 1:
        return table.rename(columns={matches[0]: "monomer_smiles"})
    if len(matches) > 1:
        raise InvalidValueError(
            "SMILES column", ", ".join(matches), f"one of them, named with --smiles-column ({where} has several)"
        )
    return table


def write_table(table: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path | str:
    """Write a table as CSV, TSV, Parquet or JSON (by suffix, or ``fmt``); ``-`` is standard
    output. See :func:`spepred.data.output.write_table` (kept here for its callers)."""
    from spepred.data.output import write_table as _write_table

    return _write_table(table, path, fmt)


def write_table_chunks(chunks, path: str | Path, fmt: str | None = None) -> tuple[Path | str, int]:
    """Write DataFrames one after another as one table: see
    :func:`spepred.data.output.write_table_chunks` (kept here for its callers)."""
    from spepred.data.output import write_table_chunks as _write_table_chunks

    return _write_table_chunks(chunks, path, fmt)
