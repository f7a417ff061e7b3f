"""The nearest labelled systems: kept in the bundle by training, read back, ranked by
similarity, shown by the Python API, the CLI and HTTP; bundles without the table load."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from fastapi.testclient import TestClient

from spepred.api import load_predictor
from spepred.cli import main
from spepred.errors import FormulationError, ModelBundleError
from spepred.models.bundle import load_bundle
from spepred.models.neighbours import CROSSLINKER_FPS_FILE, MATRIX_FPS_FILE, TABLE_FILE, TrainingSystems
from spepred.models.predictor import Predictor

HEA = dict(smiles="C=CC(=O)OCCO", crosslinker="PETEA", salt="LiTFSI", temperature=30)


@pytest.fixture
def bundle_copy(tiny_trained, tmp_path):
    dst = tmp_path / "bundle"
    shutil.copytree(tiny_trained[0].bundle_dir, dst)
    return dst


def _old_bundle(path):
    """The bundle as written before it kept its training systems (files, key, manifest)."""
    for name in (TABLE_FILE, MATRIX_FPS_FILE, CROSSLINKER_FPS_FILE):
        (path / name).unlink()
    meta = json.loads((path / "bundle.json").read_text())
    del meta["training_systems"]
    (path / "bundle.json").write_text(json.dumps(meta))
    manifest = json.loads((path / "manifest.json").read_text())
    for name in (TABLE_FILE, MATRIX_FPS_FILE, CROSSLINKER_FPS_FILE):
        del manifest["files"][name]
    manifest["files"]["bundle.json"] = hashlib.sha256((path / "bundle.json").read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_training_keeps_one_system_per_curve(tiny_trained):
    systems = load_bundle(tiny_trained[0].bundle_dir).training_systems
    assert isinstance(systems, TrainingSystems)
    # tiny_train.csv: 7 formulations, each a σ(T) curve of 5 temperatures
    assert len(systems) == 7
    assert all(len(r["log10_sigma_S_cm"]) == 5 for r in systems.rows)
    assert load_predictor(tiny_trained[0].bundle_dir).info()["training_systems"] == 7


def test_nearest_is_the_same_system_with_its_measured_value(tiny_trained):
    p = load_predictor(tiny_trained[0].bundle_dir)
    near = p.neighbours(k=3, **HEA)
    assert len(near) == 3
    first = near[0]
    # tiny-1-*: HEA x PETEA, LiTFSI; σ measured at 0, 25, 50, 75, 100 °C -> 25 is nearest 30
    assert first["record_id"].startswith("tiny-1-") and first["similarity"] == pytest.approx(1.0)
    assert first["temperature_C"] == 25 and first["log10_sigma_S_cm"] == pytest.approx(-4.197)
    assert first["sigma_S_cm"] == pytest.approx(10**-4.197)
    assert first["esw_V"] == 4.6 and first["strength_MPa"] == 12.0
    assert first["source"] == "tiny_train.csv"
    sims = [n["similarity"] for n in near]
    assert sims == sorted(sims, reverse=True) and sims[1] < 1.0
    # the temperature picks the point reported; the crosslinker and salt move the ranking
    assert p.neighbours(k=1, **{**HEA, "temperature": 90})[0]["temperature_C"] == 100
    other = p.neighbours(k=1, smiles="C=CC(=O)OCCOC", crosslinker="PEGDA", salt="LiTFSI")
    assert other[0]["crosslinker"] == "PEGDA"


def test_bad_formulation_raises_the_usual_error(tiny_trained):
    p = load_predictor(tiny_trained[0].bundle_dir)
    with pytest.raises(FormulationError, match="unclosed ring"):
        p.neighbours(smiles="C1CC")


def test_bundle_without_the_table_still_loads(bundle_copy):
    p = Predictor.load(_old_bundle(bundle_copy))
    assert p.bundle.training_systems is None
    assert p.neighbours(**HEA) == []
    assert "predates the table of training systems" in p.neighbours_note
    assert p.predict(**HEA)["status"].iloc[0] == "ok"  # predictions are unchanged


def test_tampered_table_is_refused(bundle_copy):
    path = bundle_copy / TABLE_FILE
    path.write_text(path.read_text().replace("tiny-1-0", "tiny-9-0"))
    with pytest.raises(ModelBundleError, match=f"{TABLE_FILE} fails its SHA-256 check"):
        load_bundle(bundle_copy)


def test_cli_shows_neighbours(tiny_trained, capsys):
    model = str(tiny_trained[0].bundle_dir)
    args = ["predict", "--smiles", "C=CC(=O)OCCO", "--crosslinker", "PETEA", "--model", model]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Nearest labelled systems" in text and "tiny-1-0" in text
    assert main([*args, "--format", "json", "--neighbours", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["neighbours"]) == 2 and out["neighbours"][0]["record_id"] == "tiny-1-0"
    assert main([*args, "--neighbours", "0"]) == 0
    assert "Nearest labelled systems" not in capsys.readouterr().out
    assert main([*args, "--neighbours", "-1"]) == 2
    assert "--neighbours" in capsys.readouterr().err


def test_cli_and_http_say_why_an_old_bundle_has_none(bundle_copy, capsys):
    model = str(_old_bundle(bundle_copy))
    assert main(["predict", "--smiles", "C=CC(=O)OCCO", "--model", model]) == 0
    assert "predates the table of training systems" in capsys.readouterr().out
    from spepred.server import create_app

    r = TestClient(create_app(model)).post(
        "/predict", params={"neighbours": 3}, json={"monomer_smiles": "C=CC(=O)OCCO"}
    )
    assert r.status_code == 200 and r.json()["neighbours"] == []
    assert "predates" in r.json()["neighbours_note"]


def test_http_neighbours_on_request(tiny_trained):
    from spepred.server import create_app

    client = TestClient(create_app(tiny_trained[0].bundle_dir))
    body = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "temperature_C": 30}
    plain = client.post("/predict", json=body).json()
    assert "neighbours" not in plain  # the default answer is unchanged
    r = client.post("/predict", params={"neighbours": 4}, json=body)
    assert r.status_code == 200
    near = r.json()["neighbours"]
    assert len(near) == 4 and near[0]["record_id"] == "tiny-1-0"
    assert r.json()["sigma_S_cm_pred"] == pytest.approx(plain["sigma_S_cm_pred"])
    assert client.post("/predict", params={"neighbours": 99}, json=body).status_code == 422


def test_a_rehashed_table_that_names_a_missing_fingerprint_is_refused(bundle_copy):
    """The manifest proves integrity, not authenticity: a table rewritten with a matching
    checksum must still fail as one clear bundle error, not an IndexError."""
    path = bundle_copy / TABLE_FILE
    payload = json.loads(path.read_text())
    payload["rows"][0][payload["columns"].index("matrix_fp")] = 999
    path.write_text(json.dumps(payload))
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    manifest["files"][TABLE_FILE] = hashlib.sha256(path.read_bytes()).hexdigest()
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match="training-system table cannot be loaded.*fingerprint 999"):
        load_bundle(bundle_copy)


def test_each_distinct_fingerprint_is_stored_once(tiny_trained):
    import numpy as np

    d = tiny_trained[0].bundle_dir
    stored = np.load(d / MATRIX_FPS_FILE)
    systems = load_bundle(d).training_systems
    assert len(stored) == len(np.unique(systems.matrix_fps, axis=0)) <= len(systems)
