"""Shared plumbing of the accuracy benchmarks: arguments, data, output files, MLflow.

Every accuracy script writes its printed table to ``docs/benchmarks/<name>.txt`` (plus
PNGs and a predictions CSV next to it) and logs one run to the MLflow experiment
``spepred-benchmarks`` (``--tracking-uri``; default ``sqlite:///mlflow.db``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks"


def parser(doc: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT, help="where tables and plots go (default docs/benchmarks)")
    ap.add_argument("--tracking-uri", default=None, help="MLflow store (default sqlite:///mlflow.db)")
    ap.add_argument("--no-mlflow", action="store_true", help="do not log the run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=2, help="XGBoost threads")
    return ap


def load_rows():
    """σ rows of the default training table and the raw Bradford file (mirror or cache)."""
    import pandas as pd

    from spepred.data.build import DEFAULT_SOURCES, build_formulations
    from spepred.data.sources import fetch
    from evaluation import sigma_rows

    table, card = build_formulations(DEFAULT_SOURCES)
    if "bradford2023" in card.missing_sources:
        sys.exit(f"bradford2023 is not available ({card.missing_sources['bradford2023']}); set SPEPRED_DATA_MIRROR")
    raw = pd.read_csv(fetch("bradford2023", download=False))
    return table, sigma_rows(table), raw, card


class Clock:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        print(f"[{time.perf_counter() - self.t0:7.1f} s] {msg}", file=sys.stderr, flush=True)


def header(name: str) -> str:
    load = os.getloadavg()
    return (
        f"# {name} — {time.strftime('%Y-%m-%d %H:%M')} UTC; {os.cpu_count()} CPUs; python "
        f"{platform.python_version()}; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


def finish(name: str, text: str, args, *, params: dict, metrics: dict, files: list[Path]) -> None:
    """Print the report, write it to ``<out>/<name>.txt`` and log the MLflow run."""
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / f"{name}.txt"
    report.write_text(text + "\n", "utf-8")
    if args.no_mlflow:
        return
    from spepred.tracking.runs import log_benchmark, resolve_tracking_uri

    run_id = log_benchmark(
        name,
        params=params,
        metrics=metrics,
        artifacts=[report, *files],
        tracking_uri=resolve_tracking_uri(args.tracking_uri),
    )
    print(f"\nMLflow run {run_id} (experiment spepred-benchmarks)", file=sys.stderr)


def run_split(name: str, title: str, short: str, make_folds, args, *, note: str = "", replicates: bool = False) -> None:
    """Mean baseline, anchor recipe and spepred σ on the same folds: one table, per-fold
    MAE, parity plots, predictions CSV, MLflow run; with ``replicates``, the agreement between
    replicate measurements (:func:`evaluation.replicate_agreement`)."""
    from spepred import plots
    from spepred.models.config import TrainConfig
    from evaluation import (
        fold_mae,
        format_table,
        replicate_agreement,
        run_models,
        summarize,
        within_curve_rmse,
    )

    clock = Clock()
    table, rows, raw, card = load_rows()
    folds = make_folds(rows, raw)
    clock(f"{len(rows)} σ rows, {len(folds)} folds, {sum(len(f.test) for f in folds)} test rows")
    config = TrainConfig(cv_folds=args.inner_folds)
    preds = run_models(rows, folds, config=config, seed=args.seed, n_jobs=args.n_jobs, progress=clock)
    summary = summarize(preds)
    per_fold = fold_mae(preds).reset_index()
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / f"{name}_predictions.csv"
    preds.to_csv(csv, index=False)
    pngs = []
    for model in ("anchor", "spepred"):
        png = args.out / f"{name}_parity_{model}.png"
        plots.parity_plot(preds[preds["model"] == model], "log10_sigma_S_cm", png, title=f"{model}, {short}")
        pngs.append(png)
    sp = preds[preds["model"] == "spepred"]
    shape = within_curve_rmse(sp)
    agree = replicate_agreement(rows, preds) if replicates else None
    if agree:
        agree["anchor_mae"] = replicate_agreement(rows, preds, "anchor")["model_mae"]
    lines = [
        header(name),
        f"{title}. {len(folds)} folds, {int(summary['n'].iloc[0])} test rows, model trained with "
        f"inner {args.inner_folds}-fold CV for its intervals. {note}".rstrip(),
        "",
        format_table(summary),
        "",
        f"within-curve RMSE of spepred (held-out curves with >= 3 temperatures, per-curve offset removed): {shape:.3f} log10(S/cm)",
        *(_replicate_lines(agree) if agree else []),
        "",
        "MAE per fold (log10 S/cm)",
        format_table(per_fold),
        "",
        f"total {time.perf_counter() - clock.t0:.0f} s",
    ]
    metrics = {}
    for rec in summary.to_dict("records"):
        key = rec["model"].split(" ")[0]
        for m in ("mae", "rmse", "r2", "spearman", "within_1_order", "coverage_90"):
            metrics[f"{key}.{m}"] = rec[m]
    metrics["spepred.within_curve_rmse"] = shape
    if agree:
        metrics["replicates.mae"], metrics["replicates.spepred_mae"] = agree["replicate_mae"], agree["model_mae"]
    finish(
        name,
        "\n".join(lines),
        args,
        params={"folds": len(folds), "inner_folds": args.inner_folds, "seed": args.seed, "data_hash": card.data_hash},
        metrics=metrics,
        files=[csv, *pngs],
    )


def _replicate_lines(agree: dict) -> list[str]:
    return [
        "",
        f"replicates: {int(agree['rows'])} test rows ({int(agree['curves'])} curves, {int(agree['polymers'])} polymers) have "
        "another curve of the same polymer, salt, molality (log10 bin 0.05) and temperature (1 °C);",
        f"  predicting each from the mean of its replicates: MAE {agree['replicate_mae']:.3f}; on the same rows spepred "
        f"MAE {agree['model_mae']:.3f}, anchor recipe MAE {agree['anchor_mae']:.3f} log10(S/cm)",
    ]
