"""Average two models' held-out predictions made on the same folds and score the blend.

Reads two predictions CSVs written by the split benchmarks (``bradford_split.py``,
``sigma_mpnn.py``: columns ``model``, ``fold``, ``record_id``, ``y_true``, ``y_pred``), picks
one model from each, joins them on ``record_id`` (rows only one file has are left out and
counted) and prints the usual table for each model alone, their mean, and the mean
baseline of the first file, plus MAE per fold. Point predictions only: intervals are not
blended.

Run: python benchmarks/blend_predictions.py docs/benchmarks/bradford_split_predictions.csv spepred \
         docs/benchmarks/sigma_mpnn_predictions.csv "Chemprop D-MPNN, Arrhenius head"
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from _bench import finish, header, parser


def _pick(path: Path, model: str) -> pd.DataFrame:
    df = pd.read_csv(path)
    if "record_id" not in df.columns:
        sys.exit(f"{path}: no record_id column; re-run the benchmark that wrote it")
    got = df[df["model"] == model]
    if got.empty:
        sys.exit(f"{path}: no model {model!r}; it has {sorted(df['model'].unique())}")
    return got.set_index("record_id")


def blend(first: pd.DataFrame, second: pd.DataFrame, baseline: pd.DataFrame | None, names: tuple[str, str]) -> pd.DataFrame:
    """Long table (the split benchmarks' format) of both models, their mean and the baseline
    on the rows both have."""
    common = first.index.intersection(second.index)
    a, b = first.loc[common], second.loc[common]
    if (a["y_true"] - b["y_true"]).abs().max() > 1e-6:
        raise ValueError("the two files disagree on y_true for the same record_id: not the same rows")
    if (a["fold"] != b["fold"]).any():
        raise ValueError("the two files put the same record_id in different folds: not the same split")
    parts = [
        a.assign(model=names[0]),
        b.assign(model=names[1]),
        a.assign(model="mean of the two", y_pred=(a["y_pred"] + b["y_pred"]) / 2),
    ]
    if baseline is not None:
        parts.insert(0, baseline.loc[common].assign(model="mean baseline"))
    cols = ["model", "fold", "y_true", "y_pred"]
    out = pd.concat([p.reset_index()[["record_id", *cols]] for p in parts], ignore_index=True)
    return out.assign(y_lo=float("nan"), y_hi=float("nan"))


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("first", type=Path)
    ap.add_argument("first_model")
    ap.add_argument("second", type=Path)
    ap.add_argument("second_model")
    ap.add_argument("--name", default="blend_predictions", help="table name (docs/benchmarks/<name>.txt)")
    args = ap.parse_args()

    from evaluation import fold_mae, format_table, summarize

    first, second = _pick(args.first, args.first_model), _pick(args.second, args.second_model)
    raw = pd.read_csv(args.first)
    base = raw[raw["model"].isin(["mean", "mean baseline"])]
    preds = blend(first, second, base.set_index("record_id") if not base.empty else None, (args.first_model, args.second_model))
    n = int(preds["record_id"].nunique())
    lines = [
        header(args.name),
        f"{args.first_model} ({args.first.name}) and {args.second_model} ({args.second.name}) on the {n} rows both "
        f"predicted ({len(first) - n} only in the first, {len(second) - n} only in the second); the blend is their mean.",
        "",
        format_table(summarize(preds)),
        "",
        "MAE per fold (log10 S/cm)",
        format_table(fold_mae(preds).reset_index()),
    ]
    s = summarize(preds).set_index("model")
    metrics = {"blend.mae": float(s.loc["mean of the two", "mae"]), "blend.r2": float(s.loc["mean of the two", "r2"])}
    finish(args.name, "\n".join(lines), args, params={"first": str(args.first), "second": str(args.second)}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
