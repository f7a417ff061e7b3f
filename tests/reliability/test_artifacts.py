"""Artifacts: every file of a bundle is checked before use, a tampered, truncated, missing
or unlisted file is refused with a message naming it, and nothing on the load or predict
path ever unpickles (proved with a Python audit hook, not by reading the code)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spepred.errors import ModelBundleError
from spepred.models.bundle import _sha256, load_bundle

#: Audit events that mean code could run from data: unpickling resolves a global, marshal
#: builds code objects.
_DANGEROUS = ("pickle.find_class", "marshal.loads", "marshal.load")
_WATCH = {"on": False, "events": []}


def _audit(event: str, args) -> None:
    if _WATCH["on"] and event in _DANGEROUS:
        _WATCH["events"].append((event, repr(args)[:200]))


sys.addaudithook(_audit)  # hooks cannot be removed; this one only records while watched


@pytest.fixture
def bundle(tiny_trained, tmp_path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(tiny_trained[0].bundle_dir, dst)
    return dst


def _files(bundle: Path) -> list[str]:
    return sorted(json.loads((bundle / "manifest.json").read_text())["files"])


def _relist(bundle: Path) -> None:
    """Recompute the manifest (what an attacker who edits files would also have to do)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {name: _sha256(bundle / name) for name in manifest["files"]}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_every_file_is_checked_flip_one_byte(bundle):
    names = _files(bundle)
    assert {"bundle.json", "model_sigma.ubj", "domain_fragments.npy"} <= set(names)
    for name in names:
        path = bundle / name
        original = path.read_bytes()
        data = bytearray(original)
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(ModelBundleError, match=f"{name} fails its SHA-256 check.*refusing to load"):
            load_bundle(bundle)
        path.write_bytes(original)
    assert load_bundle(bundle).model_version


@pytest.mark.parametrize("keep", [0, 1, 0.5, -1])
def test_every_file_is_checked_truncated(bundle, keep):
    for name in _files(bundle):
        path = bundle / name
        original = path.read_bytes()
        cut = int(len(original) * keep) if isinstance(keep, float) else (len(original) + keep if keep < 0 else keep)
        path.write_bytes(original[:cut])
        with pytest.raises(ModelBundleError, match=f"{name} fails its SHA-256 check"):
            load_bundle(bundle)
        path.write_bytes(original)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("", "corrupted"),
        ("{", "corrupted"),
        ("[]", "corrupted"),
        ('{"format_version": 1, "files": []}', "corrupted"),
        ('{"format_version": 1, "files": {"bundle.json": 5}}', "corrupted"),
        ('{"format_version": 99, "files": {}}', "format 99 is not supported"),
        ('{"format_version": 1, "files": {"../bundle.json": "00"}}', "'../bundle.json' listed in the manifest is missing"),
        ('{"format_version": 1, "files": {"/etc/passwd": "00"}}', "listed in the manifest is missing"),
        ('{"format_version": 1, "files": {}}', "bundle.json is not listed in the manifest"),
    ],
)
def test_a_bad_manifest_is_refused(bundle, manifest, message):
    (bundle / "manifest.json").write_text(manifest)
    with pytest.raises(ModelBundleError, match=message):
        load_bundle(bundle)


def test_a_file_dropped_from_the_manifest_is_not_loaded_unchecked(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    del manifest["files"]["domain_fragments.npy"]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match="domain_fragments.npy is not listed in the manifest"):
        load_bundle(bundle)


def test_a_missing_bundle_and_an_empty_directory(tmp_path):
    with pytest.raises(ModelBundleError, match="no model bundle at"):
        load_bundle(tmp_path / "nope")
    with pytest.raises(ModelBundleError, match="not a spepred model bundle"):
        load_bundle(tmp_path)


def test_a_pickle_payload_with_a_valid_checksum_is_never_unpickled(bundle):
    """Even an attacker who rewrites the manifest cannot make the loader unpickle: an
    object array (pickle inside .npy) is refused by NumPy's allow_pickle=False."""
    evil = np.array([{"__reduce__": "os.system"}, print], dtype=object)
    with open(bundle / "domain_fragments.npy", "wb") as fh:
        np.save(fh, evil, allow_pickle=True)
    _relist(bundle)
    _WATCH["on"], _WATCH["events"] = True, []
    try:
        with pytest.raises(ModelBundleError, match="domain arrays cannot be loaded"):
            load_bundle(bundle)
    finally:
        _WATCH["on"] = False
    assert _WATCH["events"] == []


def test_load_and_predict_never_unpickle(bundle):
    from spepred.api import load_predictor

    _WATCH["on"], _WATCH["events"] = True, []
    try:
        predictor = load_predictor(bundle)
        out = predictor.predict(pd.DataFrame([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA"}]))
    finally:
        _WATCH["on"] = False
    assert out["status"].iloc[0] == "ok"
    assert _WATCH["events"] == [], _WATCH["events"]


def test_the_audit_hook_would_see_an_unpickle():
    """The no-pickle tests can fail: unpickling anything with a global is recorded."""
    import pickle

    _WATCH["on"], _WATCH["events"] = True, []
    try:
        pickle.loads(pickle.dumps(Path("x")))
    finally:
        _WATCH["on"] = False
    assert any(e == "pickle.find_class" for e, _ in _WATCH["events"])


def test_no_pickle_imports_on_the_load_path():
    """Belt and braces: the modules that load and apply a bundle import no pickle library."""
    import ast

    import spepred

    root = Path(spepred.__file__).parent
    modules = ["models/bundle.py", "models/predictor.py", "models/domain.py", "featurize/formulation.py",
               "featurize/blocks.py", "chem/descriptors.py", "api.py", "server.py"]
    banned = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
    for rel in modules:
        path = root / rel
        if not path.exists():
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            assert not set(names) & banned, f"{rel} imports {names}"
        assert "allow_pickle=True" not in path.read_text("utf-8"), rel
