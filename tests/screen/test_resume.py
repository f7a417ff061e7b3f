"""Chunked, resumable screening: an interrupted run recomputes only the missing chunks, and
no output file is ever half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from spepred import api
from spepred.errors import SpepredError
from spepred.models.predictor import OUTPUT_COLUMNS
from spepred.screen.runner import SCREEN_COLUMNS
from spepred.screen.spec import load_spec

HEA, PEO = "C=CC(=O)OCCO", "[*]CCO[*]"
SMALL = {
    "monomers": [HEA, PEO, "C=CC(=O)OCCOC"],
    "crosslinkers": ["PETEA", "PEGDA", "none"],
    "salts": ["LiTFSI", "LiFSI"],
    "temperature_C": "0:80:20",
}  # 90 rows


class Stop(Exception):
    pass


def _stop_after(chunks: int, chunk_rows: int):
    def progress(done, total):
        if done >= chunks * chunk_rows and done < total:
            raise Stop

    return progress


def _final_files(out):
    return sorted(p.name for p in out.iterdir() if p.is_file())


def test_output_columns_are_those_of_predict_input(tmp_path, bundle):
    res = api.screen(SMALL, output=tmp_path / "o", model=bundle, workers=1, chunk_rows=40, plot=False)
    pred = pd.read_parquet(res.files["predictions"])
    lib_cols = ["library_row", "monomer_smiles", "crosslinker", "salt", "temperature_C"]
    assert list(pred.columns) == [*lib_cols, *OUTPUT_COLUMNS, *SCREEN_COLUMNS]
    # the same numbers as Predictor.predict on the expanded table
    table = load_spec(SMALL).chunk(0, 90)
    direct = api.load_predictor(bundle).predict(table)
    pd.testing.assert_frame_equal(
        pred[[*lib_cols, *OUTPUT_COLUMNS]].astype(direct.dtypes.to_dict()), direct, check_dtype=False
    )
    assert res.n_rows == 90 and res.stats["chunks_computed"] == 3


@pytest.mark.slow
def test_interrupted_run_recomputes_only_the_rest(tmp_path, bundle):
    out = tmp_path / "run"
    kw = dict(output=out, model=bundle, workers=1, chunk_rows=10, plot=False)
    with pytest.raises(Stop):
        api.screen(SMALL, progress=_stop_after(4, 10), **kw)
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["chunks"]) == ["0", "1", "2", "3"] and not manifest["complete"]
    # nothing final, nothing half-written: only finished chunks under final names
    assert _final_files(out) == ["manifest.json"]
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [f"part-{k:06d}.parquet" for k in range(4)]
    # a stray temporary file from a killed writer, and a chunk file nobody recorded
    (out / "chunks" / ".part-000004.parquet.abc.tmp").write_bytes(b"PAR1 half")
    (out / "chunks" / "part-000007.parquet").write_bytes(b"PAR1 not recorded")
    res = api.screen(SMALL, **kw)
    assert res.stats == {"chunks_total": 9, "chunks_reused": 4, "chunks_computed": 5, "workers": 1}
    assert not any(p.name.startswith(".") for p in (out / "chunks").iterdir())
    fresh = api.screen(SMALL, output=tmp_path / "fresh", model=bundle, workers=1, chunk_rows=10, plot=False)
    pd.testing.assert_frame_equal(pd.read_parquet(res.files["predictions"]), pd.read_parquet(fresh.files["predictions"]))
    # a complete run reruns without predicting anything
    again = api.screen(SMALL, **kw)
    assert again.stats["chunks_computed"] == 0 and again.stats["chunks_reused"] == 9


def test_altered_chunk_is_recomputed(tmp_path, bundle):
    out = tmp_path / "run"
    kw = dict(output=out, model=bundle, workers=1, chunk_rows=30, plot=False)
    api.screen(SMALL, **kw)
    (out / "chunks" / "part-000001.parquet").write_bytes(b"garbage")
    res = api.screen(SMALL, **kw)
    assert res.stats["chunks_reused"] == 2 and res.stats["chunks_computed"] == 1


@pytest.mark.slow
def test_other_library_or_model_is_never_reused(tmp_path, bundle, tiny_trained):
    out = tmp_path / "run"
    api.screen(SMALL, output=out, model=bundle, workers=1, chunk_rows=30, plot=False)
    other = dict(SMALL, temperature_C=[25])
    with pytest.raises(SpepredError, match=r"holds another screen \(library fingerprint .* n_rows 90 there, 18 now\)"):
        api.screen(other, output=out, model=bundle, workers=1, chunk_rows=30, plot=False)
    with pytest.raises(SpepredError, match=r"holds another screen \(model fingerprint"):
        api.screen(SMALL, output=out, model=tiny_trained[0].bundle_dir, workers=1, chunk_rows=30, plot=False)
    with pytest.raises(SpepredError, match=r"chunk_rows 30 there, 20 now"):
        api.screen(SMALL, output=out, model=bundle, workers=1, chunk_rows=20, plot=False)
    res = api.screen(other, output=out, model=bundle, workers=1, chunk_rows=30, plot=False, overwrite=True)
    assert res.stats["chunks_reused"] == 0 and res.n_rows == 18


def test_refuses_a_directory_that_is_not_a_screen(tmp_path, bundle):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(SpepredError, match=r"not empty and holds no screen"):
        api.screen(SMALL, output=tmp_path, model=bundle, workers=1, plot=False)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


@pytest.mark.slow
def test_killed_process_resumes(tmp_path, bundle):
    """A real SIGKILL in the middle of a run (worker processes included)."""
    out = tmp_path / "killed"
    spec = tmp_path / "lib.yaml"
    spec.write_text(
        "monomers: ['C=CC(=O)OCCO', '[*]CCO[*]', 'C=CC(=O)OCCOC', 'C=C(C)C(=O)OCCOCCOC']\n"
        "crosslinkers: [PETEA, PEGDA, HDI, none]\nsalts: [LiTFSI, LiFSI, LiPF6]\ntemperature_C: '0:100:5'\n"
    )  # 4 x 4 x 3 x 21 = 1008 rows
    cmd = [sys.executable, "-m", "spepred.cli", "screen", "--spec", str(spec), "--output", str(out),
           "--chunk-rows", "12", "--workers", "2", "--model", str(bundle), "--no-plot", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 240
    done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                done = len(json.loads((out / "manifest.json").read_text())["chunks"])
            except (OSError, ValueError, KeyError):
                done = 0
            if done >= 3:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    assert 3 <= done < 84
    assert not (out / "predictions.parquet").exists()
    recorded = len(json.loads((out / "manifest.json").read_text())["chunks"])
    res = api.screen(spec, output=out, model=bundle, workers=1, chunk_rows=12, plot=False)
    assert res.stats["chunks_reused"] == recorded and res.stats["chunks_computed"] == 84 - recorded
    pred = pd.read_parquet(res.files["predictions"])
    assert pred["library_row"].tolist() == list(range(1008))
    assert (pred["status"] == "ok").all()
    assert np.isfinite(pred["log10_sigma_S_cm_pred"]).all()
