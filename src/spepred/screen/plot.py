"""The σ–strength picture of a screen, coloured by the electrochemical window."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spepred.screen.pareto import pareto_front_2d

MAX_BACKGROUND_POINTS = 60_000


def pareto_plot(
    sigma_S_cm: np.ndarray,
    strength_MPa: np.ndarray,
    window_V: np.ndarray,
    front: np.ndarray,
    path: str | Path,
    *,
    title: str = "",
    seed: int = 0,
) -> Path:
    """Scatter of every feasible formulation (σ on a log axis, strength on a log axis,
    colour = window) with the 3-objective Pareto front highlighted and the σ–strength
    trade-off line drawn. Large libraries are subsampled for the background only; every
    front member is drawn. Written atomically (PNG)."""
    from spepred.plots import new_figure
    from spepred.screen.store import write_bytes_atomic

    sigma = np.asarray(sigma_S_cm, dtype=float)
    strength = np.asarray(strength_MPa, dtype=float)
    window = np.asarray(window_V, dtype=float)
    front = np.asarray(front, dtype=bool)
    good = np.isfinite(sigma) & np.isfinite(strength) & np.isfinite(window) & (sigma > 0) & (strength > 0)
    idx = np.flatnonzero(good)
    n_all = len(idx)
    if len(idx) > MAX_BACKGROUND_POINTS:
        idx = np.sort(np.random.default_rng(seed).choice(idx, MAX_BACKGROUND_POINTS, replace=False))
    fidx = np.flatnonzero(front & good)
    fig, ax = new_figure((7.5, 5.4))
    vmin, vmax = (np.nanpercentile(window[good], [1, 99]) if n_all else (0.0, 1.0))
    if vmin == vmax:
        vmin, vmax = vmin - 0.1, vmax + 0.1
    sc = ax.scatter(
        sigma[idx], strength[idx], c=window[idx], s=4, alpha=0.35, cmap="viridis", vmin=vmin, vmax=vmax,
        linewidths=0, rasterized=True,
        label=f"formulations ({n_all:,}" + (f", {len(idx):,} drawn)" if len(idx) < n_all else ")"),
    )
    ax.scatter(
        sigma[fidx], strength[fidx], c=window[fidx], s=42, cmap="viridis", vmin=vmin, vmax=vmax,
        edgecolors="black", linewidths=0.8, label=f"Pareto front σ–window–strength ({len(fidx):,})", zorder=3,
    )
    if n_all:
        two = np.flatnonzero(good)[pareto_front_2d(np.column_stack([np.log10(sigma[good]), np.log10(strength[good])]))]
        two = two[np.argsort(sigma[two])]
        ax.step(sigma[two], strength[two], where="pre", color="tab:red", lw=1.2, ls="--",
                label=f"σ–strength trade-off ({len(two):,})", zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import LogFormatter

    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.set_xlabel("ionic conductivity σ (S/cm)")
    ax.set_ylabel("strength (MPa)")
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("electrochemical window (V vs Li/Li⁺)")
    cb.solids.set_alpha(1.0)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", framealpha=0.9)  # "best" scans every point: slow
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=130, format="png")
    out = Path(path)
    write_bytes_atomic(buf.getvalue(), out)
    return out
