"""The model bundle: everything prediction needs, in safe formats, with a SHA-256 manifest.

Layout of a bundle directory::

    bundle.json            configs, feature names, per-target metrics and conformal state
    model_<target>.ubj     XGBoost boosters (UBJSON)
    domain_*.npy           applicability-domain arrays (NumPy, loaded with allow_pickle=False)
    manifest.json          SHA-256 of every file above

No pickle anywhere: loading never executes code from the bundle. A file that is missing,
truncated or edited fails its checksum and the bundle is refused with a message naming it.
Bundles are written into a temporary sibling directory and renamed into place, so an
interrupted ``spepred train`` never leaves a half-written bundle behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from spepred.errors import ModelBundleError
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.models.config import TARGETS, TrainConfig
from spepred.models.domain import ApplicabilityDomain

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
META = "bundle.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("spepred", "xgboost", "rdkit", "numpy", "pandas", "scikit-learn", "mlflow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class Bundle:
    """A loaded bundle: boosters, featurizer, domain, and the metadata dict."""

    path: Path
    meta: dict
    boosters: dict  # target key -> xgboost.Booster
    featurizer: FormulationFeaturizer
    domain: ApplicabilityDomain

    @property
    def model_version(self) -> str:
        return self.meta["model_version"]

    @property
    def targets(self) -> dict[str, dict]:
        return self.meta["targets"]


def write_bundle(result, directory: str | Path) -> Path:
    """Write a :class:`~spepred.models.train.TrainResult` as a bundle, atomically."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be read by others
    try:
        targets = {}
        for key, tr in result.targets.items():
            fname = f"model_{key}.ubj"
            tr.booster.save_model(str(tmp / fname))
            targets[key] = {
                "label": tr.spec.label,
                "unit": tr.spec.unit,
                "transform": tr.spec.transform,
                "description": tr.spec.description,
                "model_file": fname,
                "n_labels": tr.n_labels,
                "n_groups": tr.n_groups,
                "cv_scheme": tr.cv_scheme,
                "alpha": result.config.alpha,
                "conformal_q": tr.conformal_q,
                "label_range": tr.label_range,
                "metrics": tr.metrics,
                "baseline_metrics": tr.baseline_metrics,
                "beats_baseline": tr.beats_baseline,
                "fold_mae": tr.fold_mae,
            }
        domain_params = result.domain.save(tmp)
        digest = hashlib.sha256()
        for key in sorted(targets):
            digest.update(_sha256(tmp / targets[key]["model_file"]).encode())
        meta = {
            "format_version": FORMAT_VERSION,
            "model_version": f"{library_versions()['spepred']}+{result.data_hash[:8]}.{digest.hexdigest()[:8]}",
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data_hash": result.data_hash,
            "rows_per_source": result.rows_per_source,
            "train_config": result.config.to_dict(),
            "featurizer": result.featurizer.config.to_dict(),
            "feature_names": result.featurizer.feature_names,
            "targets": targets,
            "skipped_targets": result.skipped_targets,
            "domain": domain_params,
            "library_versions": library_versions(),
        }
        (tmp / META).write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
        files = sorted(p.name for p in tmp.iterdir() if p.is_file())
        manifest = {"format_version": FORMAT_VERSION, "files": {f: _sha256(tmp / f) for f in files}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
        _swap_into_place(tmp, directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


def _previous(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.previous"


def _swap_into_place(tmp: Path, directory: Path) -> None:
    """Rename ``tmp`` to ``directory``; the old bundle survives as ``.<name>.previous``
    until the new one is in place (the loader falls back to it if interrupted between)."""
    prev = _previous(directory)
    if prev.exists():
        shutil.rmtree(prev)
    if directory.exists():
        os.replace(directory, prev)
    os.replace(tmp, directory)
    if prev.exists():
        shutil.rmtree(prev, ignore_errors=True)


def verify_manifest(directory: Path) -> dict:
    """Check every file against the manifest; raise naming the first bad one."""
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        files = manifest["files"]
    except FileNotFoundError:
        raise ModelBundleError(f"{directory} is not a spepred model bundle (no {MANIFEST})") from None
    except (ValueError, KeyError, TypeError):
        raise ModelBundleError(f"{manifest_path} is corrupted (not a valid manifest)") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelBundleError(
            f"{directory}: bundle format {manifest.get('format_version')} is not supported "
            f"by this spepred (format {FORMAT_VERSION}); retrain with `spepred train`"
        )
    for name, expected in sorted(files.items()):
        path = directory / name
        if Path(name).name != name or not path.is_file():
            raise ModelBundleError(f"{directory}: file {name!r} listed in the manifest is missing")
        actual = _sha256(path)
        if actual != expected:
            raise ModelBundleError(
                f"{directory}: {name} fails its SHA-256 check (expected {expected[:12]}..., "
                f"got {actual[:12]}...): the file is truncated or was modified; refusing to load"
            )
    return files


def load_bundle(directory: str | Path) -> Bundle:
    """Load and verify a bundle (checksums, format, feature schema)."""
    import xgboost as xgb

    directory = Path(directory)
    if not directory.exists() and _previous(directory).exists():
        directory = _previous(directory)  # a training run was interrupted mid-swap
    if not directory.is_dir():
        raise ModelBundleError(f"no model bundle at {directory} (train one with `spepred train`)")
    verify_manifest(directory)
    meta = json.loads((directory / META).read_text("utf-8"))
    featurizer = FormulationFeaturizer(FeaturizerConfig.from_dict(meta["featurizer"]))
    if featurizer.feature_names != meta["feature_names"]:
        diff = sorted(set(featurizer.feature_names) ^ set(meta["feature_names"]))
        raise ModelBundleError(
            f"{directory}: the bundle's feature layout ({len(meta['feature_names'])} features) "
            f"differs from what this spepred computes ({len(featurizer.feature_names)}), e.g. "
            f"{diff[:3]}; retrain with `spepred train`"
        )
    boosters = {}
    for key, info in meta["targets"].items():
        if key not in TARGETS:
            raise ModelBundleError(f"{directory}: unknown target {key!r} in bundle")
        booster = xgb.Booster()
        booster.load_model(str(directory / info["model_file"]))
        if booster.feature_names and list(booster.feature_names) != meta["feature_names"]:
            raise ModelBundleError(f"{directory}: {info['model_file']} has a different feature schema")
        boosters[key] = booster
    domain = ApplicabilityDomain.load(directory, meta["domain"])
    TrainConfig.from_dict(meta["train_config"])  # refuses unknown keys
    return Bundle(path=directory, meta=meta, boosters=boosters, featurizer=featurizer, domain=domain)


__all__ = ["Bundle", "load_bundle", "verify_manifest", "write_bundle"]
