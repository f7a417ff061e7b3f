"""Pareto fronts (every objective maximized) that scale to millions of points.

A point *a* dominates *b* when ``a >= b`` in every objective and ``a > b`` in at least one;
the front is the set of points no other point dominates. Identical points do not dominate
each other, so duplicates on the front are all kept. Rows with a NaN are never on the front.

- 2-D: one lexicographic sort and a running maximum, O(n log n).
- k-D: points sorted lexicographically (descending) can only be dominated by points before
  them, so the front of a prefix never loses a member. Points are taken in blocks; each
  block is tested against the front found so far and against itself with NumPy
  broadcasting. O(n log n + n·f) for a front of f points (f is small for real trade-offs:
  a few hundred out of a million); memory is bounded by the block size.
"""

from __future__ import annotations

import numpy as np

BLOCK = 256
SAMPLE = 4096


def _as_points(points) -> tuple[np.ndarray, np.ndarray]:
    P = np.asarray(points, dtype=np.float64)
    if P.ndim != 2:
        raise ValueError(f"expected an (n, k) array of objectives, got shape {P.shape}")
    finite = np.isfinite(P).all(axis=1)
    return P, finite


def pareto_front_2d(points) -> np.ndarray:
    """Boolean mask of the non-dominated rows of an (n, 2) array (maximize both)."""
    P, finite = _as_points(points)
    if P.shape[1] != 2:
        raise ValueError(f"pareto_front_2d needs 2 objectives, got {P.shape[1]}")
    mask = np.zeros(len(P), dtype=bool)
    idx = np.flatnonzero(finite)
    if not len(idx):
        return mask
    x, y = P[idx, 0], P[idx, 1]
    order = np.lexsort((-y, -x))  # x descending, then y descending
    xs, ys = x[order], y[order]
    new_group = np.empty(len(xs), dtype=bool)
    new_group[0] = True
    new_group[1:] = xs[1:] != xs[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(xs)), 0))
    best_before = np.concatenate(([-np.inf], np.maximum.accumulate(ys)))  # best y in [0, i)
    # the best y of the groups with a strictly larger x
    prev_best = best_before[group_start]
    # non-dominated: the largest y of its x-group (ties all kept) and beats every larger x
    top_of_group = ys == ys[group_start]
    keep = top_of_group & (ys > prev_best)
    mask[idx[order[keep]]] = True
    return mask


def _dominated_by(F: np.ndarray, B: np.ndarray, budget: int = 1 << 22) -> np.ndarray:
    """For each row of ``B``: is it dominated by some row of ``F``? (bounded temporaries)

    Column by column on 2-D (front x block) planes: a reduction over a last axis of length
    k = 3 is an order of magnitude slower in NumPy than k elementwise passes."""
    out = np.zeros(len(B), dtype=bool)
    if not len(F) or not len(B):
        return out
    k = B.shape[1]
    Fc = [np.ascontiguousarray(F[:, j])[:, None] for j in range(k)]
    rows = max(1, min(len(B), budget // min(len(F), 4096)))
    for bs in range(0, len(B), rows):
        Bc = [np.ascontiguousarray(B[bs : bs + rows, j])[None, :] for j in range(k)]
        step = max(1, budget // Bc[0].shape[1])
        hit = np.zeros(Bc[0].shape[1], dtype=bool)
        for fs in range(0, len(F), step):
            ge = Fc[0][fs : fs + step] >= Bc[0]
            gt = Fc[0][fs : fs + step] > Bc[0]
            for j in range(1, k):
                ge &= Fc[j][fs : fs + step] >= Bc[j]
                gt |= Fc[j][fs : fs + step] > Bc[j]
            hit |= (ge & gt).any(axis=0)
        out[bs : bs + rows] = hit
    return out


def _front_blocks(Q: np.ndarray, block: int) -> np.ndarray:
    """Front of finite points by lexicographic order and blocks (see the module doc)."""
    k = Q.shape[1]
    order = np.lexsort(tuple(-Q[:, j] for j in reversed(range(k))))
    S = Q[order]
    fronts: list[np.ndarray] = []
    front = np.empty((0, k))
    keep = np.zeros(len(S), dtype=bool)
    for start in range(0, len(S), block):
        B = S[start : start + block]
        alive = ~_dominated_by(front, B)
        C = B[alive]
        if len(C) > 1:
            dominated = _dominated_by(C, C)
            sub = np.flatnonzero(alive)
            alive[sub[dominated]] = False
            C = C[~dominated]
        keep[start : start + len(B)] = alive
        if len(C):
            fronts.append(C)
            front = np.vstack(fronts) if len(fronts) > 1 else C
            fronts = [front]
    mask = np.zeros(len(S), dtype=bool)
    mask[order[keep]] = True
    return mask


def pareto_front(points, *, block: int = BLOCK, sample: int = SAMPLE) -> np.ndarray:
    """Boolean mask of the non-dominated rows of an (n, k) array (maximize every column).

    Large inputs are first thinned: the front of the ``sample`` points with the best
    scaled sum of objectives removes (vectorized) every point it dominates. That is exact:
    a removed point is dominated by a sample-front point, which is never removed, so the
    front of what is left is the front of all.
    """
    P, finite = _as_points(points)
    n, k = P.shape
    if k == 2:
        return pareto_front_2d(P)
    mask = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(finite)
    if not len(idx) or k == 0:
        return mask
    Q = P[idx]
    if k == 1:
        mask[idx[Q[:, 0] == Q[:, 0].max()]] = True
        return mask
    if len(Q) > 4 * sample:
        lo, hi = Q.min(axis=0), Q.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        total = ((Q - lo) / span).sum(axis=1)  # a positive rescaling keeps dominance
        best = np.argpartition(-total, sample)[:sample]
        F = Q[best][_front_blocks(Q[best], block)]
        alive = np.flatnonzero(~_dominated_by(F, Q))
        sub = np.zeros(len(Q), dtype=bool)
        sub[alive[_front_blocks(Q[alive], block)]] = True
        mask[idx[sub]] = True
        return mask
    mask[idx[_front_blocks(Q, block)]] = True
    return mask
