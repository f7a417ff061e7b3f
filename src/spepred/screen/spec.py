"""Library specs: building blocks listed in a YAML/TOML file (or options) -> a virtual library.

A library is the Cartesian product of *axes*. Each axis is a small table whose rows are the
levels of one design choice and whose columns are the formulation columns it sets: the
monomers axis sets ``monomer_smiles``; the fillers axis sets ``filler`` and
``filler_wt_pct`` together (a loading belongs to its filler); a ready formulation table
(``input``) is one axis whose levels are its rows. Row ``i`` of the library is found by
unravelling ``i`` over the axis lengths (first axis slowest), so any range of rows can be
built on demand without ever materializing the whole product.

Every problem in a spec is reported at once, each naming the key, the value and what was
expected; chemistry typed into the spec (SMILES, crosslinker, filler and salt names) is
checked here, before a million rows are built from it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.data.columns import CONDITION_COLUMNS, FORMULATION_BY_NAME, FORMULATION_COLUMNS, LABELS, SPEC_COLUMNS
from spepred.errors import ConfigError, InvalidValueError, SpepredError
from spepred.values import MAX_RANGE_POINTS, NONE_WORDS, parse_bool, parse_number_or_range

#: Spec keys -> what each holds (the text of the "unknown key" message lists them): the
#: library's own keys, then one per formulation column with an axis (declared in
#: :mod:`spepred.data.columns`).
SPEC_KEYS: dict[str, str] = {
    "name": "a name for the library (used in messages)",
    "input": "a formulation table (CSV/Parquet path) or a library source key such as polyinfo_candidates",
    "monomers": SPEC_COLUMNS["monomers"].spec_help,
    "monomers_csv": "a CSV with a monomer_smiles (or smiles) column",
    **{key: col.spec_help for key, col in SPEC_COLUMNS.items()},
}
#: A screen is refused before it is planned when its library holds more formulations than
#: this (``--max-formulations`` raises it): at about a million a minute on two cores that
#: is ten minutes of work, and the final ranking holds a few hundred bytes per row.
MAX_FORMULATIONS = 10_000_000
#: Library sources (key in :mod:`spepred.data.sources`) that ``input`` may name.
LIBRARY_SOURCES = ("polyinfo_candidates",)
ROW_COLUMN = "library_row"
MAX_LISTED = 20
_NUMERIC = {c.name: c for c in CONDITION_COLUMNS}


class LibrarySpecError(ConfigError):
    """A library spec with one or more bad keys or values; lists every one of them."""

    def __init__(self, problems: Sequence[str], *, origin: str = "library spec") -> None:
        self.problems = list(problems)
        lines = [f"{origin}: {len(self.problems)} problem(s)" if len(self.problems) > 1 else f"{origin}: {self.problems[0]}"]
        if len(self.problems) > 1:
            lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
            if len(self.problems) > MAX_LISTED:
                lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Axis:
    """One design choice: ``table`` holds one row per level, columns = formulation columns."""

    key: str
    table: pd.DataFrame

    def __len__(self) -> int:
        return len(self.table)


@dataclass
class Library:
    """A virtual library: the Cartesian product of its axes (first axis varies slowest).

    Parameters
    ----------
    axes
        The design choices; the number of rows is the product of their lengths.
    name
        Used as the ``source`` of the rows in error messages.
    """

    axes: tuple[Axis, ...]
    name: str = "library"
    origin: str = ""
    _arrays: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self.axes:
            raise LibrarySpecError(["nothing to screen: give monomers, monomers_csv or input"], origin=self.origin or "library spec")
        self.shape = tuple(len(a) for a in self.axes)
        self._arrays = [
            [(c, _column_array(a.table[c])) for c in a.table.columns] for a in self.axes
        ]
        ordered = [c for c in FORMULATION_COLUMNS if any(c in a.table.columns for a in self.axes)]
        extra = [c for a in self.axes for c in a.table.columns if c not in FORMULATION_COLUMNS]
        self.columns: tuple[str, ...] = (ROW_COLUMN, *ordered, *extra)

    @property
    def n_rows(self) -> int:
        return int(math.prod(self.shape))

    def column_values(self) -> list[tuple[str, np.ndarray]]:
        """Every axis column and its levels (one value per level of its axis), axis by
        axis: what the prediction schema types its library columns from."""
        return [pair for arrays in self._arrays for pair in arrays]

    def rows(self, index: np.ndarray) -> pd.DataFrame:
        """The formulation rows at global positions ``index`` (``library_row`` first)."""
        index = np.asarray(index, dtype=np.int64)
        data: dict[str, np.ndarray] = {ROW_COLUMN: index}
        if len(index) and (index.min() < 0 or index.max() >= self.n_rows):
            raise IndexError(f"library rows {index.min()}..{index.max()} outside 0..{self.n_rows - 1}")
        positions = np.unravel_index(index, self.shape) if len(self.shape) > 1 else (index,)
        for arrays, pos in zip(self._arrays, positions):
            for col, values in arrays:
                data[col] = values[pos]
        return pd.DataFrame({c: data[c] for c in self.columns})

    def chunk(self, start: int, stop: int) -> pd.DataFrame:
        return self.rows(np.arange(start, min(stop, self.n_rows), dtype=np.int64))

    def fingerprint(self) -> str:
        """SHA-256 of the axes (their order, columns and values): the same library, the same
        fingerprint; any change of a level, an axis or their order, another one."""
        h = hashlib.sha256(b"spepred-library-v1")
        for axis in self.axes:
            h.update(axis.key.encode())
            h.update(json.dumps(list(map(str, axis.table.columns))).encode())
            h.update(pd.util.hash_pandas_object(axis.table, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def unique_components(self) -> dict[str, int]:
        """Distinct building blocks per kind (what the featurizer computes once each)."""
        out = {}
        for col in ("monomer_smiles", "crosslinker", "filler", "salt"):
            for axis in self.axes:
                if col in axis.table.columns:
                    out[col] = int(axis.table[col].nunique(dropna=False))
        return out

    def describe(self) -> str:
        """``821 x 5 = 4,105 rows`` style summary with the axis names."""
        parts = " x ".join(f"{len(a):,} {a.key}" for a in self.axes)
        return f"{parts} = {self.n_rows:,} formulations"


def _column_array(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64)
    # text: one str object per distinct value, shared by every row that holds it (an input
    # table of a million rows from a few hundred building blocks costs 8 bytes a cell, not
    # a new string each; and no Python loop over the rows)
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable cells
        return np.array(["" if _missing(v) else str(v) for v in series], dtype=object)
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[: len(uniques)] = [str(u) for u in uniques]
    texts[-1] = ""  # code -1: a missing cell
    return texts[codes]


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


# -- reading a spec ---------------------------------------------------------------------
def read_spec_file(path: str | Path) -> dict:
    """A YAML (``.yaml``/``.yml``) or TOML (``.toml``) spec file -> dict, with clear errors."""
    p = Path(path)
    origin = str(p)
    if not p.is_file():
        raise LibrarySpecError([f"spec file not found (expected a YAML or TOML file)"], origin=origin)
    text = p.read_text("utf-8")
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml", ".json"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise LibrarySpecError([f"unknown spec format {p.suffix!r}: expected .yaml, .yml or .toml"], origin=origin)
    except LibrarySpecError:
        raise
    except Exception as err:  # yaml.YAMLError / tomllib.TOMLDecodeError carry the position
        raise LibrarySpecError([f"cannot parse: {type(err).__name__}: {err}".replace("\n", " ")], origin=origin) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LibrarySpecError([f"expected a mapping of keys ({', '.join(SPEC_KEYS)}), got {type(data).__name__}"], origin=origin)
    return data


def load_spec(
    spec: str | Path | Mapping | None = None,
    *,
    overrides: Mapping | None = None,
    base_dir: str | Path | None = None,
    max_formulations: int | None = MAX_FORMULATIONS,
) -> Library:
    """A library from a spec file and/or a mapping of spec keys (``overrides`` win).

    Parameters
    ----------
    spec
        A YAML/TOML file, or a mapping with the keys of :data:`SPEC_KEYS`.
    overrides
        Keys given on the command line; they replace the file's keys of the same name.
    base_dir
        Where relative paths in the spec point from (default: the spec file's folder, or the
        working directory for a mapping).
    max_formulations
        Refuse a library of more formulations than this (``None``: no limit), before any
        of them is built; an ``input`` table is read only up to it.

    Raises
    ------
    LibrarySpecError
        Listing every unknown key and every bad value, each with the key and the value.
    """
    origin = "library spec"
    data: dict = {}
    if isinstance(spec, (str, Path)):
        data = read_spec_file(spec)
        origin = str(spec)
        if base_dir is None:
            base_dir = Path(spec).resolve().parent
    elif isinstance(spec, Mapping):
        data = dict(spec)
    elif spec is not None:
        raise LibrarySpecError([f"expected a spec file or a mapping, got {type(spec).__name__}"])
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    return build_library(
        data, origin=origin, base_dir=Path(base_dir) if base_dir else Path.cwd(), max_formulations=max_formulations
    )


def check_size(n_rows: int, limit: int | None, describe: str, origin: str = "library spec") -> None:
    """Refuse a library of more than ``limit`` formulations, naming its size."""
    if limit is not None and n_rows > limit:
        raise LibrarySpecError(
            [
                f"the library holds {n_rows:,} formulations ({describe}), more than the limit of {limit:,}: "
                f"screen a smaller library, or raise the limit with --max-formulations {n_rows} "
                f"(max_formulations={n_rows} in Python)"
            ],
            origin=origin,
        )


def build_library(
    data: Mapping,
    *,
    origin: str = "library spec",
    base_dir: Path | None = None,
    max_formulations: int | None = MAX_FORMULATIONS,
) -> Library:
    """Validate a spec mapping and build its axes (see :func:`load_spec`)."""
    base_dir = base_dir or Path.cwd()
    problems: list[str] = []
    for key in data:
        if key not in SPEC_KEYS:
            close = difflib.get_close_matches(str(key), list(SPEC_KEYS), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown key {key!r}{hint} (known keys: {', '.join(SPEC_KEYS)})")
    default_name = "library"
    if origin != "library spec":
        default_name = Path(origin).stem
    elif isinstance(data.get("input"), (str, Path)):
        default_name = Path(str(data["input"])).stem
    name = data.get("name") or default_name
    if not isinstance(name, str):
        problems.append(f"name: invalid value {name!r}: expected a text")
        name = "library"
    axes: list[Axis] = []

    base = None
    if data.get("input") is not None:
        if any(data.get(k) is not None for k in ("monomers", "monomers_csv")):
            problems.append("input: give either input (a ready formulation table) or monomers/monomers_csv, not both")
        else:
            base = _read_input(data["input"], base_dir, problems, max_rows=max_formulations)
    monomers = _monomers(data, base_dir, problems)
    if monomers is not None:
        axes.append(Axis("monomers", pd.DataFrame({"monomer_smiles": monomers})))

    # one axis per formulation column with a spec key, in table order (booleans last, as
    # they always came): the order of the axes is the order of the library's rows
    for col in sorted(SPEC_COLUMNS.values(), key=lambda c: c.kind == "bool"):
        key = col.spec_key
        if col.kind == "matrix" or data.get(key) is None:
            continue  # monomers: above, with monomers_csv
        if key == "fillers":  # a filler comes with its loadings: two columns, one axis
            fillers = _fillers(data.get("fillers"), problems)
            if fillers is not None:
                axes.append(Axis("fillers", fillers))
        elif col.kind == "chemicals":
            texts = _texts(data, key, problems)
            if texts is not None:
                _check_chemistry(texts, key, col.name, problems)
                if col.name != "salt":  # 'none' salt is a value (single-ion polymers)
                    texts = [_blank_none(x) for x in texts]
                axes.append(Axis(key, pd.DataFrame({col.name: texts})))
        elif col.kind == "category":
            texts = _texts(data, key, problems)
            if texts is not None:
                for v in texts:
                    if v.casefold() not in col.choices:
                        problems.append(f"{key}: invalid value {v!r}: expected one of {', '.join(col.choices)}")
                axes.append(Axis(key, pd.DataFrame({col.name: [v.casefold() for v in texts]})))
        elif col.kind == "number":
            values = _numbers(data.get(key), key, problems, col)
            if values is not None:
                axes.append(Axis(key, pd.DataFrame({col.name: np.asarray(values, dtype=np.float64)})))
        elif col.kind == "bool":
            flags = _bools(data.get(key), problems, key)
            if flags is not None:
                axes.append(Axis(key, pd.DataFrame({col.name: np.asarray(flags, dtype=bool)})))

    if base is not None:
        set_by_axes = {c for a in axes for c in a.table.columns}
        base = base.drop(columns=[c for c in base.columns if c in set_by_axes])
        if axes and "record_id" in base.columns and math.prod(len(a) for a in axes) > 1:
            # one input row becomes several formulations: its id no longer names one row
            base = base.rename(columns={"record_id": "input_record_id"})
        axes.insert(0, Axis("input rows", base.reset_index(drop=True)))
    if not problems and not any(
        "monomer_smiles" in a.table.columns for a in axes
    ):
        problems.append("nothing to screen: give monomers, monomers_csv or input (a formulation table)")
    for axis in axes:
        if len(axis) == 0 and not problems:
            problems.append(f"{axis.key}: empty: expected at least one value")
    if problems:
        raise LibrarySpecError(problems, origin=origin)
    sizes = [len(a) for a in axes]
    check_size(math.prod(sizes), max_formulations, " x ".join(f"{n:,} {a.key}" for n, a in zip(sizes, axes)), origin)
    return Library(tuple(axes), name=name, origin=origin)


def _resolve_path(value: object, key: str, base_dir: Path, problems: list[str]) -> Path | None:
    if not isinstance(value, (str, Path)) or not str(value).strip():
        problems.append(f"{key}: invalid value {value!r}: expected a file path")
        return None
    p = Path(str(value)).expanduser()
    if not p.is_absolute():
        p = base_dir / p
    if not p.is_file():
        problems.append(f"{key}: file not found: {str(value)!r} (looked at {p})")
        return None
    return p


def _read_input(value: object, base_dir: Path, problems: list[str], *, max_rows: int | None = None) -> pd.DataFrame | None:
    """A ready formulation table: a library source key (fetched and converted) or a file
    (read in chunks, and only up to ``max_rows`` rows: a larger table is refused without
    being held in memory)."""
    from spepred.data.schema import iter_table

    if isinstance(value, str) and value in LIBRARY_SOURCES:
        from spepred.data import converters
        from spepred.data.sources import fetch

        try:
            table, _ = converters.convert_polyinfo(fetch(value))
        except SpepredError as err:
            problems.append(f"input: {value!r}: {err}")
            return None
        return table
    from spepred.data.schema import STDIN

    path = STDIN if value == STDIN else _resolve_path(value, "input", base_dir, problems)
    if path is None:
        return None
    try:
        parts, n = [], 0
        for chunk in iter_table(path):
            n += len(chunk)
            if max_rows is not None and n > max_rows:
                check_size(n, max_rows, f"{str(value)!r} has more than {max_rows:,} rows", origin=f"input {str(value)!r}")
            parts.append(chunk)
        table = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        del parts
    except SpepredError as err:
        problems.append(f"input: {err}")
        return None
    if "monomer_smiles" not in table.columns:
        problems.append(
            f"input: {str(value)!r} has no monomer_smiles column (columns: {', '.join(map(str, table.columns[:20]))})"
        )
        return None
    if len(table) == 0:
        problems.append(f"input: {str(value)!r} has no rows")
        return None
    # numbers read from CSV arrive as text: make a column numeric when every cell parses,
    # else keep the text so that the predictor gives each bad row its status
    for col in (*_NUMERIC, *LABELS):
        if col in table.columns and not pd.api.types.is_numeric_dtype(table[col].dtype):
            raw = table[col]
            num = pd.to_numeric(raw, errors="coerce")
            if (num.notna() | raw.isna()).all():
                table[col] = num.astype(np.float64)
    return table


def _as_list(value: object) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _texts(data: Mapping, key: str, problems: list[str]) -> list[str] | None:
    value = data.get(key)
    if value is None:
        return None
    out = []
    for item in _as_list(value):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or isinstance(item, float) and item != item:
            problems.append(f"{key}: invalid value {item!r}: expected a name or SMILES text")
            continue
        out.append(str(item).strip())
    if not _as_list(value):
        problems.append(f"{key}: empty list: expected at least one value")
    return _dedupe(out, key, problems)


def _dedupe(values: list, key: str, problems: list[str]) -> list:
    seen: dict = {}
    for v in values:
        if v in seen:
            problems.append(f"{key}: value {v!r} listed twice: expected each level once")
        seen[v] = True
    return list(seen)


def _blank_none(text: str) -> str:
    return "" if text.strip().casefold() in NONE_WORDS else text


def _monomers(data: Mapping, base_dir: Path, problems: list[str]) -> list[str] | None:
    listed = _texts(data, "monomers", problems) if data.get("monomers") is not None else None
    if listed is not None:
        for v in listed:
            if _blank_none(v) == "":
                problems.append(f"monomers: invalid value {v!r}: expected a matrix SMILES")
        listed = [v for v in listed if _blank_none(v)]
        _check_chemistry(listed, "monomers", "monomer_smiles", problems)
    from_csv = None
    if data.get("monomers_csv") is not None:
        path = _resolve_path(data["monomers_csv"], "monomers_csv", base_dir, problems)
        if path is not None:
            from spepred.data.schema import read_table

            try:
                table = read_table(path)
            except SpepredError as err:
                problems.append(f"monomers_csv: {err}")
                table = None
            if table is not None:
                col = next((c for c in ("monomer_smiles", "smiles", "SMILES") if c in table.columns), None)
                if col is None:
                    problems.append(
                        f"monomers_csv: {path.name} has no monomer_smiles or smiles column "
                        f"(columns: {', '.join(map(str, table.columns[:20]))})"
                    )
                else:
                    from_csv = []
                    for i, v in enumerate(table[col]):
                        text = "" if _missing(v) else str(v).strip()
                        if not text:
                            problems.append(f"monomers_csv: {path.name} row {i + 1}: empty {col}: expected a matrix SMILES")
                            continue
                        from_csv.append(text)
                    _check_chemistry(from_csv, f"monomers_csv ({path.name})", "monomer_smiles", problems, rows=True)
    if listed is None and from_csv is None:
        return None
    # a polymer listed twice (inline and in the CSV, or in two spellings: [*]CCO[*] and
    # [*]COC[*]) is screened once, under the spelling met first
    from spepred.chem.resolve import matrix_key

    out: dict[str, str] = {}
    for v in [*(listed or []), *(from_csv or [])]:
        try:
            key = matrix_key(v)
        except SpepredError:  # already listed among the problems by _check_chemistry
            key = "text:" + v
        out.setdefault(key, v)
    return list(out.values())


def _check_chemistry(values: list[str], key: str, column: str, problems: list[str], *, rows: bool = False) -> None:
    """Parse the values as the column's cells are parsed in a table (each distinct value
    resolved once, by the column's own resolver); name every bad one."""
    parsed = FORMULATION_BY_NAME[column].parse(np.asarray(values, dtype=object), len(values))
    for i, _, reason in parsed.errors:
        where = f" row {i + 1}" if rows else ""
        problems.append(f"{key}{where}: {reason}")


def _parse_number(item: object, key: str, problems: list[str], spec=None) -> list[float]:
    """A number, or a range ``start:stop:step`` (inclusive), as floats, range-checked
    against the column's declaration ``spec``."""
    unit = f" ({spec.unit})" if spec else ""
    if isinstance(item, bool):
        problems.append(f"{key}: invalid value {item!r}: expected a number{unit}")
        return []
    if isinstance(item, (int, float)):
        values = [float(item)]
    elif isinstance(item, str):
        # the one start:stop:step parser, shared with spepred predict --temperature
        try:
            values = parse_number_or_range(item, field=key, unit=spec.unit if spec else "", max_points=MAX_RANGE_POINTS)
        except InvalidValueError as err:
            kind = "range" if ":" in item else "value"
            problems.append(f"{key}: invalid {kind} {item!r}: expected {err.expected}")
            return []
    else:
        problems.append(f"{key}: invalid value {item!r}: expected a number{unit}")
        return []
    if any(math.isnan(v) for v in values):  # a table's empty cell; a spec level must be a number
        problems.append(f"{key}: invalid value {item!r}: expected a finite number{unit}")
        values = [v for v in values if not math.isnan(v)]
    if spec is None:
        return [v for v in values if math.isfinite(v)]
    # checked as the column's cells are in a table: finite, within the declared range
    parsed = spec.parse(np.asarray(values, dtype=np.float64), len(values))
    for i, value, reason in parsed.errors:
        shown = _fmt(value) if math.isfinite(value) else repr(item)
        problems.append(f"{key}: invalid value {shown}: {reason}")
    if parsed.bad is None:
        return list(values)
    return [v for v, bad in zip(values, parsed.bad, strict=True) if not bad]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def _numbers(value: object, key: str, problems: list[str], spec=None) -> list[float] | None:
    if value is None:
        return None
    items = _as_list(value)
    if not items:
        problems.append(f"{key}: empty list: expected at least one number")
        return []
    out: list[float] = []
    for item in items:
        out += _parse_number(item, key, problems, spec)
    return _dedupe(out, key, problems)


def _bools(value: object, problems: list[str], key: str = "plasticized") -> list[bool] | None:
    if value is None:
        return None
    out = []
    for item in _as_list(value):
        try:
            out.append(parse_bool(item, field=key))
        except InvalidValueError:
            problems.append(f"{key}: invalid value {item!r}: expected true or false")
    return _dedupe(out, key, problems)


def parse_filler_text(text: str) -> dict:
    """``SiO2:5,10`` -> ``{"name": "SiO2", "wt_pct": ["5", "10"]}``; ``none`` -> ``{"name": "none"}``."""
    name, sep, loads = text.partition(":")
    item: dict = {"name": name.strip()}
    if sep:
        item["wt_pct"] = [p.strip() for p in loads.split(",") if p.strip()] or [""]
    return item


def _fillers(value: object, problems: list[str]) -> pd.DataFrame | None:
    if value is None:
        return None
    names: list[str] = []
    loads: list[float] = []
    for item in _as_list(value):
        if isinstance(item, str):
            item = parse_filler_text(item)
        if not isinstance(item, Mapping) or "name" not in item:
            problems.append(f"fillers: invalid value {item!r}: expected 'none', 'NAME', 'NAME:wt%,wt%' or {{name: NAME, wt_pct: [..]}}")
            continue
        unknown = set(item) - {"name", "wt_pct"}
        if unknown:
            problems.append(f"fillers: unknown key {sorted(unknown)[0]!r} in {dict(item)!r}: expected name and wt_pct")
            continue
        name = str(item["name"]).strip()
        if _blank_none(name) == "":
            if item.get("wt_pct") not in (None, [], 0, [0]):
                problems.append(f"fillers: loading {item.get('wt_pct')!r} given for no filler: expected a filler name")
                continue
            names.append("")
            loads.append(math.nan)
            continue
        before = len(problems)
        _check_chemistry([name], "fillers", "filler", problems)
        if len(problems) > before:
            continue
        wt = item.get("wt_pct")
        pcts = [math.nan] if wt is None else _numbers(wt, "filler_wt_pct", problems, _NUMERIC["filler_wt_pct"]) or []
        for p in pcts:
            names.append(name)
            loads.append(p)
    if not names and not problems:
        problems.append("fillers: empty list: expected at least one filler ('none' for no filler)")
    table = pd.DataFrame({"filler": names, "filler_wt_pct": np.asarray(loads, dtype=np.float64)})
    dup = table.duplicated()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(f"fillers: {table['filler'].iloc[i] or 'none'} at {table['filler_wt_pct'].iloc[i]:g} wt% listed twice: expected each level once")
    return table
