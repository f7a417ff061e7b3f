"""Pareto fronts against an O(n²) brute force, with ties, duplicates and NaN."""

from __future__ import annotations

import numpy as np
import pytest

from spepred.screen.pareto import pareto_front, pareto_front_2d


def brute_force(points: np.ndarray) -> np.ndarray:
    P = np.asarray(points, dtype=float)
    finite = np.isfinite(P).all(axis=1)
    out = np.zeros(len(P), dtype=bool)
    Q = P[finite]
    for i in np.flatnonzero(finite):
        dominated = (Q >= P[i]).all(axis=1) & (Q > P[i]).any(axis=1)
        out[i] = not dominated.any()
    return out


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.slow
def test_matches_brute_force_with_ties(k, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 1500))
    # few distinct values: many ties and exact duplicates
    P = rng.integers(0, 1 + seed % 5 + 2, size=(n, k)).astype(float)
    if seed % 2:
        P[rng.random(n) < 0.05, int(rng.integers(k))] = np.nan
    expected = brute_force(P)
    assert (pareto_front(P) == expected).all()
    # the thinning pass (a sample front removing what it dominates) is exact too
    assert (pareto_front(P, sample=16, block=7) == expected).all()
    if k == 2:
        assert (pareto_front_2d(P) == expected).all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.slow
def test_continuous_values_and_anticorrelated_fronts(seed):
    rng = np.random.default_rng(100 + seed)
    P = rng.normal(size=(3000, 3))
    P[:, 2] = -P[:, 0] - P[:, 1] + 0.2 * P[:, 2]  # a large front
    assert (pareto_front(P, sample=64) == brute_force(P)).all()
    assert (pareto_front_2d(P[:, :2]) == brute_force(P[:, :2])).all()


def test_duplicates_on_the_front_are_all_kept_and_nan_never_is():
    P = np.array([[1, 1, 1], [1, 1, 1], [0, 0, 0], [np.nan, 5, 5], [0, 2, 0]], dtype=float)
    assert pareto_front(P).tolist() == [True, True, False, False, True]
    assert pareto_front_2d(P[:, :2]).tolist() == [True, True, False, False, True]


def test_empty_and_degenerate_inputs():
    assert pareto_front(np.empty((0, 3))).tolist() == []
    assert pareto_front(np.full((3, 3), np.nan)).tolist() == [False] * 3
    assert pareto_front(np.array([[2.0], [1.0], [2.0]])).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="shape"):
        pareto_front(np.arange(3.0))
