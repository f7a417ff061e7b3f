"""GFN2-xTB frontier orbitals: deterministic, cached on disk, corrupted entries recomputed."""

import json
import math

import pandas as pd
import pytest

from tests.conftest import import_or_skip

import_or_skip("tblite")

from spepred.api import featurize  # noqa: E402
from spepred.cache import JsonCache, default_cache_root  # noqa: E402
from spepred.featurize import FeaturizerConfig  # noqa: E402
from spepred.featurize import orbital  # noqa: E402


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEPRED_CACHE_DIR", str(tmp_path))
    orbital.frontier_orbitals.cache_clear()
    yield tmp_path
    orbital.frontier_orbitals.cache_clear()


def test_orbitals_are_deterministic_and_cached(fresh_cache):
    homo, lumo = orbital.frontier_orbitals("*CCO*")
    assert -14 < homo < lumo < 3
    cache = JsonCache(default_cache_root() / "xtb" / orbital.XTB_CACHE_VERSION)
    assert cache.get("*CCO*")["homo_eV"] == homo
    orbital.frontier_orbitals.cache_clear()
    assert orbital.frontier_orbitals("*CCO*") == (homo, lumo)


def test_corrupted_cache_entry_is_recomputed(fresh_cache):
    first = orbital.frontier_orbitals("CCOC(=O)CC")
    cache = JsonCache(default_cache_root() / "xtb" / orbital.XTB_CACHE_VERSION)
    path = cache.path("CCOC(=O)CC")
    entry = json.loads(path.read_text())
    entry["payload"]["homo_eV"] = 99.0  # tampered, checksum no longer matches
    path.write_text(json.dumps(entry))
    orbital.frontier_orbitals.cache_clear()
    assert orbital.frontier_orbitals("CCOC(=O)CC") == first
    path.write_text('{"key": "CCOC(=O)CC", "pay')  # truncated
    orbital.frontier_orbitals.cache_clear()
    assert orbital.frontier_orbitals("CCOC(=O)CC") == first


def test_ions_get_nan_not_a_crash(fresh_cache):
    assert all(math.isnan(v) for v in orbital.frontier_orbitals("[Cu+2]"))


def test_orbital_block_in_features(fresh_cache):
    cfg = FeaturizerConfig(use_xtb=True)
    _, result = featurize(
        pd.DataFrame([{"monomer_smiles": "[*]CCO[*]", "crosslinker": "PEGDA", "salt": "LiTFSI"}]), cfg
    )
    x = result.frame().iloc[0]
    assert x["orbital.max_homo_eV"] >= x["orbital.matrix_homo_eV"]
    assert x["orbital.gap_eV"] == pytest.approx(x["orbital.min_lumo_eV"] - x["orbital.max_homo_eV"], abs=1e-4)
    assert not math.isnan(x["orbital.anion_homo_eV"])
