"""Text reports of a training run: the CV-vs-baseline table and the Markdown model card."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spepred.models.config import TARGETS

_COLS = ("mae", "rmse", "r2", "spearman", "within_1_order", "coverage_90")


def _fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.3f}"


def metrics_rows(targets: dict[str, dict]) -> list[dict]:
    """One row per (target, model|baseline) from bundle-style target dicts."""
    rows = []
    for key, t in targets.items():
        pairs = [("model", t["metrics"]), ("mean baseline", t["baseline_metrics"])]
        if t.get("curve_metrics"):  # known polymers, unseen σ(T) curves: a different question
            pairs.append(("model, curves", t["curve_metrics"]))
        for who, m in pairs:
            rows.append(
                {
                    "target": TARGETS[key].label,
                    "who": who,
                    "n": int(t["n_labels"]),
                    "groups": int(m.get("n_groups", t["n_groups"])),  # the curves row: curves
                    **{c: m.get(c) for c in _COLS},
                }
            )
    return rows


def tg_line(tg: dict | None, note: str = "") -> str:
    """One sentence on a bundle's Tg model (its ``tg`` entry) or on why it has none."""
    if not tg:
        return f"Tg_K: {note or 'no Tg model in this bundle'}."
    m, b = tg["metrics"], tg["baseline_metrics"]
    verdict = "beats" if tg["beats_baseline"] else "does NOT beat"
    return (
        f"Tg_K (from {tg['source'] or 'a Tg table'}, {tg['n_polymers']} polymers, polymer-grouped CV): "
        f"the model {verdict} the mean baseline (MAE {_fmt(m.get('mae'))} K vs {_fmt(b.get('mae'))} K, "
        f"R² {_fmt(m.get('r2'))}, 90 % interval coverage {_fmt(m.get('coverage_90'))})."
    )


def metrics_table(targets: dict[str, dict], *, tg: dict | None = None, tg_note: str = "") -> str:
    """Plain-text table of grouped-CV metrics next to the mean baseline, with verdicts
    (and the Tg model's line, given its bundle entry or the note said instead)."""
    header = f"{'target':<18}{'':<15}{'n':>6}{'groups':>8}" + "".join(f"{c:>15}" for c in _COLS)
    lines = [header, "-" * len(header)]
    for r in metrics_rows(targets):
        lines.append(
            f"{r['target']:<18}{r['who']:<15}{r['n']:>6}{r['groups']:>8}"
            + "".join(f"{_fmt(r[c]):>15}" for c in _COLS)
        )
    lines.append("")
    if any(t.get("curve_metrics") for t in targets.values()):
        lines.append(
            "'model' and 'mean baseline': held-out polymers (no polymer or paper in both train "
            "and test); 'model, curves': held-out σ(T) curves of polymers that other curves trained."
        )
    for key, t in targets.items():
        label = TARGETS[key].label
        m, b = t["metrics"]["mae"], t["baseline_metrics"]["mae"]
        if t["beats_baseline"]:
            lines.append(f"{label}: the model beats the mean baseline (MAE {m:.3f} vs {b:.3f}, {t['cv_scheme']}).")
        else:
            lines.append(
                f"{label}: the model does NOT beat the mean baseline (MAE {m:.3f} vs {b:.3f}, "
                f"{t['cv_scheme']}); with {t['n_labels']} labels its predictions are no better "
                "than the training mean and are flagged as such."
            )
        rm = t.get("regime_metrics") or {}
        losing = [f"{r.replace('_', ' ')} ({int(m['n'])} labels, MAE {m['mae']:.3f} vs {m['baseline_mae']:.3f})"
                  for r, m in rm.items() if not m["beats_baseline"]]
        if losing:
            lines.append(
                f"{label}: the model does NOT beat the regime mean on " + ", ".join(losing)
                + "; queries of those regimes are warned."
            )
        xm = t.get("crosslinked_metrics") or {}
        if xm and "regime_metrics" not in t:
            verdict = "beats" if xm["beats_baseline"] else "does NOT beat"
            lines.append(
                f"{label} on the {int(xm['n'])} crosslinked systems: the model {verdict} their mean "
                f"(MAE {xm['mae']:.3f} vs {xm['baseline_mae']:.3f})"
                + ("." if xm["beats_baseline"] else "; crosslinked queries are warned.")
            )
    if tg or tg_note:
        lines.append(tg_line(tg, tg_note))
    return "\n".join(lines)


def markdown_metrics(targets: dict[str, dict]) -> str:
    lines = [
        "| target | | n | groups | " + " | ".join(_COLS) + " |",
        "|---|---|---|---|" + "---|" * len(_COLS),
    ]
    for r in metrics_rows(targets):
        lines.append(
            f"| {r['target']} | {r['who']} | {r['n']} | {r['groups']} | "
            + " | ".join(_fmt(r[c]) for c in _COLS)
            + " |"
        )
    return "\n".join(lines)


def model_card(meta: dict) -> str:
    """A Markdown model card from a bundle's metadata."""
    targets = meta["targets"]
    lines = [
        f"# spepred model card — {meta['model_version']}",
        "",
        f"Created {meta['created_utc']}; data hash `{meta['data_hash']}`.",
        "",
        "## What it predicts",
        "",
    ]
    for key, t in targets.items():
        spec = TARGETS[key]
        lines.append(
            f"- **{spec.label}** ({spec.description}, {spec.unit}; fitted in "
            f"{'log10 space' if spec.transform == 'log10' else 'label space'}): XGBoost, "
            f"{t['n_labels']} labels in {t['n_groups']} groups, "
            f"{100 * (1 - t['alpha']):.0f} % split-conformal interval ± {t['conformal_q']:.3f} (model units)"
            + (
                " overall; by domain similarity (>= " + ", >= ".join(f"{e:g}" for e in t["conformal_bins"]["edges"])
                + ", lower): ± " + " / ".join(f"{q:.2f}" for q in t["conformal_bins"]["q"]) + "."
                if t.get("conformal_bins")
                else "."
            )
        )
    for key, why in meta.get("skipped_targets", {}).items():
        lines.append(f"- **{TARGETS[key].label}**: not trained ({why}).")
    lines.append(
        "- **Tg_K** (glass transition of the matrix polymer, K, without salt or plasticizer): "
        + tg_line(meta.get("tg"), meta.get("tg_note") or "")
    )
    lines += [
        "",
        "## Training data",
        "",
        "| source | labelled rows |",
        "|---|---|",
        *(f"| {s} | {n} |" for s, n in meta["rows_per_source"].items()),
        "",
        "## Honest evaluation (grouped cross-validation, same folds as the baseline)",
        "",
        markdown_metrics(targets),
        "",
        "Grouping: a polymer (all its σ(T) curves, in every source, blends included) or a "
        "review paper never straddles train and test. Coverage is measured with each fold's "
        "interval calibrated on the other folds' residuals.",
        "",
        "## Limitations",
        "",
        "- σ is learned mostly from linear (non-crosslinked) polymer electrolytes (Bradford "
        "2023); crosslinked systems come from about twenty review numbers.",
        "- Window and strength come from about ten review numbers each, measured by "
        "different groups with different protocols; see the verdicts above.",
        "- σ is constrained non-decreasing in temperature (XGBoost monotone constraints).",
        "- `in_domain` is false when the least familiar building block has Tanimoto "
        f"< {meta['domain']['min_similarity']} to training or more than "
        f"{meta['domain']['max_unseen']} unseen Morgan fragments.",
        "",
        "## Reproduce",
        "",
        "`spepred train` with the configuration logged in this run (fixed seeds).",
    ]
    return "\n".join(lines)


def format_table(frame: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    """A plain-text table (what ``spepred train``'s regime table and the benchmark scripts print)."""
    cols = list(frame.columns)
    cells = [
        [
            ("—" if isinstance(v, float) and np.isnan(v) else floatfmt.format(v))
            if isinstance(v, float)
            else str(v)
            for v in row
        ]
        for row in frame.itertuples(index=False, name=None)
    ]
    widths = [max(len(str(c)), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)
