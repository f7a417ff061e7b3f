"""Log a training run to MLflow: config, data, metrics, plots, model card, pyfunc model."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from spepred.models.config import TARGETS

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "spepred"
REGISTERED_MODEL = "spepred"
#: Alias set on the version registered by every successful training.
CHAMPION = "champion"
TRACKING_ENV = "MLFLOW_TRACKING_URI"


def resolve_tracking_uri(uri: str | None = None, workdir: str | Path = ".") -> str:
    """The tracking URI with MLflow's own precedence.

    ``uri`` (``--tracking-uri``), else what ``mlflow.set_tracking_uri()`` set in this
    process (a notebook's), else ``$MLFLOW_TRACKING_URI``, else a SQLite file in the working
    directory (spelled out: MLflow's own default has changed between versions).
    """
    if uri:
        return uri
    import mlflow

    if mlflow.tracking.is_tracking_uri_set():
        # MLflow's order: the URI set in this process first, then the environment variable
        return mlflow.get_tracking_uri()
    return f"sqlite:///{(Path(workdir).resolve() / 'mlflow.db').as_posix()}"


@contextmanager
def _tracking_uri_for_this_run(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at ``uri`` for one run, then give the caller's setting back
    (a notebook that set its own URI, or none, finds it unchanged after a training)."""
    import mlflow

    was_set = mlflow.tracking.is_tracking_uri_set()
    previous = mlflow.get_tracking_uri() if was_set else None
    env = os.environ.get(TRACKING_ENV)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(None)  # clears MLflow's setting and the variable it exported
        if previous is not None and previous != env:
            mlflow.set_tracking_uri(previous)
        if env is None:
            os.environ.pop(TRACKING_ENV, None)
        else:
            os.environ[TRACKING_ENV] = env


def _artifact_location(uri: str) -> str | None:
    """For a SQLite store, keep artifacts next to the database (not in the cwd)."""
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///"))
        return (db.parent / "mlartifacts").resolve().as_uri()
    return None


@contextmanager
def _store_init_lock(uri: str) -> Iterator[None]:
    """Hold an exclusive lock on a SQLite store's file while MLflow creates or migrates its
    tables: two trainings that open a new store at the same time would otherwise both run
    the schema creation, and one dies with ``table ... already exists``. The lock is a
    ``flock`` on the database file itself (SQLite's own locks are independent of it), so
    no lock file is left behind. Other stores (servers, files) need no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    if not uri.startswith("sqlite:///") or uri.endswith(":memory:"):
        yield
        return
    db = Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(db, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def open_store(uri: str):
    """An ``MlflowClient`` on ``uri`` whose tracking and registry tables exist (created
    under :func:`_store_init_lock`, so concurrent trainings can share one SQLite store)."""
    import mlflow

    with _store_init_lock(uri):
        client = mlflow.MlflowClient(uri, registry_uri=uri)
        client.search_experiments(max_results=1)
        client.search_registered_models(max_results=1)
    return client


#: How long checking a tracking server may take before training (MLflow's own client
#: retries an unreachable server for minutes; the check tries once).
CHECK_TIMEOUT_S = 10


def check_tracking_uri(uri: str) -> None:
    """Open the tracking and registry store at ``uri`` once, before any training time is
    spent, so that an unsupported scheme (``notascheme://x``), an unwritable SQLite path or
    an unreachable server is one clear :class:`~spepred.errors.SpepredError` up front
    instead of a traceback after the bundle has been written."""
    from spepred.errors import SpepredError

    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(CHECK_TIMEOUT_S)
    try:
        open_store(uri)
    except Exception as err:  # MLflow raises many kinds (its own, OSError, SQLAlchemy, requests)
        reason = " ".join(str(err).split()).split(". See ")[0]
        if len(reason) > 300:
            reason = reason[:300] + "..."
        raise SpepredError(
            f"cannot use MLflow tracking URI {uri!r}: {reason or type(err).__name__} "
            "(nothing was trained; fix --tracking-uri / $MLFLOW_TRACKING_URI or pass --no-track)"
        ) from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_MLFLOW_TYPES = {"matrix": "string", "chemicals": "string", "category": "string", "number": "double", "bool": "boolean"}


def _input_schema():
    """The formulation columns the model accepts (declared in :mod:`spepred.data.columns`);
    only ``monomer_smiles`` is required."""
    from mlflow.types.schema import ColSpec, Schema

    from spepred.data.columns import FORMULATION

    return Schema([ColSpec(_MLFLOW_TYPES[c.kind], c.name, required=c.required) for c in FORMULATION])


#: The input example logged with the model; its real prediction gives the output schema.
EXAMPLE = [
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
    {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "salt_molality_mol_kg": 1.0, "temperature_C": 60.0},
]


def prediction_columns(predictions: pd.DataFrame) -> pd.DataFrame:
    """The prediction columns of ``Predictor.predict``'s table, in ``OUTPUT_COLUMNS`` order
    (what the pyfunc model returns; importing the model file itself would register it)."""
    from spepred.models.predictor import OUTPUT_COLUMNS

    return predictions[list(OUTPUT_COLUMNS)]


def _signature(bundle_dir: Path):
    """Inputs as declared above; outputs inferred from a real prediction of the bundle, so
    the output schema names every prediction column with its type (``spark_udf`` builds
    its struct result type from it)."""
    import warnings

    from mlflow.models import infer_signature
    from mlflow.models.signature import ModelSignature

    from spepred.models.predictor import Predictor

    example = pd.DataFrame(EXAMPLE)
    predicted = prediction_columns(Predictor.load(bundle_dir).predict(example))
    with warnings.catch_warnings():
        # unseen_fragments is an integer that is never missing (-1 where nothing was scored)
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column.*", category=UserWarning)
        outputs = infer_signature(example, predicted).outputs
    return ModelSignature(inputs=_input_schema(), outputs=outputs)


def runtime_requirements() -> list[str] | None:
    """spepred's runtime dependencies, pinned to the installed versions, for the logged
    model's environment (spepred itself travels with the model as code: no index serves
    it). ``None`` when spepred's metadata is not installed (MLflow then infers them)."""
    from importlib.metadata import PackageNotFoundError, requires, version

    from packaging.requirements import Requirement

    try:
        declared = requires("spepred") or []
    except PackageNotFoundError:
        return None
    out = []
    for text in declared:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra, or another platform's alternative (xgboost vs xgboost-cpu)
        try:
            out.append(f"{req.name}=={version(req.name)}")
        except PackageNotFoundError:
            continue
    return out


def _flat_params(config: dict) -> dict[str, str]:
    out = {}
    for k, v in config.items():
        if isinstance(v, dict):
            for k2, v2 in _flat_params(v).items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = json.dumps(v) if isinstance(v, (list, tuple)) else str(v)
    return out


def log_training(
    result,
    bundle_dir: Path,
    *,
    tracking_uri: str,
    experiment: str = DEFAULT_EXPERIMENT,
    data_card: dict | None = None,
    register: bool = True,
    run_name: str | None = None,
    data: pd.DataFrame | None = None,
) -> dict[str, str]:
    """One MLflow run for one training.

    Returns ``{"run_id", "model_uri", "registered", "champion"}``: the registered version
    (``models:/spepred/<n>``) also gets the alias ``champion`` (``models:/spepred@champion``).
    ``data``, the training table, is logged as the run's input dataset (``mlflow.log_input``:
    its schema, digest and row count, not the rows). MLflow's global tracking URI is left as
    the caller had it.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    client = open_store(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        try:
            client.create_experiment(experiment, artifact_location=_artifact_location(tracking_uri))
        except mlflow.exceptions.MlflowException:
            pass  # created concurrently by another training
        exp = client.get_experiment_by_name(experiment)
    with _tracking_uri_for_this_run(tracking_uri):
        return _log_run(mlflow, client, exp.experiment_id, result, Path(bundle_dir), data_card, register, run_name, data)


def _log_run(mlflow, client, experiment_id, result, bundle_dir, data_card, register, run_name, data):
    """The run itself (the tracking URI already points at the store)."""
    import warnings

    from spepred import plots
    from spepred.models.bundle import library_versions
    from spepred.models.regime_table import regime_metrics, regime_table, regime_text
    from spepred.models.report import metrics_table, model_card

    meta = json.loads((Path(bundle_dir) / "bundle.json").read_text("utf-8"))
    # the experiment by id, not mlflow.set_experiment(): the caller's active experiment stays
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run, tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        if data is not None:
            dataset = mlflow.data.from_pandas(data, name="spepred-training", digest=result.data_hash[:8] or None)
            mlflow.log_input(dataset, context="training")
        mlflow.log_params(_flat_params(result.config.to_dict()))
        mlflow.log_params(
            {
                "data_hash": result.data_hash,
                **{f"rows.{k}": v for k, v in result.rows_per_source.items()},
                **{f"labels.{TARGETS[k].label}": t.n_labels for k, t in result.targets.items()},
            }
        )
        mlflow.set_tags(
            {
                "model_version": meta["model_version"],
                **{f"lib.{k}": v for k, v in library_versions().items()},
            }
        )
        for key, tr in result.targets.items():
            for name, value in tr.metrics.items():
                mlflow.log_metric(f"{key}.cv.{name}", value)
            for name, value in tr.baseline_metrics.items():
                mlflow.log_metric(f"{key}.baseline.{name}", value)
            mlflow.log_metric(f"{key}.beats_baseline", float(tr.beats_baseline))
            for f, mae in enumerate(tr.fold_mae):
                mlflow.log_metric(f"{key}.cv.fold_mae", mae, step=f)
            label = tr.spec.label
            plots.parity_plot(tr.cv_predictions, label, tmp / f"parity_{label}.png")
            plots.residual_plot(tr.cv_predictions, label, tmp / f"residuals_{label}.png")
            tr.cv_predictions.to_csv(tmp / f"cv_predictions_{label}.csv", index=False)
            tr.importance.to_csv(tmp / f"feature_importance_{label}.csv", index=False)
        tg = getattr(result, "tg", None)
        if tg is not None:  # the Tg model: same metric names, key "tg"
            for name, value in tg.metrics_.items():
                mlflow.log_metric(f"tg.cv.{name}", value)
            for name, value in tg.baseline_metrics_.items():
                mlflow.log_metric(f"tg.baseline.{name}", value)
            mlflow.log_metric("tg.beats_baseline", float(tg.beats_baseline))
            mlflow.log_params(
                {"tg.source": result.tg_source, "tg.n_polymers": tg.n_polymers_}
                | {f"tg.{k}": v for k, v in _flat_params(tg.config.to_dict()).items()}
            )
            tg.cv_predictions_.to_csv(tmp / "cv_predictions_Tg_K.csv", index=False)
        else:
            mlflow.set_tag("tg_note", getattr(result, "tg_note", "") or "no Tg model")
        # the CV per regime: a table artifact and flat metrics (sigma_mae_gel, ...)
        regimes = regime_table(result.targets)
        if not regimes.empty:
            mlflow.log_table(regimes, artifact_file="regime_table.json")
            mlflow.log_metrics(regime_metrics(regimes))
            (tmp / "regime_table.txt").write_text(regime_text(regimes))
        for stage, secs in result.timings_s.items():
            mlflow.log_metric(f"time_s.{stage}", secs)
        (tmp / "config.json").write_text(json.dumps(result.config.to_dict(), indent=1))
        (tmp / "model_card.md").write_text(model_card(meta))
        (tmp / "cv_metrics.txt").write_text(
            metrics_table(meta["targets"], tg=meta.get("tg"), tg_note=meta.get("tg_note") or "")
        )
        if data_card is not None:
            (tmp / "data_card.json").write_text(json.dumps(data_card, indent=1, default=str))
        mlflow.log_artifacts(str(tmp))
        with warnings.catch_warnings():
            # MLflow suggests type hints on predict(); the explicit signature below is ours
            warnings.filterwarnings("ignore", message=".*type hints.*", category=UserWarning)
            info = _log_pyfunc(mlflow, bundle_dir, register)
        registered = champion = ""
        version = getattr(info, "registered_model_version", None)
        if register and version:
            registered = f"models:/{REGISTERED_MODEL}/{version}"
            # the current convention for "the model to use" (stages are deprecated)
            client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, str(version))
            champion = f"models:/{REGISTERED_MODEL}@{CHAMPION}"
        return {"run_id": run.info.run_id, "model_uri": info.model_uri, "registered": registered, "champion": champion}


#: Parts of the package a logged model does not run: the shipped bundle (the model carries
#: its own as an artifact), the literature corpus (training data), the web page's files,
#: compiled caches.
_NOT_MODEL_CODE = (("resources", "default_model"), ("resources", "literature"), ("web", "static"))


def _copy_model_code(dst: Path) -> Path:
    """A copy of the spepred package for ``code_paths``, without what the model never runs."""
    import shutil

    import spepred

    pkg = Path(spepred.__file__).resolve().parent

    def ignore(directory: str, names: list[str]) -> set[str]:
        # copytree names each directory under pkg as it walks; resolving it would follow a
        # linked resource (resources/literature -> data/raw/literature) out of the package
        rel = Path(directory).relative_to(pkg).parts
        skip = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        skip |= {part[-1] for part in _NOT_MODEL_CODE if rel == part[:-1] and part[-1] in names}
        return skip

    out = dst / "spepred"
    shutil.copytree(pkg, out, ignore=ignore)
    return out


def _log_pyfunc(mlflow, bundle_dir: Path, register: bool):
    """Log the pyfunc model with an environment MLflow can rebuild: the spepred package as
    code (``code_paths``: it is on no index) and its dependencies pinned as pip
    requirements, so ``mlflow models serve`` / ``spark_udf`` with ``--env-manager
    virtualenv`` or ``uv`` can restore it."""
    with tempfile.TemporaryDirectory() as tmpd:
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("pyfunc_model.py")),
            artifacts={"bundle": str(bundle_dir)},
            code_paths=[str(_copy_model_code(Path(tmpd)))],
            signature=_signature(bundle_dir),
            input_example=pd.DataFrame(EXAMPLE),
            registered_model_name=REGISTERED_MODEL if register else None,
            pip_requirements=runtime_requirements(),
        )


def log_benchmark(
    name: str,
    *,
    params: dict[str, object],
    metrics: dict[str, float],
    artifacts: list[Path],
    tracking_uri: str,
    experiment: str = "spepred-benchmarks",
) -> str:
    """One MLflow run for one benchmark script: its parameters, headline metrics (NaN
    skipped) and files (tables, plots). Returns the run id."""
    import math

    import mlflow

    from spepred.models.bundle import library_versions

    client = open_store(tracking_uri)
    if client.get_experiment_by_name(experiment) is None:
        try:
            client.create_experiment(experiment, artifact_location=_artifact_location(tracking_uri))
        except mlflow.exceptions.MlflowException:
            pass
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.set_tags({"benchmark": name, **{f"lib.{k}": v for k, v in library_versions().items()}})
        for key, value in metrics.items():
            if value is not None and math.isfinite(value):
                mlflow.log_metric(key, float(value))
        for path in artifacts:
            mlflow.log_artifact(str(path))
        return run.info.run_id
