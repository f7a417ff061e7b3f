"""The logged pyfunc model served by `mlflow models serve` gives the bundle's numbers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from spepred.api import load_predictor
from tests._servers import free_port, stop, wait_healthy

pytestmark = pytest.mark.network

QUERY = [
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0},
    {"monomer_smiles": "[*]CCO[*]", "salt": "LiClO4", "temperature_C": 70.0, "salt_molality_mol_kg": 1.2},
]


def test_mlflow_models_serve_matches_the_bundle(tiny_tracked, tmp_path):
    report, uri, _ = tiny_tracked
    port = free_port()
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [exe, "models", "serve", "-m", report.run["registered"], "--env-manager", "local",
             "-h", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
            # mlflow execs `uvicorn` by name: make this interpreter's scripts findable
            env={
                **os.environ,
                "MLFLOW_TRACKING_URI": uri,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            },
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(proc, f"{url}/ping", log, what="mlflow models serve")
        r = httpx.post(f"{url}/invocations", json={"dataframe_records": QUERY}, timeout=60)
        assert r.status_code == 200, r.text
        served = r.json()["predictions"]
        import pandas as pd

        local = load_predictor(report.bundle_dir).predict(pd.DataFrame(QUERY))
        for col in ("log10_sigma_S_cm_pred", "log10_sigma_S_cm_lo", "esw_V_pred", "strength_MPa_hi", "domain_similarity"):
            np.testing.assert_allclose([p[col] for p in served], local[col].to_numpy(), rtol=1e-6)
        assert [p["status"] for p in served] == ["ok", "ok"]
    finally:
        stop(proc)
