"""The logged model behaves as MLflow's users expect (issue 19, item 2).

Signature with outputs, predictions only (so ``spark_udf`` returns them, named), an
environment MLflow can rebuild (spepred as code, dependencies pinned), the ``champion``
alias, MLflow's own tracking-URI precedence, and the training data as the run's input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spepred.api import load_predictor, train
from spepred.models.predictor import OUTPUT_COLUMNS
from tests.conftest import skip_unless_required
from tests.models.conftest import TINY

#: every test here opens a new MLflow SQLite store (about ten seconds each)
pytestmark = pytest.mark.slow

QUERY = pd.DataFrame(
    [
        {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiClO4", "temperature_C": 70.0, "salt_molality_mol_kg": 1.2},
        {"monomer_smiles": "C1CC", "temperature_C": 25.0},
    ]
)


@pytest.fixture
def mlflow_state():
    """MLflow's global tracking URI as a test leaves it is reset afterwards."""
    import mlflow

    yield mlflow
    mlflow.set_tracking_uri(None)


def _model_info(uri: str, model_uri: str):
    import mlflow

    mlflow.set_tracking_uri(uri)
    try:
        return mlflow.models.get_model_info(model_uri)
    finally:
        mlflow.set_tracking_uri(None)


def test_signature_names_every_prediction_column_with_its_type(tiny_tracked):
    report, uri, _ = tiny_tracked
    outputs = _model_info(uri, report.run["registered"]).signature.outputs
    assert outputs is not None, "the logged signature has no outputs"
    types = {c.name: c.type.name for c in outputs.inputs}
    assert list(types) == list(OUTPUT_COLUMNS)
    assert types["log10_sigma_S_cm_pred"] == "double"
    assert types["in_domain"] == "boolean"
    assert types["unseen_fragments"] == "long"
    assert types["status"] == types["warnings"] == "string"


def test_pyfunc_returns_the_predictions_only_one_row_per_input_row(tiny_tracked, mlflow_state):
    report, uri, _ = tiny_tracked
    mlflow_state.set_tracking_uri(uri)
    out = mlflow_state.pyfunc.load_model(report.run["champion"]).predict(QUERY)
    assert list(out.columns) == list(OUTPUT_COLUMNS)  # no input column first
    local = load_predictor(report.bundle_dir).predict(QUERY)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), local[list(OUTPUT_COLUMNS)])
    assert list(out["status"][:2]) == ["ok", "ok"] and "unclosed ring" in out["status"][2]


def test_every_successful_training_moves_the_champion_alias(tmp_path, mlflow_state):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = train([TINY], model_dir=tmp_path / "a", tracking_uri=uri, experiment="alias", cv_folds=3)
    second = train([TINY], model_dir=tmp_path / "b", tracking_uri=uri, experiment="alias", cv_folds=3)
    client = mlflow_state.MlflowClient(uri, registry_uri=uri)
    assert first.run["champion"] == second.run["champion"] == "models:/spepred@champion"
    champion = client.get_model_version_by_alias("spepred", "champion")
    assert f"models:/spepred/{champion.version}" == second.run["registered"] != first.run["registered"]
    assert champion.run_id == second.run["run_id"]


def test_the_training_data_is_the_runs_input_dataset(tiny_tracked, mlflow_state):
    report, uri, _ = tiny_tracked
    run = mlflow_state.MlflowClient(uri).get_run(report.run["run_id"])
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1
    ds = inputs[0].dataset
    assert ds.name == "spepred-training"
    assert ds.digest == report.result.data_hash[:8]
    assert {t.key: t.value for t in inputs[0].tags}.get("mlflow.data.context") == "training"
    n_rows = sum(report.result.rows_per_source.values())
    assert f'"num_rows": {n_rows}' in ds.profile


def test_the_environment_can_be_rebuilt_without_an_index_serving_spepred(tiny_tracked, mlflow_state):
    report, uri, _ = tiny_tracked
    mlflow_state.set_tracking_uri(uri)
    requirements = Path(mlflow_state.pyfunc.get_model_dependencies(report.run["registered"])).read_text()
    names = {line.split("==")[0].strip().lower() for line in requirements.splitlines() if line.strip()}
    assert "spepred" not in names  # spepred==0.1.0 is on no index: it travels as code
    assert {"rdkit", "pandas", "numpy", "scikit-learn", "mlflow"} <= names
    assert names & {"xgboost", "xgboost-cpu"}
    assert not names & {"pyspark", "pytest", "hypothesis"}  # extras stay out
    local = Path(mlflow_state.artifacts.download_artifacts(report.run["registered"]))
    code = local / "code" / "spepred"
    assert (code / "models" / "predictor.py").is_file() and (code / "resources" / "chemicals.csv").is_file()
    # the model's own bundle is its artifact; the shipped one and the web page stay behind
    assert not (code / "resources" / "default_model").exists() and not (code / "web" / "static").exists()
    assert not list(code.rglob("__pycache__"))


# --- MLflow's tracking-URI precedence -----------------------------------------------------


def test_tracking_uri_precedence_is_mlflows(tmp_path, monkeypatch, mlflow_state):
    from spepred.tracking.runs import resolve_tracking_uri

    default = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    assert resolve_tracking_uri(None, workdir=tmp_path) == default
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")
    assert resolve_tracking_uri(None, workdir=tmp_path) == "sqlite:///from-env.db"
    mlflow_state.set_tracking_uri("sqlite:///from-notebook.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")  # set after: still second
    assert resolve_tracking_uri(None, workdir=tmp_path) == "sqlite:///from-notebook.db"
    assert resolve_tracking_uri("sqlite:///explicit.db", workdir=tmp_path) == "sqlite:///explicit.db"


def test_a_notebooks_tracking_uri_is_used_and_left_as_it_was(tmp_path, monkeypatch, mlflow_state):
    notebook = f"sqlite:///{tmp_path / 'notebook.db'}"
    mlflow_state.set_tracking_uri(notebook)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.chdir(tmp_path)
    report = train([TINY], model_dir=tmp_path / "bundle", cv_folds=3)
    assert mlflow_state.get_tracking_uri() == notebook  # not overwritten
    assert mlflow_state.MlflowClient(notebook).get_run(report.run["run_id"])
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "env.db").exists()
    other = f"sqlite:///{tmp_path / 'explicit.db'}"
    train([TINY], model_dir=tmp_path / "bundle2", tracking_uri=other, cv_folds=3, register=False)
    assert mlflow_state.get_tracking_uri() == notebook
    assert os.environ["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'env.db'}"


# --- Spark ----------------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
def test_spark_udf_returns_the_named_prediction_columns(tiny_tracked, mlflow_state):
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_unless_required("no Java runtime (.ci/run installs one)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        skip_unless_required("pyspark is not installed (pip install -e '.[dev]')")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import functions as F

    from spepred.screen.spark import spark_session

    report, uri, _ = tiny_tracked
    mlflow_state.set_tracking_uri(uri)
    spark = spark_session("local[1]")
    try:
        rows = QUERY.iloc[:2].astype({"salt_molality_mol_kg": float})
        df = spark.createDataFrame(rows)
        # no result_type: spark_udf builds the struct from the logged output schema; the
        # input goes in as one struct, so its columns are matched by name, not position
        udf = mlflow_state.pyfunc.spark_udf(spark, "models:/spepred@champion", env_manager="local")
        out = df.withColumn("p", udf(F.struct(*df.columns))).select("p.*").toPandas()
        narrow = mlflow_state.pyfunc.spark_udf(
            spark, "models:/spepred@champion", env_manager="local",
            result_type="log10_sigma_S_cm_pred double, status string",
        )
        some = df.withColumn("p", narrow(F.struct(*df.columns))).select("p.*").toPandas()
    finally:
        spark.stop()
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    local = load_predictor(report.bundle_dir).predict(rows)
    np.testing.assert_allclose(out["log10_sigma_S_cm_pred"], local["log10_sigma_S_cm_pred"], rtol=1e-6)
    assert list(out["status"]) == ["ok", "ok"]
    assert list(some.columns) == ["log10_sigma_S_cm_pred", "status"]
    np.testing.assert_allclose(some["log10_sigma_S_cm_pred"], local["log10_sigma_S_cm_pred"], rtol=1e-6)


# --- the environment rebuilt by MLflow itself (opt-in: builds a virtualenv) ----------------


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("SPEPRED_TEST_ENV_MANAGER") not in ("virtualenv", "uv"),
    reason="set SPEPRED_TEST_ENV_MANAGER=virtualenv (or uv) to rebuild the model's environment "
    "(pyenv or uv, and PyPI or a pip cache, needed; takes minutes)",
)
def test_mlflow_models_serve_rebuilds_the_environment(tiny_tracked, tmp_path):
    from tests._servers import free_port, stop, wait_healthy

    report, uri, _ = tiny_tracked
    manager = os.environ["SPEPRED_TEST_ENV_MANAGER"]
    port = free_port()
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update(MLFLOW_TRACKING_URI=uri, MLFLOW_ENV_ROOT=str(tmp_path / "envs"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [exe, "models", "serve", "-m", "models:/spepred@champion", "--env-manager", manager,
             "-h", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        )
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}/ping", log, what=f"mlflow models serve ({manager})",
                     timeout_s=float(os.environ.get("SPEPRED_TEST_ENV_TIMEOUT_S", "1800")))
        import httpx

        r = httpx.post(f"http://127.0.0.1:{port}/invocations",
                       json={"dataframe_records": [{k: v for k, v in r.items() if pd.notna(v)}
                                                   for r in QUERY.iloc[:2].to_dict("records")]},
                       timeout=120)
        assert r.status_code == 200, r.text
        served = pd.DataFrame(r.json()["predictions"])
    finally:
        stop(proc)
    assert list(served.columns) == list(OUTPUT_COLUMNS)
    local = load_predictor(report.bundle_dir).predict(QUERY.iloc[:2])
    np.testing.assert_allclose(served["log10_sigma_S_cm_pred"], local["log10_sigma_S_cm_pred"], rtol=1e-6)
    # the served environment is its own, not this one
    assert "Creating a new environment" in log.read_text() or "already exists" in log.read_text()
