"""σ on a 10-fold split grouped by σ(T) curve (one formulation: polymer, salt,
concentration, molecular weight): no curve straddles train and test, but other curves of
the same polymer may train. Same models and columns as bradford_split.py.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/formulation_split.py
"""

from __future__ import annotations

from _bench import parser, run_split

from evaluation import curve_folds


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--inner-folds", type=int, default=3, help="spepred's inner CV folds (intervals)")
    args = ap.parse_args()
    run_split(
        "formulation_split",
        "Split grouped by σ(T) curve",
        "split by σ(T) curve",
        lambda rows, raw: curve_folds(rows, 10, seed=args.seed),
        args,
        note="Targets: MAE <= 0.35, coverage 0.85-0.95.",
        replicates=True,
    )


if __name__ == "__main__":
    main()
