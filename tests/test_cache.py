"""The cache object handed to the featurizer, the domain and the Tg lookup
(:class:`spepred.cache.FeatureCache`)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from spepred.cache import FeatureCache
from spepred.errors import SpepredError


def test_bounded_cache_drops_the_least_recently_used_per_namespace():
    cache = FeatureCache(maxsize=2)
    calls = []

    def compute(k):
        calls.append(k)
        return np.array([k], dtype=np.float32)

    for k in (1, 2, 1, 3):  # 1 is used again before 3 comes: 2 goes
        cache.get_or_compute("a", k, lambda k=k: compute(k))
    cache.get_or_compute("b", 1, lambda: compute(10))
    assert cache.sizes() == {"a": 2, "b": 1}
    assert cache.get("a", 2) is None and cache.get("a", 1) is not None
    assert calls == [1, 2, 3, 10]


def test_unbounded_cache_keeps_everything_and_values_are_read_only():
    cache = FeatureCache(maxsize=None)
    for k in range(10_000):
        cache.put("a", k, k)
    assert len(cache) == 10_000
    v = cache.get_or_compute("v", "x", lambda: np.zeros(3))
    with pytest.raises(ValueError):
        v[0] = 1.0


def test_a_failure_is_remembered_and_raised_again_as_it_was():
    cache = FeatureCache()
    calls = []

    def bad():
        calls.append(1)
        raise SpepredError("unknown crosslinker 'PETA'")

    for _ in range(3):
        with pytest.raises(SpepredError, match="unknown crosslinker 'PETA'"):
            cache.get_or_compute("crosslinker", ("PETA",), bad)
    assert calls == [1]


def test_memory_errors_are_not_remembered():
    cache = FeatureCache()

    def oom():
        raise MemoryError

    with pytest.raises(MemoryError):
        cache.get_or_compute("a", 1, oom)
    assert cache.get_or_compute("a", 1, lambda: 2) == 2


def test_threads_share_a_cache():
    cache = FeatureCache(maxsize=64)
    errors = []

    def work(i):
        try:
            for k in range(200):
                assert cache.get_or_compute("n", k % 100, lambda k=k: (k % 100) * 2) == (k % 100) * 2
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and cache.sizes() == {"n": 64}


@pytest.fixture(scope="module")
def shipped_bundle_dir():
    from spepred.api import shipped_model_path

    return shipped_model_path()


ROWS = pd.DataFrame(
    {
        "monomer_smiles": ["[*]CCO[*]", "C=CC(=O)OCCO", "[*]CCO[*]", "C(C)(C)(C)(C)C", "[*]CC([*])C#N"],
        "crosslinker": ["", "PETEA", "PEGDA", "", "HDI"],
        "salt": ["LiTFSI"] * 5,
        "temperature_C": [25, 25, 60, 25, 40],
    }
)


def test_the_bundle_is_not_changed_by_who_loads_it(shipped_bundle_dir):
    """Loading a predictor or a screening worker leaves the bundle's feature blocks as they
    were (before: the predictor replaced each block's ``compute`` with a cached wrapper,
    and screening wrapped that again)."""
    from spepred.featurize.blocks import KeyedBlock
    from spepred.models.bundle import load_bundle
    from spepred.models.predictor import Predictor

    bundle = load_bundle(shipped_bundle_dir)
    Predictor(bundle)
    for block in bundle.featurizer.blocks:
        if isinstance(block, KeyedBlock):
            assert "compute" not in vars(block), f"{block.name}.compute was replaced"
    import spepred.screen.local as local

    assert not hasattr(local, "memoize_building_blocks")  # a worker hands over an unbounded cache


@pytest.mark.parametrize("maxsize", [1])  # every call evicts; unbounded: the featurizer test
def test_predictions_do_not_depend_on_the_cache(shipped_bundle_dir, maxsize):
    """A predictor with a tiny cache (every call evicts), a screening worker's unbounded one
    and the default give the same numbers, call after call."""
    from spepred.models.predictor import Predictor

    reference = Predictor.load(shipped_bundle_dir).predict(ROWS)
    p = Predictor.load(shipped_bundle_dir, cache=FeatureCache(maxsize=maxsize))
    for i in range(len(ROWS)):  # one row per call, as a server answers them
        got = p.predict(ROWS.iloc[[i]])
        pd.testing.assert_frame_equal(got, reference.iloc[[i]])
    pd.testing.assert_frame_equal(p.predict(ROWS), reference)  # hits (and evictions) now
    if maxsize is not None:
        assert max(p.cache.sizes().values()) <= maxsize


def test_the_featurizer_uses_the_cache_it_is_handed(shipped_bundle_dir):
    from spepred.data.schema import validate_columns
    from spepred.models.bundle import load_bundle

    featurizer = load_bundle(shipped_bundle_dir).featurizer
    cols, _ = validate_columns(ROWS)
    cache = FeatureCache(maxsize=None)
    plain = featurizer.transform(cols)
    cached = featurizer.transform(cols, cache=cache)
    again = featurizer.transform(cols, cache=cache)
    for r in (cached, again):
        np.testing.assert_array_equal(r.features, plain.features)
        assert [str(e) for e in r.errors] == [str(e) for e in plain.errors]
    names = {ns[0] for ns in cache.sizes()}
    assert {"matrix", "transport", "crosslinker", "filler", "salt"} <= names
