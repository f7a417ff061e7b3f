"""Writing a result table: the format from the file name (or asked for), standard output
for ``-``, spreadsheet formulas neutralized in text cells, one clear line for every file
that cannot be written.

Files go through :func:`spepred.files.atomic_write` (atomic, umask mode, devices and pipes
written in place and never replaced).
"""

from __future__ import annotations

import io
import itertools
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spepred.errors import InvalidValueError, SpepredError
from spepred.files import STDOUT, atomic_write, check_output_path, is_stream

#: Formats a table can be written in.
FORMATS = ("csv", "tsv", "parquet", "json")
#: File name suffix -> format.
SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
TEXT_FORMATS = ("csv", "tsv")

#: A text cell a spreadsheet would run as a formula (OWASP "CSV injection": ``=``, ``+``,
#: ``-``, ``@``, and tab / carriage return, which some programs strip before looking) ...
_FORMULA_START = r"^[=+\-@\t\r]"
#: ... unless the whole cell is a plain number: ``-3.99`` or ``+5`` is a value, and a
#: prefixed ``'-3.99`` would no longer read back as one.
_PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_FORMULA_START_RE = re.compile(_FORMULA_START)
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def output_format(path: str | os.PathLike | None, fmt: str | None = None, *, option: str = "--output") -> str:
    """The format to write ``path`` in: ``fmt`` when given, else from the suffix
    (``.csv``, ``.tsv``, ``.parquet``, ``.json``); standard output (``-`` or ``None``) and
    devices or pipes without a known suffix get CSV. Anything else is one clear error."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidValueError("--format", fmt, "one of " + ", ".join(FORMATS))
        return fmt
    raw = STDOUT if path is None else os.fspath(path)
    if raw == STDOUT:
        return "csv"
    suffix = Path(raw).suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    if is_stream(raw):
        return "csv"
    raise InvalidValueError(
        option, raw, "a file name ending in .csv, .tsv, .parquet or .json (or give --format csv|tsv|parquet|json)"
    )


def is_formula(cell: str) -> bool:
    """True for a text cell that a spreadsheet would evaluate (see :func:`neutralize_formulas`)."""
    return bool(_FORMULA_START_RE.match(cell)) and not _PLAIN_NUMBER_RE.match(cell)


def neutralize_formulas(table: pa.Table) -> pa.Table:
    """Prefix ``'`` to every text cell that a spreadsheet would run as a formula.

    Only string columns are touched, and in them only cells that start with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return and are not a plain number: numeric columns
    (``log10_sigma_S_cm_pred`` = -3.99) are written exactly as before, and so is a text
    cell ``-20`` read from a CSV. This is the OWASP rule for CSV files opened in Excel,
    LibreOffice or Google Sheets; Parquet and JSON are not spreadsheets and are left alone.
    """
    columns = []
    changed = False
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            mask = pc.and_(
                pc.match_substring_regex(column, _FORMULA_START),
                pc.invert(pc.match_substring_regex(column, _PLAIN_NUMBER)),
            )
            if pc.any(mask).as_py():
                quote, empty = pa.scalar("'", field.type), pa.scalar("", field.type)
                column = pc.if_else(mask, pc.binary_join_element_wise(quote, column, empty), column)
                changed = True
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema) if changed else table


def _nested(schema: pa.Schema) -> list[pa.Field]:
    return [f for f in schema if pa.types.is_nested(f.type)]


def check_writable(table: pd.DataFrame, fmt: str, path: str | os.PathLike = STDOUT) -> None:
    """Refuse, before any work is done, a table that ``fmt`` cannot hold: a column of lists
    or records (e.g. from a Parquet input) cannot be written as CSV or TSV."""
    if fmt not in TEXT_FORMATS:
        return
    for name in table.columns:
        col = table[name]
        if col.dtype != object or not len(col):
            continue
        sample = col.dropna()
        kinds = sample.map(type).unique() if len(sample) else []
        for kind in kinds:
            if issubclass(kind, (list, tuple, dict, set)) or kind.__module__ == "numpy" and kind.__name__ == "ndarray":
                raise SpepredError(
                    f"cannot write {_shown(path)} as {fmt.upper()}: column {str(name)!r} holds "
                    f"{'records' if issubclass(kind, dict) else 'lists'}, which {fmt.upper()} cannot "
                    "represent; write .parquet or .json instead, or drop the column"
                )


def _shown(path: str | os.PathLike) -> str:
    raw = os.fspath(path)
    return "standard output" if raw == STDOUT else raw


def to_arrow(table: pd.DataFrame, path: str | os.PathLike = STDOUT) -> pa.Table:
    """``table`` as Arrow, with a clear error for a column Arrow cannot type."""
    try:
        return pa.Table.from_pandas(table, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SpepredError(f"cannot write {_shown(path)}: {first}") from None


def _encode(arrow: pa.Table, fmt: str, sink) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt in TEXT_FORMATS:
        nested = _nested(arrow.schema)
        if nested:
            f = nested[0]
            raise SpepredError(
                f"cannot write as {fmt.upper()}: column {f.name!r} holds nested values ({f.type}); "
                "write .parquet or .json instead, or drop the column"
            )
        options = pacsv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",")
        pacsv.write_csv(neutralize_formulas(arrow), sink, write_options=options)
    elif fmt == "parquet":
        pq.write_table(arrow, sink)
    else:  # pragma: no cover - json is handled by the caller
        raise ValueError(fmt)


def _json_bytes(table: pd.DataFrame, path: str | os.PathLike) -> bytes:
    try:
        return (table.to_json(orient="records", double_precision=15) + "\n").encode("utf-8")
    except (TypeError, ValueError, OverflowError) as err:
        raise SpepredError(f"cannot write {_shown(path)} as JSON: {err}") from None


def write_table(table: pd.DataFrame, path: str | os.PathLike = STDOUT, fmt: str | None = None) -> Path | str:
    """Write ``table`` (CSV, TSV, Parquet or JSON records) to ``path`` or, for ``-``, to
    standard output; returns ``path``.

    The format is ``fmt`` or comes from the suffix (:func:`output_format`). CSV and TSV go
    through pyarrow (an order of magnitude faster than pandas for 10^5+ rows) with formula
    cells neutralized (:func:`neutralize_formulas`). Files are written atomically with the
    umask's mode; an existing device or pipe is written in place, never replaced.
    """
    raw = os.fspath(path)
    fmt = output_format(raw, fmt)
    check_writable(table, fmt, raw)
    if raw == STDOUT:
        if fmt == "json":
            data = _json_bytes(table, raw)
        else:
            buf = io.BytesIO()
            _encode_checked(to_arrow(table, raw), fmt, buf, raw)
            data = buf.getvalue()
        sys.stdout.flush()
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # `| head`: the reader left; nothing more to say
            pass
        return raw
    check_output_path(raw)  # refuse a directory, /proc, a long name before encoding anything
    arrow = None if fmt == "json" else to_arrow(table, raw)
    with atomic_write(raw) as tmp:
        if fmt == "json":
            with open(tmp, "wb") as fh:
                fh.write(_json_bytes(table, raw))
        else:
            _encode_checked(arrow, fmt, str(tmp), raw)
    return Path(raw)


def _encode_checked(arrow: pa.Table, fmt: str, sink, path: str) -> None:
    try:
        _encode(arrow, fmt, sink)
    except SpepredError as err:
        raise SpepredError(str(err).replace("cannot write as", f"cannot write {_shown(path)} as", 1)) from None
    except pa.ArrowException as err:
        if isinstance(err, OSError):
            raise  # atomic_write names the file and the reason
        first = str(err).strip().splitlines()[0]
        raise SpepredError(f"cannot write {_shown(path)} as {fmt.upper()}: {first}") from None


def _chunk_schema(first: pd.DataFrame) -> pa.Schema:
    """The columns and types of a chunked table: those of its first chunk (a column that is
    empty there is text)."""
    schema = pa.Schema.from_pandas(first, preserve_index=False)
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema]).remove_metadata()


def write_table_chunks(
    chunks: Iterable[pd.DataFrame], path: str | os.PathLike = STDOUT, fmt: str | None = None
) -> tuple[Path | str, int]:
    """Write DataFrames one after another as one table (CSV, TSV, Parquet or JSON records)
    to ``path`` or, for ``-``, standard output, as :func:`write_table` does: ``predict
    --input`` holds one chunk at a time, never the whole table.

    The columns and their types are those of the first chunk; every later chunk is cast to
    them. If any chunk fails, nothing is left under ``path`` (a file is renamed into place
    only once complete). Returns the path and the number of rows written.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    raw = os.fspath(path)
    fmt = output_format(raw, fmt)
    to_stdout = raw == STDOUT
    if not to_stdout:
        check_output_path(raw)
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        raise SpepredError(f"cannot write {_shown(raw)}: nothing to write")
    check_writable(first, fmt, raw)
    schema = None if fmt == "json" else _chunk_schema(first)
    if schema is not None and fmt in TEXT_FORMATS and _nested(schema):
        f = _nested(schema)[0]
        raise SpepredError(
            f"cannot write {_shown(raw)} as {fmt.upper()}: column {f.name!r} holds nested values ({f.type}); "
            "write .parquet or .json instead, or drop the column"
        )
    n = 0

    def arrow_of(chunk: pd.DataFrame) -> pa.Table:
        try:
            return pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as err:
            raise SpepredError(
                f"cannot write {_shown(raw)}: rows {n + 1}.. do not have the column types of the first rows ({err})"
            ) from None

    def write_all(sink) -> None:
        nonlocal n
        if fmt == "json":
            sink.write(b"[")
            sep = b""
            for chunk in itertools.chain([first], chunks):
                body = _json_bytes(chunk, raw).strip()[1:-1]
                if body:
                    sink.write(sep + body)
                    sep = b","
                n += len(chunk)
            sink.write(b"]\n")
            return
        if fmt == "parquet":
            writer = pq.ParquetWriter(sink, schema)
        else:
            options = pacsv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",")
            writer = pacsv.CSVWriter(sink, schema, write_options=options)
        try:
            for chunk in itertools.chain([first], chunks):
                arrow = arrow_of(chunk)
                writer.write_table(arrow if fmt == "parquet" else neutralize_formulas(arrow))
                n += len(chunk)
        finally:
            writer.close()

    if to_stdout:
        sys.stdout.flush()
        try:
            write_all(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # `| head`: the reader left; nothing more to say
            pass
        return raw, n
    with atomic_write(raw) as tmp:
        with open(tmp, "wb") as fh:
            write_all(fh)
    return Path(raw), n


__all__ = [
    "FORMATS",
    "SUFFIX_FORMATS",
    "check_writable",
    "is_formula",
    "neutralize_formulas",
    "output_format",
    "write_table",
    "write_table_chunks",
]
