"""Figures (matplotlib, Agg backend): parity and residual plots of cross-validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spepred.data.columns import PROPERTIES, property_by_label


def new_figure(figsize: tuple[float, float]):
    """A figure and its axes, drawn off-screen without touching pyplot's global state
    (``matplotlib.use("Agg")`` would switch a notebook's inline backend off)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


#: Axis label of each property's label column (declared in :mod:`spepred.data.columns`).
AXIS_LABELS = {p.label: p.axis_label for p in PROPERTIES.values()}


def parity_plot(cv: pd.DataFrame, label: str, path: Path, *, title: str = "") -> Path:
    """Out-of-fold prediction vs measurement, coloured by source, with the 90 % band."""
    fig, ax = new_figure((5.2, 5))
    lo = float(np.nanmin([cv["y_true"].min(), cv["y_pred"].min()]))
    hi = float(np.nanmax([cv["y_true"].max(), cv["y_pred"].max()]))
    pad = 0.05 * (hi - lo or 1.0)
    for src, g in cv.groupby("source"):
        ax.scatter(g["y_true"], g["y_pred"], s=8 if len(g) > 200 else 30, alpha=0.5, label=f"{src} ({len(g)})")
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=1, label="y = x")
    if label in AXIS_LABELS and property_by_label(label).label_is_log10:  # a decade either side
        for d in (-1, 1):
            ax.plot([lo - pad, hi + pad], [lo - pad + d, hi + pad + d], ":", color="grey", lw=1)
    name = AXIS_LABELS.get(label, label)
    ax.set_xlabel(f"measured {name}")
    ax.set_ylabel(f"predicted {name} (out-of-fold)")
    ax.set_title(title or f"{label}: grouped CV parity")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_aspect("equal", adjustable="datalim")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def residual_plot(cv: pd.DataFrame, label: str, path: Path) -> Path:
    """Residual vs prediction, with the conformal half-width drawn where it is constant."""
    fig, ax = new_figure((6, 4))
    res = cv["y_pred"] - cv["y_true"]
    ax.scatter(cv["y_pred"], res, s=8 if len(cv) > 200 else 30, alpha=0.5)
    ax.axhline(0, color="k", lw=1)
    half = (cv["y_hi"] - cv["y_lo"]) / 2
    ax.axhline(float(half.median()), color="tab:red", ls="--", lw=1, label="90 % half-width")
    ax.axhline(-float(half.median()), color="tab:red", ls="--", lw=1)
    name = AXIS_LABELS.get(label, label)
    ax.set_xlabel(f"predicted {name}")
    ax.set_ylabel(f"residual, predicted − measured ({name})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
