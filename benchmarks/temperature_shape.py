"""Is predicted σ(T) physically shaped?

1. Every distinct formulation of the σ data (and of the PolyInfo screening candidates,
   when available) is predicted by the model bundle at -20..120 °C in 5 °C steps: the
   share of non-monotonic curves (σ falling on heating anywhere) must be 0.
2. Held-out curves (10 folds grouped by σ(T) curve): the within-curve RMSE (each curve's
   mean residual removed, curves with >= 3 temperatures), next to two shape baselines — a
   flat curve, and the training set's median Arrhenius slope d log10 σ / d(1000/T).

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/temperature_shape.py [--model DIR]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

from spepred import api
from spepred.featurize import FormulationFeaturizer
from spepred.models.config import TARGETS, TrainConfig
from evaluation import curve_folds, format_table, within_curve_rmse
from spepred.models.train import _xgb_params, fit_booster

GRID_C = np.arange(-20.0, 120.0 + 1e-9, 5.0)
FORMULATION = ["monomer_smiles", "crosslinker", "crosslink_type", "filler", "filler_wt_pct", "salt",
               "salt_molality_mol_kg", "mw_g_mol", "plasticized"]


def monotonic_share(predictor, formulations: pd.DataFrame) -> tuple[int, int, float]:
    """(curves, non-monotonic curves, largest drop in log10 σ on a 5 °C step)."""
    grid = formulations.loc[formulations.index.repeat(len(GRID_C))].reset_index(drop=True)
    grid["temperature_C"] = np.tile(GRID_C, len(formulations))
    out = predictor.predict(grid)
    ok = (out["status"] == "ok").to_numpy().reshape(len(formulations), len(GRID_C)).all(axis=1)
    z = out["log10_sigma_S_cm_pred"].to_numpy().reshape(len(formulations), len(GRID_C))[ok]
    steps = np.diff(z, axis=1)
    bad = (steps < -1e-9).any(axis=1)
    return int(ok.sum()), int(bad.sum()), float(max(0.0, -steps.min())) if len(steps) else 0.0


def slope_baseline(rows: pd.DataFrame, folds) -> np.ndarray:
    """Predictions whose shape is the training folds' median Arrhenius slope (the level is
    irrelevant: within-curve RMSE removes it)."""
    inv_t = 1000.0 / (rows["temperature_C"].to_numpy() + 273.15)
    y = rows["log10_sigma_S_cm"].to_numpy()
    pred = np.full(len(rows), np.nan)
    curves = rows["curve_id"].to_numpy()
    for fold in folds:
        slopes = []
        tr = pd.DataFrame({"c": curves[fold.train], "x": inv_t[fold.train], "y": y[fold.train]})
        for _, g in tr.groupby("c"):
            if g["x"].nunique() >= 3:
                slopes.append(np.polyfit(g["x"], g["y"], 1)[0])
        pred[fold.test] = np.median(slopes) * inv_t[fold.test]
    return pred


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--model", default=None, help="bundle to check (default: the shipped one)")
    args = ap.parse_args()
    clock = Clock()
    table, rows, _, card = load_rows()
    predictor = api.load_predictor(args.model)
    forms = rows[FORMULATION].drop_duplicates().reset_index(drop=True)
    sets = [("σ training formulations", forms)]
    try:
        from spepred.data.converters import convert_polyinfo
        from spepred.data.schema import require_valid
        from spepred.data.sources import fetch

        poly, _ = convert_polyinfo(fetch("polyinfo_candidates", download=False))
        poly = require_valid(poly, source="polyinfo_candidates")
        sets.append(("PolyInfo candidates", poly[FORMULATION].drop_duplicates().reset_index(drop=True)))
    except Exception as err:  # the check still runs on the training formulations
        clock(f"PolyInfo candidates not available: {err}")
    mono = []
    for name, f in sets:
        n, bad, drop = monotonic_share(predictor, f)
        mono.append({"formulations": name, "curves": n, "non-monotonic": bad, "share": bad / max(n, 1),
                     "largest drop per 5 °C step": drop})
        clock(f"monotonicity: {name}")
    # held-out curve shapes
    cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs)
    spec = TARGETS["sigma"]
    featurizer = FormulationFeaturizer(cfg.featurizer)
    X = featurizer.transform(rows).features
    y = rows["log10_sigma_S_cm"].to_numpy()
    params, n_rounds = _xgb_params(cfg, spec, featurizer.feature_names)
    folds = curve_folds(rows, 10, seed=args.seed)
    pred = np.full(len(rows), np.nan)
    for fold in folds:
        pred[fold.test] = fit_booster(X[fold.train], y[fold.train], None, params, n_rounds).inplace_predict(X[fold.test])
        clock(f"curve fold {fold.name}")
    base = rows[["curve_id"]].assign(y_true=y)
    shapes = [
        {"shape model": "spepred σ model", "within-curve RMSE": within_curve_rmse(base.assign(y_pred=pred))},
        {"shape model": "median Arrhenius slope of training curves",
         "within-curve RMSE": within_curve_rmse(base.assign(y_pred=slope_baseline(rows, folds)))},
        {"shape model": "flat (no temperature dependence)", "within-curve RMSE": within_curve_rmse(base.assign(y_pred=0.0))},
    ]
    mono_f, shape_f = pd.DataFrame(mono), pd.DataFrame(shapes)
    text = "\n".join(
        [
            header("temperature_shape"),
            f"Predicted σ(T) from -20 to 120 °C in 5 °C steps, bundle {predictor.model_version}:",
            "",
            format_table(mono_f, "{:.4f}"),
            "",
            "Held-out σ(T) curves (10 folds grouped by curve), log10(S/cm):",
            "",
            format_table(shape_f),
            "",
            f"total {time.perf_counter() - clock.t0:.0f} s",
        ]
    )
    metrics = {f"non_monotonic.{i}": r["non-monotonic"] for i, r in enumerate(mono)}
    metrics["within_curve_rmse"] = shapes[0]["within-curve RMSE"]
    metrics["within_curve_rmse.arrhenius"] = shapes[1]["within-curve RMSE"]
    finish("temperature_shape", text, args, params={"seed": args.seed, "model": predictor.model_version,
                                                    "data_hash": card.data_hash}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
