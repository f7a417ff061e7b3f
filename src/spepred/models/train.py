"""Fit one XGBoost model per property with grouped cross-validation, a mean baseline on the
same folds, split-conformal intervals and an applicability domain.

Why monotone constraints for temperature (and not a VTF model): the Bradford curves span
-30..190 °C with melting transitions (PEO at ~60 °C) that no single VTF/Arrhenius form
fits, while XGBoost's ``monotone_constraints`` guarantee the one physical property that
always holds in these data — σ does not decrease on heating — for every formulation, with
no curve fitting per formulation and no loss of rows that have one temperature only.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spepred.chem.resolve import matrix_key
from spepred.data.build import table_hash
from spepred.data.regimes import crosslinked, regime
from spepred.data.splits import paper_key, polymer_groups
from spepred.errors import SpepredError
from spepred.featurize import FormulationFeaturizer
from spepred.data.regimes import REGIMES
from spepred.models.config import MONOTONE, MONOTONE_BY_TARGET, TARGETS, TargetSpec, TrainConfig, select_features
from spepred.models.domain import ApplicabilityDomain
from spepred.models import offsets as regime_offsets
from spepred.models.intervals import binned_quantiles, conformal_quantile, interval
from spepred.models.neighbours import TrainingSystems
from spepred.models.metrics import regression_metrics

log = logging.getLogger(__name__)

#: Smallest number of labelled rows (and distinct groups) a target needs to be trained.
MIN_LABELS = 5
MIN_GROUPS = 3


@dataclass
class TargetResult:
    """A fitted property model with its honest evaluation."""

    spec: TargetSpec
    booster: object  # xgboost.Booster
    n_labels: int
    n_groups: int
    cv_scheme: str
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    fold_mae: list[float]
    conformal_q: float
    label_range: tuple[float, float]  # model space; intervals are clipped to it
    cv_predictions: pd.DataFrame
    importance: pd.DataFrame
    conformal_bins: dict | None = None  # see spepred.models.intervals.binned_quantiles
    curve_metrics: dict[str, float] = field(default_factory=dict)
    crosslinked_metrics: dict[str, float] = field(default_factory=dict)
    #: regime -> the model and the regime's mean on the same folds (see _regime_metrics)
    regime_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the features the booster reads (a subset of the featurizer's, in layout order)
    features: list[str] | None = None
    #: offset cell -> {offset, n, papers}, subtracted from predictions (spepred.models.offsets)
    offsets: dict[str, dict[str, float]] | None = None

    @property
    def beats_baseline(self) -> bool:
        return self.metrics["mae"] < self.baseline_metrics["mae"]


@dataclass
class TrainResult:
    config: TrainConfig
    featurizer: FormulationFeaturizer
    targets: dict[str, TargetResult]
    domain: ApplicabilityDomain
    data_hash: str
    rows_per_source: dict[str, int]
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped_targets: dict[str, str] = field(default_factory=dict)
    #: the labelled systems for ``neighbours`` (None: not kept)
    training_systems: TrainingSystems | None = None
    #: the Tg model (:class:`spepred.models.tg.TgModel`), its data source, or why there is none
    tg: object | None = None
    tg_source: str = ""
    tg_note: str = ""


def _to_model_space(y: np.ndarray, spec: TargetSpec) -> np.ndarray:
    return np.log10(y) if spec.transform == "log10" else y


def to_label_space(z: np.ndarray, spec: TargetSpec) -> np.ndarray:
    return 10.0**z if spec.transform == "log10" else z


def _xgb_params(config: TrainConfig, spec: TargetSpec, feature_names: list[str]) -> tuple[dict, int]:
    p = dict(config.xgb.get(spec.key, {}))
    n_rounds = int(p.pop("n_estimators", 300))
    params = {
        "objective": "reg:squarederror",
        "tree_method": "hist",
        "eta": p.pop("learning_rate", 0.05),
        "seed": config.seed,
        "nthread": config.n_jobs,
        "verbosity": 0,
        **p,
    }
    monotone = dict(MONOTONE_BY_TARGET.get(spec.key, {}))
    if spec.key == "sigma" and config.monotone_temperature:
        monotone.update(MONOTONE)
    cons = [monotone.get(n, 0) for n in feature_names]
    if any(cons):
        params["monotone_constraints"] = "(" + ",".join(map(str, cons)) + ")"
    return params, n_rounds


def fit_booster(X, y, feature_names, params: dict, n_rounds: int, weight: np.ndarray | None = None):
    """Train one booster; ``feature_names=None`` for cross-validation fits (xgboost checks
    the names on every boosting round, about a tenth of the fitting time)."""
    import xgboost as xgb

    dtrain = xgb.DMatrix(X, label=y, weight=weight, feature_names=feature_names, missing=np.nan)
    return xgb.train(params, dtrain, num_boost_round=n_rounds)


def _folds(groups: np.ndarray, scheme: str, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    idx = np.arange(len(groups))
    if scheme == "logo":
        splitter = LeaveOneGroupOut()
    else:
        n_groups = len(np.unique(groups))
        try:
            splitter = GroupKFold(n_splits=min(k, n_groups), shuffle=True, random_state=seed)
        except TypeError:  # scikit-learn < 1.6: no shuffling
            splitter = GroupKFold(n_splits=min(k, n_groups))
    return list(splitter.split(idx, groups=groups))


def _fold_similarity(keys: pd.DataFrame, folds, config: TrainConfig) -> np.ndarray:
    """``domain_similarity`` of every held-out row to its fold's training rows: the
    familiarity the interval of a real query is conditioned on, measured the same way."""
    sim = np.full(len(keys), np.nan)
    for tr, te in folds:
        dom = ApplicabilityDomain.fit(
            keys.iloc[tr],
            min_similarity=config.domain_min_similarity,
            max_unseen=config.domain_max_unseen,
        )
        sim[te] = dom.score({c: keys[c].to_numpy()[te] for c in ("monomer_smiles", "crosslinker")})[
            "domain_similarity"
        ]
    return sim


def _crosslinked_metrics(y, oof, folds, ids: pd.DataFrame) -> dict[str, float]:
    """When a target mixes crosslinked and linear systems: how the model does on the
    crosslinked held-out rows against the mean of the crosslinked training rows of the
    same fold (the baseline a chemist would use). Empty when there is nothing to compare."""
    if "crosslinked" not in ids:
        return {}
    xl = ids["crosslinked"].to_numpy(dtype=bool)
    if xl.all() or not xl.any():
        return {}
    base = np.full(len(y), np.nan)
    for tr, te in folds:
        pool = y[tr][xl[tr]]
        base[te] = pool.mean() if len(pool) else y[tr].mean()
    model_mae = float(np.mean(np.abs(oof[xl] - y[xl])))
    base_mae = float(np.mean(np.abs(base[xl] - y[xl])))
    return {
        "n": float(xl.sum()),
        "mae": model_mae,
        "baseline_mae": base_mae,
        "beats_baseline": float(model_mae < base_mae),
    }


def _regime_metrics(y, oof, lo, hi, fold_of, regimes: np.ndarray) -> dict[str, dict[str, float]]:
    """Per regime: the model's held-out MAE next to the regime mean of the same folds
    (:func:`spepred.models.regime_table.regime_mean_oof`, the baseline of
    ``benchmarks/regimes.py``) and the share inside the 90 % interval. What the predictor's
    per-regime warnings are made of (all rows of a regime, Bradford's dry linear ones too:
    a user's dry linear query is one of those)."""
    from spepred.models.regime_table import regime_mean_oof

    base = regime_mean_oof(pd.DataFrame({"fold": fold_of, "regime": regimes, "y_true": y}))
    out = {}
    for r in REGIMES:
        m = regimes == r
        if not m.any():
            continue
        mae, base_mae = float(np.mean(np.abs(oof[m] - y[m]))), float(np.mean(np.abs(base[m] - y[m])))
        out[r] = {
            "n": float(m.sum()),
            "mae": mae,
            "baseline_mae": base_mae,
            "beats_baseline": float(mae < base_mae),
            "coverage_90": float(np.mean((y[m] >= lo[m]) & (y[m] <= hi[m]))),
        }
    return out


def sample_weights(ids: pd.DataFrame, config: TrainConfig) -> np.ndarray | None:
    """Training weights of the rows of one target (``config.weighting``): ``none``; or
    ``regime`` / ``source``, each row weighted by (n / (k n_g)) ** ``weighting_power``
    where n_g is the size of its regime or source among the n rows of k kinds, so that ten
    thousand dry linear rows do not drown a thousand gels (power 1: every kind weighs the
    same in total; 0.5: halfway). Normalized to a mean of 1."""
    if config.weighting == "none" or config.weighting not in ids:
        return None
    kind = ids[config.weighting].astype(str)
    size = kind.map(kind.value_counts()).to_numpy(float)
    w = (len(kind) / (kind.nunique() * size)) ** config.weighting_power
    return w / w.mean()


def _oof(X, y, folds, params, n_rounds, progress, label, weight=None) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions and the fold of every row."""
    oof = np.full(len(y), np.nan)
    fold_of = np.full(len(y), -1)
    for f, (tr, te) in enumerate(folds):
        booster = fit_booster(X[tr], y[tr], None, params, n_rounds, None if weight is None else weight[tr])
        oof[te] = booster.inplace_predict(X[te])
        fold_of[te] = f
        if progress is not None:
            progress(f"{label} fold {f + 1}/{len(folds)}")
    return oof, fold_of


def evaluate_target(
    X: np.ndarray,
    y_label: np.ndarray,
    groups: np.ndarray,
    ids: pd.DataFrame,
    spec: TargetSpec,
    config: TrainConfig,
    feature_names: list[str],
    *,
    keys: pd.DataFrame | None = None,
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    cfolds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TargetResult:
    """Grouped CV (model and mean baseline on the same folds), conformal calibration from
    the out-of-fold residuals, then the final fit on every labelled row.

    With ``keys`` (the rows' ``monomer_smiles`` and ``crosslinker``) the intervals are
    conditioned on domain similarity (:mod:`spepred.models.intervals`); for targets with
    σ(T) curves a second, curve-grouped CV adds the residuals of queries whose polymer was
    seen (a new salt, concentration or molecular weight of a known polymer), which the
    polymer-grouped CV never produces. Reported metrics are those of the first, strictly
    grouped CV; the curve-grouped ones are kept as ``curve_metrics``.
    """
    y = _to_model_space(y_label, spec)
    params, n_rounds = _xgb_params(config, spec, feature_names)
    folds = folds if folds is not None else _folds(groups, spec.cv, config.cv_folds, config.seed)
    weight = sample_weights(ids, config) if spec.key == "sigma" else None
    oof, fold_of = _oof(X, y, folds, params, n_rounds, progress, spec.key, weight)
    base = np.full(len(y), np.nan)
    for tr, te in folds:
        base[te] = y[tr].mean()
    reg = ids["regime"].astype(str).to_numpy(dtype=object) if "regime" in ids else None
    shrink = config.offsets.get(spec.key)
    offsets, correct = None, None
    if shrink is not None and reg is not None and "crosslinked" in ids:
        cell = regime_offsets.cells(reg, ids["crosslinked"].to_numpy(dtype=bool))
        paper = paper_key(ids["group"]).to_numpy(dtype=object)
        votes = ~ids["source"].astype(str).isin(regime_offsets.EXCLUDED_SOURCES).to_numpy()

        def correct(pred: np.ndarray, fold: np.ndarray) -> np.ndarray:
            return pred - regime_offsets.cross_fitted(pred - y, cell, paper, votes, fold, float(shrink))

        offsets = regime_offsets.fit((oof - y)[votes], cell[votes], paper[votes], float(shrink))
        oof = correct(oof, fold_of)
    abs_res = np.abs(oof - y)
    log_units = spec.key == "sigma"

    curve_metrics: dict[str, float] = {}
    if keys is not None:
        keys = keys.reset_index(drop=True)
        sim = _fold_similarity(keys, folds, config)
        pool_res, pool_sim, pool_row = [abs_res], [sim], [np.arange(len(y))]
        curves = ids["curve_id"].astype(str).to_numpy()
        cfolds = curve_folds(spec, curves, groups, config) if cfolds is None else cfolds
        if cfolds:
            c_oof, c_fold_of = _oof(X, y, cfolds, params, n_rounds, progress, f"{spec.key} (curves)", weight)
            if correct is not None:
                c_oof = correct(c_oof, c_fold_of)
            curve_metrics = regression_metrics(y, c_oof, log_units=log_units)
            curve_metrics["n_groups"] = float(len(np.unique(curves)))
            pool_res.append(np.abs(c_oof - y))
            pool_sim.append(_fold_similarity(keys, cfolds, config))
            pool_row.append(np.arange(len(y)))
        res_all, sim_all, row_all = map(np.concatenate, (pool_res, pool_sim, pool_row))
        xl = ids["crosslinked"].to_numpy(dtype=bool) if "crosslinked" in ids else None
        xl_all = None if xl is None else xl[row_all]
        reg_all = None if reg is None else reg[row_all]
        quantiles = binned_quantiles(res_all, sim_all, config.alpha, crosslinked=xl_all, regimes=reg_all)
    else:
        sim, quantiles, xl, xl_all, reg_all = None, None, None, None, None
        res_all = abs_res
        row_all = np.arange(len(y))

    # coverage measured honestly: each fold's interval widths come from the other folds'
    # residuals (every residual of a held-out row is left out of its own calibration)
    lo = np.empty_like(oof)
    hi = np.empty_like(oof)
    for f in range(len(folds)):
        te = fold_of == f
        keep = ~te[row_all]
        y_tr = y[~te]
        if quantiles is not None:
            q_f = binned_quantiles(
                res_all[keep], sim_all[keep], config.alpha, crosslinked=None if xl_all is None else xl_all[keep],
                regimes=None if reg_all is None else reg_all[keep],
            )
            lo[te], hi[te] = interval(
                oof[te], sim[te], q_f, q_f["q_all"], (y_tr.min(), y_tr.max()),
                crosslinked=None if xl is None else xl[te], regimes=None if reg is None else reg[te],
            )
        else:
            q_f = conformal_quantile(res_all[keep], config.alpha)
            lo[te], hi[te] = interval(oof[te], None, None, q_f, (y_tr.min(), y_tr.max()))
    q = conformal_quantile(abs_res, config.alpha)
    crosslinked_metrics = _crosslinked_metrics(y, oof, folds, ids)
    regime_metrics = {} if reg is None else _regime_metrics(y, oof, lo, hi, fold_of, reg)
    metrics = regression_metrics(y, oof, lo=lo, hi=hi, log_units=log_units)
    baseline = regression_metrics(y, base, log_units=log_units)
    fold_mae = [float(np.mean(abs_res[fold_of == f])) for f in range(len(folds))]
    final = fit_booster(X, y, feature_names, params, n_rounds, weight)
    gain = final.get_score(importance_type="total_gain")
    importance = (
        pd.DataFrame({"feature": list(gain), "total_gain": list(gain.values())})
        .sort_values("total_gain", ascending=False)
        .reset_index(drop=True)
    )
    cv = ids.copy()
    cv["fold"] = fold_of
    cv["y_true"] = y
    cv["y_pred"] = oof
    cv["y_lo"] = lo
    cv["y_hi"] = hi
    cv["baseline"] = base
    if sim is not None:
        cv["domain_similarity"] = sim
    return TargetResult(
        spec=spec,
        booster=final,
        n_labels=len(y),
        n_groups=len(np.unique(groups)),
        cv_scheme=f"{spec.cv} ({len(folds)} folds, grouped by polymer and paper)",
        metrics=metrics,
        baseline_metrics=baseline,
        fold_mae=fold_mae,
        conformal_q=q,
        label_range=(float(y.min()), float(y.max())),
        cv_predictions=cv,
        importance=importance,
        conformal_bins=quantiles,
        curve_metrics=curve_metrics,
        crosslinked_metrics=crosslinked_metrics,
        regime_metrics=regime_metrics,
        features=list(feature_names),
        offsets=offsets,
    )


def _matrix_keys(monomer_smiles: pd.Series) -> np.ndarray:
    """One key per row naming its matrix: the sorted canonical components."""
    codes, uniques = pd.factorize(monomer_smiles.astype(str))
    keys = np.array([matrix_key(u) for u in uniques], dtype=object)
    return keys[codes]


def curve_folds(
    spec: TargetSpec, curves: np.ndarray, groups: np.ndarray, config: TrainConfig
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of a target's second, curve-grouped CV (see :func:`evaluate_target`); none
    when its curves are no finer than its groups or its CV leaves one group out."""
    curves = np.asarray(curves).astype(str)
    if spec.cv == "logo" or len(np.unique(curves)) <= len(np.unique(groups)):
        return []
    return _folds(curves, "group_kfold", config.cv_folds, config.seed)


def announce_steps(progress, n: int) -> None:
    """Tell a progress callback how many more messages to expect, if it wants to know (a
    callable with an ``add_total(n)`` method, such as the CLI's bar): the total of a bar."""
    add = getattr(progress, "add_total", None)
    if add is not None:
        add(n)


def cv_groups(rows: pd.DataFrame) -> np.ndarray:
    """The group of every row for the grouped CV: a paper is one group whatever the source
    that holds it (a DOI two sources share, :func:`~spepred.data.splits.paper_key`), and one
    matrix (the same polymer or the same blend) is one group whatever the papers that
    measured it."""
    return polymer_groups(
        paper_key(rows["group"]).to_numpy(), _matrix_keys(rows["monomer_smiles"]), components=False
    )


def train_models(
    table: pd.DataFrame,
    config: TrainConfig | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train every configured target on the rows of a *validated* table carrying its label."""
    config = config or TrainConfig()
    timings: dict[str, float] = {}
    labelled = table[[TARGETS[t].label for t in config.targets]].notna().any(axis=1)
    rows = table[labelled].reset_index(drop=True)
    if rows.empty:
        raise SpepredError(
            "no row carries a label for the requested targets "
            f"({', '.join(TARGETS[t].label for t in config.targets)})"
        )
    # every fold is known before anything is fitted: the progress total is exact
    split_groups = cv_groups(rows)
    row_regimes = regime(rows).to_numpy(dtype=object)
    row_crosslinked = crosslinked(rows).to_numpy(dtype=bool)
    targets: dict[str, TargetResult] = {}
    skipped: dict[str, str] = {}
    curve_ids = rows["curve_id"].astype(str).to_numpy()
    jobs = []  # (key, mask, groups, folds, curve folds): every fold known before the first fit
    for key in config.targets:
        spec = TARGETS[key]
        mask = rows[spec.label].notna().to_numpy().copy()
        if spec.transform == "log10":
            mask &= rows[spec.label].fillna(0).to_numpy() > 0
        groups = split_groups[mask]
        n_groups = len(np.unique(groups))
        if mask.sum() < MIN_LABELS or n_groups < MIN_GROUPS:
            skipped[key] = (
                f"{int(mask.sum())} labelled rows in {n_groups} groups "
                f"(need >= {MIN_LABELS} rows and >= {MIN_GROUPS} groups)"
            )
            log.warning("not training %s: %s", key, skipped[key])
            continue
        folds = _folds(groups, spec.cv, config.cv_folds, config.seed)
        jobs.append((key, mask, groups, folds, curve_folds(spec, curve_ids[mask], groups, config)))
    # "featurized ...", then every fold
    announce_steps(progress, 1 + sum(len(f) + len(c) for *_, f, c in jobs))
    t0 = time.perf_counter()
    featurizer = FormulationFeaturizer(config.featurizer)
    result = featurizer.transform(rows, source="training")
    if result.errors:
        raise SpepredError(
            f"{len(result.errors)} training rows could not be featurized, e.g. {result.errors[0]}"
        )
    X = result.features
    timings["featurize"] = time.perf_counter() - t0
    if progress:
        progress(f"featurized {len(rows)} rows x {X.shape[1]} features")

    for key, mask, groups, folds, cfolds in jobs:
        spec = TARGETS[key]
        t0 = time.perf_counter()
        ids = rows.loc[mask, ["record_id", "source", "group", "curve_id"]].reset_index(drop=True)
        # one rule for "a network" everywhere (spepred.data.regimes): a named crosslinker or
        # type, or a converter's unnamed-network flag (Hatakeyama's networks name none)
        ids["crosslinked"] = row_crosslinked[mask]
        ids["regime"] = row_regimes[mask]  # for the regime table (spepred.models.regime_table)
        keys = rows.loc[mask, ["monomer_smiles", "crosslinker"]].reset_index(drop=True)
        cols = select_features(featurizer.feature_names, config.features.get(key))
        if not cols:
            raise SpepredError(
                f"features[{key}] = {config.features.get(key)!r} selects none of the "
                f"{len(featurizer.feature_names)} features (blocks: {', '.join(featurizer.config.blocks)})"
            )
        targets[key] = evaluate_target(
            X[np.ix_(mask, cols)] if len(cols) < X.shape[1] else X[mask],
            rows.loc[mask, spec.label].to_numpy(dtype=float),
            groups,
            ids,
            spec,
            config,
            [featurizer.feature_names[i] for i in cols],
            keys=keys,
            folds=folds,
            cfolds=cfolds,
            progress=progress,
        )
        timings[f"train_{key}"] = time.perf_counter() - t0
    if not targets:
        raise SpepredError("no target could be trained: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    t0 = time.perf_counter()
    domain = ApplicabilityDomain.fit(
        rows,
        min_similarity=config.domain_min_similarity,
        max_unseen=config.domain_max_unseen,
    )
    timings["domain"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    systems = TrainingSystems.fit(rows)
    timings["training_systems"] = time.perf_counter() - t0
    return TrainResult(
        config=config,
        featurizer=featurizer,
        targets=targets,
        domain=domain,
        data_hash=table_hash(table),
        rows_per_source={k: int(v) for k, v in rows.groupby("source").size().items()},
        timings_s=timings,
        skipped_targets=skipped,
        training_systems=systems,
    )
