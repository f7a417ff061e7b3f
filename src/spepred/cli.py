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
#: ``--strict``: every row was written, and at least one could not be predicted.
EXIT_ROWS_FAILED = 3


def _add_common(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-v`` and ``-q``, accepted before the sub-command and after it, by every command."""
    # sub-commands must not reset a -v given before them (argparse sub-parser defaults win)
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show tracebacks and debug logs",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no progress bars, no summary lines; only results and errors",
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spepred")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _cmd_data_build(args: argparse.Namespace) -> int:
    from spepred import api

    kwargs = {}
    if args.sources:
        kwargs["sources"] = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    _, card = api.build_data(output=args.output, download=not args.offline, **kwargs)
    print(card.render())
    if args.output:
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
    from spepred.data.schema import read_table, write_table
    from spepred.errors import InvalidValueError
    from spepred.featurize import FeaturizerConfig
    from spepred.files import STDOUT, check_output_path, is_stream

    out = Path(args.output)
    if args.output == STDOUT or is_stream(out):
        raise InvalidValueError("--output", args.output, "a file name (featurize writes the features and an .errors.csv beside them)")
    err_path = out.with_name(out.name.removesuffix(out.suffix) + ".errors.csv")
    check_output_path(out)  # before the work: a directory, /proc, a too-long name
    check_output_path(err_path)
    table = read_table(args.input, smiles_column=args.smiles_column)
    config = FeaturizerConfig(morgan_size=args.morgan_size, use_xtb=args.xtb)
    bar = _Progress("featurizing building blocks", enabled=not args.quiet)
    try:
        normalized, result = api.featurize(table, config, source=Path(args.input).name if args.input != "-" else "stdin", progress=bar)
    finally:
        bar.close()
    frame = result.frame()
    frame.insert(0, "record_id", normalized["record_id"].to_numpy())
    frame.insert(0, "row", range(1, len(frame) + 1))
    good = frame[result.ok]
    write_table(good, out, "parquet" if out.suffix.lower() not in (".csv", ".tsv", ".json") else None)
    write_table(result.errors_frame(), err_path)
    n_bad = int((~result.ok).sum())
    print(
        f"{len(frame)} rows: {len(good)} featurized -> {out} ({len(result.feature_names)} features), "
        f"{n_bad} with errors -> {err_path}"
    )
    return _strict_exit(args, n_bad, len(frame), "featurized")


class _StageBar:
    """A tqdm bar advanced by ``progress("stage message")`` callbacks; its total comes from
    ``add_total(n)`` calls (training announces its folds before fitting the first)."""

    def __init__(self, desc: str, enabled: bool = True) -> None:
        self.enabled, self.bar, self.desc, self.total = enabled, None, desc, 0

    def _open(self) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.desc, total=self.total or None, unit="step", file=sys.stderr, leave=False)

    def add_total(self, n: int) -> None:
        if not self.enabled:
            return
        self.total += int(n)
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        self._open()
        self.bar.set_postfix_str(message[:60])
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _cmd_train(args: argparse.Namespace) -> int:
    import time

    from spepred import api

    targets = None
    if args.targets:
        targets = tuple(t.strip() for part in args.targets for t in part.split(",") if t.strip())
    bar = _StageBar("training", enabled=not args.quiet)
    t0 = time.perf_counter()
    try:
        report = api.train(
            args.data,
            with_defaults=args.with_defaults,
            targets=targets,
            model_dir=args.model_dir,
            tracking_uri=args.tracking_uri,
            experiment=args.experiment,
            run_name=args.run_name,
            seed=args.seed,
            cv_folds=args.cv_folds,
            track=not args.no_track,
            progress=bar,
            tg_data=False if args.no_tg else args.tg_data,
        )
    finally:
        bar.close()
    result = report.result
    if result.tg is None and result.tg_note:
        print(f"note: {result.tg_note}", file=sys.stderr)
    if report.data_card is not None and report.data_card.missing_sources:
        for src, why in report.data_card.missing_sources.items():
            print(f"note: source {src} not available: {why}", file=sys.stderr)
    print("labelled rows per source: " + ", ".join(f"{k} {v}" for k, v in result.rows_per_source.items()))
    for key, why in result.skipped_targets.items():
        print(f"not trained: {key}: {why}")
    print()
    print(report.metrics_text)
    print()
    if report.regime_text:
        print(report.regime_text)
        print()
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings_s.items())
    print(f"stages: {stages}; total {time.perf_counter() - t0:.1f} s")
    print(f"bundle: {report.bundle_dir}")
    if report.run:
        print(f"MLflow run {report.run['run_id']} ({report.run['model_uri']})")
        if report.run.get("registered"):
            print(f"registered model: {report.run['registered']}")
    return 0


def _option_of(column: str) -> str:
    """The ``predict`` option of a formulation column (for error messages in single mode)."""
    from spepred.data.columns import OPTIONS

    return OPTIONS.get(column, column)


def parse_temperatures(values: list[str] | None) -> list[float]:
    """``25``, ``25 40 60`` or ranges ``0:100:10`` (inclusive) -> temperatures in °C.

    The range parser is :func:`spepred.values.parse_number_or_range`, the same one the
    screening spec uses; NaN and infinite parts are refused with the option's name.
    """
    from spepred.errors import InvalidValueError
    from spepred.values import MAX_RANGE_POINTS, parse_number_or_range

    if not values:
        return [25.0]
    out: list[float] = []
    for v in values:
        out += parse_number_or_range(v, field="--temperature", unit="°C")
        if len(out) > MAX_RANGE_POINTS:
            raise InvalidValueError("--temperature", " ".join(values), f"at most {MAX_RANGE_POINTS} temperatures")
    return out


def _liquid_text(row) -> str:
    """`` | liquids EC;DEC 60 wt%`` for a formulation with liquids ('' without)."""
    liquids = row.get("liquids")
    if not isinstance(liquids, str) or not liquids.strip():
        return ""
    wt = row.get("liquid_wt_pct")
    return f" | liquids {liquids}" + (f" {float(wt):g} wt%" if wt is not None and wt == wt else "")


def _fmt_sigma(x: float) -> str:
    return "—" if x != x else f"{x:.2e}"


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if x != x else f"{x:.{digits}f}"


def _tg_text(row, predictor) -> str:
    """The matrix polymer's predicted Tg (K and °C) with its interval, or why there is none."""
    if not predictor.has_tg:
        return f"Tg: — ({predictor.tg_note})"
    tg = row.get("Tg_K_pred", float("nan"))
    if tg != tg:
        return "Tg: — (not predicted for this matrix)"
    return (
        f"Tg of the matrix polymer (no salt, no plasticizer): {tg:.0f} K ({tg - 273.15:.0f} °C), "
        f"90% interval {row['Tg_K_lo']:.0f} – {row['Tg_K_hi']:.0f} K"
    )


def _vs_tg(t_minus_tg: float) -> str:
    """'below Tg' where the temperature is under the predicted Tg (glassy matrix)."""
    if t_minus_tg != t_minus_tg:
        return "—"
    return "below Tg" if t_minus_tg < 0 else "above"


def _quantity_text(prop):
    """How a property's values are written in tables: σ in scientific notation (it spans
    decades), the others with their declared decimals."""
    if prop.label_is_log10:
        return _fmt_sigma
    return lambda x: _fmt(x, prop.digits)


def _table_columns():
    """``(property, header, width, interval header, width)`` of every property, in order."""
    from spepred.data.columns import PROPERTIES

    out = []
    for p in PROPERTIES.values():
        unit = f" ({p.quantity_unit})" if p.quantity_unit else ""  # t+ has none
        head = f"{p.name}{unit}"
        interval = f"{p.name} 90% interval{unit}" if p.label_is_log10 else "90% interval"
        out.append((p, head, max(len(head), 9), interval, max(len(interval), 13)))
    return out


def render_table(pred, predictor) -> str:
    """A chemist-readable table: each property in its unit (σ in S/cm, window in V,
    strength in MPa) with its 90 % interval."""
    # the properties this bundle predicts (a bundle trained before t+ has no t+ column to show)
    columns = [c for c in _table_columns() if c[0].label in predictor.label_counts]
    first = pred.iloc[0]
    counts = predictor.label_counts
    lines = [
        "Formulation: matrix {m} | crosslinker {x} | filler {f} | salt {s}{liq}".format(
            m=first.get("monomer_smiles", ""),
            x=first.get("crosslinker", "") or "none",
            f=first.get("filler", "") or "none",
            s=first.get("salt", "") or "LiTFSI (default)",
            liq=_liquid_text(first),
        ),
        "Read as: repeat unit {ru}{xl}".format(
            ru=first.get("repeat_unit_smiles", "") or "—",
            xl=f" | reacted crosslinker {first['crosslinker_reacted_smiles']}"
            if first.get("crosslinker_reacted_smiles")
            else "",
        ),
        _tg_text(first, predictor),
        f"Model {predictor.model_version}; trained on "
        + ", ".join(f"{n:,} {label} labels" for label, n in counts.items()),
        "",
        f"{'T (°C)':>7}  " + "  ".join(f"{h:>{w}}  {i:>{wi}}" for _, h, w, i, wi in columns)
        + f"  {'in domain':>9}  {'vs Tg':>8}",
    ]
    for _, r in pred.iterrows():
        if r["status"] != "ok":
            lines.append(f"{_fmt(float(r.get('temperature_C', float('nan'))), 0):>7}  could not be predicted: {r['status']}")
            continue
        cells = []
        for p, _, w, _, wi in columns:
            show = _quantity_text(p)
            lo, hi = p.quantity(r[p.lo]), p.quantity(r[p.hi])
            cells.append(f"{show(p.quantity(r[p.pred])):>{w}}  {show(lo) + ' – ' + show(hi):>{wi}}")
        lines.append(
            f"{_fmt(float(r['temperature_C']), 0):>7}  " + "  ".join(cells)
            + f"  {'yes' if r['in_domain'] else 'NO':>9}  {_vs_tg(r['T_minus_Tg_K']):>8}"
        )
    warnings = []
    for w in pred.loc[pred["status"] == "ok", "warnings"]:
        for item in filter(None, str(w).split("; ")):
            if item not in warnings:
                warnings.append(item)
    if warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in warnings]
    return "\n".join(lines)


def _cmd_predict(args: argparse.Namespace) -> int:
    import json

    from spepred import api
    from spepred.data.columns import FORMULATION, KEYWORDS as KWARG_COLUMNS
    from spepred.errors import FormulationError, InvalidValueError, SpepredError

    if args.input:
        return _predict_batch(args)
    if not args.monomer_smiles:
        raise InvalidValueError("--smiles", None, "at least one matrix SMILES (or --input FILE)")
    # one formulation: one-thread boosters (a second thread would only wait)
    if args.format == "parquet":
        raise InvalidValueError("--format", "parquet", "table, json, csv or tsv for one formulation (Parquet needs --input and --output)")
    predictor = api.load_predictor(args.model, n_jobs=1)
    temps = parse_temperatures(args.temperature_C)
    # one keyword per formulation option, by column name (declared in spepred.data.columns)
    kwargs = {c.name: getattr(args, c.name) for c in FORMULATION if c.option}
    kwargs["plasticized"] = True if args.plasticized else None
    kwargs["temperature_C"] = temps
    try:
        pred = predictor.predict(strict=True, **kwargs)
    except InvalidValueError as err:  # a keyword refused before validation (NaN, complex)
        raise InvalidValueError(_option_of(KWARG_COLUMNS.get(err.field, err.field)), err.value, err.expected) from None
    except FormulationError as err:
        e = err.error
        option = _option_of(e.column)
        reason = e.reason
        if reason.startswith(f"invalid {e.column} "):
            raise SpepredError(reason.replace(f"invalid {e.column} ", f"invalid {option} ", 1)) from None
        if reason.startswith("unknown "):
            raise SpepredError(reason) from None
        from spepred.errors import _short

        raise SpepredError(f"invalid {option} {_short(e.value)!r}: {reason}") from None
    if not 0 <= args.neighbours <= 50:
        raise InvalidValueError("--neighbours", args.neighbours, "a count from 0 to 50")
    first_t = temps[0] if temps else 25.0
    neighbours = (
        predictor.neighbours(k=args.neighbours, **{**kwargs, "temperature_C": first_t}) if args.neighbours else []
    )
    fmt = args.format or "table"
    if fmt == "json":
        records = json.loads(pred.to_json(orient="records"))
        out = {
            "model_version": predictor.model_version,
            "training_labels": predictor.label_counts,
            "predictions": records,
        }
        if predictor.tg_note:  # Tg_K_* are null: say why
            out["tg_note"] = predictor.tg_note
        if args.neighbours:
            out["neighbours"] = neighbours
            if predictor.neighbours_note:
                out["neighbours_note"] = predictor.neighbours_note
        print(json.dumps(out, indent=1))
    elif fmt in ("csv", "tsv"):
        from spepred.data.schema import write_table

        write_table(pred, "-", fmt)
    else:
        print(render_table(pred, predictor))
        if args.neighbours:
            print()
            print(render_neighbours(neighbours, predictor.neighbours_note, first_t))
    return 0


def render_neighbours(neighbours: list[dict], note: str, temperature: float) -> str:
    """The nearest labelled training systems as a chemist-readable table."""
    if not neighbours:
        return "Nearest labelled systems: " + (note or "none")
    lines = [
        f"Nearest labelled systems (measured σ at the temperature nearest {temperature:g} °C):",
        f"  {'similarity':>10}  {'σ (S/cm)':>9}  {'T (°C)':>6}  {'window (V)':>10}  {'strength (MPa)':>14}  "
        "formulation  [source]",
    ]
    for n in neighbours:
        parts = [str(n["monomer_smiles"])]
        if n.get("crosslinker") and str(n["crosslinker"]).lower() != "none":
            parts.append(f"x {n['crosslinker']}")
        if n.get("salt"):
            parts.append(str(n["salt"]))
        sigma = n.get("sigma_S_cm")
        lines.append(
            f"  {n['similarity']:>10.2f}  {_fmt_sigma(float('nan') if sigma is None else sigma):>9}  "
            f"{_fmt(float('nan') if n.get('temperature_C') is None else float(n['temperature_C']), 0):>6}  "
            f"{_fmt(float('nan') if n.get('esw_V') is None else n['esw_V']):>10}  "
            f"{_fmt(float('nan') if n.get('strength_MPa') is None else n['strength_MPa'], 1):>14}  "
            f"{' '.join(parts)}  [{n['source']} {n['record_id']}]"
        )
    refs = list(dict.fromkeys(n["reference"] for n in neighbours if n["reference"] != n["source"]))
    lines += [f"  source: {r}" for r in refs]
    return "\n".join(lines)


def _predict_batch(args: argparse.Namespace) -> int:
    """``predict --input``: the table is read, predicted and written chunk by chunk
    (``--chunk-rows``), so memory does not grow with its length."""
    from pathlib import Path

    from spepred import api
    from spepred.data.output import check_writable, output_format
    from spepred.data.schema import STDIN, iter_table, write_table_chunks
    from spepred.errors import InvalidValueError
    from spepred.files import STDOUT, check_output_path

    if args.format == "table":
        raise InvalidValueError(
            "--format", "table", "csv, tsv, parquet or json with --input (the table is for one formulation, --smiles)"
        )
    target = args.output or STDOUT
    # refused before any work: an output that cannot be a file, a format that cannot be told
    if target != STDOUT:
        check_output_path(target)
    fmt = output_format(target, args.format)
    chunks = iter_table(args.input, chunk_rows=args.chunk_rows, smiles_column=args.smiles_column)
    first = next(chunks)  # the file's own errors (header, encoding) before the model loads
    check_writable(first, fmt, target)  # e.g. a list column to CSV, before predicting
    predictor = api.load_predictor(args.model)
    source = "stdin" if args.input == STDIN else Path(args.input).name
    counts = {"rows": 0, "ok": 0}

    def predicted():
        import itertools

        for chunk in itertools.chain([first], chunks):
            pred = predictor.predict(chunk, source=source)
            counts["rows"] += len(pred)
            counts["ok"] += int((pred["status"] == "ok").sum())
            yield pred

    out, _ = write_table_chunks(predicted(), target, fmt)
    n, n_ok = counts["rows"], counts["ok"]
    if target != STDOUT:  # on stdout the table is the output; nothing else goes there
        _info(args, f"{n} rows: {n_ok} predicted, {n - n_ok} with a status explaining why not -> {out}")
    return _strict_exit(args, n - n_ok, n, "predicted")


def _info(args: argparse.Namespace, message: str) -> None:
    """A summary line on stdout, unless ``-q``."""
    if not getattr(args, "quiet", False):
        print(message)


def render_screen_top(top, n: int = 10) -> str:
    """The best formulations of a screen as a chemist-readable table (the properties the
    screen's model predicted)."""
    columns = [c for c in _table_columns() if c[0].quantity_pred in top and top[c[0].quantity_pred].notna().any()]
    lines = [
        f"{'rank':>4}  " + "  ".join(f"{h:>{w}}" for _, h, w, _, _ in columns)
        + f"  {'T (°C)':>6}  {'in domain':>9}  {'score':>5}  formulation"
    ]
    for _, r in top.head(n).iterrows():
        parts = [str(r.get("monomer_smiles", ""))]
        if isinstance(r.get("crosslinker"), str) and r["crosslinker"]:
            parts.append(f"x {r['crosslinker']}")
        if isinstance(r.get("filler"), str) and r["filler"]:
            wt = r.get("filler_wt_pct")
            parts.append(f"filler {r['filler']}" + (f" {wt:g} wt%" if wt is not None and wt == wt else ""))
        if isinstance(r.get("salt"), str) and r["salt"]:
            m = r.get("salt_molality_mol_kg")
            parts.append(f"{r['salt']}" + (f" {m:g} mol/kg" if m is not None and m == m else ""))
        if _liquid_text(r):
            parts.append(_liquid_text(r).removeprefix(" | "))
        values = "  ".join(f"{_quantity_text(p)(r[p.quantity_pred]):>{w}}" for p, _, w, _, _ in columns)
        lines.append(
            f"{int(r['rank']):>4}  {values}  {_fmt(float(r.get('temperature_C', float('nan'))), 0):>6}  "
            f"{'yes' if r['in_domain'] else 'NO':>9}  {_fmt(r['score']):>5}  {' | '.join(parts)}"
        )
    return "\n".join(lines)


def _cmd_screen(args: argparse.Namespace) -> int:
    from spepred import api

    from spepred.data.columns import SPEC_COLUMNS

    options = {"input": args.input, "monomers_csv": args.monomers_csv}
    options.update({key: getattr(args, key, None) for key in SPEC_COLUMNS})
    bar = _Progress("screening rows", enabled=not args.quiet)
    try:
        result = api.screen(
            args.spec,
            output=args.output,
            options=options,
            model=args.model,
            engine=args.engine,
            spark_master=args.spark_master,
            workers=args.workers,
            chunk_rows=args.chunk_rows,
            objective=args.objective,
            weights=args.weights,
            ranges=args.ranges,
            bound=args.bound,
            thresholds=args.require or (),
            in_domain_only=args.in_domain_only,
            top=args.top,
            output_format=args.format,
            overwrite=args.overwrite,
            plot=not args.no_plot,
            progress=bar,
            max_formulations=args.max_formulations,
        )
    finally:
        bar.close()
    s, st = result.summary, result.stats
    print(f"library: {s['library_description']}")
    print(
        "unique building blocks: " + ", ".join(f"{v:,} {k}" for k, v in s["unique_components"].items())
    )
    print(
        f"engine {result.engine}: {st['chunks_computed']} chunk(s) computed, {st['chunks_reused']} reused "
        f"of {st['chunks_total']}; model {s['model_version']}"
    )
    print(
        f"{result.n_rows:,} formulations: {result.n_ok:,} predicted ({s['in_domain']:,} in domain), "
        f"{s['not_predicted']:,} with a status explaining why not; {result.n_feasible:,} meet "
        + ("; ".join(s["thresholds"]) if s["thresholds"] else "no threshold")
        + (" and the domain" if s["in_domain_only"] else "")
        + f"; Pareto front (σ, window, strength): {result.n_front:,}"
    )
    print(f"objective: {s['objective']}")
    print()
    if len(result.top):
        print(render_screen_top(result.top, n=min(args.top, 10)))
    else:
        print("no formulation meets the thresholds")
    print()
    t = result.timings_s
    print(f"time: predict {t.get('predict', 0):.1f} s, rank + Pareto + write {t.get('summarize', 0):.1f} s")
    for name, path in result.files.items():
        print(f"{name:>11}: {path}")
    return _strict_exit(args, result.n_rows - result.n_ok, result.n_rows, "predicted")


def _strict_exit(args: argparse.Namespace, n_failed: int, n_rows: int, done: str) -> int:
    """``--strict``: :data:`EXIT_ROWS_FAILED` when any row could not be processed (every row
    has been written all the same); 0 otherwise."""
    if getattr(args, "strict", False) and n_failed:
        print(f"spepred: {n_failed} of {n_rows} rows could not be {done} (--strict: exit {EXIT_ROWS_FAILED})", file=sys.stderr)
        return EXIT_ROWS_FAILED
    return 0


#: What `spepred serve` imports beyond the core install (the ``server`` extra).
SERVER_MODULES = ("fastapi", "uvicorn", "httptools")


def _cmd_serve(args: argparse.Namespace) -> int:
    import importlib.util

    from spepred.errors import SpepredError

    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise SpepredError(
            f"spepred serve needs the server extra ({', '.join(missing)} not installed): "
            "pip install 'spepred[server]'"
        )
    from spepred.server import host_warning, serve

    warning = host_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"spepred serving on http://{shown}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    serve(
        args.model, host=args.host, port=args.port, allowed_hosts=args.allowed_host or None,
        screens=args.screen or (), request_timeout_s=args.request_timeout,
    )
    return 0


def _add_formulation_options(p: argparse.ArgumentParser) -> None:
    """One ``predict`` option per formulation column (declared in :mod:`spepred.data.columns`);
    each stores under the column's name."""
    from spepred.data.columns import FORMULATION

    for c in FORMULATION:
        if not c.option:
            continue
        metavar = c.option.lstrip("-").upper().replace("-", "_")
        help_text = c.help.replace("%", "%%")  # argparse formats help with %
        if c.kind == "matrix":
            p.add_argument(c.option, dest=c.name, action="append", metavar=metavar, help=help_text)
        elif c.kind == "bool":
            p.add_argument(c.option, dest=c.name, action="store_true", help=help_text)
        elif c.many:  # values and ranges, parsed together (parse_temperatures)
            p.add_argument(c.option, dest=c.name, nargs="+", metavar=metavar[0], help=help_text)
        elif c.kind == "number":
            p.add_argument(c.option, dest=c.name, type=float, metavar=metavar, help=help_text)
        else:
            p.add_argument(c.option, dest=c.name, metavar=metavar, help=help_text)


def _add_axis_options(p: argparse.ArgumentParser) -> None:
    """One ``screen`` option per library-spec axis of a formulation column; each stores
    under its spec key."""
    from spepred.data.columns import FORMULATION

    for c in FORMULATION:
        if c.screen_flag:
            help_text = c.spec_help.replace(" (list)", "").replace("%", "%%")
            metavar = c.screen_flag.lstrip("-").upper().replace("-", "_")
            p.add_argument(c.screen_flag, dest=c.spec_key, nargs="+", metavar=metavar, help=help_text)


def build_parser() -> argparse.ArgumentParser:
    from spepred.data.columns import OBJECTIVE_PROPERTIES, PROPERTIES

    parser = argparse.ArgumentParser(
        prog="spepred",
        description=(
            "Predict ionic conductivity (S/cm), electrochemical stability window (V), "
            "strength (MPa) and Li+ transference number of crosslinked solid polymer electrolytes."
        ),
    )
    _add_common(parser, top=True)
    parser.add_argument("--version", action="version", version=f"spepred {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = sub.add_parser("data", help="build the harmonized formulation table")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    build = data_sub.add_parser(
        "build", help="review records + public datasets -> the formulation table and its data card"
    )
    _add_common(build)
    build.add_argument(
        "--output",
        default=None,
        help="also write the table to this Parquet file (default: only print the card; "
        "`spepred train` builds the same table itself)",
    )
    build.add_argument(
        "--offline",
        action="store_true",
        help="never download; use only $SPEPRED_DATA_MIRROR and the cache",
    )
    build.add_argument(
        "--sources",
        default=None,
        help="comma-separated sources to build from (default: the training defaults, "
        "pei2025_review,bradford2023,htpmd2022,radonpy_pi1070; also hatakeyama2022, literature)",
    )
    build.set_defaults(func=_cmd_data_build)

    feat = sub.add_parser("featurize", help="formulation CSV -> feature matrix (Parquet)")
    _add_common(feat)
    feat.add_argument("--input", required=True, help="formulation table (CSV or Parquet; - reads CSV from stdin)")
    feat.add_argument("--smiles-column", metavar="NAME", help="the column holding the matrix SMILES (default monomer_smiles)")
    feat.add_argument("--output", required=True, help="features Parquet (errors go next to it)")
    feat.add_argument("--morgan-size", type=int, default=256, help="folded Morgan size (256)")
    feat.add_argument("--xtb", action="store_true", help="add GFN2-xTB orbital energies (slow)")
    feat.add_argument(
        "--strict", action="store_true",
        help=f"exit {EXIT_ROWS_FAILED} when any row could not be featurized (every row is still accounted for)",
    )
    feat.set_defaults(func=_cmd_featurize)

    tr = sub.add_parser("train", help="train the σ, window, strength and Tg models (MLflow-tracked)")
    _add_common(tr)
    tr.add_argument(
        "--data",
        action="append",
        metavar="CSV",
        help="your own formulation table with labels (repeatable); default: the built-in sources",
    )
    tr.add_argument(
        "--with-defaults", action="store_true", help="with --data: add the built-in sources too"
    )
    tr.add_argument(
        "--targets", action="append", metavar="T", help=", ".join(PROPERTIES) + " (comma-separated; default all)"
    )
    tr.add_argument("--model-dir", default="models/default", help="bundle directory (models/default)")
    tr.add_argument(
        "--tracking-uri",
        default=None,
        help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or sqlite:///mlflow.db here)",
    )
    tr.add_argument("--experiment", default="spepred", help="MLflow experiment name (spepred)")
    tr.add_argument("--run-name", default=None, help="MLflow run name (default: generated)")
    tr.add_argument("--seed", type=int, default=0, help="random seed (0)")
    tr.add_argument("--cv-folds", type=int, default=5, help="grouped CV folds for σ (5)")
    tr.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    tg = tr.add_mutually_exclusive_group()
    tg.add_argument(
        "--tg-data",
        metavar="CSV",
        default=None,
        help="glass transitions for the Tg model, PolyMetriX columns (PSMILES, Exp_Tg(K), number of "
        "points, stdev, reliability); default: polymetrix_tg with the built-in sources, none with --data alone",
    )
    tg.add_argument("--no-tg", action="store_true", help="no Tg model (Tg_K_* predicted as NaN)")
    tr.set_defaults(func=_cmd_train)

    pr = sub.add_parser(
        "predict",
        help="predict σ, window and strength for one formulation or a CSV of them",
        description="Single formulation: --smiles ... [--crosslinker PETEA] ...; batch: --input CSV --output CSV.",
    )
    _add_common(pr)
    _add_formulation_options(pr)
    pr.add_argument("--model", help="model bundle directory (default: the shipped bundle)")
    pr.add_argument(
        "--format",
        choices=("table", "json", "csv", "tsv", "parquet"),
        default=None,
        help="output format: one formulation table (default), json, csv or tsv; batch csv, tsv, parquet or "
        "json (default: from the --output suffix, csv on stdout)",
    )
    pr.add_argument(
        "--neighbours", type=int, default=5, metavar="N",
        help="one formulation: show the N most similar labelled training systems (5; 0 for none)",
    )
    pr.add_argument("--input", help="batch: formulation table (CSV or Parquet; - reads CSV from stdin)")
    pr.add_argument(
        "--output", help="batch: predictions file (.csv, .tsv, .parquet or .json); '-' or none: stdout"
    )
    pr.add_argument(
        "--strict",
        action="store_true",
        help=f"batch: exit {EXIT_ROWS_FAILED} when any row could not be predicted (every row is still written)",
    )
    pr.add_argument(
        "--smiles-column", metavar="NAME",
        help="batch: the column holding the matrix SMILES (default monomer_smiles, or smiles in any case)",
    )
    pr.add_argument(
        "--chunk-rows", type=int, default=50_000, metavar="N",
        help="batch: rows read, predicted and written at a time (50000; memory grows with it, not with the file)",
    )
    pr.set_defaults(func=_cmd_predict)

    sc = sub.add_parser(
        "screen",
        help="rank a virtual library (spec or formulation table) by σ, window and strength",
        description=(
            "Expand a library spec (YAML/TOML, or the options below) as a Cartesian product, or take a "
            "ready formulation table, predict every formulation (resumably, in chunks), rank it and flag "
            "the σ–window–strength Pareto front. Options replace the spec's keys of the same name."
        ),
    )
    _add_common(sc)
    sc.add_argument("--spec", help="library spec file (YAML or TOML)")
    sc.add_argument("--input", help="ready formulation table (CSV/Parquet) or polyinfo_candidates")
    sc.add_argument("--monomers-csv", metavar="CSV", help="CSV with a monomer_smiles (or smiles) column")
    _add_axis_options(sc)
    sc.add_argument("--output", required=True, help="output directory (resumable: rerun to continue)")
    sc.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="predictions file format (parquet)")
    sc.add_argument(
        "--objective", choices=("desirability", "weighted", *OBJECTIVE_PROPERTIES), default="desirability",
        help="ranking: desirability (geometric mean of ramps, default), weighted (arithmetic), or one property",
    )
    sc.add_argument("--weights", help="weights of the combined objectives, e.g. sigma=2,window=1,strength=1")
    sc.add_argument(
        "--ranges",
        help="poor:good ramps, e.g. sigma=1e-5:1e-3,window=4:5,strength=1:20 ("
        + ", ".join(p.quantity_unit for p in OBJECTIVE_PROPERTIES.values() if p.quantity_unit) + ")",
    )
    sc.add_argument("--bound", choices=("pred", "lo"), default="pred", help="rank by the prediction or the lower 90%% bound")
    sc.add_argument("--require", action="append", metavar="COND", help="threshold, e.g. 'window>=4.5' (repeatable)")
    sc.add_argument("--in-domain-only", action="store_true", help="rank only formulations inside the applicability domain")
    sc.add_argument("--top", type=int, default=20, help="rows in top.csv (20)")
    sc.add_argument("--engine", choices=("local", "spark"), default="local", help="local processes or Apache Spark")
    sc.add_argument("--spark-master", default="local[2]", help="Spark master: local[2] or spark://host:port")
    sc.add_argument("--workers", type=int, help="local engine processes (default: 2 cores)")
    sc.add_argument("--chunk-rows", type=int, default=50_000, help="rows per resumable chunk (50000)")
    sc.add_argument("--model", help="model bundle directory (default: the shipped bundle)")
    sc.add_argument("--overwrite", action="store_true", help="discard what --output holds from another screen")
    sc.add_argument("--no-plot", action="store_true", help="do not draw pareto.png")
    sc.add_argument(
        "--strict", action="store_true",
        help=f"exit {EXIT_ROWS_FAILED} when any formulation could not be predicted (every row is still written)",
    )
    sc.add_argument(
        "--max-formulations", type=int, metavar="N",
        help="refuse a library larger than this before starting (default 10,000,000)",
    )
    sc.set_defaults(func=_cmd_screen)

    sv = sub.add_parser("serve", help="web page at / and HTTP service: POST /predict, GET /health, /chemicals, /model, /docs")
    _add_common(sv)
    sv.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1; loopback only by default)")
    sv.add_argument("--port", type=int, default=8000, help="port (8000)")
    sv.add_argument("--model", help="model bundle directory (default: the shipped bundle)")
    sv.add_argument(
        "--allowed-host", action="append", metavar="NAME",
        help="Host header to answer (repeatable; default the loopback names; '*' any): guards "
        "against DNS rebinding",
    )
    sv.add_argument(
        "--screen", action="append", metavar="DIR",
        help="a finished `spepred screen` output directory to browse on the page (repeatable)",
    )
    sv.add_argument(
        "--request-timeout", type=float, default=10.0, metavar="S",
        help="seconds a connection has to send a whole request before it is closed (10)",
    )
    sv.set_defaults(func=_cmd_serve)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_USAGE if args.command is None else 0
    import logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.ERROR if args.quiet else logging.WARNING,
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
    except BrokenPipeError:
        # the reader went away (spepred predict ... | head): stop quietly, as Unix tools do;
        # stdout goes to /dev/null so that the interpreter's final flush cannot fail again
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
