"""What moves σ accuracy on the grouped splits? One change at a time.

Every variant is spepred's σ model (default features and hyperparameters) with one
change, trained on the same folds as bradford_split.py and formulation_split.py (point
predictions only):

* ``without Li per coordinating site``: the default minus its ``coordination`` block
  (molality x repeat-unit mass / coordinating groups per unit, i.e. mol Li+ per mol of
  ether O, carbonyl, nitrile, ..., and per heavy atom), which was adopted after this
  benchmark showed it helping on both splits;
* ``+ HTP-MD simulated σ``: an XGBoost model of the MD conductivity of ~6,000 polymers
  (Xie et al. 2022), trained on matrix features only, stacked as one feature;
* ``+ HTP-MD σ, Li+ and polymer diffusivities, t+``: the same for four MD properties;
* ``no monotone constraint``, ``weights 1/sqrt(rows per polymer)``, ``absolute-error
  objective``, ``no Morgan fingerprint``, ``shallower trees``, ``half the trees`` (half
  the prediction cost);
* ``per-formulation Arrhenius`` / ``VTF``: a temperature model with physical form — the
  trees see no temperature and predict two numbers per formulation, log10 σ =
  a − b·1000/(T − T0) (b > 0), fitted through that equation (T0 = 0 K: Arrhenius;
  T0 = 150 K: Vogel–Tammann–Fulcher with one T0 for all polymers);
* ``+ nearest-polymer prior``: the mean σ of the 5 most similar training polymers
  (Tanimoto on the matrix Morgan bits; never the row's own polymer) and the similarity of
  the nearest, as features;
* ``+ RadonPy MD properties``: six MD properties of ~1,000 homopolymers (Hayashi et al.
  2022: dielectric constant, self-diffusion, thermal expansion, density, heat capacity,
  bulk modulus), each learned from matrix features and stacked as a feature;
* ``average with ExtraTrees``: the default blended 50/50 with a scikit-learn
  ExtraTreesRegressor on the same features.

Each variant runs on the published polymer split and on the 10-fold split by σ(T) curve.

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
from evaluation import curve_folds, format_table, published_folds
from spepred.models.metrics import regression_metrics
from spepred.models.train import _xgb_params

def _stack(train_X: np.ndarray, targets: dict[str, np.ndarray], rows_X, names, n_jobs, prefix) -> tuple[np.ndarray, list[str]]:
    """Predictions of auxiliary models trained on simulated polymers (matrix features only)."""
    import xgboost as xgb

    cols = [i for i, n in enumerate(names) if n.startswith(("matrix.", "transport."))]
    params = {"eta": 0.05, "max_depth": 6, "subsample": 0.8, "colsample_bytree": 0.5, "nthread": n_jobs, "verbosity": 0, "seed": 0}
    out = []
    for t in targets.values():
        ok = np.isfinite(t)
        booster = xgb.train(params, xgb.DMatrix(train_X[ok][:, cols], label=t[ok]), 600)
        out.append(booster.inplace_predict(rows_X[:, cols]))
    return np.column_stack(out), [f"{prefix}.{k}" for k in targets]


def htpmd_stack(table, rows_X, names, featurizer, n_jobs, all_targets: bool) -> tuple[np.ndarray, list[str]]:
    """HTP-MD (Xie et al. 2022): simulated σ, optionally Li+/polymer diffusivity and t+."""
    h = table[table["source"] == "htpmd2022"].reset_index(drop=True)
    raw = pd.read_csv(fetch("htpmd2022", download=False))
    targets = {"sim_log10_sigma": h["sim_log10_sigma_S_cm"].to_numpy()}
    if all_targets:
        targets |= {
            "sim_log10_li_diffusivity": np.log10(raw["li_diffusivity"].clip(lower=1e-12)).to_numpy(),
            "sim_log10_polymer_diffusivity": np.log10(raw["poly_diffusivity"].clip(lower=1e-12)).to_numpy(),
            "sim_transference_number": raw["transference_number"].to_numpy(),
        }
    return _stack(featurizer.transform(h).features, targets, rows_X, names, n_jobs, "htpmd")


RADONPY_PROPERTIES = ("static_dielectric_const", "self-diffusion", "volume_expansion", "density", "Cp", "bulk_modulus")


def radonpy_stack(table, rows_X, names, featurizer, n_jobs) -> tuple[np.ndarray, list[str]]:
    """RadonPy PI1070 (Hayashi et al. 2022): MD dielectric constant, self-diffusion, thermal
    expansion (log10), density, heat capacity, bulk modulus (log10) of ~1,000 homopolymers."""
    r = table[table["source"] == "radonpy_pi1070"].reset_index(drop=True)
    raw = pd.read_csv(fetch("radonpy_pi1070", download=False)).set_index("monomer_ID")
    raw = raw.loc[r["record_id"].str.split(":").str[1].to_numpy()]
    targets = {}
    for prop in RADONPY_PROPERTIES:
        v = raw[prop].to_numpy(float)
        if prop in ("static_dielectric_const", "self-diffusion", "volume_expansion", "bulk_modulus"):
            v = np.log10(np.where(v > 0, v, np.nan))
        targets[prop] = v
    return _stack(featurizer.transform(r).features, targets, rows_X, names, n_jobs, "radonpy")


def vtf_fit_predict(X, names, y, temp_C, train, test, params, n_rounds, T0):
    """Two outputs per formulation (a, log b) from features without temperature, trained
    through log10 σ = a − b·1000/(T − T0) with a custom objective."""
    import xgboost as xgb

    keep = [i for i, n in enumerate(names) if n not in ("conditions.temperature_C", "conditions.inv_temperature_1000_per_K")]
    u = 1000.0 / np.maximum(temp_C + 273.15 - T0, 20.0)
    p = {k: v for k, v in params.items() if k not in ("monotone_constraints", "objective")}
    p |= {"multi_strategy": "one_output_per_tree", "num_target": 2}
    ytr, utr = y[train], u[train]

    def objective(predt, _dtrain):
        b = np.exp(predt[:, 1])
        r = predt[:, 0] - b * utr - ytr
        return np.column_stack([r, -b * utr * r]), np.column_stack([np.ones_like(r), np.maximum((b * utr) ** 2, 1e-6)])

    start = np.array([ytr.mean() + utr.mean(), 0.0])  # b = 1 (1000 K) to begin with
    dtr = xgb.DMatrix(X[train][:, keep], label=np.zeros((len(train), 2)), base_margin=np.tile(start, (len(train), 1)))
    booster = xgb.train(p, dtr, n_rounds, obj=objective)
    out = booster.predict(xgb.DMatrix(X[test][:, keep], base_margin=np.tile(start, (len(test), 1))), output_margin=True)
    return out[:, 0] - np.exp(out[:, 1]) * u[test]


def polymer_similarity(X, names, groups) -> tuple[np.ndarray, np.ndarray]:
    """Tanimoto similarity between polymers (matrix Morgan bits) and each row's polymer index."""
    bits = [i for i, n in enumerate(names) if n.startswith("matrix.morgan")]
    _, inv = np.unique(groups, return_inverse=True)
    fp = np.zeros((inv.max() + 1, len(bits)), np.float32)
    fp[inv] = X[:, bits] > 0
    inter = fp @ fp.T
    count = fp.sum(1)
    return inter / np.maximum(count[:, None] + count[None, :] - inter, 1.0), inv


def nearest_prior(sim, inv, y, train, k: int = 5) -> np.ndarray:
    """For every row: similarity-weighted mean σ of the k most similar training polymers
    (never its own polymer) and the similarity of the nearest."""
    means = pd.Series(y[train]).groupby(inv[train]).mean()
    ids, values = means.index.to_numpy(), means.to_numpy()
    s = sim[:, ids].copy()
    s[ids, np.arange(len(ids))] = -1.0
    order = np.argsort(-s, axis=1)[:, :k]
    top = np.take_along_axis(s, order, 1)
    w = np.clip(top, 1e-3, None)
    prior = (w * values[order]).sum(1) / w.sum(1)
    return np.column_stack([prior[inv], top[:, 0][inv]])


def main() -> None:
    args = parser(__doc__).parse_args()
    import xgboost as xgb
    from sklearn.ensemble import ExtraTreesRegressor

    clock = Clock()
    table, rows, raw, card = load_rows()
    splits = {"published": published_folds(rows, raw), "curve": curve_folds(rows, 10, seed=args.seed)}
    cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs)
    featurizer = FormulationFeaturizer(cfg.featurizer)
    names = list(featurizer.feature_names)
    X = featurizer.transform(rows).features
    y = rows["log10_sigma_S_cm"].to_numpy()
    temp_C = rows["temperature_C"].to_numpy()
    groups = rows["group"].to_numpy()
    _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    sim, poly = polymer_similarity(X, names, groups)
    base_params, base_rounds = _xgb_params(cfg, TARGETS["sigma"], names)

    def xgb_variant(Xv, nv, over=None, w=None):
        params, n_rounds = _xgb_params(cfg, TARGETS["sigma"], nv)
        if "monotone_constraints" in params:
            params["monotone_constraints"] = "(" + ",".join(str(MONOTONE.get(n, 0)) for n in nv) + ")"
        over = dict(over or {})
        n_rounds = over.pop("_rounds", n_rounds)
        params.update(over)

        def fit_predict(train, test):
            d = xgb.DMatrix(Xv[train], label=y[train], weight=None if w is None else w[train])
            return xgb.train(params, d, n_rounds).inplace_predict(Xv[test])

        return fit_predict

    def with_prior(train, test):
        Xa = np.hstack([X, nearest_prior(sim, poly, y, train)])
        return xgb_variant(Xa, names + ["knn.prior_log10_sigma", "knn.max_similarity"])(train, test)

    def blend_extratrees(Xv, nv):
        Xv_filled = np.nan_to_num(Xv, nan=-999.0)

        def fit_predict(train, test):
            trees = ExtraTreesRegressor(300, min_samples_leaf=3, max_features=0.3, n_jobs=args.n_jobs, random_state=args.seed)
            xgb_pred = xgb_variant(Xv, nv)(train, test)
            return 0.5 * xgb_pred + 0.5 * trees.fit(Xv_filled[train], y[train]).predict(Xv_filled[test])

        return fit_predict

    no_sites = [i for i, n in enumerate(names) if not n.startswith("coordination.")]
    variants: list[tuple[str, object]] = [
        ("default", xgb_variant(X, names)),
        ("without Li per coordinating site", xgb_variant(X[:, no_sites], [names[i] for i in no_sites])),
    ]
    try:
        h1, n1 = htpmd_stack(table, X, names, featurizer, args.n_jobs, all_targets=False)
        h4, n4 = htpmd_stack(table, X, names, featurizer, args.n_jobs, all_targets=True)
        variants += [
            ("+ HTP-MD simulated σ (stacked)", xgb_variant(np.hstack([X, h1]), names + n1)),
            ("+ HTP-MD σ, Li+/polymer diffusivity, t+", xgb_variant(np.hstack([X, h4]), names + n4)),
        ]
        clock("HTP-MD auxiliary models")
    except Exception as err:
        clock(f"HTP-MD not available: {err}")
    try:
        r6, rn = radonpy_stack(table, X, names, featurizer, args.n_jobs)
        variants.append(("+ RadonPy MD properties (6, stacked)", xgb_variant(np.hstack([X, r6]), names + rn)))
        clock("RadonPy auxiliary models")
    except Exception as err:
        clock(f"RadonPy not available: {err}")
    no_morgan = [i for i, n in enumerate(names) if "morgan" not in n]
    variants += [
        ("+ nearest-polymer prior (5 most similar)", with_prior),
        (
            "per-formulation Arrhenius (T0 = 0 K)",
            lambda tr, te: vtf_fit_predict(X, names, y, temp_C, tr, te, base_params, base_rounds, 0.0),
        ),
        (
            "per-formulation VTF (T0 = 150 K)",
            lambda tr, te: vtf_fit_predict(X, names, y, temp_C, tr, te, base_params, base_rounds, 150.0),
        ),
        ("average with ExtraTrees", blend_extratrees(X, names)),
        ("no monotone constraint in T", xgb_variant(X, names, {"monotone_constraints": "()"})),
        ("weights 1/sqrt(rows per polymer)", xgb_variant(X, names, w=1.0 / np.sqrt(counts[inv]))),
        ("absolute-error objective", xgb_variant(X, names, {"objective": "reg:absoluteerror"})),
        ("no Morgan fingerprint", xgb_variant(X[:, no_morgan], [names[i] for i in no_morgan])),
        ("shallower trees (depth 4, min child 10)", xgb_variant(X, names, {"max_depth": 4, "min_child_weight": 10})),
        ("half the trees (300, learning rate 0.08)", xgb_variant(X, names, {"eta": 0.08, "_rounds": 300})),
    ]
    out, metrics = [], {}
    for label, fit_predict in variants:
        rec = {"variant": label}
        t0 = time.perf_counter()
        for split, folds in splits.items():
            pred = np.full(len(y), np.nan)
            for fold in folds:
                pred[fold.test] = fit_predict(fold.train, fold.test)
            m = ~np.isnan(pred)
            r = regression_metrics(y[m], pred[m], log_units=True)
            rec |= {f"{split} MAE": r["mae"], f"{split} R²": r["r2"]}
            if split == "published":
                rec |= {"Spearman": r["spearman"], "within 1 order": r["within_1_order"]}
            metrics[f"{len(out) + 1}.{split}.mae"] = r["mae"]
        rec["fit s"] = time.perf_counter() - t0
        out.append(rec)
        clock(label)
    frame = pd.DataFrame(out)
    for split in splits:
        col = list(frame.columns).index(f"{split} MAE") + 1
        frame.insert(col, f"Δ {split}", frame[f"{split} MAE"] - frame[f"{split} MAE"].iloc[0])
    text = "\n".join(
        [
            header("sigma_ablation"),
            "σ in log10(S/cm); one change per row against the default; point predictions. 'published': the "
            "published 10-fold polymer split; 'curve': 10 folds grouped by σ(T) curve; Δ = MAE − default MAE.",
            "",
            format_table(frame),
            "",
            f"total {time.perf_counter() - clock.t0:.0f} s",
        ]
    )
    finish("sigma_ablation", text, args, params={"seed": args.seed, "data_hash": card.data_hash}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
