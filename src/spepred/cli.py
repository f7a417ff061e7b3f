"""``spepred`` command line: parse arguments -> :mod:`spepred.api` -> print / exit code.

Imports of the heavy libraries (pandas, RDKit, XGBoost, MLflow) happen inside the command
functions, so that ``spepred --help`` answers at once. A :class:`SpepredError` becomes one
line on stderr and exit code 2 (with ``-v``, the traceback too).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug logs")


def _cmd_data_build(args: argparse.Namespace) -> int:
    from spepred import api

    _, card = api.build_data(output=args.output, download=not args.offline)
    print(card.render())
    print(f"\nwrote {args.output}")
    return 0


class _Progress:
    """A tqdm bar on stderr driven by ``progress(done, total)`` callbacks from the library."""

    def __init__(self, desc: str, enabled: bool = True) -> None:
        self.desc, self.enabled, self.bar = desc, enabled, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (self.bar is None and total < 200):
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="item", file=sys.stderr, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _cmd_featurize(args: argparse.Namespace) -> int:
    from pathlib import Path

    from spepred import api
    from spepred.data.schema import read_table
    from spepred.featurize import FeaturizerConfig

    table = read_table(args.input)
    config = FeaturizerConfig(morgan_size=args.morgan_size, use_xtb=args.xtb)
    bar = _Progress("featurizing building blocks", enabled=not args.quiet)
    try:
        normalized, result = api.featurize(table, config, source=Path(args.input).name, progress=bar)
    finally:
        bar.close()
    out = Path(args.output)
    frame = result.frame()
    frame.insert(0, "record_id", normalized["record_id"].to_numpy())
    frame.insert(0, "row", range(1, len(frame) + 1))
    good = frame[result.ok]
    out.parent.mkdir(parents=True, exist_ok=True)
    good.to_parquet(out, index=False)
    err_path = out.with_name(out.name.removesuffix(".parquet") + ".errors.csv")
    result.errors_frame().to_csv(err_path, index=False)
    n_bad = int((~result.ok).sum())
    print(
        f"{len(frame)} rows: {len(good)} featurized -> {out} ({len(result.feature_names)} features), "
        f"{n_bad} with errors -> {err_path}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spepred",
        description=(
            "Predict ionic conductivity (S/cm), electrochemical stability window (V) and "
            "strength (MPa) of crosslinked solid polymer electrolytes."
        ),
    )
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = sub.add_parser("data", help="build the harmonized formulation table")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    build = data_sub.add_parser(
        "build", help="review records + public datasets -> data/processed/formulations.parquet"
    )
    _add_common(build)
    build.add_argument(
        "--output", default="data/processed/formulations.parquet", help="Parquet file to write"
    )
    build.add_argument(
        "--offline",
        action="store_true",
        help="never download; use only $SPEPRED_DATA_MIRROR and the cache",
    )
    build.set_defaults(func=_cmd_data_build)

    feat = sub.add_parser("featurize", help="formulation CSV -> feature matrix (Parquet)")
    _add_common(feat)
    feat.add_argument("--input", required=True, help="formulation table (CSV or Parquet)")
    feat.add_argument("--output", required=True, help="features Parquet (errors go next to it)")
    feat.add_argument("--morgan-size", type=int, default=256, help="folded Morgan size (256)")
    feat.add_argument("--xtb", action="store_true", help="add GFN2-xTB orbital energies (slow)")
    feat.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    feat.set_defaults(func=_cmd_featurize)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_USAGE if args.command is None else 0
    import logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from spepred.errors import SpepredError

    try:
        return int(args.func(args) or 0)
    except SpepredError as err:
        if args.verbose:
            import traceback

            traceback.print_exc()
        print(f"spepred: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("spepred: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
