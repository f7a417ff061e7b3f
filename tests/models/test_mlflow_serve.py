"""The logged pyfunc model served by `mlflow models serve` gives the bundle's numbers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from spepred.api import load_predictor

pytestmark = pytest.mark.network

QUERY = [
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
    {"monomer_smiles": "[*]CCO[*]", "salt": "LiClO4", "temperature_C": 70.0, "salt_molality_mol_kg": 1.2},
]


def test_mlflow_models_serve_matches_the_bundle(tiny_trained, tmp_path):
    report, uri, _ = tiny_trained
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [exe, "models", "serve", "-m", report.run["registered"], "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        # mlflow execs `uvicorn` by name: make this interpreter's scripts findable
        env={
            **os.environ,
            "MLFLOW_TRACKING_URI": uri,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.time() < deadline, "mlflow models serve did not start"
            time.sleep(0.5)
        r = httpx.post(f"{url}/invocations", json={"dataframe_records": QUERY}, timeout=60)
        assert r.status_code == 200, r.text
        served = r.json()["predictions"]
        import pandas as pd

        local = load_predictor(report.bundle_dir).predict(pd.DataFrame(QUERY))
        for col in ("log10_sigma_S_cm_pred", "log10_sigma_S_cm_lo", "esw_V_pred", "strength_MPa_hi", "domain_similarity"):
            np.testing.assert_allclose([p[col] for p in served], local[col].to_numpy(), rtol=1e-6)
        assert [p["status"] for p in served] == ["ok", "ok"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
