"""What notebooks, the CLI and the HTTP service call: build data, featurize, train, predict.

Every function here is a thin orchestration over the sub-packages; none prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spepred.data.build import DEFAULT_SOURCES, DataCard, build_formulations, write_parquet_atomic

def build_data(
    output: str | Path | None = None,
    *,
    sources: tuple[str, ...] = DEFAULT_SOURCES,
    download: bool = True,
) -> tuple[pd.DataFrame, DataCard]:
    """Build the formulation table from the review and the public sources.

    Writes ``output`` (Parquet, atomically) when given, for the user to read: :func:`train`
    never reads it, it builds the same table from the same sources itself (about 12 s of a
    default training's 105 s), so a table left on disk can never be trained on stale.
    Idempotent: the same inputs give a byte-identical table (same ``card.data_hash``).
    """
    table, card = build_formulations(sources, download=download)
    if output is not None:
        write_parquet_atomic(table, Path(output))
    return table, card


def featurize(
    table: pd.DataFrame,
    config=None,
    *,
    source: str = "input",
    progress=None,
):
    """Validate and featurize a formulation table.

    Returns a :class:`~spepred.featurize.FeatureResult` with one feature row per input row
    (NaN where ``ok`` is False) and every problem as a :class:`~spepred.errors.RowError`:
    each input row is either featurized or listed in ``errors``.
    """
    from spepred.data.schema import validate_formulations
    from spepred.featurize import FormulationFeaturizer

    normalized, errors = validate_formulations(table, source=source)
    bad_rows = {e.row for e in errors if isinstance(e.row, int)}
    ok = ~pd.Series(range(1, len(normalized) + 1)).isin(bad_rows).to_numpy()
    featurizer = FormulationFeaturizer(config)
    result = featurizer.transform(normalized, ok=ok, source=source, progress=progress)
    result.errors = sorted(errors + result.errors, key=lambda e: e.row if isinstance(e.row, int) else -1)
    return normalized, result


# -- training ---------------------------------------------------------------------------
DEFAULT_MODEL_DIR = Path("models/default")
MODEL_ENV = "SPEPRED_MODEL"


@dataclass
class TrainReport:
    """What ``train`` produced: the fitted result, where the bundle is, the MLflow run."""

    result: object  # spepred.models.train.TrainResult
    bundle_dir: Path
    metrics_text: str
    data_card: DataCard | None
    run: dict[str, str] | None
    #: the CV per regime (:func:`spepred.models.regime_table.regime_text`)
    regime_text: str = ""


def load_training_table(
    data: list[str | Path | pd.DataFrame] | None = None, *, with_defaults: bool = False
) -> tuple[pd.DataFrame, DataCard | None]:
    """The table to train on: the default sources, or the given tables (validated all at
    once: every bad row of every table is listed in one error)."""
    from spepred.data.schema import read_table, validate_formulations
    from spepred.errors import TableValidationError

    parts: list[pd.DataFrame] = []
    card = None
    if not data or with_defaults:
        table, card = build_formulations(DEFAULT_SOURCES)
        parts.append(table)
    errors = []
    for i, item in enumerate(data or []):
        if isinstance(item, pd.DataFrame):
            raw, name = item, f"table {i + 1}"
        else:
            raw, name = read_table(item), Path(item).name
        normalized, errs = validate_formulations(raw, source=name, require_labels=True)
        errors += errs
        parts.append(normalized)
    if errors:
        raise TableValidationError(errors, what="training data")
    table = pd.concat(parts, ignore_index=True)
    dup = table["record_id"].duplicated()
    if dup.any():
        raise TableValidationError(
            [],
            what=f"training data: record_id {table.loc[dup, 'record_id'].iloc[0]!r} appears in more than one table",
        )
    return table, card


def train(
    data: list[str | Path | pd.DataFrame] | None = None,
    *,
    with_defaults: bool = False,
    targets: tuple[str, ...] | None = None,
    model_dir: str | Path = DEFAULT_MODEL_DIR,
    tracking_uri: str | None = None,
    experiment: str = "spepred",
    run_name: str | None = None,
    seed: int = 0,
    cv_folds: int = 5,
    config=None,
    track: bool = True,
    register: bool = True,
    progress=None,
    tg_data: str | Path | pd.DataFrame | bool | None = None,
    tg_config=None,
) -> TrainReport:
    """Train the σ, window and strength models and the Tg model, write the bundle, log one
    MLflow run.

    Parameters
    ----------
    data
        Formulation tables (paths or DataFrames) with labels. ``None``: the default sources
        (review + public datasets). Given: only these tables, unless ``with_defaults``.
    model_dir
        Where the bundle is written (atomically, after the MLflow run is recorded). It
        must not exist, be empty, or be a spepred bundle and nothing else: anything else
        (a folder of other files, a file) is refused before training starts.
    tracking_uri
        MLflow tracking URI. Without it, MLflow's own order: the URI set by
        ``mlflow.set_tracking_uri()``, else ``$MLFLOW_TRACKING_URI``, else
        ``sqlite:///mlflow.db`` in the working directory. The caller's MLflow setting is
        left unchanged.
    run_name
        Name of the MLflow run (default: MLflow's generated name).
    tg_data
        The glass transitions the Tg model learns from: a PolyMetriX-style table (path or
        DataFrame with ``PSMILES``, ``Exp_Tg(K)``, ``number of points``, ``stdev``,
        ``reliability``; see :mod:`spepred.data.tg`). ``None``: the ``polymetrix_tg``
        source when the default sources are used (no ``data``, or ``with_defaults``), else
        none. ``False``: no Tg model. A bundle without one predicts ``Tg_K_*`` as NaN and
        its ``tg_note`` says why (also when the source cannot be fetched: training goes on).
    tg_config
        A :class:`spepred.models.tg.TgConfig` (default: this training's folds and seed).
    """
    from spepred.models.bundle import (
        check_replaceable,
        load_bundle,
        publish_bundle,
        staging_directory,
        write_bundle,
    )
    from spepred.models.config import TrainConfig
    from spepred.models.regime_table import regime_table, regime_text
    from spepred.models.report import metrics_table
    from spepred.models.train import announce_steps, train_models

    # everything that can be refused is refused before any training time is spent: a
    # model_dir that is not a bundle (it would be replaced), a tracking store that cannot
    # be opened (the run would fail after the bundle had been replaced)
    check_replaceable(model_dir)
    cfg = config or TrainConfig()
    changes = {"seed": seed, "cv_folds": cv_folds}
    if targets:
        changes["targets"] = tuple(targets)
    cfg = cfg.with_(**changes)
    table, card = load_training_table(data, with_defaults=with_defaults)
    tg_table, tg_source, tg_note = load_tg_table(tg_data, defaults=not data or with_defaults)
    uri = None
    if track:  # after the table (a bad table creates no store), before any fitting
        from spepred.tracking.runs import check_tracking_uri, resolve_tracking_uri

        uri = resolve_tracking_uri(tracking_uri)
        check_tracking_uri(uri)
    tcfg = None
    if tg_table is not None:
        from spepred.models.tg import TgConfig

        tcfg = tg_config or TgConfig(cv_folds=cfg.cv_folds, seed=cfg.seed, n_jobs=cfg.n_jobs)
        announce_steps(progress, tcfg.cv_folds + 1)  # its folds and the final fit
    result = train_models(table, cfg, progress=progress)
    if tcfg is not None:
        from spepred.models.tg import TgModel

        t0 = time.perf_counter()
        result.tg = TgModel(tcfg).fit(tg_table["polymer_key"], tg_table["Tg_K"], progress=progress)
        result.timings_s["train_tg"] = time.perf_counter() - t0
    result.tg_source, result.tg_note = tg_source, tg_note
    t0 = time.perf_counter()
    # written once into a private staging directory; the MLflow run and the published
    # bundle are both that copy, even when another training writes to model_dir meanwhile.
    # The run is recorded first and the bundle published after it: a training killed at
    # any point leaves either the previous bundle or a new one that has its run.
    with staging_directory(model_dir) as staged:
        write_bundle(result, staged)
        meta = load_bundle(staged).meta
        result.timings_s["bundle"] = time.perf_counter() - t0
        run = None
        if track:
            t0 = time.perf_counter()
            from spepred.tracking.runs import log_training

            run = log_training(
                result,
                staged,
                tracking_uri=uri,
                experiment=experiment,
                data_card=card.to_dict() if card else None,
                register=register,
                run_name=run_name,
                data=table,
            )
            result.timings_s["mlflow"] = time.perf_counter() - t0
        bundle_dir = publish_bundle(staged, model_dir)
    return TrainReport(
        result=result,
        bundle_dir=bundle_dir,
        metrics_text=metrics_table(meta["targets"], tg=meta.get("tg"), tg_note=meta.get("tg_note") or ""),
        data_card=card,
        run=run,
        regime_text=regime_text(regime_table(result.targets)),
    )


def load_tg_table(
    tg_data: str | Path | pd.DataFrame | bool | None, *, defaults: bool
) -> tuple[pd.DataFrame | None, str, str]:
    """The merged Tg table to train on (one row per polymer), its source, and the note
    said instead when there is none (see :func:`train`'s ``tg_data``). Read before any
    fitting, so a bad Tg table is refused before training time is spent."""
    from spepred.data.tg import SOURCE, load_polymetrix_tg, merge_tg
    from spepred.errors import SpepredError

    if tg_data is False:
        return None, "", "no Tg model: not requested"
    if tg_data is None or tg_data is True:
        if not defaults and tg_data is None:
            return None, "", (
                "no Tg model: trained on the given tables only (add --tg-data FILE or --with-defaults "
                f"to fit it on {SOURCE})"
            )
        try:
            polymers = load_polymetrix_tg().polymers
        except SpepredError as err:  # offline without mirror: the σ models still train
            return None, "", f"no Tg model: source {SOURCE} not available ({err})"
        return polymers, SOURCE, ""
    if isinstance(tg_data, pd.DataFrame):
        return merge_tg(tg_data, source="Tg table").polymers, "Tg table", ""
    from spepred.data.schema import read_table

    name = Path(tg_data).name
    raw = read_table(tg_data)  # text cells; merge_tg parses Tg and counts and names bad ones
    if "stdev" in raw:
        raw["stdev"] = pd.to_numeric(raw["stdev"], errors="coerce")
    return merge_tg(raw, source=name).polymers, name, ""


# -- prediction -------------------------------------------------------------------------
def shipped_model_path() -> Path:
    """The bundle shipped inside the package."""
    from importlib import resources

    return Path(str(resources.files("spepred.resources").joinpath("default_model")))


def default_model_path() -> Path:
    """``$SPEPRED_MODEL``, else the bundle shipped inside the package.

    Never a directory found in the working directory: a ``./models/default`` left there
    (an old training, someone else's checkout) would otherwise silently replace the
    shipped model. A bundle of your own is named explicitly (``--model DIR``,
    ``load_predictor(DIR)`` or ``$SPEPRED_MODEL``).
    """
    import os

    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    return shipped_model_path()


def load_predictor(path: str | Path | None = None, *, n_jobs: int | None = None):
    """The predictor of a bundle (default: :func:`default_model_path`)."""
    from spepred.models.predictor import Predictor

    return Predictor.load(Path(path) if path is not None else default_model_path(), n_jobs=n_jobs)


def predict(table: pd.DataFrame | None = None, /, *, model: str | Path | None = None, **kwargs) -> pd.DataFrame:
    """One-shot prediction: ``predict(df)`` or ``predict(smiles=..., crosslinker=...)``."""
    return load_predictor(model).predict(table, **kwargs)


# -- screening --------------------------------------------------------------------------
def screen(
    spec=None,
    /,
    *,
    output: str | Path,
    options: dict | None = None,
    model: str | Path | None = None,
    engine: str = "local",
    spark_master: str = "local[2]",
    workers: int | None = None,
    chunk_rows: int = 50_000,
    objective: str = "desirability",
    weights: str | dict | None = None,
    ranges: str | dict | None = None,
    bound: str = "pred",
    thresholds: tuple[str, ...] | list[str] = (),
    in_domain_only: bool = False,
    top: int = 20,
    output_format: str = "parquet",
    overwrite: bool = False,
    plot: bool = True,
    progress=None,
    max_formulations: int | None = None,
):
    """Screen a virtual library: predict every formulation, rank, flag the Pareto front.

    Parameters
    ----------
    spec
        A YAML/TOML library spec, a mapping of spec keys (``monomers``, ``crosslinkers``,
        ``fillers``, ``salts``, ``temperature_C``, ..., or ``input`` for a ready formulation
        table or ``"polyinfo_candidates"``), or a :class:`spepred.screen.Library`.
    output
        Directory for ``predictions.parquet`` (or ``.csv``), ``top.csv``, ``pareto.csv``,
        ``pareto.png``, ``summary.json`` and the resumable chunks. Re-running the same
        library and model there reuses every finished chunk.
    options
        Spec keys given separately (the CLI's options); they replace the spec's.
    engine, spark_master
        ``local`` (worker processes on this machine) or ``spark`` (``local[2]`` or
        ``spark://host:port``); both give identical predictions.
    objective, weights, ranges, bound
        Ranking: ``desirability`` (default), ``weighted``, ``sigma``, ``window`` or
        ``strength``; weights ``"sigma=2,window=1"``; poor:good ramps
        ``"sigma=1e-5:1e-3"``; ``bound="lo"`` ranks by the lower 90 % bound.
    thresholds
        Requirements such as ``"window>=4.5"`` or ``"sigma >= 1e-4 S/cm"``: rows that miss
        one stay in the predictions, flagged ``feasible = False``, and are not ranked.
    max_formulations
        A library of more formulations is refused before it is planned (default
        :data:`spepred.screen.spec.MAX_FORMULATIONS`, ten million); the message says how
        many it holds.

    Returns
    -------
    spepred.screen.runner.ScreenResult
    """
    from spepred.screen import Library, Objective, Threshold, load_spec
    from spepred.screen.runner import run_screen

    from spepred.screen.spec import MAX_FORMULATIONS

    limit = MAX_FORMULATIONS if max_formulations is None else max_formulations
    library = spec if isinstance(spec, Library) else load_spec(spec, overrides=options, max_formulations=limit)
    obj = Objective.from_options(objective, weights=weights, ranges=ranges, bound=bound)
    ths = [t if isinstance(t, Threshold) else Threshold.parse(t) for t in thresholds]
    bundle = Path(model) if model is not None else default_model_path()
    return run_screen(
        library,
        bundle,
        output,
        engine=engine,
        spark_master=spark_master,
        workers=workers,
        chunk_rows=chunk_rows,
        objective=obj,
        thresholds=ths,
        in_domain_only=in_domain_only,
        top=top,
        output_format=output_format,
        overwrite=overwrite,
        plot=plot,
        progress=progress,
        max_formulations=limit,
    )
