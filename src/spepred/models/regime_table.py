"""The regime table of a training run: its own grouped CV, read per kind of electrolyte.

``spepred train`` already holds every labelled row out once (folds of whole polymers and
papers, :func:`spepred.models.train.cv_groups`). This table reads those out-of-fold
predictions per regime (dry linear, dry network, gel, composite; crosslinked or not) on the
rows outside Bradford, the systems spepred exists for, next to the baseline a chemist would
use on the same folds: the mean training label of the held-out row's regime. It costs no
extra fit. ``benchmarks/regimes.py`` is the full evaluation (folds of papers, the recipe
refitted per fold, the shipped bundle as a second baseline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spepred.data.regimes import REGIMES
from spepred.data.splits import paper_key

#: The source whose rows are the dry linear benchmark: reported on a line of its own.
BRADFORD = "bradford2023"
COLUMNS = (
    "target", "regime", "n", "papers", "MAE model", "MAE regime mean", "model < mean", "bias model", "coverage_90",
)


def regime_mean_oof(cv: pd.DataFrame) -> np.ndarray:
    """For every held-out row, the mean ``y_true`` of the fold's training rows of its regime
    (the fold's overall mean when no training row has that regime)."""
    base = np.full(len(cv), np.nan)
    fold, reg, y = cv["fold"].to_numpy(), cv["regime"].to_numpy(), cv["y_true"].to_numpy(float)
    for f in np.unique(fold):
        te, tr = fold == f, fold != f
        means = pd.Series(y[tr]).groupby(reg[tr]).mean()
        base[te] = pd.Series(reg[te]).map(means).fillna(y[tr].mean()).to_numpy(float)
    return base


def _slices(cv: pd.DataFrame):
    outside = (cv["source"] != BRADFORD).to_numpy()
    xl = cv["crosslinked"].to_numpy(bool)
    for r in REGIMES:
        yield r, outside & (cv["regime"] == r).to_numpy()
    yield "crosslinked", outside & xl
    yield "not crosslinked", outside & ~xl
    yield "all outside Bradford", outside
    yield BRADFORD, ~outside


def regime_table(targets: dict) -> pd.DataFrame:
    """One row per (target, regime slice) with labels: n, papers, MAE of the model and of the
    regime mean, the model's bias (mean predicted - measured) and 90 % interval coverage,
    all in model space (log10 for σ and strength).

    ``targets``: the :class:`~spepred.models.train.TargetResult` of a training by key; their
    ``cv_predictions`` need ``regime`` and ``crosslinked`` columns (targets without them are
    left out).
    """
    rows = []
    for key, tr in targets.items():
        cv = tr.cv_predictions
        if not {"regime", "crosslinked", "fold"} <= set(cv.columns):
            continue
        base = regime_mean_oof(cv)
        err = cv["y_pred"].to_numpy(float) - cv["y_true"].to_numpy(float)
        err_base = base - cv["y_true"].to_numpy(float)
        inside = ((cv["y_true"] >= cv["y_lo"]) & (cv["y_true"] <= cv["y_hi"])).to_numpy()
        papers = paper_key(cv["group"].astype(str)).to_numpy()
        for name, m in _slices(cv):
            if not m.any():
                continue
            mae, mae_base = float(np.abs(err[m]).mean()), float(np.abs(err_base[m]).mean())
            rows.append(
                {
                    "target": key,
                    "regime": name,
                    "n": int(m.sum()),
                    "papers": int(len(np.unique(papers[m]))),
                    "MAE model": mae,
                    "MAE regime mean": mae_base,
                    "model < mean": "yes" if mae < mae_base else "NO",
                    "bias model": float(err[m].mean()),
                    "coverage_90": float(inside[m].mean()),
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def regime_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Flat metrics for MLflow: ``sigma_mae_gel``, ``sigma_regime_mean_mae_gel``,
    ``sigma_bias_gel``, ``sigma_coverage_90_gel``, ``sigma_n_gel``, ... (spaces in slice
    names become underscores)."""
    out: dict[str, float] = {}
    for rec in table.to_dict("records"):
        tag = rec["regime"].replace(" ", "_")
        for name, col in (("mae", "MAE model"), ("regime_mean_mae", "MAE regime mean"), ("bias", "bias model"),
                          ("coverage_90", "coverage_90"), ("n", "n")):
            out[f"{rec['target']}_{name}_{tag}"] = float(rec[col])
    return out


def regime_text(table: pd.DataFrame) -> str:
    """The table as printed by ``spepred train``, with what it means."""
    from spepred.models.config import TARGETS
    from spepred.models.report import format_table

    if table.empty:
        return ""
    lines = [
        "Per regime (this training's grouped CV, the rows outside Bradford; regime mean = mean training "
        "label of the row's regime in the same fold; bias = mean predicted - measured; log10 for σ and strength):"
    ]
    for key, part in table.groupby("target", sort=False):
        spec = TARGETS[key]
        unit = f"log10({spec.unit})" if spec.transform == "log10" else spec.unit
        lines += ["", f"{spec.label} ({unit})", format_table(part.drop(columns="target").reset_index(drop=True))]
    lines += ["", "benchmarks/regimes.py is the full evaluation (folds of papers, the shipped bundle beside)."]
    return "\n".join(lines)
