"""Packaging: the license, the citation file, the container recipe, the dependency markers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_license_file_is_the_license_pyproject_declares():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_citation_cites_spepred_and_every_dataset_it_learns_from():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == PYPROJECT["project"]["version"]
    assert cff["license"] == "MIT"
    text = " ".join(f"{r['title']} {r.get('doi', '')} {r.get('repository-code', '')}" for r in cff["references"])
    for needle in (
        "10.1016/j.revmat.2025.100013",  # Pei et al. 2025, the review
        "10.1021/acscentsci.2c01123",  # Bradford et al. 2023
        "TRI-AMDD/htp_md",  # HTP-MD
        "RadonPy/RadonPy",
        "KanHatakeyama/ion_predictor",  # Hatakeyama-Sato
        "lamalab-org/PolyMetriX",
    ):
        assert needle in text, needle


def test_the_dockerfile_installs_offline_from_wheels_and_serves():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"pip install --no-index --find-links \S+ \"spepred\[server\]\"", text)
    assert 'CMD ["serve", "--host", "0.0.0.0"' in text and 'ENTRYPOINT ["spepred"]' in text
    assert "/health" in text


def _requirements(key: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    return [Requirement(r) for r in (project["dependencies"] if key is None else project["optional-dependencies"][key])]


def test_one_xgboost_per_platform_and_the_cpu_build_where_it_has_wheels():
    platforms = {
        ("Linux", "x86_64"): "xgboost-cpu",
        ("Linux", "aarch64"): "xgboost-cpu",
        ("Windows", "AMD64"): "xgboost-cpu",
        ("Darwin", "arm64"): "xgboost",
        ("Darwin", "x86_64"): "xgboost",
        ("Linux", "ppc64le"): "xgboost",
    }
    xgb = [r for r in _requirements() if r.name.startswith("xgboost")]
    for (system, machine), expected in platforms.items():
        env = {"platform_system": system, "platform_machine": machine}
        assert [r.name for r in xgb if r.marker.evaluate(env)] == [expected], (system, machine)


def test_the_plain_install_has_no_server_or_spark_stack_and_dev_has_everything():
    core = {r.name for r in _requirements()}
    assert not core & {"fastapi", "uvicorn", "pyspark", "joblib", "pydantic"}
    assert {"fastapi", "uvicorn"} <= {r.name for r in _requirements("server")}
    spark = next(r for r in _requirements("spark") if r.name == "pyspark")
    assert "4.0" in str(spark.specifier) and "<5" in str(spark.specifier)  # 3.5 breaks with pandas 3
    dev = _requirements("dev")
    self_ref = next(r for r in dev if r.name == "spepred")
    assert {"server", "spark", "xtb"} <= self_ref.extras
    assert {"pytest", "hypothesis"} <= {r.name for r in dev}


def test_serve_without_the_server_extra_says_which_extra_to_install(monkeypatch, capsys):
    import importlib.util

    from spepred.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "httptools" else real(name, *a))
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "httptools not installed" in err and "pip install 'spepred[server]'" in err


def test_the_literature_corpus_ships_inside_the_package():
    """A wheel install trains on the curated parts too: they are package data, not a path
    into the source checkout."""
    import spepred
    from spepred.data.literature import LITERATURE_DIR

    package = Path(spepred.__file__).parent
    # not resolved: the resources entry is a symlink to data/raw/literature in a checkout
    assert LITERATURE_DIR.is_relative_to(package / "resources")
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["spepred.resources"]
    parts = sorted(LITERATURE_DIR.glob("part_*.csv"))
    assert parts and "literature/*.csv" in globs
