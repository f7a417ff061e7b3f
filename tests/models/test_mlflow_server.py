"""A real `mlflow server` on 127.0.0.1 (SQLite backend): train over HTTP, load the model back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spepred.api import load_predictor, train
from spepred.models.predictor import OUTPUT_COLUMNS
from tests._servers import free_port, stop, wait_healthy
from tests.models.conftest import TINY

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    log = root / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                exe, "server",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
                "--artifacts-destination", str(root / "artifacts"),
                "--workers", "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MLFLOW_TRACKING_URI": ""},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, f"{url}/health", log, what="mlflow server")
        yield url
    finally:
        stop(proc)


def test_train_against_a_real_server_and_load_back(mlflow_server, tmp_path):
    import mlflow

    report = train([TINY], model_dir=tmp_path / "bundle", tracking_uri=mlflow_server, experiment="server-test", cv_folds=3)
    assert report.run["registered"].startswith("models:/spepred/")
    mlflow.set_tracking_uri(mlflow_server)
    client = mlflow.MlflowClient(mlflow_server)
    run = client.get_run(report.run["run_id"])
    assert "sigma.cv.mae" in run.data.metrics
    model = mlflow.pyfunc.load_model(report.run["registered"])
    query = pd.DataFrame([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "temperature_C": 40.0}])
    cols = list(OUTPUT_COLUMNS)
    pd.testing.assert_frame_equal(
        model.predict(query)[cols].reset_index(drop=True),
        load_predictor(report.bundle_dir).predict(query)[cols],
    )
