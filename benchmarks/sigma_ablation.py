"""What moves σ accuracy on the published polymer split? One change at a time.

Every variant is spepred's σ model (default features and hyperparameters) with one
change, trained on the same folds as bradford_split.py (point predictions only):

* ``Li per coordinating site``: molality x repeat-unit mass / coordinating groups per unit
  (mol Li+ per mol of ether O, carbonyl, nitrile, ...) and per heavy atom;
* ``+ HTP-MD simulated σ``: an XGBoost model of the MD conductivity of ~6,000 polymers
  (Xie et al. 2022), trained on matrix features only, stacked as one feature;
* ``+ HTP-MD σ, Li+ and polymer diffusivities, t+``: the same for four MD properties;
* ``no monotone constraint``, ``weights 1/sqrt(rows per polymer)``, ``absolute-error
  objective``, ``no Morgan fingerprint``, ``shallower trees``, ``half the trees`` (half
  the prediction cost).

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/sigma_ablation.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

from spepred.data.sources import fetch
from spepred.featurize import FormulationFeaturizer
from spepred.models.config import MONOTONE, TARGETS, TrainConfig
from spepred.models.evaluation import format_table, published_folds
from spepred.models.metrics import regression_metrics
from spepred.models.train import _xgb_params

COORDINATING = ("ether_O", "carbonyl", "nitrile", "hydroxyl", "amine", "sulfonyl")


def htpmd_stack(table, rows_X, names, featurizer, n_jobs, all_targets: bool) -> tuple[np.ndarray, list[str]]:
    """Predictions of auxiliary models trained on HTP-MD polymers (matrix features only)."""
    import xgboost as xgb

    h = table[table["source"] == "htpmd2022"].reset_index(drop=True)
    raw = pd.read_csv(fetch("htpmd2022", download=False))
    Xh = featurizer.transform(h).features
    cols = [i for i, n in enumerate(names) if n.startswith(("matrix.", "transport."))]
    targets = {"sim_log10_sigma": h["sim_log10_sigma_S_cm"].to_numpy()}
    if all_targets:
        targets |= {
            "sim_log10_li_diffusivity": np.log10(raw["li_diffusivity"].clip(lower=1e-12)).to_numpy(),
            "sim_log10_polymer_diffusivity": np.log10(raw["poly_diffusivity"].clip(lower=1e-12)).to_numpy(),
            "sim_transference_number": raw["transference_number"].to_numpy(),
        }
    out = []
    for t in targets.values():
        ok = np.isfinite(t)
        params = {"eta": 0.05, "max_depth": 6, "subsample": 0.8, "colsample_bytree": 0.5, "nthread": n_jobs,
                  "verbosity": 0, "seed": 0}
        booster = xgb.train(params, xgb.DMatrix(Xh[ok][:, cols], label=t[ok]), 600)
        out.append(booster.inplace_predict(rows_X[:, cols]))
    return np.column_stack(out), [f"htpmd.{k}" for k in targets]


def li_ratios(X, names) -> tuple[np.ndarray, list[str]]:
    col = {n: X[:, i].astype(np.float64) for i, n in enumerate(names)}
    sites = sum(col[f"transport.{g}_per_unit"] for g in COORDINATING)
    li_per_unit = col["conditions.salt_molality_mol_kg"] * col["matrix.mw_g_mol"] / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_site = np.where(sites > 0, li_per_unit / sites, np.nan)
        per_heavy = li_per_unit / col["matrix.heavy_atoms"]
    return np.column_stack([per_site, per_heavy]), ["derived.li_per_coordinating_site", "derived.li_per_heavy_atom"]


def main() -> None:
    args = parser(__doc__).parse_args()
    import xgboost as xgb

    clock = Clock()
    table, rows, raw, card = load_rows()
    folds = published_folds(rows, raw)
    cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs)
    featurizer = FormulationFeaturizer(cfg.featurizer)
    names = list(featurizer.feature_names)
    X = featurizer.transform(rows).features
    y = rows["log10_sigma_S_cm"].to_numpy()
    groups = rows["group"].to_numpy()
    _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    ratio_X, ratio_names = li_ratios(X, names)
    variants: list[tuple[str, np.ndarray, list[str], dict, np.ndarray | None]] = [
        ("default", X, names, {}, None),
        ("Li per coordinating site", np.hstack([X, ratio_X]), names + ratio_names, {}, None),
    ]
    try:
        h1, n1 = htpmd_stack(table, X, names, featurizer, args.n_jobs, all_targets=False)
        h4, n4 = htpmd_stack(table, X, names, featurizer, args.n_jobs, all_targets=True)
        variants += [
            ("+ HTP-MD simulated σ (stacked)", np.hstack([X, h1]), names + n1, {}, None),
            ("+ HTP-MD σ, Li+/polymer diffusivity, t+", np.hstack([X, h4]), names + n4, {}, None),
        ]
        clock("HTP-MD auxiliary models")
    except Exception as err:
        clock(f"HTP-MD not available: {err}")
    no_morgan = [i for i, n in enumerate(names) if "morgan" not in n]
    variants += [
        ("no monotone constraint in T", X, names, {"monotone_constraints": "()"}, None),
        ("weights 1/sqrt(rows per polymer)", X, names, {}, 1.0 / np.sqrt(counts[inv])),
        ("absolute-error objective", X, names, {"objective": "reg:absoluteerror"}, None),
        ("no Morgan fingerprint", X[:, no_morgan], [names[i] for i in no_morgan], {}, None),
        ("shallower trees (depth 4, min child 10)", X, names, {"max_depth": 4, "min_child_weight": 10}, None),
        ("half the trees (300, learning rate 0.08)", X, names, {"eta": 0.08, "_rounds": 300}, None),
    ]
    out, metrics = [], {}
    for label, Xv, nv, over, w in variants:
        params, n_rounds = _xgb_params(cfg, TARGETS["sigma"], nv)
        if "monotone_constraints" in params:
            params["monotone_constraints"] = "(" + ",".join(str(MONOTONE.get(n, 0)) for n in nv) + ")"
        over = dict(over)
        n_rounds = over.pop("_rounds", n_rounds)
        params.update(over)
        pred = np.full(len(y), np.nan)
        t0 = time.perf_counter()
        for fold in folds:
            d = xgb.DMatrix(Xv[fold.train], label=y[fold.train], weight=None if w is None else w[fold.train])
            pred[fold.test] = xgb.train(params, d, n_rounds).inplace_predict(Xv[fold.test])
        m = ~np.isnan(pred)
        r = regression_metrics(y[m], pred[m], log_units=True)
        out.append({"variant": label, "MAE": r["mae"], "RMSE": r["rmse"], "R²": r["r2"], "Spearman": r["spearman"],
                     "within 1 order": r["within_1_order"], "fit s": time.perf_counter() - t0})
        metrics[f"{len(out)}.mae"] = r["mae"]
        clock(label)
    frame = pd.DataFrame(out)
    frame.insert(2, "ΔMAE", frame["MAE"] - frame["MAE"].iloc[0])
    text = "\n".join(
        [
            header("sigma_ablation"),
            "Published polymer split (10 folds), σ in log10(S/cm); one change per row against the default.",
            "",
            format_table(frame),
            "",
            f"total {time.perf_counter() - clock.t0:.0f} s",
        ]
    )
    finish("sigma_ablation", text, args, params={"seed": args.seed, "data_hash": card.data_hash}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
