"""Screening σ recipes on the regime evaluation, point predictions only (fast).

The folds of ``benchmarks/regimes.py`` (whole papers outside Bradford, StratifiedGroupKFold
by regime; Bradford always trains), but each variant is one XGBoost fit per fold on
features computed once: no inner CV, no intervals, no bundle. It ranks candidates cheaply;
the two best are then run through ``regimes.py`` (the recipe as ``spepred train`` runs it,
with intervals). Variants:

* ``today``: today's blocks and booster;
* ``+ content``: liquid content (wt%, per liquid class), filler loading per class,
  crosslinker content (``content`` block);
* ``+ liquid``: the liquid components alone; ``+ liquid + content``: both (``liquid`` block: classes,
  size, polar groups);
* ``weights regime^0.5`` / ``weights source^0.5`` / ``^1``: rows weighted by
  (n / (k n_kind))^power, so that the dry linear rows do not drown the others;
* ``+ regime features``: the row's regime and crosslinked-or-not as features (one model
  with regime features);
* ``no Morgan bits``: without the matrix fingerprint (fewer ways to memorize a paper's
  polymer);
* ``regularized``: depth 4, min_child_weight 10.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/sigma_regimes_screen.py --folds 5
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, parser
from regimes import _load_table, make_folds, regime_means

from spepred.data.regimes import REGIMES
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.models.config import TARGETS, TrainConfig
from spepred.models.report import format_table
from spepred.models.train import _xgb_params, fit_booster, sample_weights

SIGMA = "log10_sigma_S_cm"
BEFORE = ("matrix", "transport", "crosslinker", "filler", "salt", "conditions", "coordination")
ALL_BLOCKS = (*BEFORE, "liquid", "content")

#: name -> (blocks, drop-feature prefixes, TrainConfig changes, xgb changes, regime features)
VARIANTS: dict[str, tuple] = {
    "today": (BEFORE, (), {}, {}, False),
    # without the liquid block, the content block has no liquid classes to split by
    "+ content": ((*BEFORE, "content"), ("content.liquid_wt_pct_",), {}, {}, False),
    "+ liquid + content": (ALL_BLOCKS, (), {}, {}, False),
    "weights regime^0.5": (BEFORE, (), {"weighting": "regime"}, {}, False),
    "weights source^0.5": (BEFORE, (), {"weighting": "source"}, {}, False),
    "+ content & weights regime^0.5": ((*BEFORE, "content"), ("content.liquid_wt_pct_",), {"weighting": "regime"}, {},
                                      False),
    "+ regime features": (BEFORE, (), {}, {}, True),
    "no Morgan bits": (BEFORE, ("matrix.morgan",), {}, {}, False),
    "no Morgan & weights source^0.5": (BEFORE, ("matrix.morgan",), {"weighting": "source"}, {}, False),
    "weights source^1": (BEFORE, (), {"weighting": "source", "weighting_power": 1.0}, {}, False),
    "+ liquid": ((*BEFORE, "liquid"), (), {}, {}, False),
    "regularized": (BEFORE, (), {}, {"max_depth": 4, "min_child_weight": 10.0}, False),
}


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--folds", type=int, default=5, help="folds of whole papers (default 5)")
    ap.add_argument("--variants", default=";".join(VARIANTS), help="variant names separated by ';'")
    args = ap.parse_args()
    names = [v.strip() for v in args.variants.split(";") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s) {unknown}; known: {list(VARIANTS)}")
    clock = Clock()
    table, card = _load_table(clock)
    rows = table[table[SIGMA].notna()].reset_index(drop=True)
    y = rows[SIGMA].to_numpy(float)
    scored = (rows["source"] != "bradford2023").to_numpy()
    fold = np.full(len(rows), -1)
    fold[scored] = make_folds(rows["paper"].to_numpy()[scored], rows["regime"].to_numpy()[scored], args.folds, args.seed)
    feat = FormulationFeaturizer(FeaturizerConfig(blocks=ALL_BLOCKS))
    res = feat.transform(rows, source="screen")
    if res.errors:
        raise SystemExit(f"{len(res.errors)} rows not featurized, e.g. {res.errors[0]}")
    X_all, all_names = res.features, feat.feature_names
    regime_onehot = np.column_stack(
        [(rows["regime"] == r).to_numpy(float) for r in REGIMES] + [rows["crosslinked"].to_numpy(float)]
    ).astype(np.float32)
    clock(f"{len(rows)} σ rows x {X_all.shape[1]} features; {int(scored.sum())} scored in {fold.max() + 1} folds")
    ids = rows[["source", "regime"]]
    out_rows, preds = [], {}
    for name in names:
        blocks, drop, cfg_changes, xgb_changes, with_regime = VARIANTS[name]
        keep = [i for i, n in enumerate(all_names) if n.split(".")[0] in blocks and not n.startswith(drop or ("\0",))]
        X = X_all[:, keep]
        cols = [all_names[i] for i in keep]
        if with_regime:
            X = np.hstack([X, regime_onehot])
            cols = [*cols, *(f"regime.{r}" for r in REGIMES), "regime.crosslinked"]
        cfg = TrainConfig(seed=args.seed, n_jobs=args.n_jobs, **cfg_changes)
        params, n_rounds = _xgb_params(cfg, TARGETS["sigma"], cols)
        params.update({k: v for k, v in xgb_changes.items()})
        w = sample_weights(ids, cfg)
        pred = np.full(len(rows), np.nan)
        base = np.full(len(rows), np.nan)
        t0 = time.perf_counter()
        for f in range(fold.max() + 1):
            te, tr = fold == f, fold != f
            booster = fit_booster(X[tr], y[tr], None, params, n_rounds, None if w is None else w[tr])
            pred[te] = booster.inplace_predict(X[te])
            means, overall = regime_means(rows[tr], SIGMA)
            base[te] = rows.loc[te, "regime"].map(means).fillna(overall).to_numpy(float)
        clock(f"{name}: {time.perf_counter() - t0:.0f} s")
        preds[name] = pred
        rec = {"variant": name}
        for r in (*REGIMES, "all"):
            m = scored & ((rows["regime"] == r).to_numpy() if r != "all" else True)
            mae = float(np.abs(pred[m] - y[m]).mean())
            rec[f"{r} MAE"] = mae
            rec[f"{r} / mean"] = mae / float(np.abs(base[m] - y[m]).mean())
        g = scored & (rows["regime"] == "gel").to_numpy()
        rec["gel bias"] = float((pred[g] - y[g]).mean())
        out_rows.append(rec)
    summary = pd.DataFrame(out_rows)
    base_rec = {"variant": "regime mean (MAE)"}
    for r in (*REGIMES, "all"):
        m = scored & ((rows["regime"] == r).to_numpy() if r != "all" else True)
        base_rec[f"{r} MAE"] = float(np.abs(base[m] - y[m]).mean())
    wall = time.perf_counter() - clock.t0
    text = "\n".join(
        [
            header("sigma_regimes_screen"),
            f"σ recipes on the folds of regimes.py ({fold.max() + 1} folds of whole papers, seed {args.seed}; "
            f"{int(scored.sum())} scored rows outside Bradford, Bradford always trains). One XGBoost fit per fold, "
            "point predictions only (no inner CV, no intervals). '/ mean' = MAE over the regime-mean MAE of the same rows.",
            "",
            format_table(summary),
            "",
            "regime mean: " + ", ".join(f"{k} {v:.3f}" for k, v in base_rec.items() if k != "variant"),
            "",
            f"total {wall:.0f} s",
        ]
    )
    metrics = {f"{r['variant']}.{k}".replace(" ", "_").replace("/", "over").replace("^", "pow").replace("+", "plus")
               .replace(",", ""): float(v) for r in out_rows for k, v in r.items() if k != "variant"}
    finish("sigma_regimes_screen", text, args, params={"folds": int(fold.max() + 1), "seed": args.seed,
           "data_hash": card.data_hash}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
