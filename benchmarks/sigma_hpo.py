"""Hyperparameter search for the σ model with Optuna, scored on the published validation
tenths and judged on test polymers the search never touched.

The published split of Bradford et al. 2023 gives every fold a validation tenth of
polymers. The search (Optuna TPE, seeded) scores a configuration by the MAE on the
validation polymers of the tuning folds t=2..5, training on each fold's training polymers
minus every *holdout* test polymer. The holdout is the test polymers of folds t=7..11: none
of them is validated on, none trains a model the search scores. The table then compares the
default and the best configuration on (a) the holdout folds (clean) and (b) all 10 folds
(the tuned one has validated on polymers that other folds test: optimistic).

Every trial is a row of ``docs/benchmarks/sigma_hpo_trials.csv`` (logged to MLflow with
the table and the best parameters).

Needs Optuna: pip install -e ".[bench]"
Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/sigma_hpo.py [--trials 40] [--timeout 900]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

from spepred.data.splits import bradford_published_folds
from spepred.featurize import FormulationFeaturizer
from spepred.models.config import DEFAULT_XGB, TARGETS, TrainConfig
from evaluation import format_table, upstream_smiles
from spepred.models.metrics import regression_metrics
from spepred.models.train import _xgb_params

TUNE_FOLDS = (2, 3, 4, 5)
HOLDOUT_FOLDS = (7, 8, 9, 10, 11)


def fold_masks(rows: pd.DataFrame, raw: pd.DataFrame) -> dict[int, dict[str, np.ndarray]]:
    """Per published fold: boolean masks over the σ rows for train, val and test."""
    up = pd.Series(upstream_smiles(rows, raw))
    out = {}
    for f in bradford_published_folds(raw["smiles"]):
        test, val = up.isin(f.test).to_numpy(), up.isin(f.val).to_numpy()
        out[f.fold] = {"train": ~test & ~val, "val": val, "test": test}
    return out


def sample_params(trial) -> dict:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 200, 1000, step=100),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "max_depth": trial.suggest_int("max_depth", 3, 9),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 50.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.2, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 0.1, 30.0, log=True),
        "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10.0, log=True),
    }


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--trials", type=int, default=40, help="Optuna trials (40)")
    ap.add_argument("--timeout", type=float, default=900.0, help="stop the search after this many seconds (900)")
    args = ap.parse_args()
    import optuna
    import xgboost as xgb

    clock = Clock()
    table, rows, raw, card = load_rows()
    masks = fold_masks(rows, raw)
    holdout_test = np.logical_or.reduce([masks[t]["test"] for t in HOLDOUT_FOLDS])
    for t in TUNE_FOLDS:  # the search never validates on a holdout polymer
        assert not (masks[t]["val"] & holdout_test).any()
    cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs)
    featurizer = FormulationFeaturizer(cfg.featurizer)
    names = list(featurizer.feature_names)
    X = featurizer.transform(rows).features
    y = rows["log10_sigma_S_cm"].to_numpy()
    clock(f"{len(y)} σ rows featurized")

    def params_of(xgb_cfg: dict) -> tuple[dict, int]:
        c = TrainConfig(seed=args.seed, n_jobs=args.n_jobs, xgb={**cfg.xgb, "sigma": xgb_cfg})
        return _xgb_params(c, TARGETS["sigma"], names)

    def fit_predict(xgb_cfg: dict, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        params, n_rounds = params_of(xgb_cfg)
        booster = xgb.train(params, xgb.DMatrix(X[train], label=y[train]), n_rounds)
        return booster.inplace_predict(X[test])

    def val_mae(xgb_cfg: dict) -> float:
        err = []
        for t in TUNE_FOLDS:
            m = masks[t]
            err.append(np.abs(fit_predict(xgb_cfg, m["train"] & ~holdout_test, m["val"]) - y[m["val"]]))
        return float(np.mean(np.concatenate(err)))

    trials_log = []

    def objective(trial) -> float:
        t0 = time.perf_counter()
        cfg_t = sample_params(trial)
        v = val_mae(cfg_t)
        trials_log.append({"trial": trial.number, "val_mae": v, "fit_s": time.perf_counter() - t0, **cfg_t})
        clock(f"trial {trial.number}: validation MAE {v:.3f}")
        return v

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=args.seed))
    default = dict(DEFAULT_XGB["sigma"])
    study.enqueue_trial(default)  # trial 0 is the shipped configuration
    study.optimize(objective, n_trials=args.trials, timeout=args.timeout)
    best = {**default, **study.best_params}
    clock(f"search done: {len(study.trials)} trials, best validation MAE {study.best_value:.3f}")

    rows_out, metrics = [], {"best_val_mae": study.best_value, "default_val_mae": trials_log[0]["val_mae"]}
    for scope, folds in (("holdout folds t=7..11", HOLDOUT_FOLDS), ("all 10 folds", tuple(sorted(masks)))):
        test_rows = np.concatenate([np.flatnonzero(masks[t]["test"]) for t in folds])
        y_t = y[test_rows]
        base = np.concatenate([np.full(masks[t]["test"].sum(), y[masks[t]["train"]].mean()) for t in folds])
        r = regression_metrics(y_t, base, log_units=True)
        rows_out.append({"scope": scope, "model": "mean baseline", "n": len(y_t), "MAE": r["mae"], "R²": r["r2"],
                         "Spearman": r["spearman"]})
        for label, c in (("default configuration", default), ("best of the search", best)):
            pred = np.concatenate([fit_predict(c, masks[t]["train"], masks[t]["test"]) for t in folds])
            r = regression_metrics(y_t, pred, log_units=True)
            rows_out.append({"scope": scope, "model": label, "n": len(y_t), "MAE": r["mae"], "R²": r["r2"],
                             "Spearman": r["spearman"]})
            key = "holdout" if scope.startswith("holdout") else "all"
            metrics[f"{key}.{'best' if label.startswith('best') else 'default'}.mae"] = r["mae"]
        clock(scope)
    args.out.mkdir(parents=True, exist_ok=True)
    trials_csv = args.out / "sigma_hpo_trials.csv"
    pd.DataFrame(trials_log).sort_values("val_mae").to_csv(trials_csv, index=False)
    top = pd.DataFrame(trials_log).sort_values("val_mae").head(5)
    text = "\n".join(
        [
            header("sigma_hpo"),
            f"Optuna TPE (seed {args.seed}), {len(study.trials)} trials in {time.perf_counter() - clock.t0:.0f} s; "
            f"scored on the validation polymers of folds t={','.join(map(str, TUNE_FOLDS))}, never training on "
            f"or validating with the test polymers of folds t={','.join(map(str, HOLDOUT_FOLDS))}.",
            f"validation MAE: default {trials_log[0]['val_mae']:.3f}, best {study.best_value:.3f}",
            "",
            format_table(pd.DataFrame(rows_out)),
            "",
            "best configuration: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.items()),
            "",
            "five best trials (validation MAE):",
            format_table(top.drop(columns=["fit_s"]).round(4), floatfmt="{:.4g}"),
        ]
    )
    finish(
        "sigma_hpo",
        text,
        args,
        params={"seed": args.seed, "trials": len(study.trials), "data_hash": card.data_hash,
                **{f"best.{k}": v for k, v in best.items()}},
        metrics=metrics,
        files=[trials_csv],
    )


if __name__ == "__main__":
    main()
