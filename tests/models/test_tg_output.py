"""Tg is an output (issue 17, item 3): the bundle carries the Tg model, every prediction
returns ``Tg_K_pred`` with its 90 % interval and ``T_minus_Tg_K``, the σ(T) table marks
temperatures below Tg; bundles without a Tg model still load (NaN and a note)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spepred.api import load_tg_table, train
from spepred.cli import main
from spepred.errors import ModelBundleError, SpepredError
from spepred.files import sha256_file
from spepred.models.bundle import load_bundle
from spepred.models.predictor import OUTPUT_COLUMNS, TG_COLUMNS, Predictor
from spepred.models.tg import FPS_FILE, FRAGMENTS_FILE, META_FILE, MODEL_FILE, TgModel
from tests.conftest import TINY, TINY_TG

TG_FILES = (MODEL_FILE, META_FILE, FPS_FILE, FRAGMENTS_FILE)
PEO, HEA = "[*]CCO[*]", "C=CC(=O)OCCO"


@pytest.fixture
def bundle(tiny_trained, tmp_path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(tiny_trained[0].bundle_dir, dst)
    return dst


def _relist(bundle: Path) -> None:
    """Recompute the manifest over the files present (as an editor of the files would)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {p.name: sha256_file(p) for p in sorted(bundle.iterdir()) if p.name != "manifest.json"}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def _edit(bundle: Path, name: str, edit) -> None:
    meta = json.loads((bundle / name).read_text())
    edit(meta)
    (bundle / name).write_text(json.dumps(meta))
    _relist(bundle)


def _without_tg(bundle: Path, *, note: str | None) -> Path:
    """The bundle as spepred wrote it before the Tg model (``note`` None: no tg keys at all)."""
    for name in TG_FILES:
        (bundle / name).unlink()

    def edit(meta):
        meta.pop("tg", None)
        meta.pop("tg_note", None)
        if note is not None:
            meta["tg"], meta["tg_note"] = None, note

    _edit(bundle, "bundle.json", edit)
    return bundle


def test_the_bundle_carries_the_tg_model(tiny_trained):
    report = tiny_trained[0]
    directory = report.bundle_dir
    manifest = json.loads((directory / "manifest.json").read_text())["files"]
    assert set(TG_FILES) <= set(manifest)
    meta = json.loads((directory / "bundle.json").read_text())
    assert meta["tg"]["source"] == "tiny_tg.csv" and meta["tg"]["n_polymers"] == 31
    assert meta["tg"]["model_file"] == MODEL_FILE
    assert "Tg_K (from tiny_tg.csv, 31 polymers" in report.metrics_text
    assert load_bundle(directory).tg is not None


def test_every_prediction_has_tg_with_its_interval(tiny_trained):
    predictor = Predictor.load(tiny_trained[0].bundle_dir)
    temps = [-60.0, -20.0, 25.0, 80.0]
    out = predictor.predict(smiles=HEA, crosslinker="PETEA", temperature=temps)
    assert list(out.columns[-len(OUTPUT_COLUMNS):]) == list(OUTPUT_COLUMNS)
    tg = out["Tg_K_pred"].to_numpy()
    assert np.isfinite(tg).all() and np.ptp(tg) == 0  # the polymer's, not the temperature's
    assert (out["Tg_K_lo"] <= out["Tg_K_pred"]).all() and (out["Tg_K_pred"] <= out["Tg_K_hi"]).all()
    np.testing.assert_allclose(out["T_minus_Tg_K"], np.array(temps) + 273.15 - tg)
    # the matrix polymer's Tg is the Tg model's for the repeat unit the model read
    direct = TgModel.load(tiny_trained[0].bundle_dir).predict([out["repeat_unit_smiles"].iloc[0]])
    assert tg[0] == pytest.approx(float(direct["Tg_K_pred"].iloc[0]))
    # a bad row: NaN, and still there
    bad = predictor.predict(pd.DataFrame({"monomer_smiles": [PEO, "C(C)(C)(C)(C)C"]}))
    assert math.isfinite(bad["Tg_K_pred"].iloc[0]) and math.isnan(bad["Tg_K_pred"].iloc[1])
    assert bad["status"].iloc[1] != "ok"


def test_a_blend_is_the_equal_weight_mean_and_says_so(tiny_trained):
    predictor = Predictor.load(tiny_trained[0].bundle_dir)
    one = predictor.predict(pd.DataFrame({"monomer_smiles": [PEO, HEA, f"{PEO}.{HEA}"]}))
    for c in TG_COLUMNS:
        assert one[c].iloc[2] == pytest.approx((one[c].iloc[0] + one[c].iloc[1]) / 2)
    assert "mean of their Tg weighted equally" in one["warnings"].iloc[2]
    assert "weighted equally" not in one["warnings"].iloc[0]


def test_records_and_the_http_layer_return_tg(tiny_trained):
    from fastapi.testclient import TestClient

    from spepred.server import create_app

    predictor = Predictor.load(tiny_trained[0].bundle_dir)
    record = predictor.predict_records([{"monomer_smiles": PEO, "temperature_C": 25.0}])[0]
    frame = predictor.predict(smiles=PEO, temperature=25.0)
    assert record["Tg_K_pred"] == pytest.approx(float(frame["Tg_K_pred"].iloc[0]))
    client = TestClient(create_app(tiny_trained[0].bundle_dir))
    body = client.post("/predict", json={"monomer_smiles": PEO, "temperature_C": 25}).json()
    assert body["Tg_K_pred"] == pytest.approx(record["Tg_K_pred"])
    assert {"Tg_K_lo", "Tg_K_hi", "T_minus_Tg_K"} <= set(body)
    info = client.get("/model").json()["tg"]
    assert info["n_polymers"] == 31 and "mae" in info["metrics"]


def test_the_sigma_table_marks_temperatures_below_tg(tiny_trained, capsys):
    bundle_dir = str(tiny_trained[0].bundle_dir)
    tg = float(Predictor.load(bundle_dir).predict(smiles=PEO)["Tg_K_pred"].iloc[0]) - 273.15
    below, above = math.floor(tg) - 10, math.ceil(tg) + 10
    code = main(["predict", "--model", bundle_dir, "--smiles", PEO, "--temperature", str(below), str(above)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Tg of the matrix polymer" in out and f"({tg:.0f} °C)" in out
    rows = [line for line in out.splitlines() if line.strip().startswith((f"{below} ", f"{above} "))]
    assert len(rows) == 2 and rows[0].endswith("below Tg") and rows[1].endswith("above"), out
    main(["predict", "--model", bundle_dir, "--smiles", PEO, "--format", "json"])
    body = json.loads(capsys.readouterr().out)
    assert body["predictions"][0]["Tg_K_pred"] == pytest.approx(tg + 273.15) and "tg_note" not in body


@pytest.mark.parametrize("note", [None, "no Tg model: source polymetrix_tg not available (offline)"])
def test_a_bundle_without_tg_loads_with_nan_and_a_note(bundle, note, capsys):
    _without_tg(bundle, note=note)
    predictor = Predictor.load(bundle)
    out = predictor.predict(smiles=PEO, temperature=[0, 25])
    assert out[[*TG_COLUMNS, "T_minus_Tg_K"]].isna().all().all()
    assert out["status"].eq("ok").all() and np.isfinite(out["log10_sigma_S_cm_pred"]).all()
    expected = note or "predates the Tg model"
    assert expected in predictor.tg_note and expected in predictor.info()["tg"]["note"]
    assert main(["predict", "--model", str(bundle), "--smiles", PEO, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["predictions"][0]["Tg_K_pred"] is None and expected in body["tg_note"]
    main(["predict", "--model", str(bundle), "--smiles", PEO])
    assert f"Tg: — ({predictor.tg_note})" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "edit", "match"),
    [
        ("bundle.json", lambda m: m["tg"].update(model_file="../model_sigma.ubj"), "tg.model_file .* not the Tg model's file name"),
        ("bundle.json", lambda m: m["tg"].update(meta_file="bundle.json"), "tg.meta_file"),
        ("bundle.json", lambda m: m["tg"].pop("metrics"), r"bundle.json is malformed at tg.metrics"),
        ("bundle.json", lambda m: m["tg"].update(n_polymers="many"), r"malformed at tg.n_polymers"),
        (META_FILE, lambda m: m.update(feature_names="all of them"), rf"{META_FILE} is malformed at feature_names"),
        (META_FILE, lambda m: m.update(conformal_q=-1.0), rf"{META_FILE} is malformed at conformal_q"),
        (META_FILE, lambda m: m["conformal_bins"].update(q=[1.0]), rf"{META_FILE} is malformed at conformal_bins"),
    ],
)
def test_tg_metadata_is_validated_before_use(bundle, name, edit, match):
    _edit(bundle, name, edit)
    with pytest.raises(ModelBundleError, match=match) as info:
        load_bundle(bundle)
    assert "\n" not in str(info.value)


def test_a_tg_file_outside_the_manifest_is_refused(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    del manifest["files"][FPS_FILE]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match=f"{FPS_FILE}.* not listed in the manifest"):
        load_bundle(bundle)


def test_which_tg_data_training_uses(no_mirror):
    # given tables alone: no Tg model, and the note says how to get one
    table, source, note = load_tg_table(None, defaults=False)
    assert table is None and "--tg-data" in note
    # the default sources, offline without mirror: training goes on without Tg and says so
    table, source, note = load_tg_table(None, defaults=True)
    assert table is None and "polymetrix_tg not available" in note
    assert load_tg_table(False, defaults=True)[0] is None
    table, source, _ = load_tg_table(TINY_TG, defaults=False)
    assert source == "tiny_tg.csv" and len(table) == 31


def test_a_bad_tg_table_is_refused_before_training(tmp_path, monkeypatch):
    from spepred import api

    bad = tmp_path / "tg.csv"
    bad.write_text("PSMILES,Tg\n*CCO*,206\n")
    monkeypatch.setattr("spepred.models.train.train_models", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(SpepredError, match=r"tg.csv: columns \['Exp_Tg\(K\)'"):
        api.train([TINY], model_dir=tmp_path / "m", track=False, tg_data=bad)
    assert main(["train", "--data", str(TINY), "--tg-data", str(bad), "--no-track", "--model-dir", str(tmp_path / "m")]) == 2


@pytest.mark.slow
def test_training_without_tg_data_writes_the_note(tmp_path):
    report = train([TINY], model_dir=tmp_path / "m", track=False, cv_folds=2, tg_data=False)
    meta = json.loads((report.bundle_dir / "bundle.json").read_text())
    assert meta["tg"] is None and meta["tg_note"] == "no Tg model: not requested"
    assert "Tg_K: no Tg model: not requested." in report.metrics_text
    assert not any((report.bundle_dir / f).exists() for f in TG_FILES)
