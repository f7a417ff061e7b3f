"""Predictions from a bundle: one output row per input row, with intervals, applicability
domain, warnings and a ``status``."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.cache import FeatureCache
from spepred.data import columns as _columns
from spepred.data.columns import PROPERTIES
from spepred.data.validate import validate_columns, validate_formulations
from spepred.errors import FormulationError, InvalidValueError, SpepredError
from spepred.featurize.names import describe_feature
from spepred.models.bundle import Bundle, load_bundle
from spepred.models.config import TARGETS
from spepred.models import offsets as regime_offsets
from spepred.models.intervals import interval as conformal_interval
from spepred.models.xgb_native import as_xgboost, load_booster

log = logging.getLogger(__name__)

#: Output columns, in order, after the input columns (declared in :mod:`spepred.data.columns`).
OUTPUT_COLUMNS = _columns.OUTPUT_COLUMNS
#: Keyword arguments of :meth:`Predictor.predict` -> formulation columns.
KWARG_COLUMNS = _columns.KEYWORDS
MAX_CURVE_POINTS = 1000
#: The output columns of the Tg model (a subset of :data:`OUTPUT_COLUMNS`).
TG_COLUMNS = _columns.TG_COLUMNS
#: Said on a row whose matrix has several repeat units (a blend, a copolymer network).
TG_BLEND_NOTE = (
    "Tg_K_pred of a matrix of {n} repeat units is the mean of their Tg weighted equally "
    "(interval bounds likewise): no blend rule, no composition"
)
ZERO_C_IN_K = 273.15
#: Distinct building blocks per feature block (and domain scores, and repeat units' Tg)
#: whose results a predictor keeps across calls when it makes its own cache.
BLOCK_CACHE_SIZE = 4096
#: Namespace of the repeat units' (Tg, lo, hi) in the predictor's cache.
TG_NAMESPACE = "tg"


_NUMERIC_KWARG_COLUMNS = frozenset(c.name for c in _columns.FORMULATION if c.kind == "number")
#: Columns that take several values in one cell: a list keyword is joined with their separator.
_LIST_SEPARATORS = {c.name: c.list_sep for c in _columns.FORMULATION if c.list_sep}


def _check_keyword_number(key: str, value: object) -> None:
    """One formulation's number, typed by its user: NaN is refused, not read as "missing"
    (``temperature=nan`` used to predict at the 25 °C default, ``molality=nan`` as if no
    molality were given), and a complex number is refused rather than cut to its real
    part. A table cell may still be empty; a keyword is left out instead."""
    if value is None or isinstance(value, str):
        return  # text is parsed (and refused if need be) by the table validation
    if isinstance(value, (complex, np.complexfloating)):
        raise InvalidValueError(key, value, "a real number, not a complex one")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return  # not a number at all: the validation says "expected a number"
    if number != number:
        raise InvalidValueError(key, value, "a number, not NaN (leave it out when it is not known)")


def formulation_frame(**kwargs) -> pd.DataFrame:
    """One formulation (or several temperatures of one) from keyword arguments, as a table
    (see :func:`formulation_rows`)."""
    return pd.DataFrame(formulation_rows(**kwargs))


def formulation_rows(**kwargs) -> list[dict[str, object]]:
    """One formulation (or several temperatures of one) from keyword arguments.

    ``smiles`` may be a list (multi-component matrix, joined with ``.``); ``temperature``
    may be a list (one row per temperature); ``crosslinker``, ``filler`` and ``liquids``
    may be lists (joined with ``;``). Keywords: every formulation column's name and its
    aliases (:data:`KWARG_COLUMNS`).
    """
    unknown = set(kwargs) - set(KWARG_COLUMNS)
    if unknown:
        raise InvalidValueError(
            "argument", sorted(unknown)[0], "one of " + ", ".join(sorted(KWARG_COLUMNS))
        )
    row: dict[str, object] = {}
    temps: list = [None]
    for key, value in kwargs.items():
        col = KWARG_COLUMNS[key]
        if value is None:
            continue
        if col in _LIST_SEPARATORS and isinstance(value, (list, tuple)):
            value = _LIST_SEPARATORS[col].join(str(v) for v in value)
        elif col == "temperature_C" and isinstance(value, (list, tuple, np.ndarray, range)):
            temps = list(value)
            for t in temps:
                _check_keyword_number(key, t)
            continue
        elif col in _NUMERIC_KWARG_COLUMNS:
            _check_keyword_number(key, value)
        row[col] = value
    if "monomer_smiles" not in row:
        raise InvalidValueError("smiles", None, "at least one matrix SMILES (smiles=...)")
    rows = []
    for t in temps:
        r = dict(row)
        if t is not None:
            r["temperature_C"] = t
        elif "temperature_C" not in r:
            r["temperature_C"] = _columns.DEFAULT_TEMPERATURE_C
        rows.append(r)
    return rows


def _columns_of(rows: Sequence[Mapping[str, object]]) -> dict[str, list]:
    """Rows -> column lists, columns in order of first appearance (as ``pd.DataFrame(rows)``
    orders them); a row without a column holds None there."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    return {c: [r.get(c) for r in rows] for c in names}


def _plain(value: object) -> object:
    """A cell as JSON would have it: NumPy scalars as Python values, NaN as None."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _joined_units(monomer_smiles: str) -> str:
    """The canonical network units (repeat units of monomers) the featurizer reads, ``.``-joined."""
    from spepred.chem.resolve import resolve_matrix

    return ".".join(c.smiles for c in resolve_matrix(monomer_smiles))


def _joined_reacted(crosslinker: str) -> str:
    """The reacted, saturated crosslinkers the featurizer reads, ``;``-joined ('' for none)."""
    from spepred.chem.resolve import is_none, resolve_crosslinkers

    if is_none(crosslinker):
        return ""
    return ";".join(c.reacted_smiles for c in resolve_crosslinkers(crosslinker))


def resolved_columns(normalized, ok: np.ndarray) -> dict[str, np.ndarray]:
    """``repeat_unit_smiles`` and ``crosslinker_reacted_smiles`` of every row: what the
    model was actually given (a monomer becomes its repeat unit in its canonical frame, a
    crosslinker its reacted form), so a user can check the reading of each input. Computed
    once per distinct value; '' for rows that were not predicted."""
    from spepred.featurize.formulation import as_text_array

    n = len(ok)
    out = {}
    for name, column, fn in (
        ("repeat_unit_smiles", "monomer_smiles", _joined_units),
        ("crosslinker_reacted_smiles", "crosslinker", _joined_reacted),
    ):
        values = np.full(n, "", dtype=object)
        if ok.any():
            codes, uniques = pd.factorize(as_text_array(normalized[column])[ok])
            resolved = []
            for u in uniques:
                try:
                    resolved.append(fn(u))
                except SpepredError:  # cannot happen for a featurized row; never fail the batch
                    resolved.append("")
            values[ok] = np.asarray(resolved, dtype=object)[codes] if len(resolved) else values[ok]
        out[name] = values
    return out


def _regimes_of(normalized, n: int) -> np.ndarray:
    """The regime (``spepred.data.regimes``) of every validated row: it picks the row's
    interval widths and its per-regime warnings. Arrays only, no DataFrame (a single
    formulation's request pays this every time)."""
    from spepred.data.regimes import regime_arrays

    if not n:
        return np.array([], dtype=object)
    return regime_arrays(
        normalized["filler"], normalized["plasticized"], normalized["crosslinker"], normalized["crosslink_type"],
        normalized["flags"] if "flags" in normalized else None,
    )


class Predictor:
    """σ, window and strength with 90 % intervals and domain flags, from a bundle.

    Parameters
    ----------
    bundle
        A loaded :class:`~spepred.models.bundle.Bundle` (see :func:`load_predictor`).
    cache
        Where the results per building block (feature vectors, domain scores, Tg) are kept
        across calls: a :class:`~spepred.cache.FeatureCache` handed to the featurizer,
        the domain and the Tg lookup. Default: a bounded one of ``cache_size`` entries per
        namespace (a server sees an endless stream of molecules); a screening worker
        passes an unbounded one. Predictions are the same with any cache: it is never
        part of the bundle, and the bundle's blocks are not changed.
    """

    def __init__(
        self, bundle: Bundle, *, cache: FeatureCache | None = None, cache_size: int = BLOCK_CACHE_SIZE
    ) -> None:
        self.bundle = bundle
        self.cache = FeatureCache(maxsize=cache_size) if cache is None else cache
        self._warnings = self.target_warnings()
        self._crosslinked_warnings = self.crosslinked_warnings()
        self._regime_warnings = self.regime_warnings()
        self._feature_index = {k: bundle.feature_index(k) for k in bundle.boosters}
        self._explainers: dict[str, object] = {}  # xgboost.Booster per target, on demand

    @classmethod
    def load(
        cls, path: str | Path, *, n_jobs: int | None = None, cache: FeatureCache | None = None
    ) -> Predictor:
        """Load a bundle; ``n_jobs`` XGBoost threads (``1`` suits a server answering
        single formulations: no OpenMP spin-waiting between requests); ``cache`` as in
        :class:`Predictor`.

        The boosters predict through ``libxgboost`` directly (see
        :mod:`spepred.models.xgb_native`): the xgboost Python package, and the
        scikit-learn and SciPy it imports, stay out of a prediction-only process.
        """
        bundle = load_bundle(path, booster_loader=load_booster)
        if n_jobs is not None:
            for booster in bundle.boosters.values():
                booster.set_param({"nthread": int(n_jobs)})
            if bundle.tg is not None:
                bundle.tg.booster_.set_param({"nthread": int(n_jobs)})
        return cls(bundle, cache=cache)

    # -- what the model knows -----------------------------------------------------------
    @property
    def model_version(self) -> str:
        return self.bundle.model_version

    @property
    def label_counts(self) -> dict[str, int]:
        """Training labels per property (so a window predicted from ten labels says so)."""
        t = self.bundle.targets
        return {spec.label: int(t[k]["n_labels"]) for k, spec in TARGETS.items() if k in t}

    def info(self) -> dict:
        """Version, metrics and training label counts (what ``GET /model`` returns)."""
        meta = self.bundle.meta
        return {
            "model_version": meta["model_version"],
            "created_utc": meta["created_utc"],
            "data_hash": meta["data_hash"],
            "rows_per_source": meta["rows_per_source"],
            "targets": {
                TARGETS[k].label: {
                    "n_labels": v["n_labels"],
                    "n_groups": v["n_groups"],
                    "cv_scheme": v["cv_scheme"],
                    "metrics": v["metrics"],
                    "baseline_metrics": v["baseline_metrics"],
                    "beats_baseline": v["beats_baseline"],
                    "crosslinked_metrics": v.get("crosslinked_metrics") or {},
                    "regime_metrics": v.get("regime_metrics") or {},
                    "curve_metrics": v.get("curve_metrics") or {},
                    "regime_offsets": v.get("offsets") or {},
                    "interval": f"{100 * (1 - v['alpha']):.0f} % split-conformal",
                }
                for k, v in self.bundle.targets.items()
            },
            "skipped_targets": meta.get("skipped_targets", {}),
            "library_versions": meta["library_versions"],
            "training_systems": None if self.bundle.training_systems is None else len(self.bundle.training_systems),
            "tg": self.tg_info(),
        }

    def tg_info(self) -> dict:
        """The Tg model's source, polymers and CV metrics, or ``{"note": why there is none}``."""
        tg = self.bundle.meta.get("tg")
        if not tg or self.bundle.tg is None:
            return {"note": self.tg_note}
        return {
            "label": "Tg_K",
            "source": tg["source"],
            "n_polymers": tg["n_polymers"],
            "cv_scheme": f"group_kfold ({self.bundle.tg.config.cv_folds} folds, grouped by canonical polymer)",
            "metrics": tg["metrics"],
            "baseline_metrics": tg["baseline_metrics"],
            "beats_baseline": tg["beats_baseline"],
            "interval": f"{100 * (1 - tg['alpha']):.0f} % split-conformal",
        }

    @property
    def has_tg(self) -> bool:
        return self.bundle.tg is not None

    @property
    def tg_note(self) -> str:
        """Why ``Tg_K_*`` are NaN for this bundle ('' when it has a Tg model)."""
        return self.bundle.tg_note

    def _tg_of_units(self, units: list[str]) -> dict[str, tuple[float, float, float]]:
        """(Tg, lo, hi) in K of canonical repeat units, from the cache or the Tg model (the
        units the cache does not hold are predicted together, in one call)."""
        found = {u: self.cache.get(TG_NAMESPACE, u) for u in dict.fromkeys(units)}
        missing = [u for u, v in found.items() if v is None]
        if missing:
            values = self.bundle.tg.predict(missing)[list(TG_COLUMNS)].to_numpy(dtype=float)
            for u, v in zip(missing, values, strict=True):
                found[u] = (float(v[0]), float(v[1]), float(v[2]))
                self.cache.put(TG_NAMESPACE, u, found[u])
        return found

    def _tg_columns(self, units: np.ndarray, ok: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``Tg_K_pred/lo/hi`` of every row's matrix (its ``repeat_unit_smiles``), and the
        number of repeat units each row's Tg averages (0 where not predicted)."""
        n = len(ok)
        cols = {c: np.full(n, np.nan) for c in TG_COLUMNS}
        n_units = np.zeros(n, dtype=np.int64)
        if self.bundle.tg is None or not ok.any():
            return cols, n_units
        codes, uniques = pd.factorize(np.asarray(units, dtype=object)[ok])
        parts = [[c for c in str(u).split(".") if c] for u in uniques]
        known = self._tg_of_units(sorted({c for p in parts for c in p}))
        values = np.array(
            [np.mean([known[c] for c in p], axis=0) if p else [np.nan] * 3 for p in parts], dtype=float
        ).reshape(-1, 3)
        for j, c in enumerate(TG_COLUMNS):
            cols[c][ok] = values[codes, j]
        n_units[ok] = np.array([len(p) for p in parts], dtype=np.int64)[codes]
        return cols, n_units

    #: Said instead of neighbours by a bundle written before it kept its training systems.
    NO_NEIGHBOURS_NOTE = (
        "this model bundle predates the table of training systems: retrain it "
        "(`spepred train`) to see the nearest labelled systems"
    )

    @property
    def neighbours_note(self) -> str:
        """Why :meth:`neighbours` is empty for this bundle ('' when it has the table)."""
        return self.NO_NEIGHBOURS_NOTE if self.bundle.training_systems is None else ""

    def neighbours(self, k: int = 5, **formulation) -> list[dict]:
        """The ``k`` labelled training systems most similar to one formulation (keywords as
        in :meth:`predict`), most similar first, each with its measured σ at the temperature
        nearest the query's, its window and strength where measured, and its source (see
        :mod:`spepred.models.neighbours`). Empty for a bundle without the table (see
        :attr:`neighbours_note`). Raises :class:`FormulationError` for a bad formulation."""
        rows = formulation_rows(**formulation)
        normalized, errors = validate_columns(_columns_of(rows[:1]), source="input")
        if errors:
            raise FormulationError(errors[0])
        systems = self.bundle.training_systems
        if systems is None:
            return []
        return systems.nearest(
            str(normalized["monomer_smiles"][0]),
            str(normalized["crosslinker"][0]),
            str(normalized["salt"][0]),
            float(normalized["temperature_C"][0]),
            k=k,
        )

    def target_warnings(self) -> dict[str, str]:
        """Properties whose model did not beat the mean baseline in cross-validation."""
        out = {}
        for key, v in self.bundle.targets.items():
            if not v["beats_baseline"]:
                label = TARGETS[key].label
                out[label] = (
                    f"{label} model does not beat the training mean in cross-validation "
                    f"({v['n_labels']} labels): treat it as a rough prior"
                )
        return out

    def regime_warnings(self) -> dict[str, dict[str, str]]:
        """Regime -> {property: note} for every regime where the property's model, on the
        systems of that regime held out in cross-validation, did not beat their mean (said
        for queries of that regime only). Empty for bundles written before regimes were
        scored: :meth:`crosslinked_warnings` speaks for them."""
        from spepred.data.regimes import REGIMES

        out: dict[str, dict[str, str]] = {}
        for key, v in self.bundle.targets.items():
            for r, m in (v.get("regime_metrics") or {}).items():
                if r in REGIMES and not m["beats_baseline"]:
                    label = TARGETS[key].label
                    kind = r.replace("_", " ")
                    out.setdefault(r, {})[label] = (
                        f"{label}: on the {int(m['n'])} {kind} systems it was tested on, the model "
                        f"(MAE {m['mae']:.2f}) does not beat their mean (MAE {m['baseline_mae']:.2f}): "
                        f"for a {kind} formulation treat it as a rough prior"
                    )
        return out

    def crosslinked_warnings(self) -> dict[str, str]:
        """Properties whose model, on the crosslinked systems held out in cross-validation,
        did not beat the mean of the crosslinked training systems (said for crosslinked
        queries only: the model may still be good on linear polymers). Bundles that score
        each regime say it per regime instead (:meth:`regime_warnings`)."""
        out = {}
        for key, v in self.bundle.targets.items():
            if "regime_metrics" in v:  # judged per regime (regime_warnings)
                continue
            m = v.get("crosslinked_metrics") or {}
            if m and not m["beats_baseline"]:
                label = TARGETS[key].label
                out[label] = (
                    f"{label}: on the {int(m['n'])} crosslinked systems it was tested on, the model "
                    f"(MAE {m['mae']:.2f}) does not beat their mean (MAE {m['baseline_mae']:.2f}): "
                    "for a crosslinked formulation treat it as a rough prior"
                )
        return out

    # -- predictions --------------------------------------------------------------------
    def predict(
        self,
        table: pd.DataFrame | None = None,
        /,
        *,
        source: str = "input",
        strict: bool = False,
        **kwargs,
    ) -> pd.DataFrame:
        """Predict every row of a formulation table (or one formulation from keywords).

        Returns the input columns followed by :data:`OUTPUT_COLUMNS`, one row per input
        row in order; rows that cannot be predicted have ``status`` set to the reason.
        With ``strict=True`` the first bad row raises :class:`FormulationError` instead.
        """
        if table is None:
            rows = formulation_rows(**kwargs)
            out = self.predict_columns(_columns_of(rows), source=source, strict=strict)
            table = pd.DataFrame(rows)
        elif kwargs:
            raise InvalidValueError("arguments", sorted(kwargs)[0], "either a table or keywords, not both")
        elif not isinstance(table, pd.DataFrame):
            raise InvalidValueError("table", type(table).__name__, "a pandas DataFrame")
        else:
            out = self.predict_columns(table, source=source, strict=strict)
        index = table.index  # the caller's index comes back unchanged
        # an input that is itself a prediction table: its old outputs are replaced, never
        # duplicated (two 'status' columns would break every reader downstream)
        table = table.drop(columns=[c for c in OUTPUT_COLUMNS if c in table.columns]).reset_index(drop=True)
        result = pd.concat([table, pd.DataFrame(out, index=table.index)], axis=1)
        result.index = index
        return result

    def predict_records(
        self, rows: Sequence[Mapping[str, object]], *, source: str = "input", strict: bool = False
    ) -> list[dict[str, object]]:
        """Predict a few formulations given as dicts, without a DataFrame in between.

        Returns one dict per row: the row's own fields, then :data:`OUTPUT_COLUMNS`, ready
        for JSON (NaN and missing values are None, NumPy scalars plain Python). The values
        are those of :meth:`predict` (a test pins that).
        """
        columns = _columns_of(rows)
        out = self.predict_columns(columns, source=source, strict=strict)
        data = {c: [_plain(v) for v in values] for c, values in columns.items()}
        for c in OUTPUT_COLUMNS:
            values = out[c].tolist() if isinstance(out[c], np.ndarray) else [out[c]] * len(rows)
            data[c] = [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]
        names = list(data)
        return [dict(zip(names, row, strict=True)) for row in zip(*data.values(), strict=True)]

    def predict_columns(
        self,
        table: pd.DataFrame | Mapping[str, Sequence],
        *,
        source: str = "input",
        strict: bool = False,
    ) -> dict[str, np.ndarray | str]:
        """The :data:`OUTPUT_COLUMNS` of every row of a table (a DataFrame, or a mapping of
        column -> cells), as arrays in input order; ``model_version`` is one string."""
        normalized, errors = validate_columns(table, source=source)
        if strict and errors:
            raise FormulationError(errors[0])
        n = len(normalized["monomer_smiles"])
        reasons: dict[int, list[str]] = {}
        for e in errors:
            if isinstance(e.row, int):
                reasons.setdefault(e.row - 1, []).append(f"{e.column}: {e.reason}")
        ok = np.ones(n, dtype=bool)
        if reasons:
            ok[list(reasons)] = False
        feats = self.bundle.featurizer.transform(normalized, ok=ok, source=source, cache=self.cache)
        if strict and feats.errors:
            raise FormulationError(feats.errors[0])
        for e in feats.errors:
            reasons.setdefault(e.row - 1, []).append(f"{e.column}: {e.reason}")
        ok = feats.ok
        out: dict[str, np.ndarray | str] = {}
        X = feats.features[ok] if not ok.all() else feats.features
        crosslinked = np.asarray(normalized["crosslink_type"], dtype=object) != "none"
        regimes = _regimes_of(normalized, n)
        # the domain first: interval widths depend on how familiar the building blocks are
        dom = (
            self.bundle.domain.score(
                {c: normalized[c][ok] for c in ("monomer_smiles", "crosslinker")}, cache=self.cache
            )
            if ok.any()
            else None
        )
        sim = np.full(n, np.nan)
        unseen = np.full(n, -1, dtype=np.int64)
        in_domain = np.zeros(n, dtype=bool)
        if dom is not None:
            sim[ok] = dom["domain_similarity"]
            unseen[ok] = dom["unseen_fragments"]
            in_domain[ok] = dom["in_domain"]
        for key, spec in PROPERTIES.items():
            pred = np.full(n, np.nan)
            lo = np.full(n, np.nan)
            hi = np.full(n, np.nan)
            if key in self.bundle.boosters and len(X):
                info = self.bundle.targets[key]
                cols = self._feature_index.get(key)
                z = self.bundle.boosters[key].inplace_predict(X if cols is None else np.ascontiguousarray(X[:, cols]))
                if info.get("offsets"):  # the model's mean error on the row's kind of electrolyte
                    z = z - regime_offsets.lookup(info["offsets"], regime_offsets.cells(regimes[ok], crosslinked[ok]))
                zl, zh = conformal_interval(
                    z, sim[ok], info.get("conformal_bins"), float(info["conformal_q"]), info["label_range"],
                    crosslinked=crosslinked[ok], regimes=regimes[ok],
                )
                if spec.transform == "log10":
                    z, zl, zh = 10.0**z, 10.0**zl, 10.0**zh
                pred[ok], lo[ok], hi[ok] = z, zl, zh
            out[spec.pred], out[spec.lo], out[spec.hi] = pred, lo, hi
            if spec.quantity_pred != spec.pred:  # σ: also in S/cm
                out[spec.quantity_pred] = spec.quantity(pred)
        out.update(resolved_columns(normalized, ok))
        tg, n_units = self._tg_columns(out["repeat_unit_smiles"], ok)
        out.update(tg)
        temperature_K = np.asarray(normalized["temperature_C"], dtype=float) + ZERO_C_IN_K
        out["T_minus_Tg_K"] = np.where(ok, temperature_K - tg["Tg_K_pred"], np.nan)
        out["domain_similarity"] = sim
        out["unseen_fragments"] = unseen
        out["in_domain"] = in_domain
        warn = self._row_warnings(ok, in_domain, sim, unseen, crosslinked, regimes)
        for i in np.flatnonzero(n_units > 1):  # say how a blend's Tg was made
            note = TG_BLEND_NOTE.format(n=int(n_units[i]))
            warn[i] = f"{warn[i]}; {note}" if warn[i] else note
        out["warnings"] = warn
        out["model_version"] = self.model_version
        status = np.full(n, "ok", dtype=object)
        for i in np.flatnonzero(~ok):
            status[i] = "; ".join(dict.fromkeys(reasons.get(int(i), ["could not be predicted"])))
        out["status"] = status
        return {c: out[c] for c in OUTPUT_COLUMNS}

    def _row_warnings(
        self,
        ok: np.ndarray,
        in_domain: np.ndarray,
        sim: np.ndarray,
        unseen: np.ndarray,
        crosslinked: np.ndarray,
        regimes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each predicted row's warnings: out of domain (in words), weak target models
        (for the row's regime, also the targets that fail on that regime; for crosslinked
        rows of older bundles, the targets that fail on crosslinked systems)."""
        xl = np.asarray(crosslinked, dtype=bool)
        reg = np.full(len(xl), "", dtype=object) if regimes is None else np.asarray(regimes, dtype=object)
        bases: dict[tuple[bool, str], str] = {}

        def base_of(key: tuple[bool, str]) -> str:
            if key not in bases:
                parts = [*self._warnings.values(), *self._regime_warnings.get(key[1], {}).values()]
                if key[0]:
                    parts += self._crosslinked_warnings.values()
                bases[key] = "; ".join(parts)
            return bases[key]

        warn = np.array([base_of(k) for k in zip(xl.tolist(), reg.tolist())], dtype=object)
        warn[~ok] = ""
        rows = np.flatnonzero(ok & ~in_domain)
        if len(rows):
            texts: dict[tuple[float, int, bool, str], str] = {}  # one message per distinct score
            out = []
            for key in zip(sim[rows].tolist(), unseen[rows].tolist(), xl[rows].tolist(), reg[rows].tolist()):
                w = texts.get(key)
                if w is None:
                    w = (
                        f"out of domain: least familiar building block has Tanimoto {key[0]:.2f} to "
                        f"training, {key[1]} unseen fragments"
                    )
                    base = base_of((key[2], key[3]))
                    w = texts[key] = f"{w}; {base}" if base else w
                out.append(w)
            warn[rows] = out
        return warn

    def sigma_curve(self, temperatures: Iterable[float] = range(-20, 121, 10), **formulation) -> pd.DataFrame:
        """σ(T) of one formulation: a row per temperature with its 90 % band."""
        temps = list(temperatures)
        if not temps or len(temps) > MAX_CURVE_POINTS:
            raise InvalidValueError("temperatures", len(temps), f"1 to {MAX_CURVE_POINTS} values")
        formulation.pop("temperature", None)
        formulation.pop("temperature_C", None)
        return self.predict(temperature=temps, **formulation)

    def explain(self, table: pd.DataFrame | None = None, /, *, target: str = "sigma", top: int = 10, **kwargs) -> pd.DataFrame:
        """Top feature contributions (XGBoost SHAP values, ``pred_contribs``) to one prediction,
        in model units (log10 S/cm for σ, V for the window, log10 MPa for strength)."""
        import xgboost as xgb

        if target not in self.bundle.boosters:
            raise InvalidValueError("target", target, "one of " + ", ".join(self.bundle.boosters))
        if table is None:
            table = formulation_frame(**kwargs)
        if len(table) != 1:
            raise InvalidValueError("formulation", f"{len(table)} rows", "exactly one formulation")
        normalized, errors = validate_formulations(table.reset_index(drop=True))
        if errors:
            raise SpepredError(str(errors[0]))
        feats = self.bundle.featurizer.transform(normalized, cache=self.cache)
        if feats.errors:
            raise SpepredError(str(feats.errors[0]))
        names = self.bundle.featurizer.feature_names
        values = feats.features
        cols = self.bundle.feature_index(target)
        if cols is not None:  # the target reads its own features only
            names, values = [names[i] for i in cols], values[:, cols]
        dm = xgb.DMatrix(values, feature_names=names, missing=math.nan)
        booster = self._explainers.get(target)
        if booster is None:
            booster = self._explainers[target] = as_xgboost(self.bundle.boosters[target])
        contrib = booster.predict(dm, pred_contribs=True)[0]
        frame = pd.DataFrame(
            {
                "feature": names,
                "description": [describe_feature(f) for f in names],
                "value": values[0],
                "contribution": contrib[:-1],
            }
        )
        frame = frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index)
        frame = frame.head(top).reset_index(drop=True)
        bias = pd.DataFrame(
            [{"feature": "bias", "description": "training mean (model baseline)", "value": np.nan, "contribution": contrib[-1]}]
        )
        return pd.concat([frame, bias], ignore_index=True)
