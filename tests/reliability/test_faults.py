"""Faults: a training killed at any stage, two trainings at once on one SQLite store,
corrupted cache entries, truncated or corrupted downloads.

Trainings run as real ``spepred train`` processes on the tiny table. The kill points hook
public library calls (see ``_fault_runner.py``), so each one is known to have been reached.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from spepred.models.bundle import load_bundle
from tests.conftest import FIXTURES, MIRROR, import_or_skip, needs_mirror

TINY = FIXTURES / "tiny_train.csv"
RUNNER = Path(__file__).with_name("_fault_runner.py")
STAGES = ("read", "fit", "bundle", "swap", "mlflow", "published")
#: (stage, signal): every stage under SIGKILL (no clean-up at all runs), the ones where
#: clean-up code matters most under SIGINT (Ctrl-C: KeyboardInterrupt unwinds).
KILLS = [(s, "SIGKILL") for s in STAGES] + [(s, "SIGINT") for s in ("fit", "bundle", "swap", "mlflow")]
TIMEOUT_S = 900


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # XGBoost's OpenMP threads spin-wait: on a busy 2-core machine a default-threaded tiny
    # training takes minutes instead of seconds
    env["OMP_NUM_THREADS"] = "1"
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def _train_argv(model_dir: Path, tracking_uri: str | None, seed: int = 1) -> list[str]:
    argv = ["train", "--data", str(TINY), "--model-dir", str(model_dir), "--cv-folds", "2", "--seed", str(seed), "-q"]
    return argv + (["--tracking-uri", tracking_uri] if tracking_uri else ["--no-track"])


def _spepred(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spepred.cli", *argv], cwd=cwd, env=_env(),
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )


@pytest.fixture(scope="module")
def previous_bundle(tiny_trained) -> Path:
    return tiny_trained[0].bundle_dir


@pytest.fixture(scope="module")
def killed(previous_bundle, tmp_path_factory):
    """Every kill scenario, run two at a time: ``{(stage, signal): (process, model_dir, store)}``."""
    root = tmp_path_factory.mktemp("killed")

    def one(case):
        stage, signame = case
        work = root / f"{stage}-{signame}"
        model_dir = work / "models" / "default"
        model_dir.parent.mkdir(parents=True)
        shutil.copytree(previous_bundle, model_dir)
        store = f"sqlite:///{work / 'mlflow.db'}" if stage in ("mlflow", "published") else None
        proc = subprocess.run(
            [sys.executable, str(RUNNER), stage, signame, "--", *_train_argv(model_dir, store)],
            cwd=work, env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S,
        )
        return case, (proc, model_dir, store)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, KILLS))


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "signame"), KILLS)
def test_killed_training_leaves_a_complete_bundle(killed, previous_bundle, stage, signame):
    proc, model_dir, store = killed[stage, signame]
    assert f"fault-runner: {signame} at stage {stage}" in proc.stderr, proc.stderr[-3000:]
    if signame == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130 and "spepred: interrupted" in proc.stderr
        assert "Traceback" not in proc.stderr
    bundle = load_bundle(model_dir)  # verifies every file against the manifest
    old = (previous_bundle / "manifest.json").read_text()
    new = (bundle.path / "manifest.json").read_text()
    if stage == "published":  # the new bundle, published only after its run was recorded
        assert new != old and bundle.path == model_dir
    else:  # (while logging to MLflow too: the bundle is published after the run)
        assert new == old  # the previous default model, untouched
    # nothing half-written at the bundle's own path; only hidden siblings may remain
    leftovers = sorted(p.name for p in model_dir.parent.iterdir() if p.name != "default")
    assert all(name.startswith(".default.") for name in leftovers)
    if signame == "SIGINT":  # clean-up ran: at most the previous bundle, kept on purpose
        assert leftovers in ([], [".default.previous"])
    if stage == "swap":  # killed between the renames: the loader falls back
        assert bundle.path.name == ".default.previous"


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGKILL", "SIGINT"])
def test_a_run_killed_while_logging_leaves_the_store_usable(killed, signame):
    import mlflow

    _, _, store = killed["mlflow", signame]
    client = mlflow.MlflowClient(store)
    exp = client.get_experiment_by_name("spepred")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1
    # SIGKILL cannot close the run; after Ctrl-C, MLflow's context manager ends it FAILED
    assert runs[0].info.status == ("RUNNING" if signame == "SIGKILL" else "FAILED")


@pytest.mark.slow
def test_a_bundle_killed_right_after_publishing_has_its_run(killed):
    """Lineage: the published bundle's model version is a FINISHED run's, registered."""
    import mlflow

    proc, model_dir, store = killed["published", "SIGKILL"]
    version = load_bundle(model_dir).model_version
    client = mlflow.MlflowClient(store, registry_uri=store)
    runs = client.search_runs([client.get_experiment_by_name("spepred").experiment_id])
    assert [(r.info.status, r.data.tags["model_version"]) for r in runs] == [("FINISHED", version)]
    assert client.search_model_versions("name='spepred'")


@pytest.mark.slow
def test_the_next_training_recovers_from_a_kill_between_the_renames(killed, tmp_path):
    proc, model_dir, _ = killed["swap", "SIGKILL"]
    work = tmp_path / "w"
    shutil.copytree(model_dir.parent, work / "models", symlinks=True)  # stale temporaries too
    assert not (work / "models" / "default").exists()
    assert any(p.name.startswith(".default.tmp-") for p in (work / "models").iterdir())
    done = _spepred(_train_argv(work / "models" / "default", None, seed=2), cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert load_bundle(work / "models" / "default").path == work / "models" / "default"
    assert sorted(p.name for p in (work / "models").iterdir()) == ["default"]


@pytest.mark.slow
def test_a_second_kill_between_the_renames_still_leaves_a_bundle(killed, tmp_path):
    """After a kill between the renames only ``.default.previous`` is complete; a swap used
    to delete it before renaming its own bundle in, so a second kill there left nothing."""
    _, model_dir, _ = killed["swap", "SIGKILL"]
    work = tmp_path / "w"
    shutil.copytree(model_dir.parent, work / "models", symlinks=True)
    target = work / "models" / "default"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "swap", "SIGKILL", "--", *_train_argv(target, None, seed=5)],
        cwd=work, env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert "fault-runner: SIGKILL at stage swap" in proc.stderr, proc.stderr[-3000:]
    assert load_bundle(target).model_version  # a complete bundle, whichever copy it is


@pytest.mark.slow
def test_two_trainings_at_once_on_one_sqlite_store(tmp_path):
    """Both finish; the store holds two intact runs, each logging the model it trained,
    and the shared model directory holds one of the two, complete."""
    import mlflow

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"  # new: both create its tables at once
    model_dir = tmp_path / "models" / "default"
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(lambda seed: _spepred(_train_argv(model_dir, store, seed), tmp_path), (3, 4)))
    for p in procs:
        assert p.returncode == 0, p.stderr[-3000:]
    client = mlflow.MlflowClient(store)
    exp = client.get_experiment_by_name("spepred")
    runs = client.search_runs([exp.experiment_id])
    assert sorted(r.info.status for r in runs) == ["FINISHED", "FINISHED"]
    versions = set()
    for run in runs:
        assert any(k.startswith("sigma.cv.") for k in run.data.metrics)
        assert {"config.json", "cv_metrics.txt"} <= {a.path for a in client.list_artifacts(run.info.run_id)}
        [logged] = client.search_logged_models(
            experiment_ids=[exp.experiment_id], filter_string=f"source_run_id='{run.info.run_id}'"
        )
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=logged.artifact_location, dst_path=str(tmp_path / run.info.run_id), tracking_uri=store
            )
        )
        # the run's bundle artifact (the logged code carries the packaged default bundle too)
        [meta] = [m for m in local.rglob("bundle.json") if "code" not in m.relative_to(local).parts]
        # the logged model is the one this run trained, not the other run's
        assert json.loads(meta.read_text())["model_version"] == run.data.tags["model_version"]
        versions.add(run.data.tags["model_version"])
    assert len(versions) == 2
    registered = client.search_model_versions("name='spepred'")
    assert sorted(int(v.version) for v in registered) == [1, 2]
    assert load_bundle(model_dir).model_version in versions
    assert sorted(p.name for p in model_dir.parent.iterdir()) == ["default"]


# -- caches ------------------------------------------------------------------------------
CORRUPTIONS = {
    "empty_file": lambda p, e: p.write_bytes(b""),
    "truncated": lambda p, e: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "binary_garbage": lambda p, e: p.write_bytes(os.urandom(256)),
    "not_utf8": lambda p, e: p.write_bytes(b"\xff\xfe" + p.read_bytes()),
    "payload_edited": lambda p, e: p.write_text(json.dumps({**e, "payload": {**e["payload"], "homo_eV": 99.0}})),
    "checksum_recomputed_for_another_key": lambda p, e: p.write_text(json.dumps({**e, "key": "CCCC"})),
    "json_list": lambda p, e: p.write_text("[1, 2, 3]"),
    "payload_not_a_dict": lambda p, e: p.write_text(json.dumps({**e, "payload": [1]})),
    "directory_instead": lambda p, e: (p.unlink(), p.mkdir()),
}


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_a_corrupted_cache_entry_is_detected_and_recomputed(how, tmp_path):
    from spepred.cache import JsonCache

    cache = JsonCache(tmp_path)
    cache.put("CCOC(=O)CC", {"homo_eV": -7.5, "lumo_eV": 1.25, "status": "ok"})
    path = cache.path("CCOC(=O)CC")
    CORRUPTIONS[how](path, json.loads(path.read_text()))
    assert cache.get("CCOC(=O)CC") is None  # reported as missing: the caller recomputes
    if how == "directory_instead":
        shutil.rmtree(path)
    cache.put("CCOC(=O)CC", {"homo_eV": -7.5, "lumo_eV": 1.25, "status": "ok"})  # and overwrites
    assert cache.get("CCOC(=O)CC")["homo_eV"] == -7.5


def test_xtb_orbitals_recomputed_after_every_kind_of_corruption(tmp_path, monkeypatch):
    import_or_skip("tblite")
    from spepred.cache import JsonCache
    from spepred.featurize import orbital

    monkeypatch.setenv("SPEPRED_CACHE_DIR", str(tmp_path))
    orbital.frontier_orbitals.cache_clear()
    try:
        first = orbital.frontier_orbitals("CCOC(=O)CC")
        cache = JsonCache(tmp_path / "xtb" / orbital.XTB_CACHE_VERSION)
        path = cache.path("CCOC(=O)CC")
        for how in ("truncated", "binary_garbage", "payload_edited", "json_list"):
            CORRUPTIONS[how](path, json.loads(path.read_text()))
            orbital.frontier_orbitals.cache_clear()
            assert orbital.frontier_orbitals("CCOC(=O)CC") == first, how
            assert cache.get("CCOC(=O)CC") is not None  # the good value was written back
    finally:
        orbital.frontier_orbitals.cache_clear()


# -- downloads ---------------------------------------------------------------------------
@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A loopback HTTP server standing in for the upstream repository host."""
    from spepred.data import sources

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(sources, "URL_PATTERN", f"http://127.0.0.1:{server.server_address[1]}/{{path}}")
    monkeypatch.delenv("SPEPRED_DATA_MIRROR", raising=False)
    monkeypatch.setenv("SPEPRED_CACHE_DIR", str(tmp_path / "cache"))
    yield root
    server.shutdown()


def _serve(upstream: Path, key: str, content: bytes) -> None:
    from spepred.data import sources

    target = upstream / sources.SOURCES[key].path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


@needs_mirror
@pytest.mark.slow
def test_data_build_with_a_truncated_download_fails_on_the_checksum(upstream, tmp_path, capsys):
    from spepred.cli import main
    from spepred.data import sources

    for key, src in sources.SOURCES.items():
        data = (MIRROR / src.local_path).read_bytes()
        _serve(upstream, key, data[: len(data) // 3] if key == "radonpy_pi1070" else data)
    out = tmp_path / "formulations.parquet"
    assert main(["data", "build", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "radonpy_pi1070" in err and "fails its SHA-256 check" in err and "truncated" in err
    assert "Traceback" not in err and not out.exists()
    assert not list((tmp_path / "cache").rglob("PI1070.csv"))  # nothing truncated kept


@needs_mirror
def test_a_corrupted_cached_download_is_fetched_again(upstream, tmp_path):
    from spepred.data import sources

    src = sources.SOURCES["radonpy_pi1070"]
    good = (MIRROR / src.local_path).read_bytes()
    _serve(upstream, "radonpy_pi1070", good)
    path = sources.fetch("radonpy_pi1070")
    path.write_bytes(good[:100])  # the cached copy is damaged later
    assert sources.fetch("radonpy_pi1070").read_bytes() == good


@needs_mirror
def test_a_corrupted_mirror_file_fails_data_build(tmp_path, monkeypatch, capsys):
    from spepred.cli import main
    from spepred.data import sources

    mirror = tmp_path / "mirror"
    for src in sources.SOURCES.values():
        (mirror / src.local_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MIRROR / src.local_path, mirror / src.local_path)
    damaged = mirror / sources.SOURCES["bradford2023"].local_path
    damaged.write_bytes(damaged.read_bytes()[:-10])
    monkeypatch.setenv("SPEPRED_DATA_MIRROR", str(mirror))
    assert main(["data", "build", "--offline", "--output", str(tmp_path / "f.parquet")]) == 2
    err = capsys.readouterr().err
    assert "bradford2023" in err and "SHA-256" in err and "refusing it" in err
