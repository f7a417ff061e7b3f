"""Split-conformal prediction intervals, conditional on how familiar a query is.

One interval width for every query is wrong in both directions: a new concentration of a
polymer the model has seen is predicted far better than a polymer it has never seen. The
intervals are therefore *Mondrian* conformal: out-of-fold absolute residuals are grouped by
the query's ``domain_similarity`` (the Tanimoto similarity of its least familiar building
block to training; 1.0 when every block was seen), and each bin gets its own quantile.
Bins with too few residuals fall back to the quantile of all residuals. Crosslinked
systems, a small minority of σ's training rows and predicted worse than the rest, also get
the quantile of their own residuals as a floor on their width.

The bins are also split by **regime** (``spepred.data.regimes``: dry linear, dry network,
gel, composite), so a gel gets the width gels earn. A regime with at least
:data:`MIN_REGIME_RESIDUALS` residuals gets its own quantile; a similarity bin of that regime
with :data:`MIN_BIN_RESIDUALS` of its own gets its own quantile too, and a smaller one the
regime's quantile scaled by the pooled ratio of that bin to all bins (the regime sets the
level, familiarity the relative width). A regime with fewer residuals uses the pooled bins.
"""

from __future__ import annotations

import math

import numpy as np

#: Lower edges of the similarity bins, highest first: "every block seen", "similar", rest.
SIMILARITY_EDGES = (0.999, 0.6)
#: Fewest residuals a bin needs for its own quantile.
MIN_BIN_RESIDUALS = 50
#: Fewest crosslinked residuals for a crosslinked floor.
MIN_CROSSLINKED_RESIDUALS = 20
#: Fewest residuals a regime needs for its own quantiles (the evaluation's threshold for a
#: regime worth a verdict: docs/benchmarks.md section 9).
MIN_REGIME_RESIDUALS = 30


def conformal_quantile(abs_residuals: np.ndarray, alpha: float) -> float:
    """Split-conformal quantile: the ceil((n+1)(1-alpha))-th smallest absolute residual
    (the largest one when n is too small to do better; infinite without residuals)."""
    r = np.sort(np.asarray(abs_residuals, dtype=float))
    n = len(r)
    if n == 0:
        return math.inf
    k = math.ceil((n + 1) * (1 - alpha))
    return float(r[min(k, n) - 1])


def similarity_bin(similarity: np.ndarray, edges: tuple[float, ...] = SIMILARITY_EDGES) -> np.ndarray:
    """Bin index per query: 0 for similarity >= edges[0], 1 for >= edges[1], ...; NaN
    similarity (unknown) goes to the last, least familiar bin."""
    sim = np.asarray(similarity, dtype=float)
    out = np.full(sim.shape, len(edges), dtype=np.int64)
    for i in reversed(range(len(edges))):
        out[sim >= edges[i]] = i
    return out


def binned_quantiles(
    abs_residuals: np.ndarray,
    similarity: np.ndarray,
    alpha: float,
    *,
    edges: tuple[float, ...] = SIMILARITY_EDGES,
    min_count: int = MIN_BIN_RESIDUALS,
    crosslinked: np.ndarray | None = None,
    regimes: np.ndarray | None = None,
    min_regime: int = MIN_REGIME_RESIDUALS,
) -> dict:
    """Quantile per similarity bin (JSON-ready; stored in the bundle).

    Returns ``{"edges": [...], "q": [...], "n": [...], "q_all": q}``; a bin with fewer than
    ``min_count`` residuals uses ``q_all``. With a ``crosslinked`` mask over the residuals
    that mixes both kinds, also ``n_crosslinked`` and, from
    :data:`MIN_CROSSLINKED_RESIDUALS` of them on, ``q_crosslinked`` (the floor of the
    interval of a crosslinked query). With the ``regimes`` of the residuals, also
    ``regimes``: ``{regime: {"n": ..., "q_all": ..., "q": [per bin]}}`` for every regime
    with at least ``min_regime`` residuals (see the module docstring); the others use the
    pooled bins.
    """
    res = np.asarray(abs_residuals, dtype=float)
    bins = similarity_bin(similarity, edges)
    q_all = conformal_quantile(res, alpha)
    qs, ns = [], []
    for b in range(len(edges) + 1):
        r = res[bins == b]
        ns.append(int(len(r)))
        qs.append(conformal_quantile(r, alpha) if len(r) >= min_count else q_all)
    out = {"edges": list(edges), "q": qs, "n": ns, "q_all": q_all}
    if regimes is not None:
        reg = np.asarray(regimes, dtype=object)
        out["regimes"] = {}
        for r in sorted({str(v) for v in reg}):
            inside = reg == r
            if inside.sum() < min_regime:
                continue
            q_r = conformal_quantile(res[inside], alpha)
            per_bin = []
            for b in range(len(edges) + 1):
                rb = res[inside & (bins == b)]
                if len(rb) >= min_count:
                    per_bin.append(conformal_quantile(rb, alpha))
                elif q_all > 0 and math.isfinite(qs[b]):
                    per_bin.append(q_r * qs[b] / q_all)
                else:
                    per_bin.append(q_r)
            out["regimes"][r] = {"n": int(inside.sum()), "q_all": q_r, "q": per_bin}
    if crosslinked is not None:
        xl = np.asarray(crosslinked, dtype=bool)
        if xl.any() and not xl.all():
            r = res[xl]
            out["n_crosslinked"] = int(len(r))
            if len(r) >= MIN_CROSSLINKED_RESIDUALS:
                out["q_crosslinked"] = conformal_quantile(r, alpha)
    return out


def interval(
    z: np.ndarray,
    similarity: np.ndarray | None,
    quantiles: dict | None,
    q_all: float,
    label_range: tuple[float, float],
    crosslinked: np.ndarray | None = None,
    regimes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (model space) around predictions ``z``.

    ``quantiles`` is what :func:`binned_quantiles` returned (``None`` for bundles with one
    width only: ``q_all`` everywhere). Bounds never leave the range the training labels
    span: σ above 1 S/cm is not a prediction, it is an artefact of a symmetric interval.
    ``crosslinked`` marks the queries that get at least ``q_crosslinked``; ``regimes``
    (each query's regime) picks the regime's own bins where ``quantiles`` has them.
    """
    z = np.asarray(z, dtype=float)
    if quantiles is None or similarity is None:
        q = np.full(z.shape, float(q_all))
    else:
        bins = similarity_bin(similarity, tuple(quantiles["edges"]))
        q = np.asarray(quantiles["q"], dtype=float)[bins]
        per_regime = quantiles.get("regimes") or {}
        if regimes is not None and per_regime:
            reg = np.asarray(regimes, dtype=object)
            for r, rq in per_regime.items():
                inside = reg == r
                if inside.any():
                    q[inside] = np.asarray(rq["q"], dtype=float)[bins[inside]]
        q_xl = quantiles.get("q_crosslinked", math.nan)
        if crosslinked is not None and math.isfinite(q_xl):
            q = np.where(np.asarray(crosslinked, dtype=bool), np.maximum(q, q_xl), q)
    lo, hi = label_range
    return np.maximum(z - q, lo), np.minimum(z + q, hi)
