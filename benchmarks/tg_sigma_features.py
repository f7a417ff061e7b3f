"""Issue 17, item 2: does the predicted Tg help the σ model? Six arms, three evaluations.

Arms (all the same XGBoost σ fit: the σ parameters of
:class:`~spepred.models.config.TrainConfig`, point predictions, no intervals):

* **σ features**: the shipped featurizer, σ monotone in temperature (the shipped model);
* **+ Tg features**: three more columns of the row's matrix: the predicted Tg (K), T − Tg
  (constrained increasing) and the VTF term 1000 / (T − Tg + 50 K) (constrained
  decreasing; NaN at or below T0);
* **VTF-x**: temperature enters *only* as x = 1000 / (T − T0), T0 = Tg − 50 K per
  formulation, monotone decreasing (:meth:`spepred.models.vtf.VtfTemperature.transform`);
* **VTF-x in dry systems**: VTF-x on the rows without liquid or filler (regimes
  ``dry_linear`` and ``dry_network``), T and 1000/T as in the shipped model on gels and
  composites (``only=`` of the same transform). Added after VTF-x's regime table showed it
  better on dry linear polymers and worse on gels: in a gel the liquid, not the polymer's
  segmental motion, carries the ions, so the polymer's Tg is the wrong T0 there. Chosen
  after seeing those test rows, so its regime-table figure is optimistic;
* **strict VTF**: log10 σ = A_ref − b (x − x_ref), A_ref a booster without temperature,
  b per regime from the training curves (:class:`spepred.models.vtf.TwoStageVtf`),
  predictions clipped to the fold's training label range;
* **strict VTF, flat below Tg**: the same with ``min_gap_K = 50`` (x capped at 20): VTF
  above the predicted Tg, σ held at its value at Tg below it (the glassy state, where the
  segmental account no longer holds; a predicted Tg wrong by tens of kelvin then no longer
  sends x towards infinity near the measured temperatures).

T ≤ T0 + 5 K takes the capped x = 200 in the first two VTF forms: the formulation's floor
(:mod:`spepred.models.vtf`). T0 = Tg − 50 K is WLF's C2 = 51.6 K (Williams, Landel, Ferry,
J. Am. Chem. Soc. 1955, 77, 3701, doi:10.1021/ja01619a008).

Tg is the shipped recipe (:mod:`spepred.models.tg`) fitted once on all of PolyMetriX (side
information the bundle also carries; no σ label enters it); a matrix of several repeat
units gets the mean of their Tg.

Evaluations (``--evaluations``, default all three):

* ``published``: the published Bradford polymer split
  (:func:`evaluation.published_folds`, 10 folds, fixed);
* ``curves``: folds grouped by σ(T) curve (:func:`evaluation.curve_folds`,
  ``--curve-folds``, default 5: the CPU is shared; ``formulation_split.py`` uses 10);
* ``regimes``: held-out papers on the non-Bradford systems, the folds of
  ``benchmarks/regimes.py`` (``--regime-folds``, default 5; regimes.py defaults to 10), σ
  only, each arm against the regime mean per regime. Bradford always trains.

Run: SPEPRED_DATA_MIRROR=../shared/data OMP_NUM_THREADS=1 python benchmarks/tg_sigma_features.py --no-mlflow --n-jobs 1
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, load_rows, parser

ARMS = {
    "base": "σ features",
    "tg": "+ Tg, T−Tg, VTF term",
    "vtf_x": "VTF-x (T only as x)",
    "vtf_x_dry": "VTF-x in dry systems",
    "vtf_strict": "strict VTF (b per regime)",
    "vtf_strict_tg": "strict VTF, flat below Tg",
}
EVALUATIONS = ("published", "curves", "regimes")
TG_FEATURES = ("tg:Tg_K", "tg:T_minus_Tg_K", "tg:vtf_1000_over_T_minus_Tg_plus_50K")


def tg_predictor(n_jobs: int, seed: int) -> Callable[[pd.DataFrame], np.ndarray]:
    """A function giving the predicted Tg (K) of every row's matrix: the Tg recipe's booster
    fitted once on PolyMetriX; several repeat units get the mean of their Tg."""
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

    def tg_of_rows(rows: pd.DataFrame) -> np.ndarray:
        codes, uniques = pd.factorize(rows["monomer_smiles"].astype(str))
        units = [_joined_units(u).split(".") for u in uniques]
        flat = sorted({c for us in units for c in us})
        uf = featurizer.transform({"monomer_smiles": np.array(flat, dtype=object)})
        tg_unit = dict(zip(flat, booster.inplace_predict(uf.features), strict=True))
        per_matrix = np.array([np.mean([tg_unit[c] for c in us]) for us in units])
        return per_matrix[codes]

    return tg_of_rows


class ArmFits:
    """The feature matrices of every arm for one σ table, and one fit per (arm, fold)."""

    def __init__(self, rows: pd.DataFrame, tg_K: np.ndarray, config) -> None:
        from spepred.data.regimes import regime
        from spepred.featurize import FormulationFeaturizer
        from spepred.models.config import TARGETS
        from spepred.models.train import _xgb_params
        from spepred.models.vtf import TEMPERATURE_FEATURES, VtfTemperature, monotone_constraints

        featurizer = FormulationFeaturizer(config.featurizer)
        X0 = featurizer.transform(rows, source="benchmark").features
        names0 = featurizer.feature_names
        spec = TARGETS["sigma"]
        self.y = rows["log10_sigma_S_cm"].to_numpy(float)
        self.curves = rows["curve_id"].astype(str).to_numpy()
        self.classes = regime(rows).to_numpy(dtype=object)
        t_C = rows["temperature_C"].to_numpy(float)
        self.tg = tg_K
        self.vtf = VtfTemperature()
        self.x = self.vtf.x(t_C, tg_K)
        self.below_t0 = self.vtf.below_t0(t_C, tg_K)
        self.below_tg = t_C + 273.15 < tg_K
        self.slopes: dict[str, list[dict[str, float]]] = {}
        # + Tg features
        dt = t_C + 273.15 - tg_K
        term = np.where(dt + 50.0 > 0, 1000.0 / np.maximum(dt + 50.0, 1e-9), np.nan)
        X1, names1 = np.column_stack([X0, tg_K, dt, term]), [*names0, *TG_FEATURES]
        p1, n_rounds = _xgb_params(config, spec, names1)
        cons = p1["monotone_constraints"].strip("()").split(",")
        cons[-2:] = ["1", "-1"]  # T − Tg rises with T, the VTF term falls
        p1["monotone_constraints"] = "(" + ",".join(cons) + ")"
        # VTF-x
        Xv, namesv = self.vtf.transform(X0, names0, t_C, tg_K)
        pv, _ = _xgb_params(config.with_(monotone_temperature=False), spec, namesv)
        pv["monotone_constraints"] = monotone_constraints(namesv)
        dry = np.isin(self.classes, ("dry_linear", "dry_network"))
        Xd, namesd = self.vtf.transform(X0, names0, t_C, tg_K, only=dry)
        pd_, _ = _xgb_params(config.with_(monotone_temperature=False), spec, namesd)
        pd_["monotone_constraints"] = monotone_constraints(namesd)
        # strict VTF: no temperature column at all
        keep = [i for i, n in enumerate(names0) if n not in TEMPERATURE_FEATURES]
        ps, _ = _xgb_params(config.with_(monotone_temperature=False), spec, [names0[i] for i in keep])
        self.vtf_tg = VtfTemperature(min_gap_K=50.0)
        self.x_tg = self.vtf_tg.x(t_C, tg_K)
        self.n_rounds = n_rounds
        self.arms = {
            "base": (X0, _xgb_params(config, spec, names0)[0]),
            "tg": (X1, p1),
            "vtf_x": (Xv, pv),
            "vtf_x_dry": (Xd, pd_),
            "vtf_strict": (X0[:, keep], ps),
            "vtf_strict_tg": (X0[:, keep], ps),
        }

    def fit_predict(self, arm: str, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        from spepred.models.train import fit_booster
        from spepred.models.vtf import TwoStageVtf

        X, params = self.arms[arm]
        if not arm.startswith("vtf_strict"):
            return fit_booster(X[train], self.y[train], None, params, self.n_rounds).inplace_predict(X[test])
        vtf, x = (self.vtf, self.x) if arm == "vtf_strict" else (self.vtf_tg, self.x_tg)
        model = TwoStageVtf(params, self.n_rounds, x_max=vtf.x_max).fit(
            X[train], self.y[train], x[train], self.curves[train], self.classes[train]
        )
        self.slopes.setdefault(arm, []).append({"all": model.b_global_, **model.b_by_class_})
        pred = model.predict(X[test], x[test], self.classes[test])
        return np.clip(pred, self.y[train].min(), self.y[train].max())


def _metrics_table(fits: ArmFits, test: np.ndarray, preds: dict[str, np.ndarray], arms) -> pd.DataFrame:
    from evaluation import within_curve_rmse
    from spepred.models.metrics import regression_metrics

    out = []
    for arm in arms:
        m = regression_metrics(fits.y[test], preds[arm][test], log_units=True)
        shape = within_curve_rmse(
            pd.DataFrame({"curve_id": fits.curves[test], "y_true": fits.y[test], "y_pred": preds[arm][test]})
        )
        err = np.abs(preds[arm][test] - fits.y[test])
        below = fits.below_tg[test]
        out.append({"arm": ARMS[arm], "n": int(m["n"]), "mae": m["mae"], "rmse": m["rmse"], "r2": m["r2"],
                    "spearman": m["spearman"], "within_1_order": m["within_1_order"], "within_curve_rmse": shape,
                    "mae T>=Tg": float(err[~below].mean()), "mae T<Tg": float(err[below].mean())})
    return pd.DataFrame(out)


def _run_folds(fits: ArmFits, folds, arms, clock, label: str) -> dict[str, np.ndarray]:
    preds = {arm: np.full(len(fits.y), np.nan) for arm in arms}
    fits.slopes = {}  # the strict forms' slopes of this evaluation's folds
    for arm in arms:
        for name, tr, te in folds:
            preds[arm][te] = fits.fit_predict(arm, tr, te)
        clock(f"{label}: {ARMS[arm]}")
    return preds


def _slope_lines(fits: ArmFits) -> list[str]:
    lines = []
    for arm, slopes in fits.slopes.items():
        s = pd.DataFrame(slopes)
        parts = [f"{c} {s[c].mean():.3f}" + (f" ({s[c].notna().sum()}/{len(s)} folds)" if s[c].isna().any() else "")
                 for c in s.columns]
        lines.append(f"{ARMS[arm]}: b (log10 S/cm per 1000/K, mean over folds): " + ", ".join(parts))
    return lines


def _below_line(fits: ArmFits, test: np.ndarray) -> str:
    return (f"test rows below their predicted Tg: {fits.below_tg[test].mean():.3f}; at or below T0 + 5 K "
            f"(capped x, a floor): {int(fits.below_t0[test].sum())}")


def published(args, arms, fits: ArmFits, rows, raw, clock, metrics) -> list[str]:
    from evaluation import format_table, published_folds

    folds = [(f.name, f.train, f.test) for f in published_folds(rows, raw)]
    preds = _run_folds(fits, folds, arms, clock, "published")
    test = np.concatenate([te for _, _, te in folds])
    table = _metrics_table(fits, test, preds, arms)
    per_fold = pd.DataFrame(
        [{"fold": name, **{ARMS[a]: float(np.mean(np.abs(preds[a][te] - fits.y[te]))) for a in arms}}
         for name, _, te in folds]
    )
    _record(metrics, "published", table)
    return [
        f"1. Published polymer split (Bradford et al. 2023): {len(folds)} folds, {len(test)} test rows "
        "(rows of the other sources always train).",
        _below_line(fits, test),
        "",
        format_table(table),
        "",
        "MAE per fold (log10 S/cm)",
        format_table(per_fold),
        *_slope_lines(fits),
        "",
    ]


def curves(args, arms, fits: ArmFits, rows, raw, clock, metrics) -> list[str]:
    from evaluation import curve_folds, format_table

    folds = [(f.name, f.train, f.test) for f in curve_folds(rows, args.curve_folds, seed=args.seed)]
    preds = _run_folds(fits, folds, arms, clock, "curves")
    test = np.concatenate([te for _, _, te in folds])
    table = _metrics_table(fits, test, preds, arms)
    _record(metrics, "curves", table)
    return [
        f"2. Split grouped by σ(T) curve: {len(folds)} folds (seed {args.seed}), {len(test)} test rows.",
        _below_line(fits, test),
        "",
        format_table(table),
        *_slope_lines(fits),
        "",
    ]


def regimes(args, arms, fits: ArmFits, rows, raw, clock, metrics) -> list[str]:
    import regimes as rg

    from evaluation import format_table

    sigma_only = tuple(p for p in rg.PROPERTIES if p[0] == "sigma")
    scored = rg.test_mask(rows, sigma_only)
    fold = np.full(len(rows), -1)
    fold[scored] = rg.make_folds(rows["paper"].to_numpy()[scored], rows["regime"].to_numpy()[scored],
                                 args.regime_folds, args.seed)
    folds = [(str(f), np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in sorted(set(fold[fold >= 0]))]
    preds = _run_folds(fits, folds, arms, clock, "regimes")
    mean = np.full(len(rows), np.nan)
    for _, tr, te in folds:
        means, overall = rg.regime_means(rows.iloc[tr], "log10_sigma_S_cm")
        mean[te] = rows["regime"].iloc[te].map(means).fillna(overall).to_numpy(float)
    test = np.concatenate([te for _, _, te in folds])
    t = rows.iloc[test]
    slices = [(r, (t["regime"] == r).to_numpy()) for r in ("dry_linear", "dry_network", "gel", "composite")]
    slices += [("crosslinked", t["crosslinked"].to_numpy(bool)), ("not crosslinked", ~t["crosslinked"].to_numpy(bool)),
               ("all", np.ones(len(t), bool))]
    out = []
    y = fits.y[test]
    for name, m in slices:
        if not m.any():
            continue
        rec = {"regime": name, "n": int(m.sum()), "papers": int(t["paper"][m].nunique()),
               "regime mean": float(np.mean(np.abs(mean[test][m] - y[m])))}
        for arm in arms:
            rec[ARMS[arm]] = float(np.mean(np.abs(preds[arm][test][m] - y[m])))
        out.append(rec)
    summary = pd.DataFrame(out)
    for rec in out:
        for arm in arms:
            metrics[f"regimes.{arm}.{rec['regime'].replace(' ', '_')}.mae"] = rec[ARMS[arm]]
    return [
        f"3. Held-out papers on the non-Bradford systems (the folds of `benchmarks/regimes.py --properties sigma "
        f"--folds {args.regime_folds}`, seed {args.seed}): {len(test)} test rows from {t['paper'].nunique()} papers; "
        "MAE (log10 S/cm) of each arm and of the regime mean (the fold's mean training label of the row's regime).",
        _below_line(fits, test),
        "",
        format_table(summary),
        *_slope_lines(fits),
        "",
    ]


def _record(metrics: dict, evaluation: str, table: pd.DataFrame) -> None:
    keys = {v: k for k, v in ARMS.items()}
    for rec in table.to_dict("records"):
        for m in ("mae", "rmse", "r2", "spearman", "within_1_order", "within_curve_rmse", "mae T>=Tg", "mae T<Tg"):
            metrics[f"{evaluation}.{keys[rec['arm']]}.{m.replace(' ', '_').replace('>=', 'ge').replace('<', 'lt')}"] = rec[m]


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--evaluations", default=",".join(EVALUATIONS), help=f"comma-separated subset of {EVALUATIONS}")
    ap.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated subset of {tuple(ARMS)}")
    ap.add_argument("--curve-folds", type=int, default=5, help="folds of the curve split (default 5)")
    ap.add_argument("--regime-folds", type=int, default=5, help="folds of papers of the regime table (default 5)")
    args = ap.parse_args()
    evaluations = [e for e in args.evaluations.split(",") if e]
    arms = [a for a in args.arms.split(",") if a]
    bad = [e for e in evaluations if e not in EVALUATIONS] + [a for a in arms if a not in ARMS]
    if bad or not evaluations or not arms:
        ap.error(f"unknown or empty --evaluations/--arms: {bad}; known {EVALUATIONS} and {tuple(ARMS)}")
    from spepred.models.config import TrainConfig

    from spepred.data.regimes import crosslinked, regime
    from spepred.data.splits import paper_key

    clock = Clock()
    config = TrainConfig().with_(targets=("sigma",), seed=args.seed, n_jobs=args.n_jobs)
    tg_of = tg_predictor(args.n_jobs, args.seed)
    clock("Tg model fitted on PolyMetriX")
    _, rows, raw, card = load_rows()
    rows = rows.assign(regime=regime(rows).to_numpy(), crosslinked=crosslinked(rows).to_numpy(),
                       paper=paper_key(rows["group"]).to_numpy())
    fits = ArmFits(rows, tg_of(rows), config)
    clock(f"{len(rows)} σ rows of the default sources x {fits.arms['base'][0].shape[1]} features, every arm's matrix")
    metrics: dict[str, float] = {}
    runners = {"published": published, "curves": curves, "regimes": regimes}
    lines = [
        header("tg_sigma_features"),
        "σ model with the predicted Tg of the matrix (PolyMetriX recipe, all polymers): the same XGBoost σ fit per arm, "
        "point predictions, log10 S/cm. T0 = Tg − 50 K.",
        "Arms: σ features (shipped); + Tg, T−Tg, 1000/(T−Tg+50 K) as features; VTF-x: temperature only as "
        "x = 1000/(T−T0), monotone; VTF-x in dry systems: VTF-x on dry linear and dry network rows, T and 1000/T "
        "on gels and composites; strict VTF: A_ref(formulation) − b_regime·(x − 10), b from training curves "
        "(x capped at 200, i.e. T − T0 >= 5 K; 'flat below Tg': capped at 20, i.e. T − T0 >= 50 K).",
        "within_curve_rmse: held-out curves with >= 3 temperatures, each curve's mean residual removed (shape only); "
        "mae T>=Tg / T<Tg: test rows above / below their matrix's predicted Tg.",
        "",
    ]
    for e in evaluations:
        lines += runners[e](args, arms, fits, rows, raw, clock, metrics)
    lines.append(f"total {time.perf_counter() - clock.t0:.0f} s")
    finish(
        "tg_sigma_features",
        "\n".join(lines),
        args,
        params={"seed": args.seed, "data_hash": card.data_hash, "evaluations": ",".join(evaluations), "arms": ",".join(arms),
                "curve_folds": args.curve_folds, "regime_folds": args.regime_folds},
        metrics=metrics,
        files=[],
    )


if __name__ == "__main__":
    main()
