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
TRACKING_ENV = "MLFLOW_TRACKING_URI"


def resolve_tracking_uri(uri: str | None = None, workdir: str | Path = ".") -> str:
    """``uri``, else ``$MLFLOW_TRACKING_URI``, else a SQLite file in the working directory
    (set explicitly: MLflow's own default has changed between versions)."""
    if uri:
        return uri
    env = os.environ.get(TRACKING_ENV)
    if env:
        return env
    return f"sqlite:///{(Path(workdir).resolve() / 'mlflow.db').as_posix()}"


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


def _signature():
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    cols = [ColSpec("string", "monomer_smiles")]
    cols += [
        ColSpec("string", c, required=False)
        for c in ("crosslinker", "crosslink_type", "filler", "salt")
    ]
    cols += [
        ColSpec("double", c, required=False)
        for c in ("filler_wt_pct", "salt_molality_mol_kg", "mw_g_mol", "temperature_C")
    ]
    cols.append(ColSpec("boolean", "plasticized", required=False))
    return ModelSignature(inputs=Schema(cols))


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
) -> dict[str, str]:
    """One MLflow run for one training: returns ``{"run_id", "model_uri", "registered"}``."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import warnings

    import mlflow

    from spepred import plots
    from spepred.models.bundle import library_versions
    from spepred.models.report import metrics_table, model_card

    mlflow.set_tracking_uri(tracking_uri)
    client = open_store(tracking_uri)
    if client.get_experiment_by_name(experiment) is None:
        try:
            client.create_experiment(experiment, artifact_location=_artifact_location(tracking_uri))
        except mlflow.exceptions.MlflowException:
            pass  # created concurrently by another training
    mlflow.set_experiment(experiment)
    meta = json.loads((Path(bundle_dir) / "bundle.json").read_text("utf-8"))
    with mlflow.start_run(run_name=run_name) as run, tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
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
        for stage, secs in result.timings_s.items():
            mlflow.log_metric(f"time_s.{stage}", secs)
        (tmp / "config.json").write_text(json.dumps(result.config.to_dict(), indent=1))
        (tmp / "model_card.md").write_text(model_card(meta))
        (tmp / "cv_metrics.txt").write_text(metrics_table(meta["targets"]))
        if data_card is not None:
            (tmp / "data_card.json").write_text(json.dumps(data_card, indent=1, default=str))
        mlflow.log_artifacts(str(tmp))
        with warnings.catch_warnings():
            # MLflow suggests type hints on predict(); the explicit signature below is ours
            warnings.filterwarnings("ignore", message=".*type hints.*", category=UserWarning)
            info = _log_pyfunc(mlflow, bundle_dir, register)
        registered = ""
        if register and getattr(info, "registered_model_version", None):
            registered = f"models:/{REGISTERED_MODEL}/{info.registered_model_version}"
        return {"run_id": run.info.run_id, "model_uri": info.model_uri, "registered": registered}


def _log_pyfunc(mlflow, bundle_dir: Path, register: bool):
    from spepred.models.bundle import library_versions

    example = pd.DataFrame(
        [{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0}]
    )
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(Path(__file__).with_name("pyfunc_model.py")),
        artifacts={"bundle": str(bundle_dir)},
        signature=_signature(),
        input_example=example,
        registered_model_name=REGISTERED_MODEL if register else None,
        pip_requirements=[f"spepred=={library_versions()['spepred']}"],
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
