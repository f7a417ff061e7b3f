"""The bundle: checksums refuse tampered or truncated files, no pickle, atomic replacement."""

from __future__ import annotations

import json
import shutil

import pytest

from spepred.errors import ModelBundleError
from spepred.models.bundle import load_bundle, write_bundle


@pytest.fixture
def bundle_copy(tiny_trained, tmp_path):
    report, _, _ = tiny_trained
    dst = tmp_path / "bundle"
    shutil.copytree(report.bundle_dir, dst)
    return dst


def test_bundle_has_only_safe_formats(bundle_copy):
    names = {p.name for p in bundle_copy.iterdir()}
    assert {"bundle.json", "manifest.json", "model_sigma.ubj"} <= names
    assert all(p.suffix in {".json", ".ubj", ".npy"} for p in bundle_copy.iterdir())
    for npy in bundle_copy.glob("*.npy"):
        assert b"pickle" not in npy.read_bytes()[:200]


def test_tampered_model_is_refused(bundle_copy):
    path = bundle_copy / "model_sigma.ubj"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelBundleError, match="model_sigma.ubj fails its SHA-256 check"):
        load_bundle(bundle_copy)


def test_truncated_file_is_refused(bundle_copy):
    path = bundle_copy / "domain_fragments.npy"
    path.write_bytes(path.read_bytes()[:10])
    with pytest.raises(ModelBundleError, match="domain_fragments.npy fails"):
        load_bundle(bundle_copy)


def test_missing_file_and_missing_manifest(bundle_copy):
    (bundle_copy / "model_esw.ubj").unlink()
    with pytest.raises(ModelBundleError, match="'model_esw.ubj' listed in the manifest is missing"):
        load_bundle(bundle_copy)
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(ModelBundleError, match="not a spepred model bundle"):
        load_bundle(bundle_copy)


def test_feature_schema_mismatch_is_refused(bundle_copy):
    meta = json.loads((bundle_copy / "bundle.json").read_text())
    meta["featurizer"]["morgan_size"] = 128
    (bundle_copy / "bundle.json").write_text(json.dumps(meta))
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    from spepred.models.bundle import _sha256

    manifest["files"]["bundle.json"] = _sha256(bundle_copy / "bundle.json")
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match="feature layout"):
        load_bundle(bundle_copy)


def test_rewrite_replaces_atomically_and_leaves_no_temporaries(tiny_trained, tmp_path):
    report, _, _ = tiny_trained
    target = tmp_path / "models" / "default"
    write_bundle(report.result, target)
    first = (target / "manifest.json").read_text()
    write_bundle(report.result, target)
    assert load_bundle(target).model_version
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "default"]
    assert leftovers == []
    assert json.loads(first)["files"].keys() == json.loads((target / "manifest.json").read_text())["files"].keys()


def test_interrupted_swap_falls_back_to_the_previous_bundle(bundle_copy, tmp_path):
    prev = bundle_copy.parent / f".{bundle_copy.name}.previous"
    bundle_copy.rename(prev)  # killed between the two renames
    assert load_bundle(bundle_copy).path == prev


# -- read_bundle_meta: the version without loading --------------------------------------
def test_read_bundle_meta_is_the_loaded_version_and_identity(tmp_path):
    import hashlib
    import shutil

    from spepred.api import shipped_model_path
    from spepred.errors import ModelBundleError
    from spepred.models.bundle import load_bundle, read_bundle_meta

    src = shipped_model_path()
    meta = read_bundle_meta(src)
    assert meta.model_version == load_bundle(src).model_version
    assert meta.manifest_sha256 == hashlib.sha256((src / "manifest.json").read_bytes()).hexdigest()
    copy = tmp_path / "bundle"
    shutil.copytree(src, copy)
    # cheap: a damaged model file is not read (the workers' load_bundle refuses it)
    (copy / "model_sigma.ubj").write_bytes(b"garbage")
    assert read_bundle_meta(copy).model_version == meta.model_version
    # but the version itself is checked against the manifest
    text = (copy / "bundle.json").read_text("utf-8").replace(meta.model_version, "9.9.9+forged")
    (copy / "bundle.json").write_text(text, "utf-8")
    with pytest.raises(ModelBundleError, match="bundle.json is missing or fails its SHA-256 check"):
        read_bundle_meta(copy)
    with pytest.raises(ModelBundleError, match="no model bundle at"):
        read_bundle_meta(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelBundleError, match="not a spepred model bundle"):
        read_bundle_meta(tmp_path / "empty")


def _rewrite_meta(bundle_dir, edit) -> None:
    from spepred.models.bundle import _sha256

    meta = json.loads((bundle_dir / "bundle.json").read_text())
    edit(meta)
    (bundle_dir / "bundle.json").write_text(json.dumps(meta))
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    manifest["files"]["bundle.json"] = _sha256(bundle_dir / "bundle.json")
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))


def test_targets_keep_their_own_features_and_regime_quantiles(bundle_copy):
    meta = json.loads((bundle_copy / "bundle.json").read_text())
    strength = meta["targets"]["strength"]
    assert strength["features"] and "conditions.plasticized" in strength["features"]
    assert not any(f.startswith("matrix.") for f in strength["features"])
    assert not any(f.startswith("oxidation.") for f in meta["targets"]["sigma"]["features"])
    assert "regime_metrics" in strength and "regimes" in strength["conformal_bins"]
    bundle = load_bundle(bundle_copy)
    cols = bundle.feature_index("strength")
    assert [bundle.meta["feature_names"][i] for i in cols] == strength["features"]


def test_bundles_without_target_features_or_regime_quantiles_still_load(bundle_copy):
    """A bundle of before per-target features and per-regime intervals: its targets read
    every feature (the shipped bundle of 2026-12-01 is one; its pinned predictions are
    tests/models/test_pinned_predictions.py)."""

    def strip(meta):
        for t in meta["targets"].values():
            t.pop("regime_metrics", None)
            (t.get("conformal_bins") or {}).pop("regimes", None)

    _rewrite_meta(bundle_copy, strip)
    bundle = load_bundle(bundle_copy)
    assert "regime_metrics" not in bundle.targets["esw"]


def test_bad_regime_quantiles_and_unknown_target_features_are_refused(bundle_copy, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(bundle_copy, other)

    def bad_bins(meta):
        meta["targets"]["sigma"]["conformal_bins"]["regimes"] = {"gel": {"n": 40, "q_all": 1.0, "q": [1.0]}}

    _rewrite_meta(bundle_copy, bad_bins)
    with pytest.raises(ModelBundleError, match="regime 'gel': 1 quantiles for 2 bin edges"):
        load_bundle(bundle_copy)

    def unknown_feature(meta):
        meta["targets"]["esw"]["features"] = ["oxidation.no_such_feature"]

    _rewrite_meta(other, unknown_feature)
    with pytest.raises(ModelBundleError, match="reads feature"):
        load_bundle(other)
