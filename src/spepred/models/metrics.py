"""Regression metrics reported for every model and every baseline."""

from __future__ import annotations

import math

import numpy as np


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(spearmanr(a, b).statistic)


def regression_metrics(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    log_units: bool = False,
) -> dict[str, float]:
    """MAE, RMSE, R², Spearman; for log10 targets the share within one order of magnitude;
    with an interval, its coverage and mean width."""
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    err = pred - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    out = {
        "n": float(len(y)),
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else math.nan,
        "spearman": spearman(y, pred),
    }
    if log_units:
        out["within_1_order"] = float(np.mean(np.abs(err) <= 1.0))
    if lo is not None and hi is not None:
        out["coverage_90"] = float(np.mean((y >= lo) & (y <= hi)))
        out["interval_width"] = float(np.mean(np.asarray(hi) - np.asarray(lo)))
    return out
