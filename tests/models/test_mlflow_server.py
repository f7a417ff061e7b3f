"""A real `mlflow server` on 127.0.0.1 (SQLite backend): train over HTTP, load the model back."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from spepred.api import load_predictor, train
from spepred.models.predictor import OUTPUT_COLUMNS
from tests.models.conftest import TINY

pytestmark = pytest.mark.network


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    proc = subprocess.Popen(
        [
            exe, "server",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
            "--artifacts-destination", str(root / "artifacts"),
            "--workers", "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "server.log", "w"),
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError("mlflow server exited: " + (root / "server.log").read_text()[-2000:])
    else:
        proc.terminate()
        raise RuntimeError("mlflow server did not start: " + (root / "server.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=30)


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
