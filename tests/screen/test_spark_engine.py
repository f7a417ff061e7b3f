"""Engine parity: Spark in local mode gives exactly the local engine's predictions."""

from __future__ import annotations

import os
import shutil
import sys

import pandas as pd
import pytest

from spepred import api
from tests.conftest import skip_unless_required

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _spark_available() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[dev]')"
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (.ci/run installs one)"
    return None


@pytest.fixture(scope="module")
def spark():
    why = _spark_available()
    if why:
        skip_unless_required(why)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from spepred.screen.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


SPEC = {
    "monomers": ["C=CC(=O)OCCO", "[*]CCO[*]", "C=CC(=O)OCCOC", "C=C(C)C(=O)OCCOCCOC"],
    "crosslinkers": ["PETEA", "PEGDA", "HDI", "none"],
    "fillers": ["none", "SiO2:5,10", "LLZO:15"],
    "salts": ["LiTFSI", "LiFSI"],
    "temperature_C": "0:100:10",
}  # 4 x 4 x 4 x 2 x 11 = 1,408 rows


def test_local_and_spark_predictions_are_identical(tmp_path, bundle, spark):
    from spepred.screen import load_spec
    from spepred.screen.runner import run_screen

    lib = load_spec(SPEC)
    local = api.screen(lib, output=tmp_path / "local", model=bundle, workers=1, chunk_rows=500, plot=False)
    remote = run_screen(lib, bundle, tmp_path / "spark", engine="spark", spark=spark, chunk_rows=500, plot=False)
    assert remote.stats["chunks_computed"] == 3 and remote.engine == "spark"
    a = pd.read_parquet(local.files["predictions"])
    b = pd.read_parquet(remote.files["predictions"])
    assert len(a) == 1408
    pd.testing.assert_frame_equal(a, b)  # every column, every value, every type
    pd.testing.assert_frame_equal(local.top, remote.top)
    # the Spark chunks resume like local ones
    again = run_screen(lib, bundle, tmp_path / "spark", engine="spark", spark=spark, chunk_rows=500, plot=False)
    assert again.stats["chunks_computed"] == 0 and again.stats["chunks_reused"] == 3


def test_bad_rows_get_the_same_status_on_spark(tmp_path, bundle, spark):
    from spepred.screen.runner import run_screen

    table = tmp_path / "f.csv"
    table.write_text("monomer_smiles,crosslinker,temperature_C\n[*]CCO[*],PETEA,25\nC1CC,PETEA,25\n[*]CCO[*],PETEA,999\n")
    from spepred.screen import load_spec

    lib = load_spec({"input": str(table)})
    a = api.screen(lib, output=tmp_path / "l", model=bundle, workers=1, plot=False)
    b = run_screen(lib, bundle, tmp_path / "s", engine="spark", spark=spark, plot=False)
    pa_, pb = pd.read_parquet(a.files["predictions"]), pd.read_parquet(b.files["predictions"])
    pd.testing.assert_frame_equal(pa_, pb)
    assert pa_["status"].tolist()[0] == "ok" and pa_["status"].str.startswith("monomer_smiles").tolist()[1]
    assert "temperature_C" in pa_["status"].iloc[2]
