"""Bundles whose manifest was rewritten to match: the manifest proves integrity, not
authenticity, so the loader validates ``bundle.json`` too. Every malformed bundle is one
:class:`ModelBundleError` line, quickly, with nothing outside the bundle opened and nothing
large allocated.

Before: ``bundle.json`` as a list, a missing key or ``targets`` as a list were tracebacks
(``AttributeError``, ``KeyError``); 100 k-deep JSON a ``RecursionError``; an ``.npy`` header
claiming 10^11 elements a 93 GiB allocation attempt; ``model_file`` could name any file (an
outside ``.ubj`` loaded and predicted, ``/etc/passwd`` leaked its first byte in a C++ stack
trace, a named pipe hung the load); ``morgan_size: 200000000`` kept the loader busy a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from spepred.cli import main
from spepred.errors import ModelBundleError
from spepred.files import sha256_file
from spepred.models.bundle import load_bundle


@pytest.fixture
def bundle(tiny_trained, tmp_path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(tiny_trained[0].bundle_dir, dst)
    return dst


def _relist(bundle: Path, extra: dict[str, str] | None = None) -> None:
    """Recompute the manifest, as an attacker who edits files would."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] = {name: sha256_file(bundle / name) for name in manifest["files"]} | (extra or {})
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def _edit_meta(bundle: Path, edit) -> None:
    meta = json.loads((bundle / "bundle.json").read_text())
    new = edit(meta)
    (bundle / "bundle.json").write_text(json.dumps(meta if new is None else new))
    _relist(bundle)


def _refused(bundle: Path, match: str) -> str:
    with pytest.raises(ModelBundleError, match=match) as info:
        load_bundle(bundle)
    message = str(info.value)
    assert "\n" not in message and len(message) < 600, message
    return message


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: [m], "bundle.json holds a JSON list, expected an object"),
        (lambda m: m.pop("targets") and None, "malformed at targets: Field required"),
        (lambda m: m.pop("feature_names") and None, "malformed at feature_names"),
        (lambda m: m.pop("domain") and None, "malformed at domain"),
        (lambda m: m.update(targets=list(m["targets"].values())), "malformed at targets"),
        (lambda m: m["targets"]["sigma"].pop("conformal_q") and None, "malformed at targets.sigma.conformal_q"),
        (lambda m: m["targets"]["sigma"].update(label_range="wide"), "malformed at targets.sigma.label_range"),
        (lambda m: m["targets"]["sigma"].update(conformal_q=float("nan")), "targets.sigma.conformal_q"),
        (lambda m: m.update(featurizer="morgan"), "malformed at featurizer"),
        (lambda m: m["domain"].update(known_components=[1, 2]), "malformed at domain.known_components"),
        (lambda m: m["featurizer"].update(morgan_size=200_000_000), "featurizer.morgan_size"),
        (lambda m: m["featurizer"].update(morgan_radius=10**6), "featurizer.morgan_radius"),
        (lambda m: m.update(feature_names=["f"] * 300_000), "feature_names"),
    ],
    ids=[
        "a_list", "no_targets", "no_feature_names", "no_domain", "targets_a_list", "no_conformal_q",
        "label_range_a_string", "conformal_q_nan", "featurizer_a_string", "known_components_numbers",
        "morgan_size_2e8", "morgan_radius_1e6", "300k_feature_names",
    ],
)
def test_malformed_metadata_is_one_line(bundle, edit, match):
    _edit_meta(bundle, edit)
    _refused(bundle, match)


def test_json_nested_100k_deep(bundle):
    (bundle / "bundle.json").write_text("[" * 100_000 + "]" * 100_000)
    _relist(bundle)
    _refused(bundle, "nests deeper than 32 levels")
    (bundle / "manifest.json").write_text('{"files": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _refused(bundle, "manifest.json is corrupted")


def test_an_outside_model_file_is_never_opened(bundle, tmp_path):
    outside = tmp_path / "outside.ubj"
    shutil.copyfile(bundle / "model_sigma.ubj", outside)  # a perfectly good model, elsewhere
    for name in ("../outside.ubj", str(outside), "/etc/passwd", "sub/model_sigma.ubj", "model_sigma.json"):
        _edit_meta(bundle, lambda m: m["targets"]["sigma"].update(model_file=name))
        _refused(bundle, "is not a .ubj file name inside the bundle")


def test_training_system_files_are_held_to_the_same_rule(bundle):
    meta = json.loads((bundle / "bundle.json").read_text())
    assert "training_systems" in meta  # the nearest-systems table of newer bundles
    original = dict(meta["training_systems"])
    table = original["table"]
    for key, name in (("table", "/etc/passwd"), ("matrix_fps", "../x.npy"), ("table", "bundle.json.bak")):
        _edit_meta(bundle, lambda m: m["training_systems"].update(original, **{key: name}))
        _refused(bundle, f"training_systems.{key} .* is not a")
    _edit_meta(bundle, lambda m: m["training_systems"].update(original))
    assert load_bundle(bundle).training_systems is not None
    (bundle / table).write_text("[" * 100_000 + "]" * 100_000)
    _relist(bundle)
    _refused(bundle, "nests deeper than 32 levels")


def test_a_model_file_the_manifest_does_not_list(bundle):
    shutil.copyfile(bundle / "model_sigma.ubj", bundle / "model_other.ubj")
    _edit_meta(bundle, lambda m: m["targets"]["sigma"].update(model_file="model_other.ubj"))
    # model_other.ubj itself is unlisted, which the manifest check refuses already
    _refused(bundle, "model_other.ubj is not listed in the manifest")


def test_a_named_pipe_as_model_file_does_not_hang(bundle, tmp_path):
    fifo = tmp_path / "pipe.ubj"
    os.mkfifo(fifo)
    for name in (str(fifo), "pipe.ubj"):
        if name == "pipe.ubj":
            os.mkfifo(bundle / "pipe.ubj")
        _edit_meta(bundle, lambda m: m["targets"]["sigma"].update(model_file=name))
        if name == "pipe.ubj":
            _relist(bundle, {"pipe.ubj": "0" * 64})
        result = {}

        def load():
            try:
                load_bundle(bundle)
            except ModelBundleError as err:
                result["error"] = str(err)

        worker = threading.Thread(target=load, daemon=True)
        worker.start()
        worker.join(60)
        if worker.is_alive():  # unblock the reader so the test process can end
            with open(fifo, "wb"):
                pass
            pytest.fail(f"loading a bundle whose model_file is a named pipe ({name}) hangs")
        assert "error" in result and "\n" not in result["error"], result


def test_a_symbolic_link_inside_the_bundle_is_refused(bundle, tmp_path):
    outside = tmp_path / "outside.ubj"
    shutil.move(bundle / "model_sigma.ubj", outside)
    (bundle / "model_sigma.ubj").symlink_to(outside)
    _relist(bundle)
    _refused(bundle, "model_sigma.ubj is a symbolic link")


def _npy_with_header(path: Path, shape: tuple[int, ...], dtype: str = "<u1") -> None:
    """A valid .npy header claiming ``shape`` over the few bytes the file really has."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 64)


def test_an_npy_header_claiming_1e11_elements_is_refused_before_allocating(bundle):
    _npy_with_header(bundle / "domain_matrix_fps.npy", (100_000, 1_000_000))  # 10^11 bytes, 93 GiB
    _relist(bundle)
    _refused(bundle, r"domain_matrix_fps.npy claims shape \(100000, 1000000\), 100,000,000,000 bytes, but holds 64")


def test_npy_shape_and_size_must_agree(bundle):
    _npy_with_header(bundle / "domain_fragments.npy", (9,), "<i8")  # 72 bytes claimed, 64 held
    _relist(bundle)
    _refused(bundle, "domain_fragments.npy claims shape")
    (bundle / "domain_fragments.npy").write_bytes(b"not numpy at all")
    _relist(bundle)
    _refused(bundle, "is not a NumPy array file")


def test_a_model_file_that_is_not_a_model_is_one_line(bundle):
    (bundle / "model_sigma.ubj").write_bytes(b"\x00\x01garbage" * 100)
    _relist(bundle)
    _refused(bundle, "model_sigma.ubj is not an XGBoost model")


def test_the_cli_says_it_in_one_line(bundle, capsys):
    _edit_meta(bundle, lambda m: m.update(targets=[]))
    code = main(["predict", "--smiles", "C=CC(=O)OCCO", "--model", str(bundle)])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "bundle.json is malformed at targets" in err


def test_the_untampered_bundle_still_loads(bundle):
    assert load_bundle(bundle).model_version
