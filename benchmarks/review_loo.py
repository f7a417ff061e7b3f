"""The review's crosslinked records: leave one paper out, for σ, window and strength.

For every target, each paper of Pei et al. 2025 that reports it is held out in turn; the
mean of the other papers' values is the baseline, and spepred's model (same features and
hyperparameters as ``spepred train``) is trained on the other papers alone, and — for σ,
the one property the public datasets carry — on the other papers plus every Bradford
curve. Does the public (mostly linear) data help crosslinked systems?

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/review_loo.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

from spepred.featurize import FormulationFeaturizer
from spepred.models.config import TARGETS, TrainConfig
from evaluation import format_table
from spepred.models.metrics import regression_metrics
from spepred.models.train import _to_model_space, _xgb_params, fit_booster, to_label_space

REVIEW = "pei2025_review"


def loo(rows, X, key, cfg, external: np.ndarray | None):
    """Out-of-paper predictions (label space) for the review rows of ``rows``."""
    spec = TARGETS[key]
    params, n_rounds = _xgb_params(cfg, spec, FormulationFeaturizer(cfg.featurizer).feature_names)
    review = np.flatnonzero((rows["source"] == REVIEW).to_numpy())
    papers = rows["group"].to_numpy()[review]
    y = rows[spec.label].to_numpy()
    pred = np.full(len(review), np.nan)
    base = np.full(len(review), np.nan)
    for p in np.unique(papers):
        te = review[papers == p]
        tr = review[papers != p]
        base[papers == p] = to_label_space(_to_model_space(y[tr], spec).mean(), spec)
        if external is not None:
            tr = np.concatenate([tr, external])
        booster = fit_booster(X[tr], _to_model_space(y[tr], spec), None, params, n_rounds)
        pred[papers == p] = to_label_space(booster.inplace_predict(X[te]), spec)
    return y[review], pred, base, len(np.unique(papers))


def main() -> None:
    args = parser(__doc__).parse_args()
    clock = Clock()
    table, _, _, card = load_rows()
    cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs)
    featurizer = FormulationFeaturizer(cfg.featurizer)
    out, metrics, detail = [], {}, []
    for key in ("sigma", "esw", "strength"):
        spec = TARGETS[key]
        label = spec.label
        rows = table[table[label].notna()].reset_index(drop=True)
        if spec.transform == "log10":
            rows = rows[rows[label] > 0].reset_index(drop=True)
        X = featurizer.transform(rows).features
        external = np.flatnonzero((rows["source"] != REVIEW).to_numpy())
        variants = [("review only", None)]
        if len(external):
            variants.append((f"review + {', '.join(sorted(rows.loc[external, 'source'].unique()))}", external))
        for name, ext in variants:
            y, pred, base, n_papers = loo(rows, X, key, cfg, ext)
            space = (lambda v: np.log10(v)) if spec.transform == "log10" else (lambda v: v)
            m = regression_metrics(space(y), space(pred), log_units=key == "sigma")
            b = regression_metrics(space(y), space(base), log_units=key == "sigma")
            unit = f"log10({spec.unit})" if spec.transform == "log10" else spec.unit
            out.append(
                {
                    "target": label,
                    "training data": name,
                    "records": len(y),
                    "papers": n_papers,
                    f"MAE model": m["mae"],
                    f"MAE mean": b["mae"],
                    "beats mean": "yes" if m["mae"] < b["mae"] else "NO",
                    "spearman": m["spearman"],
                    "unit": unit,
                }
            )
            tag = f"{key}.{'external' if ext is not None else 'review_only'}"
            metrics[f"{tag}.mae"], metrics[f"{tag}.baseline_mae"] = m["mae"], b["mae"]
            review = rows[rows["source"] == REVIEW]
            detail.append(
                pd.DataFrame(
                    {
                        "target": label,
                        "training data": name,
                        "record_id": review["record_id"].to_numpy(),
                        "group": review["group"].to_numpy(),
                        "measured": y,
                        "predicted": pred,
                        "mean_baseline": base,
                    }
                )
            )
            clock(f"{label}: {name}")
        if len(external) == 0:
            out.append(
                {
                    "target": label, "training data": "review + public data", "records": len(y),
                    "papers": n_papers, "MAE model": np.nan, "MAE mean": np.nan,
                    "beats mean": "n/a: no public dataset carries this label", "spearman": np.nan, "unit": "",
                }
            )
    frame = pd.DataFrame(out)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / "review_loo_predictions.csv"
    pd.concat(detail, ignore_index=True).to_csv(csv, index=False)
    text = "\n".join(
        [
            header("review_loo"),
            "Leave-one-paper-out on the review's records (σ in log10 S/cm, window in V, strength in log10 MPa).",
            "",
            format_table(frame),
            "",
            f"total {time.perf_counter() - clock.t0:.0f} s",
        ]
    )
    finish("review_loo", text, args, params={"seed": args.seed, "data_hash": card.data_hash}, metrics=metrics, files=[csv])


if __name__ == "__main__":
    main()
