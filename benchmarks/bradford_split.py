"""σ on the published 10-fold polymer split of Bradford et al. 2023 (ACS Cent. Sci. 9, 206).

Test polymers of fold t (t = 2..11) are the polymers ranked t % 10 + 10k by number of
rows (polyanions excluded); the next tenth is their validation set and neither trains.
Reports the mean baseline, the published XGBoost recipe re-implemented (anchor) and
spepred's σ model on the same folds: MAE, RMSE, R², Spearman, share within one order of
magnitude, 90 % interval coverage, per-fold MAE.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/bradford_split.py
"""

from __future__ import annotations

from _bench import parser, run_split

from evaluation import published_folds


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--inner-folds", type=int, default=3, help="spepred's inner CV folds (intervals)")
    args = ap.parse_args()
    run_split(
        "bradford_split",
        "Published polymer split (Bradford et al. 2023)",
        "published polymer split",
        published_folds,
        args,
        note="Targets: MAE <= 0.80, R² >= 0.50, coverage 0.85-0.95.",
    )


if __name__ == "__main__":
    main()
