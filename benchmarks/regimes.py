"""The evaluation that matches the mission: held-out papers, non-Bradford systems, per regime.

Every labelled row outside Bradford (the review, ``hatakeyama2022``, ``literature``) is a
test row exactly once. Papers are the unit held out: a row's paper is its DOI whatever the
source (a DOI that two sources share is one paper), else its source's own group (a review
reference, a literature URL, Hatakeyama's unreferenced rows as one group). Leaving one paper
out over ~230 papers would fit spepred ~230 times (hours on 2 cores), so the papers are
dealt into ``--folds`` folds (default 10) with scikit-learn's ``StratifiedGroupKFold``,
stratified by regime so that every regime is held out in every fold it can be.

In each fold three predictors meet the same test rows:

* **model**: spepred's training recipe (:func:`spepred.models.train.train_models`, the
  function ``spepred train`` calls, inner grouped CV for the intervals, bundle written and
  read back through the Predictor) fitted on every other row: all of Bradford (never a test
  row), the other folds' papers, and the auxiliary sources as in ``spepred train``;
* **regime mean**: the mean of the fold's training labels of the test row's regime
  (Bradford rows included: they are training rows; in model space, log10 for strength);
* **shipped**: ``models/default`` as it was at the start of the regimes issue (commit
  ``a36bf70``, ``--shipped-ref``), extracted from git history into a temporary directory, so
  the baseline stays the same bundle after ``models/default`` is retrained. It was trained
  on the sources of that time, which include the review: on review rows it has seen the
  answer. It has seen no Hatakeyama or literature row.

Each property is reported per regime (``spepred.data.regimes``) and crosslinked or not:
labels, papers, MAE of the three, the model's mean error (bias, predicted minus measured)
and the share of measured values inside the model's 90 % interval. σ in log10 S/cm, window
in V, strength in log10 MPa, the Li+ transference number ``t_li`` (t+) as it is.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/regimes.py

Screening (σ only, 5 folds, 2 inner folds, a candidate recipe of :data:`CANDIDATES`):
python benchmarks/regimes.py --properties sigma --folds 5 --inner-folds 2 --candidate default
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _bench import ROOT, Clock, finish, header, parser

from spepred.data.splits import paper_key
from spepred.featurize.formulation import DEFAULT_BLOCKS
from spepred.models.config import STRENGTH_FEATURES

if TYPE_CHECKING:
    from spepred.models.config import TrainConfig

#: Sources of the evaluation table; Bradford rows only ever train.
SOURCES = ("pei2025_review", "bradford2023", "htpmd2022", "radonpy_pi1070", "hatakeyama2022", "literature")
TRAIN_ONLY = "bradford2023"
#: (key, label column, unit of the reported errors)
PROPERTIES = (
    ("sigma", "log10_sigma_S_cm", "log10(S/cm)"),
    ("esw", "esw_V", "V"),
    ("strength", "strength_MPa", "log10(MPa)"),
    ("tli", "t_li", "1"),
)
LOG_LABELS = {"strength_MPa"}
#: The commit whose ``models/default`` is the shipped baseline: the bundle of the start of
#: the regimes issue (issue 16), before any retraining on its evaluation.
SHIPPED_REF = "a36bf70"
SHIPPED_PATH = "models/default"
#: Recipes screened on this evaluation: name -> changes to :class:`TrainConfig` (the
#: featurizer's by ``featurizer``, the σ booster's by ``xgb_sigma``). ``default`` is
#: the current :class:`TrainConfig`; the others name what they change.
_NOT_OXIDATION = ["*", "!oxidation.*"]
_TODAY = {"weighting": "none"}
_LIQUID = {"featurizer": {"blocks": (*DEFAULT_BLOCKS, "liquid", "content")}, "weighting": "none"}
_CONTENT = {"featurizer": {"blocks": (*DEFAULT_BLOCKS, "content")}, "weighting": "none"}
_W_REGIME = {"weighting": "regime", "weighting_power": 0.5}
CANDIDATES: dict[str, dict] = {
    "default": {},
    # window and strength as shipped on 2026-12-01: every feature but the oxidation block
    # (fingerprints included), half of them per tree, depth 2 (the window's default now)
    "esw_strength_shipped_recipe": {
        "features": {"sigma": _NOT_OXIDATION, "esw": _NOT_OXIDATION, "strength": _NOT_OXIDATION, "tli": _NOT_OXIDATION},
        "xgb_strength": {"max_depth": 2, "colsample_bytree": 0.5},
    },
    # every feature, the oxidation block included
    "esw_strength_every_feature": {
        "features": {"sigma": _NOT_OXIDATION, "esw": ["*"], "strength": ["*"], "tli": ["*"]},
        "xgb_strength": {"max_depth": 2, "colsample_bytree": 0.5},
    },
    # the oxidation chemistry and the liquid flag only, depth 2, every feature per tree
    "esw_strength_oxidation_small": {
        "features": {"sigma": _NOT_OXIDATION, "esw": ["oxidation.*", "conditions.plasticized", "liquid.*"],
                     "strength": ["oxidation.*", "conditions.plasticized"], "tli": _NOT_OXIDATION},
        "xgb_esw": {"colsample_bytree": 1.0},
        "xgb_strength": {"max_depth": 2},
    },
    # additive stumps on the oxidation chemistry and the regime's components (liquid,
    # filler and its loading, network and its functionality): the strength's default
    "esw_strength_regime_stumps": {
        "features": {"sigma": _NOT_OXIDATION, "esw": list(STRENGTH_FEATURES), "strength": list(STRENGTH_FEATURES),
                     "tli": [*STRENGTH_FEATURES, "salt.*", "transport.anionic_site_*"]},
        "xgb_esw": {"max_depth": 1, "colsample_bytree": 1.0},
        "xgb_tli": {"max_depth": 1, "colsample_bytree": 1.0},
    },
    # σ (issue 16 item 2): the recipe of the start of the issue, rows weighted by regime,
    # and the liquid and content blocks (docs/benchmarks.md, choosing the σ recipe)
    "today": _TODAY,
    "w_regime": {**_TODAY, **_W_REGIME},
    "liquid": _LIQUID,
    "liquid_w_regime": {**_LIQUID, **_W_REGIME},
    "content": _CONTENT,
    "content_w_regime": {**_CONTENT, **_W_REGIME},
    # a base model plus regime offsets (spepred.models.offsets): the model's mean error on
    # held-out papers of each regime cell, shrunk by 5 or 20 papers, subtracted
    "offsets_sigma_5": {"offsets": {"sigma": 5}},
    "offsets_sigma_20": {"offsets": {"sigma": 20}},
    "offsets_all_5": {"offsets": {"sigma": 5, "esw": 5, "strength": 5, "tli": 5}},
}
PREDICTORS = ("model", "regime_mean", "shipped")


def extract_shipped(ref: str, dest: Path) -> Path:
    """``models/default`` at commit ``ref``, extracted from this checkout's git history into
    ``dest`` (the bundle of that commit, whatever ``models/default`` holds now). Exits with
    a message naming the ref when git or the history is not there."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", ref, SHIPPED_PATH],
            capture_output=True, check=False, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        sys.exit(f"cannot read the shipped bundle {SHIPPED_PATH} at {ref} from git ({err}); "
                 "pass --shipped DIR (a bundle directory) or --no-shipped")
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["git failed"]
        sys.exit(f"cannot read the shipped bundle {SHIPPED_PATH} at {ref} from git: {why[0]} "
                 "(a checkout without that history?); pass --shipped DIR (a bundle directory) or --no-shipped")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest / SHIPPED_PATH


def candidate_config(name: str, **base) -> TrainConfig:
    """The :class:`TrainConfig` of a candidate recipe of :data:`CANDIDATES`."""
    from spepred.featurize import FeaturizerConfig
    from spepred.models.config import TrainConfig

    if name not in CANDIDATES:
        sys.exit(f"unknown candidate {name!r}; known: {', '.join(CANDIDATES)}")
    changes = dict(CANDIDATES[name])
    cfg = TrainConfig(**base)
    if "featurizer" in changes:
        cfg = cfg.with_(featurizer=FeaturizerConfig(**changes.pop("featurizer")))
    xgb = {k: dict(v) for k, v in cfg.xgb.items()}
    for target in list(xgb):
        if f"xgb_{target}" in changes:
            xgb[target].update(changes.pop(f"xgb_{target}"))
    cfg = cfg.with_(xgb=xgb)
    return cfg.with_(**changes)


def to_model_space(label: str, values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if label in LOG_LABELS:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
    return v


def test_mask(table: pd.DataFrame, properties=PROPERTIES) -> np.ndarray:
    """Rows that are scored: outside Bradford, with at least one usable label."""
    has = np.zeros(len(table), bool)
    for _, label, _ in properties:
        has |= np.isfinite(to_model_space(label, table[label]))
    return has & (table["source"] != TRAIN_ONLY).to_numpy()


def make_folds(papers: np.ndarray, regimes: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold number of every test row: whole papers, stratified by regime."""
    from sklearn.model_selection import StratifiedGroupKFold

    k = min(k, len(np.unique(papers)))
    fold = np.full(len(papers), -1)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for f, (_, te) in enumerate(splitter.split(np.zeros(len(papers)), regimes, groups=papers)):
        fold[te] = f
    return fold


def regime_means(train: pd.DataFrame, label: str) -> tuple[dict[str, float], float]:
    """Mean training label (model space) of every regime, and of all training rows (the
    fallback for a regime without a training label)."""
    y = to_model_space(label, train[label])
    ok = np.isfinite(y)
    means = pd.Series(y[ok]).groupby(train["regime"].to_numpy()[ok]).mean().to_dict()
    return {str(k): float(v) for k, v in means.items()}, float(y[ok].mean()) if ok.any() else np.nan


def _predicted(out: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols = [f"{label}_pred", f"{label}_lo", f"{label}_hi"]
    got = [to_model_space(label, out[c]) if c in out else np.full(len(out), np.nan) for c in cols]
    return got[0], got[1], got[2]


def evaluate(
    table: pd.DataFrame, fold: np.ndarray, fit_predict, shipped: pd.DataFrame | None, progress=None, properties=PROPERTIES
) -> pd.DataFrame:
    """Out-of-fold predictions of every predictor for every test row and property.

    ``table`` has ``regime`` and ``paper`` columns; ``fold`` is -1 for rows that only train,
    else the fold of the test row. ``fit_predict(train, test)`` returns the Predictor output
    of a model fitted on ``train`` (one row per test row); ``shipped`` is the shipped model's
    output for every row of ``table`` (or ``None``). Returns one row per (test row, property)
    carrying a label: ``y_true``, ``model``/``model_lo``/``model_hi``, ``regime_mean``,
    ``shipped``, all in model space.
    """
    parts = []
    for f in sorted(set(fold[fold >= 0].tolist())):
        te = fold == f
        train, test = table[~te], table[te]
        out = fit_predict(train, test)
        for key, label, _ in properties:
            y = to_model_space(label, test[label])
            has = np.isfinite(y)
            if not has.any():
                continue
            pred, lo, hi = _predicted(out, label)
            means, overall = regime_means(train, label)
            base = test["regime"].map(means).fillna(overall).to_numpy(float)
            if shipped is not None:
                ship = _predicted(shipped[te], label)[0]
            else:
                ship = np.full(len(test), np.nan)
            parts.append(
                pd.DataFrame(
                    {
                        "record_id": test["record_id"].to_numpy()[has],
                        "source": test["source"].to_numpy()[has],
                        "paper": test["paper"].to_numpy()[has],
                        "regime": test["regime"].to_numpy()[has],
                        "crosslinked": test["crosslinked"].to_numpy()[has],
                        "property": key,
                        "fold": f,
                        "y_true": y[has],
                        "model": pred[has],
                        "model_lo": lo[has],
                        "model_hi": hi[has],
                        "regime_mean": base[has],
                        "shipped": ship[has],
                    }
                )
            )
        if progress is not None:
            progress(f"fold {f + 1}: {int(te.sum())} test rows, {int((~te).sum())} training rows")
    return pd.concat(parts, ignore_index=True)


def _slices(p: pd.DataFrame):
    from spepred.data.regimes import REGIMES

    for r in REGIMES:
        yield r, p["regime"] == r
    yield "crosslinked", p["crosslinked"].astype(bool)
    yield "not crosslinked", ~p["crosslinked"].astype(bool)
    yield "all", pd.Series(True, index=p.index)


def coverage_interval(inside: np.ndarray, papers: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of a coverage, by a bootstrap over **papers** (a paper's rows, often one
    σ(T) curve, are inside or outside together: resampling rows would pretend they are
    independent and give an interval far too narrow). NaN for fewer than 2 papers."""
    inside = np.asarray(inside, dtype=float)
    codes, uniq = pd.factorize(pd.Series(papers).astype(str))
    if len(uniq) < 2:
        return float("nan"), float("nan")
    hits = np.bincount(codes, weights=inside, minlength=len(uniq))
    sizes = np.bincount(codes, minlength=len(uniq)).astype(float)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(uniq), size=(n_boot, len(uniq)))
    cov = hits[draw].sum(axis=1) / sizes[draw].sum(axis=1)
    lo, hi = np.quantile(cov, [0.025, 0.975])
    return float(lo), float(hi)


def summarize(preds: pd.DataFrame, properties=PROPERTIES) -> pd.DataFrame:
    """One row per (property, regime slice): n, papers, MAE of each predictor, the model's
    bias and 90 % interval coverage."""
    rows = []
    for key, _, unit in properties:
        p = preds[preds["property"] == key]
        for name, m in _slices(p):
            s = p[m]
            if s.empty:
                continue
            err = s["model"] - s["y_true"]
            inside = (s["y_true"] >= s["model_lo"]) & (s["y_true"] <= s["model_hi"])
            known = s["model_lo"].notna() & s["model_hi"].notna()
            mae = {c: float((s[c] - s["y_true"]).abs().mean()) for c in PREDICTORS}
            ci = coverage_interval(inside[known].to_numpy(), s.loc[known, "paper"].to_numpy()) if known.any() else (np.nan, np.nan)
            rows.append(
                {
                    "property": key,
                    "regime": name,
                    "n": len(s),
                    "papers": s["paper"].nunique(),
                    "MAE model": mae["model"],
                    "MAE regime mean": mae["regime_mean"],
                    "MAE shipped": mae["shipped"],
                    "model < mean": "yes" if mae["model"] < mae["regime_mean"] else "NO",
                    "shipped < mean": "yes" if mae["shipped"] < mae["regime_mean"] else "NO",
                    "bias model": float(err.mean()),
                    "no prediction": int(s["model"].isna().sum()),
                    "coverage_90": float(inside[known].mean()) if known.any() else np.nan,
                    "coverage 95% CI": "—" if np.isnan(ci[0]) else f"{ci[0]:.2f}–{ci[1]:.2f}",
                    "unit": unit,
                }
            )
    return pd.DataFrame(rows)


def _load_table(clock) -> tuple[pd.DataFrame, object]:
    from spepred.data.build import build_formulations
    from spepred.data.regimes import crosslinked, regime

    table, card = build_formulations(SOURCES)
    missing = [s for s in ("bradford2023", "hatakeyama2022") if s in card.missing_sources]
    if missing:
        sys.exit(f"{', '.join(missing)} not available ({card.missing_sources}); set SPEPRED_DATA_MIRROR")
    table = table.assign(
        regime=regime(table).to_numpy(), crosslinked=crosslinked(table).to_numpy(), paper=paper_key(table["group"]).to_numpy()
    )
    clock(f"table: {len(table)} rows")
    return table, card


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--folds", type=int, default=10, help="folds of whole papers (default 10)")
    ap.add_argument("--inner-folds", type=int, default=3, help="inner CV of the model, for its intervals (default 3)")
    ap.add_argument("--properties", default="sigma,esw,strength,tli",
                    help="comma-separated properties to evaluate (default sigma,esw,strength,tli; sigma for screening)")
    ap.add_argument("--candidate", default="default", help=f"the recipe to evaluate, one of {', '.join(CANDIDATES)}")
    ap.add_argument("--shipped-ref", default=SHIPPED_REF,
                    help=f"commit whose {SHIPPED_PATH} is the shipped baseline, read from git (default {SHIPPED_REF})")
    ap.add_argument("--shipped", type=Path, default=None, help="a bundle directory as the shipped baseline instead")
    ap.add_argument("--no-shipped", action="store_true", help="no shipped baseline (faster screening)")
    args = ap.parse_args()
    wanted = [p.strip() for p in args.properties.split(",") if p.strip()]
    properties = tuple(p for p in PROPERTIES if p[0] in wanted)
    if not properties or len(properties) != len(set(wanted)):
        sys.exit(f"--properties {args.properties!r}: expected some of {', '.join(p[0] for p in PROPERTIES)}")

    from spepred.data.schema import COLUMNS
    from spepred.models.bundle import write_bundle
    from evaluation import format_table
    from spepred.models.predictor import Predictor
    from spepred.models.train import train_models

    clock = Clock()
    table, card = _load_table(clock)
    scored = test_mask(table, properties)
    fold = np.full(len(table), -1)
    fold[scored] = make_folds(table["paper"].to_numpy()[scored], table["regime"].to_numpy()[scored], args.folds, args.seed)
    n_papers = table.loc[scored, "paper"].nunique()
    clock(f"{int(scored.sum())} test rows from {n_papers} papers in {fold.max() + 1} folds")
    cfg = candidate_config(
        args.candidate, cv_folds=args.inner_folds, seed=args.seed, n_jobs=args.n_jobs, targets=tuple(p[0] for p in properties)
    )
    columns = list(COLUMNS)

    def fit_predict(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
        result = train_models(train[columns].reset_index(drop=True), cfg)
        with tempfile.TemporaryDirectory() as tmp:
            bundle = write_bundle(result, Path(tmp) / "bundle")
            return Predictor.load(bundle).predict(test[columns].reset_index(drop=True))

    shipped_all, shipped_name = None, "none (--no-shipped)"
    if not args.no_shipped:
        with tempfile.TemporaryDirectory() as tmp:
            if args.shipped is not None:
                bundle, shipped_name = args.shipped, str(args.shipped)
            else:
                bundle = extract_shipped(args.shipped_ref, Path(tmp))
                shipped_name = f"{SHIPPED_PATH} at {args.shipped_ref} (from git)"
            shipped_all = Predictor.load(bundle).predict(table[columns].reset_index(drop=True))
        shipped_all.index = table.index
        clock(f"shipped model ({shipped_name}) predicted every row")
    preds = evaluate(table, fold, fit_predict, shipped_all, progress=clock, properties=properties)
    summary = summarize(preds, properties)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / "regimes_predictions.csv"
    preds.to_csv(csv, index=False)
    wall = time.perf_counter() - clock.t0
    per_source = table.loc[scored].groupby("source").size().to_dict()
    tables = []
    for key, label, unit in properties:
        s = summary[summary["property"] == key].drop(columns=["property", "unit"])
        tables += [f"{label} ({unit})", format_table(s), ""]
    text = "\n".join(
        [
            header("regimes"),
            f"Held-out papers on the non-Bradford systems: {int(scored.sum())} test rows "
            f"({', '.join(f'{k} {v}' for k, v in per_source.items())}) from {n_papers} papers, dealt into "
            f"{fold.max() + 1} folds of whole papers (StratifiedGroupKFold by regime, seed {args.seed}); "
            "Bradford always trains.",
            f"model: spepred's recipe (candidate {args.candidate!r}: train_models, inner {args.inner_folds}-fold CV for "
            "its intervals) on each fold's training rows; regime mean: mean training label of the row's regime in that "
            f"fold; shipped: {shipped_name} (trained on the sources of its time, which include the review: it has seen "
            "the review rows).",
            "bias = mean(predicted - measured) of the model; coverage_90 = share inside its 90 % interval, with its "
            "95 % interval from a bootstrap over papers (coverage 95% CI: a paper's rows stand or fall together); "
            "no prediction = test rows the fold's model returned no value for (not in its MAE). "
            "t_li is the Li+ transference number t+ (dimensionless).",
            "",
            *tables,
            f"total {wall:.0f} s",
        ]
    )
    metrics = {}
    for rec in summary.to_dict("records"):
        tag = f"{rec['property']}.{rec['regime'].replace(' ', '_')}"
        for m, col in (("mae", "MAE model"), ("regime_mean_mae", "MAE regime mean"), ("shipped_mae", "MAE shipped"),
                       ("bias", "bias model"), ("coverage_90", "coverage_90"), ("n", "n")):
            metrics[f"{tag}.{m}"] = float(rec[col])
    metrics["wall_s"] = wall
    finish(
        "regimes",
        text,
        args,
        params={"folds": int(fold.max() + 1), "inner_folds": args.inner_folds, "seed": args.seed, "data_hash": card.data_hash,
                "sources": ",".join(SOURCES), "candidate": args.candidate, "shipped": shipped_name,
                "properties": ",".join(p[0] for p in properties)},
        metrics=metrics,
        files=[csv],
    )


if __name__ == "__main__":
    main()
