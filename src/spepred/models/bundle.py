"""The model bundle: everything prediction needs, in safe formats, with a SHA-256 manifest.

Layout of a bundle directory::

    bundle.json            configs, feature names, per-target metrics and conformal state
    model_<target>.ubj     XGBoost boosters (UBJSON)
    domain_*.npy           applicability-domain arrays (NumPy, loaded with allow_pickle=False)
    training_systems*      the labelled training systems behind ``neighbours`` (JSON + NumPy;
                           optional: bundles written before them load without neighbours)
    tg_*                   the Tg model (:mod:`spepred.models.tg`: UBJ, JSON, two NumPy
                           arrays; optional: without it ``Tg_K_*`` are NaN and
                           ``bundle.json`` ``tg_note`` says why)
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
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spepred.errors import ConfigError, ModelBundleError
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.files import sha256_file
from spepred.models.config import TARGETS, TrainConfig
from spepred.models.domain import ApplicabilityDomain
from spepred.models.neighbours import TrainingSystems

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
META = "bundle.json"


#: kept for callers of the old private name; the one file hash is ``spepred.files.sha256_file``
_sha256 = sha256_file


def _bundle_entries(directory: Path) -> set[str] | None:
    """The names a spepred bundle at ``directory`` consists of (its manifest's files and
    the manifest), or ``None`` when ``directory`` holds no readable spepred manifest."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None
    if "format_version" not in manifest:
        return None
    return {str(name) for name in manifest["files"]} | {MANIFEST}


def check_replaceable(directory: str | Path, *, option: str = "--model-dir") -> None:
    """Refuse a bundle destination whose current contents are not a spepred bundle.

    Publishing a bundle replaces ``directory`` as a whole, so it must be absent, an empty
    directory, or a bundle and nothing else (every entry a file its manifest lists): a
    folder of the user's files, a bundle with other files put beside it, a file, ``/`` or
    ``~`` are refused before anything is trained, moved or removed.
    """
    directory = Path(directory)
    shown = str(directory)
    if not directory.exists() and not directory.is_symlink():
        return
    if directory.is_symlink():
        raise ModelBundleError(
            f"{option} {shown} is a symbolic link; give the bundle directory itself (it is replaced as a whole)"
        )
    if not directory.is_dir():
        raise ModelBundleError(
            f"{option} {shown} exists and is a file, not a model bundle; refusing to replace it "
            "(choose a new directory, an empty one or an existing bundle)"
        )
    resolved = directory.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise ModelBundleError(
            f"{option} {shown} is {'the root directory' if resolved == Path(resolved.anchor) else 'your home directory'}, "
            "not a model bundle; refusing to replace it (choose a new directory such as models/mine)"
        )
    try:
        entries = {p.name: p for p in directory.iterdir()}
    except OSError as err:
        raise ModelBundleError(f"{option} {shown} cannot be read ({err.strerror})") from None
    if not entries:
        return
    listed = _bundle_entries(directory)
    if listed is None:
        raise ModelBundleError(
            f"{option} {shown} exists and is not a spepred model bundle (it holds {len(entries)} "
            f"entr{'y' if len(entries) == 1 else 'ies'} and no {MANIFEST}); refusing to replace it "
            "(choose a new directory, an empty one or an existing bundle)"
        )
    foreign = sorted(name for name, p in entries.items() if name not in listed or not p.is_file() or p.is_symlink())
    if foreign:
        raise ModelBundleError(
            f"{option} {shown} is a model bundle but also holds {foreign[0]!r}"
            + (f" and {len(foreign) - 1} more entr{'y' if len(foreign) == 2 else 'ies'}" if len(foreign) > 1 else "")
            + " that the bundle does not list; refusing to replace it (move them elsewhere first)"
        )


#: Distributions that provide each library (xgboost-cpu installs the same ``xgboost`` module)
_DISTRIBUTIONS = {
    "spepred": ("spepred",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "rdkit": ("rdkit",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "scikit-learn": ("scikit-learn",),
    "mlflow": ("mlflow",),
}


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg, dists in _DISTRIBUTIONS.items():
        out[pkg] = "not installed"
        for dist in dists:
            try:
                out[pkg] = version(dist)
                break
            except PackageNotFoundError:
                continue
    if out["spepred"] == "not installed":
        # imported from a copy of the source (an MLflow model's code directory)
        import spepred

        out["spepred"] = spepred.__version__
    return out


@dataclass
class Bundle:
    """A loaded bundle: boosters, featurizer, domain, and the metadata dict."""

    path: Path
    meta: dict
    boosters: dict  # target key -> xgboost.Booster
    featurizer: FormulationFeaturizer
    domain: ApplicabilityDomain
    #: None for a bundle written before the table existed (``neighbours`` then empty)
    training_systems: TrainingSystems | None = None
    #: the Tg model (:class:`spepred.models.tg.TgModel`); None when the bundle has none
    tg: Any = None

    def feature_index(self, key: str) -> list[int] | None:
        """Columns of the featurizer's matrix that target ``key``'s booster reads (``None``:
        all of them, as in bundles written before targets had their own features)."""
        wanted = self.meta["targets"][key].get("features")
        if not wanted:
            return None
        where = {n: i for i, n in enumerate(self.meta["feature_names"])}
        return [where[n] for n in wanted]

    @property
    def tg_note(self) -> str:
        """Why the bundle has no Tg model ('' when it has one)."""
        if self.tg is not None:
            return ""
        return self.meta.get("tg_note") or (
            "this model bundle predates the Tg model: retrain it (`spepred train`) to get Tg_K_pred"
        )

    @property
    def model_version(self) -> str:
        return self.meta["model_version"]

    @property
    def targets(self) -> dict[str, dict]:
        return self.meta["targets"]


def write_bundle(result, directory: str | Path) -> Path:
    """Write a :class:`~spepred.models.train.TrainResult` as a bundle, atomically."""
    directory = Path(directory)
    tmp = _new_temporary(directory)
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
                "conformal_bins": tr.conformal_bins,
                "curve_metrics": tr.curve_metrics,
                "crosslinked_metrics": tr.crosslinked_metrics,
                "regime_metrics": tr.regime_metrics,
                **({"offsets": tr.offsets} if tr.offsets else {}),
                "label_range": tr.label_range,
                "metrics": tr.metrics,
                "baseline_metrics": tr.baseline_metrics,
                "beats_baseline": tr.beats_baseline,
                "fold_mae": tr.fold_mae,
            }
            if tr.features is not None and tr.features != result.featurizer.feature_names:
                targets[key]["features"] = tr.features  # absent: every feature
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
        systems = getattr(result, "training_systems", None)
        if systems is not None:
            meta["training_systems"] = systems.save(tmp)
        tg = getattr(result, "tg", None)
        if tg is not None:
            from spepred.models import tg as tg_files

            tg.save(tmp)
            meta["tg"] = {
                "model_file": tg_files.MODEL_FILE,
                "meta_file": tg_files.META_FILE,
                "matrix_fps": tg_files.FPS_FILE,
                "fragments": tg_files.FRAGMENTS_FILE,
                "source": getattr(result, "tg_source", "") or "",
                "n_polymers": tg.n_polymers_,
                "alpha": tg.config.alpha,
                "metrics": tg.metrics_,
                "baseline_metrics": tg.baseline_metrics_,
                "beats_baseline": bool(tg.beats_baseline),
            }
        else:
            meta["tg"] = None
            meta["tg_note"] = getattr(result, "tg_note", "") or "no Tg model was trained"
        (tmp / META).write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
        files = sorted(p.name for p in tmp.iterdir() if p.is_file())
        manifest = {"format_version": FORMAT_VERSION, "files": {f: _sha256(tmp / f) for f in files}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
        _swap_into_place(tmp, directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


def publish_bundle(source: str | Path, directory: str | Path) -> Path:
    """Copy the bundle at ``source`` to ``directory``, atomically (verified copy in a
    temporary sibling, then renamed into place). Training writes its bundle once into a
    private staging directory and publishes and logs that same copy, so a concurrent
    training into the same ``directory`` can never make a run log another run's model."""
    directory = Path(directory)
    verify_manifest(Path(source))
    tmp = _new_temporary(directory)
    try:
        for path in Path(source).iterdir():
            if path.is_file():
                shutil.copyfile(path, tmp / path.name)
        verify_manifest(tmp)
        _swap_into_place(tmp, directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return directory


@contextmanager
def staging_directory(directory: str | Path) -> Iterator[Path]:
    """A private directory beside ``directory`` to write a bundle into before publishing
    it; removed on exit (and by the next training if this process is killed)."""
    tmp = _new_temporary(Path(directory))
    try:
        yield tmp / "bundle"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _new_temporary(directory: Path) -> Path:
    """An empty hidden sibling of ``directory``, named after this process (see
    :func:`_remove_stale_temporaries`)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(directory)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_tmp_prefix(directory)}{os.getpid()}-", dir=directory.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be read by others
    return tmp


def _previous(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.previous"


def _tmp_prefix(directory: Path) -> str:
    return f".{directory.name}.tmp-"


def _remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary bundles left by trainings that were killed (SIGKILL skips every
    clean-up). The writer's pid is part of the name: only dead writers' are removed, so a
    training running at the same time keeps its own. The loader never reads them anyway."""
    prefix = _tmp_prefix(directory)
    for path in directory.parent.glob(f"{prefix}*"):
        pid = path.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive, owned by someone else
            continue


@contextmanager
def _swap_lock(directory: Path) -> Iterator[None]:
    """Serialize bundle swaps into one directory across processes (two trainings finishing
    together must not interleave their renames); a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(directory.parent, os.O_RDONLY)  # lock the parent: no lock file left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _swap_into_place(tmp: Path, directory: Path) -> None:
    """Rename ``tmp`` to ``directory``; the old bundle survives as ``.<name>.previous``
    until the new one is in place (the loader falls back to it if interrupted between).

    At every instant either ``directory`` or ``.<name>.previous`` holds a complete bundle,
    whatever step a kill lands on: a swap that was interrupted between its two renames is
    first undone, so that the only complete bundle is never deleted.
    """
    prev = _previous(directory)
    with _swap_lock(directory):
        if not directory.exists() and prev.exists():
            os.replace(prev, directory)  # an earlier swap was interrupted: restore first
        # checked again under the lock: only a bundle (or nothing) is ever moved or removed
        check_replaceable(directory)
        if prev.exists():
            check_replaceable(prev, option="stale previous bundle")
            shutil.rmtree(prev)  # stale: ``directory`` is complete
        if directory.exists():
            os.replace(directory, prev)
        os.replace(tmp, directory)
        if prev.exists():
            shutil.rmtree(prev, ignore_errors=True)


#: Files the loader opens: each must be listed in the manifest (a manifest with an entry
#: removed would otherwise let an unchecked file through).
_LOADED_SUFFIXES = (".json", ".ubj", ".npy")


def verify_manifest(directory: Path) -> dict:
    """Check every file against the manifest; raise naming the first bad one.

    Refused: a missing, unreadable or malformed manifest; a listed file that is missing,
    truncated or modified (SHA-256); a file the loader would open (``*.json``, ``*.ubj``,
    ``*.npy``) that the manifest does not list; names that leave the directory.
    """
    from spepred.models.bundle_schema import MAX_MANIFEST_BYTES, read_json

    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise ModelBundleError(f"{directory} is not a spepred model bundle (no {MANIFEST})")
    try:
        manifest = read_json(manifest_path, limit=MAX_MANIFEST_BYTES, what=MANIFEST)
        files = manifest["files"]
    except ModelBundleError:
        raise ModelBundleError(f"{manifest_path} is corrupted (not a valid manifest)") from None
    except (KeyError, TypeError, IndexError):
        raise ModelBundleError(f"{manifest_path} is corrupted (not a valid manifest)") from None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise ModelBundleError(f"{manifest_path} is corrupted (not a valid manifest)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelBundleError(
            f"{directory}: bundle format {manifest.get('format_version')!r} is not supported "
            f"by this spepred (format {FORMAT_VERSION}); retrain with `spepred train`"
        )
    for name, expected in sorted(files.items()):
        path = directory / name
        if Path(name).name != name or name in (".", "..") or not path.is_file():
            raise ModelBundleError(f"{directory}: file {name[:120]!r} listed in the manifest is missing")
        if path.is_symlink():  # its bytes would come from outside the bundle
            raise ModelBundleError(
                f"{directory}: {name} is a symbolic link; a bundle holds its own files, refusing to load"
            )
        actual = _sha256(path)
        if actual != expected:
            raise ModelBundleError(
                f"{directory}: {name} fails its SHA-256 check (expected {expected[:12]}..., "
                f"got {actual[:12]}...): the file is truncated or was modified; refusing to load"
            )
    unlisted = sorted(
        p.name
        for p in directory.iterdir()
        if p.name != MANIFEST and p.suffix in _LOADED_SUFFIXES and p.name not in files
    )
    if META not in files or unlisted:
        name = META if META not in files else unlisted[0]
        raise ModelBundleError(
            f"{directory}: {name} is not listed in the manifest; refusing to load an unchecked file"
        )
    return files


@dataclass(frozen=True)
class BundleMeta:
    """What can be known of a bundle without loading it: where it is, its version, and the
    SHA-256 of its manifest (which holds the SHA-256 of every file: the bundle's identity)."""

    path: Path
    model_version: str
    format_version: int
    manifest_sha256: str
    created_utc: str


def read_bundle_meta(directory: str | Path) -> BundleMeta:
    """A bundle's version and identity, cheaply: reads the manifest and ``bundle.json``
    (checking that file against its manifest entry), without hashing the model files,
    building the featurizer or importing XGBoost. Use :func:`load_bundle` to predict; it
    verifies everything. Raises :class:`ModelBundleError` naming what is wrong."""
    from spepred.models.bundle_schema import MAX_MANIFEST_BYTES, MAX_META_BYTES, read_json

    directory = Path(directory)
    if not directory.exists() and _previous(directory).exists():
        directory = _previous(directory)  # a training run was interrupted mid-swap
    if not directory.is_dir():
        raise ModelBundleError(f"no model bundle at {directory} (train one with `spepred train`)")
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ModelBundleError(f"{directory} is not a spepred model bundle (no {MANIFEST})")
    manifest = read_json(manifest_path, limit=MAX_MANIFEST_BYTES, what=MANIFEST)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not isinstance(files.get(META), str):
        raise ModelBundleError(f"{manifest_path} is corrupted (not a valid manifest)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelBundleError(
            f"{directory}: bundle format {manifest.get('format_version')!r} is not supported "
            f"by this spepred (format {FORMAT_VERSION}); retrain with `spepred train`"
        )
    meta_path = directory / META
    if not meta_path.is_file() or meta_path.is_symlink() or _sha256(meta_path) != files[META]:
        raise ModelBundleError(
            f"{directory}: {META} is missing or fails its SHA-256 check: the file is truncated "
            "or was modified; refusing to load"
        )
    meta = read_json(meta_path, limit=MAX_META_BYTES, what=META)
    version = meta.get("model_version") if isinstance(meta, dict) else None
    if not isinstance(version, str) or not version:
        raise ModelBundleError(f"{directory}: {META} has no model_version")
    return BundleMeta(
        path=directory,
        model_version=version,
        format_version=FORMAT_VERSION,
        manifest_sha256=_sha256(manifest_path),
        created_utc=str(meta.get("created_utc", "")),
    )


def load_bundle(directory: str | Path, *, booster_loader: Callable[[Path], Any] | None = None) -> Bundle:
    """Load and verify a bundle (checksums, format, feature schema).

    ``booster_loader`` turns a model file into a booster (default ``xgboost.Booster``);
    prediction passes :func:`spepred.models.xgb_native.load_booster`, which does not import
    the xgboost Python package.
    """
    if booster_loader is None:
        import xgboost as xgb

        def booster_loader(path: Path) -> Any:
            booster = xgb.Booster()
            booster.load_model(str(path))
            return booster

    directory = Path(directory)
    if not directory.exists() and _previous(directory).exists():
        directory = _previous(directory)  # a training run was interrupted mid-swap
    if not directory.is_dir():
        raise ModelBundleError(f"no model bundle at {directory} (train one with `spepred train`)")
    from spepred.models.bundle_schema import MAX_META_BYTES, check_npy, read_json, validate_meta

    files = verify_manifest(directory)
    # the manifest proves integrity, not authenticity: the metadata is validated (shape,
    # types, bounds, model files inside the bundle) before anything is built from it
    meta = validate_meta(read_json(directory / META, limit=MAX_META_BYTES, what=META), directory, files)
    try:
        featurizer = FormulationFeaturizer(FeaturizerConfig.from_dict(meta["featurizer"]))
    except (ConfigError, TypeError, ValueError) as err:
        raise ModelBundleError(f"{directory}: bundle.json featurizer: {err}") from None
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
        try:
            booster = booster_loader(directory / info["model_file"])
        except Exception as err:  # XGBoost's C++ errors; the file passed its checksum
            first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise ModelBundleError(f"{directory}: {info['model_file']} is not an XGBoost model ({first})") from None
        wanted = info.get("features") or meta["feature_names"]
        unknown = sorted(set(wanted) - set(meta["feature_names"]))
        if unknown:
            raise ModelBundleError(
                f"{directory}: target {key!r} reads feature(s) the layout does not have, e.g. {unknown[:3]}"
            )
        if booster.feature_names and list(booster.feature_names) != list(wanted):
            raise ModelBundleError(f"{directory}: {info['model_file']} has a different feature schema")
        boosters[key] = booster
    for name in sorted(files):
        if name.endswith(".npy"):
            check_npy(directory / name)  # header bounded before NumPy allocates anything
    try:
        domain = ApplicabilityDomain.load(directory, meta["domain"])
    except (ValueError, KeyError, TypeError, OSError) as err:  # e.g. an object (pickle) array
        raise ModelBundleError(f"{directory}: applicability-domain arrays cannot be loaded ({err})") from None
    try:
        TrainConfig.from_dict(meta["train_config"])  # refuses unknown keys
    except (ConfigError, TypeError, ValueError, KeyError) as err:
        raise ModelBundleError(f"{directory}: bundle.json train_config: {err}") from None
    systems = None
    if "training_systems" in meta:  # additive: older bundles have none
        try:
            systems = TrainingSystems.load(directory, meta["training_systems"])
        except (ValueError, KeyError, TypeError, OSError) as err:
            raise ModelBundleError(f"{directory}: training-system table cannot be loaded ({err})") from None
    tg = None
    if meta.get("tg") is not None:  # additive: older bundles have none
        from spepred.models.tg import TgModel

        tg = TgModel.load(directory)  # checks its own hashes and feature layout again
    return Bundle(
        path=directory, meta=meta, boosters=boosters, featurizer=featurizer, domain=domain,
        training_systems=systems, tg=tg,
    )


__all__ = ["Bundle", "BundleMeta", "check_replaceable", "load_bundle", "read_bundle_meta", "publish_bundle", "staging_directory", "verify_manifest", "write_bundle"]
