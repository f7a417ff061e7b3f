"""Benchmark evaluation of the σ model on fixed, grouped splits (benchmark-only: not part of
the installed package; the scripts here import it as ``evaluation``).

What the ``benchmarks/`` scripts share: the σ-labelled rows of the default training table,
the published 10-fold polymer split of Bradford et al. 2023 and a 10-fold split grouped by
σ(T) curve, and three models run on the same folds — the predict-the-mean baseline, the
published XGBoost recipe (:mod:`anchor` (``benchmarks/anchor.py``)) and spepred's σ model trained
exactly as ``spepred train`` does (inner grouped CV, conformal intervals, domain) and
predicted through the shipped :class:`~spepred.models.predictor.Predictor`.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spepred.data.splits import bradford_published_folds, group_kfold
from spepred.models.metrics import regression_metrics
from spepred.models.report import format_table  # noqa: F401  (the scripts import it from here)

log = logging.getLogger(__name__)

SIGMA = "log10_sigma_S_cm"
MODELS = ("mean", "anchor", "spepred")
MODEL_LABELS = {
    "mean": "mean baseline",
    "anchor": "anchor recipe (Bradford XGBoost)",
    "spepred": "spepred σ model",
}


@dataclass(frozen=True)
class Fold:
    """Row positions (into the σ table) that train and that are tested."""

    name: str
    train: np.ndarray
    test: np.ndarray


def sigma_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a formulation table that carry a σ label (index reset)."""
    return table[table[SIGMA].notna()].reset_index(drop=True)


def upstream_smiles(rows: pd.DataFrame, raw: pd.DataFrame) -> np.ndarray:
    """The upstream (Bradford) SMILES string of every Bradford row; ``None`` elsewhere.

    Bradford rows keep their upstream row number in ``record_id`` (``bradford2023:<n>``).
    """
    out = np.full(len(rows), None, dtype=object)
    is_b = (rows["source"] == "bradford2023").to_numpy()
    idx = rows.loc[is_b, "record_id"].str.split(":").str[1].astype(int).to_numpy()
    out[is_b] = raw["smiles"].to_numpy()[idx]
    return out


def published_folds(rows: pd.DataFrame, raw: pd.DataFrame) -> list[Fold]:
    """The published polymer split: test = the fold's test polymers; train = everything but
    the fold's test and validation polymers (as in the authors' recipe). Rows of other
    sources never test and always train."""
    up = pd.Series(upstream_smiles(rows, raw))
    folds = []
    for f in bradford_published_folds(raw["smiles"]):
        test = up.isin(f.test).to_numpy()
        val = up.isin(f.val).to_numpy()
        folds.append(Fold(f"t={f.fold}", np.flatnonzero(~test & ~val), np.flatnonzero(test)))
    return folds


def curve_folds(rows: pd.DataFrame, k: int = 10, seed: int = 0) -> list[Fold]:
    """K folds grouped by σ(T) curve (``curve_id``): no curve straddles train and test."""
    return [
        Fold(f"{i + 1}/{k}", tr, te)
        for i, (tr, te) in enumerate(group_kfold(rows["curve_id"].to_numpy(), k, seed=seed))
    ]


def _mean_model(rows, fold, _ctx):
    y = rows[SIGMA].to_numpy()
    pred = np.full(len(fold.test), y[fold.train].mean())
    return pred, None, None


def _anchor_model(rows, fold, ctx):
    from anchor import AnchorModel, anchor_features

    if "anchor_X" not in ctx:
        ctx["anchor_X"] = anchor_features(rows)
    X, y = ctx["anchor_X"], rows[SIGMA].to_numpy()
    model = AnchorModel(random_state=ctx["seed"], n_jobs=ctx["n_jobs"]).fit(X[fold.train], y[fold.train])
    return model.predict(X[fold.test]), None, None


def _spepred_model(rows, fold, ctx):
    """Train as ``spepred train`` does on the fold's training rows, write the bundle, and
    predict the test rows through the Predictor (intervals and domain included)."""
    from spepred.models.bundle import write_bundle
    from spepred.models.predictor import Predictor
    from spepred.models.train import train_models

    result = train_models(rows.iloc[fold.train], ctx["config"])
    with tempfile.TemporaryDirectory() as tmp:
        bundle = write_bundle(result, Path(tmp) / "bundle")
        out = Predictor.load(bundle).predict(rows.iloc[fold.test].reset_index(drop=True))
    bad = out["status"] != "ok"
    if bad.any():
        raise RuntimeError(f"{int(bad.sum())} test rows could not be predicted: {out['status'][bad].iloc[0]}")
    return (
        out[f"{SIGMA}_pred"].to_numpy(),
        out[f"{SIGMA}_lo"].to_numpy(),
        out[f"{SIGMA}_hi"].to_numpy(),
    )


_RUNNERS: dict[str, Callable] = {"mean": _mean_model, "anchor": _anchor_model, "spepred": _spepred_model}


def run_models(
    rows: pd.DataFrame,
    folds: Sequence[Fold],
    models: Sequence[str] = MODELS,
    *,
    config=None,
    seed: int = 0,
    n_jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Out-of-fold predictions of every model on the same folds.

    Returns one row per (model, test row): ``model``, ``fold``, ``record_id``, ``source``,
    ``curve_id``, ``temperature_C``, ``y_true``, ``y_pred``, ``y_lo``, ``y_hi``.
    ``config`` is the :class:`~spepred.models.config.TrainConfig` of the spepred model
    (its targets are set to σ only).
    """
    from spepred.models.config import TrainConfig

    unknown = [m for m in models if m not in _RUNNERS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; known: {list(_RUNNERS)}")
    cfg = (config or TrainConfig()).with_(targets=("sigma",), seed=seed, n_jobs=n_jobs)
    ctx = {"config": cfg, "seed": seed, "n_jobs": n_jobs}
    y = rows[SIGMA].to_numpy()
    parts = []
    for model in models:
        for fold in folds:
            pred, lo, hi = _RUNNERS[model](rows, fold, ctx)
            test = rows.iloc[fold.test]
            parts.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "fold": fold.name,
                        "record_id": test["record_id"].to_numpy(),
                        "source": test["source"].to_numpy(),
                        "curve_id": test["curve_id"].to_numpy(),
                        "temperature_C": test["temperature_C"].to_numpy(),
                        "y_true": y[fold.test],
                        "y_pred": pred,
                        "y_lo": np.nan if lo is None else lo,
                        "y_hi": np.nan if hi is None else hi,
                    }
                )
            )
            if progress is not None:
                progress(f"{model} fold {fold.name}")
    return pd.concat(parts, ignore_index=True)


def summarize(preds: pd.DataFrame) -> pd.DataFrame:
    """One row per model: n, MAE, RMSE, R², Spearman, share within one order of magnitude,
    90 % interval coverage and mean width (NaN for models without intervals)."""
    rows = []
    for model, g in preds.groupby("model", sort=False):
        has_interval = g["y_lo"].notna().all()
        m = regression_metrics(
            g["y_true"].to_numpy(),
            g["y_pred"].to_numpy(),
            lo=g["y_lo"].to_numpy() if has_interval else None,
            hi=g["y_hi"].to_numpy() if has_interval else None,
            log_units=True,
        )
        rows.append(
            {
                "model": MODEL_LABELS.get(model, model),
                "n": int(m["n"]),
                "mae": m["mae"],
                "rmse": m["rmse"],
                "r2": m["r2"],
                "spearman": m["spearman"],
                "within_1_order": m["within_1_order"],
                "coverage_90": m.get("coverage_90", np.nan),
                "interval_width": m.get("interval_width", np.nan),
            }
        )
    return pd.DataFrame(rows)


def fold_mae(preds: pd.DataFrame) -> pd.DataFrame:
    """MAE per fold (rows) and model (columns)."""
    err = preds.assign(ae=(preds["y_pred"] - preds["y_true"]).abs())
    table = err.pivot_table(index="fold", columns="model", values="ae", aggfunc="mean", sort=False)
    return table.rename(columns=MODEL_LABELS)


def within_curve_rmse(preds: pd.DataFrame) -> float:
    """RMSE of the residuals after removing each curve's mean residual: how well the
    *shape* of held-out σ(T) curves is predicted, whatever their level (curves with at
    least three temperatures)."""
    res = preds["y_pred"] - preds["y_true"]
    size = preds.groupby("curve_id")["y_true"].transform("size")
    centred = res - res.groupby(preds["curve_id"]).transform("mean")
    keep = size >= 3
    return float(np.sqrt(np.mean(centred[keep] ** 2)))


def replicate_agreement(rows: pd.DataFrame, preds: pd.DataFrame, model: str = "spepred") -> dict[str, float]:
    """How well the data agrees with itself: a yardstick for curve-grouped errors.

    A *replicate* is a measurement at the same polymer (``group``), salt, molality (within
    a bin 0.05 wide in log10, about ±6 %) and temperature (rounded to 1 °C) on a different
    σ(T) curve — the same formulation measured again, usually by another laboratory.
    For every test row that has replicates, the "replicate mean" predictor is the mean of
    the other curves' values there (it knows the answer up to the laboratory). Returns the
    number of such rows, curves and polymers, the replicate-mean MAE and the MAE of
    ``model`` on the same rows. Not a strict floor: a model may do better where the
    molecular weight (which this ignores) tells laboratories apart.
    """
    y = SIGMA
    frame = rows[["record_id", "group", "salt", "curve_id", "temperature_C", "salt_molality_mol_kg", y]].copy()
    frame["t_bin"] = frame["temperature_C"].round(0)
    frame["m_bin"] = np.round(np.log10(frame["salt_molality_mol_kg"].fillna(0.0) + 1e-3) / 0.05)
    keys = ["group", "salt", "m_bin", "t_bin"]
    per_curve = frame.groupby([*keys, "curve_id"], dropna=False)[y].mean().rename("curve_y").reset_index()
    total = per_curve.groupby(keys, dropna=False)["curve_y"].agg(["sum", "size"])
    per_curve = per_curve.join(total, on=keys)
    per_curve = per_curve[per_curve["size"] > 1]
    per_curve["other_y"] = (per_curve["sum"] - per_curve["curve_y"]) / (per_curve["size"] - 1)
    hit = frame.merge(per_curve[[*keys, "curve_id", "other_y"]], on=[*keys, "curve_id"])
    pred = preds[preds["model"] == model].set_index("record_id")["y_pred"]
    hit = hit[hit["record_id"].isin(pred.index)]
    return {
        "rows": float(len(hit)),
        "curves": float(hit["curve_id"].nunique()),
        "polymers": float(hit["group"].nunique()),
        "replicate_mae": float((hit["other_y"] - hit[y]).abs().mean()) if len(hit) else float("nan"),
        "model_mae": float((hit["record_id"].map(pred) - hit[y]).abs().mean()) if len(hit) else float("nan"),
    }
