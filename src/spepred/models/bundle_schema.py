"""What a bundle's metadata must look like before anything is built from it.

The manifest proves integrity (every file is the one that was written), not authenticity:
whoever can rewrite a bundle's files can rewrite its manifest to match. So the loader does
not trust ``bundle.json`` either: it is validated here, with pydantic, against the shape
training writes, and every size it would allocate from (features, Morgan bits, arrays) is
bounded before it allocates. A malformed bundle is one :class:`ModelBundleError` line.

Extra keys are allowed (a newer spepred may add some); the keys the loader and the
predictor read must be there with the right types.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from spepred.errors import ModelBundleError

#: Largest ``bundle.json`` and ``manifest.json`` read (the shipped ones are 34 KB and 1 KB).
MAX_META_BYTES = 64 << 20
MAX_MANIFEST_BYTES = 1 << 20
#: Deepest JSON nesting accepted (a bundle nests 4 levels; 100 k levels would exhaust the
#: parser's recursion before any schema could look at it).
MAX_JSON_DEPTH = 32
#: Feature layout bounds: a Morgan fold above this, or more feature names, is not a bundle
#: spepred writes (default 256 bits, 389 features); ``morgan_size: 200000000`` kept the
#: loader busy for a minute building names.
MAX_MORGAN_SIZE = 1 << 16
MAX_MORGAN_RADIUS = 8
MAX_FEATURES = 1 << 18
#: Largest domain array accepted, in bytes (the shipped bundle's are under 64 KB).
MAX_ARRAY_BYTES = 1 << 30



def _finite_non_negative(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a finite number >= 0")
    return value


#: A conformal quantile: finite and >= 0 (NaN or inf would make every interval meaningless).
FiniteNonNegative = Annotated[float, AfterValidator(_finite_non_negative)]

class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class FeaturizerMeta(_Strict):
    morgan_radius: int = Field(ge=0, le=MAX_MORGAN_RADIUS)
    morgan_size: int = Field(ge=8, le=MAX_MORGAN_SIZE)
    blocks: list[str] = Field(max_length=64)
    use_xtb: bool
    version: str


class RegimeBins(_Strict):
    """One regime's own conformal quantiles (bundles before them have none)."""

    n: int = Field(ge=0)
    q_all: FiniteNonNegative
    q: list[FiniteNonNegative] = Field(max_length=65)


class ConformalBins(_Strict):
    edges: list[float] = Field(max_length=64)
    q: list[float] = Field(max_length=65)
    q_crosslinked: float | None = None
    regimes: dict[str, RegimeBins] | None = Field(default=None, max_length=16)

    @field_validator("q")
    @classmethod
    def _one_more_than_edges(cls, q: list[float], info) -> list[float]:
        edges = info.data.get("edges")
        if edges is not None and len(q) != len(edges) + 1:
            raise ValueError(f"{len(q)} quantiles for {len(edges)} bin edges (expected {len(edges) + 1})")
        return q

    @field_validator("regimes")
    @classmethod
    def _regime_bins_match_edges(cls, regimes, info):
        edges = info.data.get("edges")
        for name, r in (regimes or {}).items():
            if edges is not None and len(r.q) != len(edges) + 1:
                raise ValueError(
                    f"regime {name!r}: {len(r.q)} quantiles for {len(edges)} bin edges (expected {len(edges) + 1})"
                )
        return regimes


class RegimeOffset(_Strict):
    offset: float = Field(ge=-5, le=5)  # model space; a larger shift is a corrupted bundle
    n: int = Field(ge=0)
    papers: int = Field(ge=0)


class TargetMeta(_Strict):
    label: str
    unit: str
    transform: str | None
    model_file: str
    n_labels: int = Field(ge=0)
    n_groups: int = Field(ge=0)
    cv_scheme: str
    alpha: float = Field(gt=0, lt=1)
    conformal_q: FiniteNonNegative
    conformal_bins: ConformalBins | None = None
    label_range: list[float] = Field(min_length=2, max_length=2)
    metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    beats_baseline: bool
    #: the features the booster reads (absent: all of them; bundles before it)
    features: list[str] | None = Field(default=None, max_length=MAX_FEATURES)
    #: regime -> {n, mae, baseline_mae, beats_baseline, coverage_90} (absent before it)
    regime_metrics: dict[str, dict[str, float]] | None = Field(default=None, max_length=16)
    #: offset cell -> {offset, n, papers} (spepred.models.offsets; absent: no offsets)
    offsets: dict[str, RegimeOffset] | None = Field(default=None, max_length=16)


class DomainMeta(_Strict):
    min_similarity: float
    max_unseen: int
    known_components: list[str] | None = None


class TrainingSystemsMeta(_Strict):
    """The nearest-labelled-systems table (bundles from before it have none)."""

    table: str
    matrix_fps: str
    crosslinker_fps: str
    n_systems: int = Field(ge=0)


class TgMeta(_Strict):
    """The Tg model inside a bundle (:mod:`spepred.models.tg`; older bundles have none).

    The file names are fixed (:meth:`TgModel.load` opens exactly these), so any other name
    is refused rather than followed."""

    model_file: str
    meta_file: str
    matrix_fps: str
    fragments: str
    source: str
    n_polymers: int = Field(ge=0)
    alpha: float = Field(gt=0, lt=1)
    metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    beats_baseline: bool


class TgFileMeta(_Strict):
    """``tg_model.json``, validated before :meth:`TgModel.load` builds anything from it."""

    format_version: int
    label: str
    unit: str
    config: dict[str, Any]
    feature_names: list[str] = Field(max_length=MAX_FEATURES)
    conformal_q: FiniteNonNegative
    conformal_bins: ConformalBins
    label_range: list[float] = Field(min_length=2, max_length=2)
    metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    fold_mae: list[float] = Field(max_length=64)
    n_polymers: int = Field(ge=0)
    n_rows: int = Field(ge=0)
    domain: DomainMeta
    files: dict[str, str] = Field(max_length=8)


class BundleMeta(_Strict):
    format_version: int
    model_version: str
    created_utc: str
    data_hash: str
    rows_per_source: dict[str, int]
    featurizer: FeaturizerMeta
    feature_names: list[str] = Field(max_length=MAX_FEATURES)
    targets: dict[str, TargetMeta]
    domain: DomainMeta
    train_config: dict[str, Any]
    library_versions: dict[str, str]
    training_systems: TrainingSystemsMeta | None = None
    #: None (or absent: bundles from before it) when the bundle has no Tg model; ``tg_note``
    #: then says why
    tg: TgMeta | None = None
    tg_note: str | None = None


def _depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting of JSON text, outside strings (no parsing, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def read_json(path: Path, *, limit: int, what: str) -> Any:
    """A bundle's JSON file, refused in one line if too large, too deep or not JSON."""
    where = path.parent
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelBundleError(f"{where}: {what} is {size:,} bytes (at most {limit:,} accepted)")
        with open(path, encoding="utf-8") as fh:
            text = fh.read(limit + 1)
    except OSError as err:
        raise ModelBundleError(f"{where}: {what} cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ModelBundleError(f"{where}: {what} is not UTF-8 JSON") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise ModelBundleError(f"{where}: {what} nests deeper than {MAX_JSON_DEPTH} levels; not a spepred bundle")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ModelBundleError(f"{where}: {what} is not valid JSON ({str(err)[:120]})") from None


def _malformed(directory: Path, what: str, err: ValidationError) -> ModelBundleError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return ModelBundleError(
        f"{directory}: {what} is malformed at {where}: {first['msg']} "
        f"({err.error_count()} problem(s)); not a bundle this spepred can load"
    )


def validate_meta(meta: Any, directory: Path, manifest_files: dict[str, str]) -> dict:
    """Check ``bundle.json`` against :class:`BundleMeta` and the manifest; return it.

    Besides the shape: every ``targets.*.model_file`` must be a plain file name listed in
    the manifest (no path outside the bundle, no pipe or device: the manifest check has
    already hashed it as a regular file) and end in ``.ubj``.
    """
    if not isinstance(meta, dict):
        raise ModelBundleError(
            f"{directory}: bundle.json holds a JSON {type(meta).__name__}, expected an object; not a spepred bundle"
        )
    try:
        BundleMeta.model_validate(meta)
    except ValidationError as err:
        raise _malformed(directory, "bundle.json", err) from None
    named = [(f"targets.{key}.model_file", info["model_file"], ".ubj") for key, info in meta["targets"].items()]
    systems = meta.get("training_systems")
    if systems is not None:
        named += [
            ("training_systems.table", systems["table"], ".json"),
            ("training_systems.matrix_fps", systems["matrix_fps"], ".npy"),
            ("training_systems.crosslinker_fps", systems["crosslinker_fps"], ".npy"),
        ]
    tg = meta.get("tg")
    if tg is not None:
        from spepred.models import tg as tg_files

        fixed = {
            "model_file": tg_files.MODEL_FILE,
            "meta_file": tg_files.META_FILE,
            "matrix_fps": tg_files.FPS_FILE,
            "fragments": tg_files.FRAGMENTS_FILE,
        }
        for key, expected in fixed.items():
            if tg[key] != expected:
                raise ModelBundleError(
                    f"{directory}: tg.{key} {str(tg[key])[:120]!r} is not the Tg model's file name "
                    f"(expected {expected!r}); refusing to load"
                )
            named.append((f"tg.{key}", expected, Path(expected).suffix))
    for where, name, suffix in named:
        # a file the loader opens by a name from bundle.json: a plain name, inside the bundle
        if Path(name).name != name or name in ("", ".", "..") or "\\" in name or not name.endswith(suffix):
            raise ModelBundleError(
                f"{directory}: {where} {name[:120]!r} is not a {suffix} file name inside the bundle "
                "(expected a plain name such as model_sigma.ubj); refusing to load"
            )
        if name not in manifest_files:
            raise ModelBundleError(f"{directory}: {where} {name[:120]!r} is not listed in the manifest; refusing to load")
    if systems is not None:  # read here first: size and depth bounded before json.loads
        read_json(directory / systems["table"], limit=MAX_META_BYTES, what=systems["table"])
    if tg is not None:  # the Tg model's own JSON: bounded and validated like bundle.json
        tg_meta = read_json(directory / tg["meta_file"], limit=MAX_META_BYTES, what=tg["meta_file"])
        if not isinstance(tg_meta, dict):
            raise ModelBundleError(f"{directory}: {tg['meta_file']} holds a JSON {type(tg_meta).__name__}, expected an object")
        try:
            TgFileMeta.model_validate(tg_meta)
        except ValidationError as err:
            raise _malformed(directory, tg["meta_file"], err) from None
    return meta


def check_npy(path: Path) -> None:
    """Refuse a ``.npy`` whose header promises what its bytes do not hold.

    The header is read alone (no allocation): the dtype must be a plain number or boolean
    or fixed-width text (never an object array), the shape's byte count at most :data:`MAX_ARRAY_BYTES` and
    exactly what follows the header in the file. A header claiming 10^11 elements over a
    few bytes is therefore refused before NumPy tries to allocate it.
    """
    import numpy as np

    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:  # pragma: no cover - read_magic refuses other versions already
                raise ValueError(f"unsupported .npy version {version}")
            offset = fh.tell()
        size = path.stat().st_size
    except (OSError, ValueError, SyntaxError) as err:
        raise ModelBundleError(
            f"{path.parent}: applicability-domain arrays cannot be loaded ({path.name} is not a NumPy "
            f"array file: {str(err)[:120]})"
        ) from None
    if dtype.hasobject or dtype.kind not in "biufUS":  # numbers, booleans, fixed-width text
        raise ModelBundleError(
            f"{path.parent}: applicability-domain arrays cannot be loaded ({path.name} holds {dtype} "
            "values, expected numbers or fixed-width text); refusing to load"
        )
    count = 1
    for dim in shape:
        count *= int(dim)
    nbytes = count * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES or nbytes != size - offset:
        raise ModelBundleError(
            f"{path.parent}: applicability-domain arrays cannot be loaded ({path.name} claims shape "
            f"{tuple(shape)}, {nbytes:,} bytes, but holds {size - offset:,} bytes of data; at most "
            f"{MAX_ARRAY_BYTES:,} accepted); refusing to load"
        )


__all__ = ["BundleMeta", "TgFileMeta", "TgMeta", "check_npy", "read_json", "validate_meta"]
