"""Issue 17, item 2: does the predicted Tg help the σ model on the published polymer split?

The σ model's features (the shipped featurizer) with and without three Tg features of the
row's matrix: the predicted Tg (K; a matrix of several repeat units gets the mean of
their Tg), T − Tg, and the VTF term 1000 / (T − Tg + 50 K) (T0 = Tg − 50 K, NaN at or below
T0). Both arms are the same XGBoost fit (the σ parameters and monotone temperature
constraint of :class:`~spepred.models.config.TrainConfig`; T − Tg increasing, the VTF term
decreasing) on the same folds of :func:`evaluation.published_folds`, so
the difference is the features alone. The Tg model is the shipped recipe
(:mod:`spepred.models.tg`) fitted once on all of PolyMetriX (Tg is side information the
bundle also carries; no σ label enters it). No intervals: point predictions only.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/tg_sigma_features.py --no-mlflow
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

TG_FEATURES = ("tg:Tg_K", "tg:T_minus_Tg_K", "tg:vtf_1000_over_T_minus_Tg_plus_50K")


def tg_of_rows(rows: pd.DataFrame, n_jobs: int, seed: int) -> np.ndarray:
    """Predicted Tg (K) of every row's matrix: the Tg recipe's booster fitted on PolyMetriX."""
    from spepred.data.tg import load_polymetrix_tg
    from spepred.featurize import FormulationFeaturizer
    from spepred.models.predictor import _joined_units
    from spepred.models.tg import TgConfig, TgModel
    from spepred.models.train import fit_booster

    cfg = TgConfig(n_jobs=n_jobs, seed=seed)
    polymers = load_polymetrix_tg().polymers
    featurizer = FormulationFeaturizer(cfg.featurizer)
    feats = featurizer.transform({"monomer_smiles": polymers["polymer_key"].to_numpy(dtype=object)})
    params, n_rounds = TgModel(cfg)._params()
    booster = fit_booster(feats.features, polymers["Tg_K"].to_numpy(float), None, params, n_rounds)
    codes, uniques = pd.factorize(rows["monomer_smiles"].astype(str))
    units = [_joined_units(u).split(".") for u in uniques]
    flat = sorted({c for us in units for c in us})
    uf = featurizer.transform({"monomer_smiles": np.array(flat, dtype=object)})
    tg_unit = dict(zip(flat, booster.inplace_predict(uf.features), strict=True))
    per_matrix = np.array([np.mean([tg_unit[c] for c in us]) for us in units])
    return per_matrix[codes]


def main() -> None:
    ap = parser(__doc__)
    args = ap.parse_args()
    from spepred.featurize import FormulationFeaturizer
    from spepred.models.config import TARGETS, TrainConfig
    from evaluation import SIGMA, published_folds
    from spepred.models.metrics import regression_metrics
    from spepred.models.train import _xgb_params, fit_booster

    clock = Clock()
    _, rows, raw, card = load_rows()
    folds = published_folds(rows, raw)
    config = TrainConfig().with_(targets=("sigma",), seed=args.seed, n_jobs=args.n_jobs)
    feats = FormulationFeaturizer(config.featurizer).transform(rows, source="benchmark")
    X0, names0 = feats.features, FormulationFeaturizer(config.featurizer).feature_names
    y = rows[SIGMA].to_numpy(float)
    clock(f"{len(rows)} σ rows x {X0.shape[1]} features, {len(folds)} folds")
    tg = tg_of_rows(rows, args.n_jobs, args.seed)
    clock("Tg of every row's matrix")
    t_k = rows["temperature_C"].to_numpy(float) + 273.15
    dt = t_k - tg
    vtf = np.where(dt + 50.0 > 0, 1000.0 / np.maximum(dt + 50.0, 1e-9), np.nan)
    X1 = np.column_stack([X0, tg, dt, vtf])
    names1 = [*names0, *TG_FEATURES]
    spec = TARGETS["sigma"]
    arms = {}
    for arm, X, names in (("σ features", X0, names0), ("σ features + Tg, T−Tg, VTF", X1, names1)):
        params, n_rounds = _xgb_params(config, spec, names)
        if arm != "σ features":  # T − Tg rises with T, the VTF term falls
            cons = params.get("monotone_constraints", "(" + ",".join("0" * len(names)) + ")").strip("()").split(",")
            cons[-2:] = ["1", "-1"]
            params["monotone_constraints"] = "(" + ",".join(cons) + ")"
        pred = np.full(len(y), np.nan)
        per_fold = {}
        for fold in folds:
            booster = fit_booster(X[fold.train], y[fold.train], None, params, n_rounds)
            pred[fold.test] = booster.inplace_predict(X[fold.test])
            per_fold[fold.name] = float(np.mean(np.abs(pred[fold.test] - y[fold.test])))
        test = np.concatenate([f.test for f in folds])
        arms[arm] = (regression_metrics(y[test], pred[test], log_units=True), per_fold)
        clock(arm)
    below = float(np.mean(dt[np.concatenate([f.test for f in folds])] < 0))
    lines = [
        header("tg_sigma_features"),
        f"Published polymer split (Bradford et al. 2023), {len(folds)} folds, "
        f"{len(np.concatenate([f.test for f in folds]))} test rows; same XGBoost σ fit, point predictions.",
        f"Tg of the matrix polymer predicted for every row (PolyMetriX recipe, all polymers); "
        f"test rows below their predicted Tg: {below:.3f}.",
        "",
        f"{'features':<30}{'n':>6}{'mae':>8}{'rmse':>8}{'r2':>8}{'spearman':>10}{'within_1':>10}",
    ]
    for arm, (m, _) in arms.items():
        lines.append(
            f"{arm:<30}{int(m['n']):>6}{m['mae']:>8.3f}{m['rmse']:>8.3f}{m['r2']:>8.3f}"
            f"{m['spearman']:>10.3f}{m['within_1_order']:>10.3f}"
        )
    lines += ["", "MAE per fold (log10 S/cm)", f"{'fold':<6}" + "".join(f"{a:>30}" for a in arms)]
    for fold in folds:
        lines.append(f"{fold.name:<6}" + "".join(f"{arms[a][1][fold.name]:>30.3f}" for a in arms))
    lines += ["", f"total {time.perf_counter() - clock.t0:.0f} s"]
    metrics = {}
    for i, (m, _) in enumerate(arms.values()):
        for k in ("mae", "rmse", "r2", "spearman", "within_1_order"):
            metrics[f"{'base' if i == 0 else 'tg'}.{k}"] = m[k]
    finish(
        "tg_sigma_features",
        "\n".join(lines),
        args,
        params={"seed": args.seed, "data_hash": card.data_hash, "folds": len(folds)},
        metrics=metrics,
        files=[],
    )


if __name__ == "__main__":
    main()
