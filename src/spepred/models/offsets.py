"""Regime offsets: a base model plus the simplest regime residual model.

The boosters learn mostly from dry linear rows; on the regimes held out by paper
(``benchmarks/regimes.py``) they are biased by a few tenths of a decade in σ (crosslinked
systems about -0.6). An offset is the model's mean out-of-fold error on one *cell* (a regime,
split into crosslinked or not where both occur), measured on held-out papers during
training, shrunk towards zero, and subtracted from every prediction of that cell:

* the mean is over **papers**, not rows (a paper with 200 σ(T) points is one vote: papers
  differ from each other more than their rows do), shrunk by ``shrink`` papers
  (``offset = sum of paper means / (papers + shrink)``), so a cell of three papers moves a
  little and one of fifty moves almost the whole way;
* only rows of sources other than :data:`EXCLUDED_SOURCES` vote: Bradford's dry linear
  polymers are what the booster fits best, and the offsets are for the electrolytes spepred
  exists for (the regime evaluation's population). Bradford rows still get their cell's
  offset at prediction time, as any query does;
* inside training the out-of-fold predictions are corrected **cross-fitted**: each fold's
  rows get the offsets fitted on the other folds' residuals, so the CV metrics and the
  conformal residuals that follow are honest.
"""

from __future__ import annotations

import numpy as np

#: Sources whose rows do not vote for the offsets (see the module docstring).
EXCLUDED_SOURCES = ("bradford2023",)
#: Regimes that are split into crosslinked and not (a dry network is always crosslinked,
#: a dry linear polymer never).
SPLIT_REGIMES = ("gel", "composite")


def cells(regimes: np.ndarray, crosslinked: np.ndarray) -> np.ndarray:
    """The offset cell of every row: its regime, ``+crosslinked`` for networked gels and
    composites."""
    reg = np.asarray(regimes, dtype=object).astype(str)
    xl = np.asarray(crosslinked, dtype=bool)
    split = np.isin(reg, SPLIT_REGIMES) & xl
    return np.where(split, np.char.add(reg.astype("U32"), "+crosslinked"), reg).astype(object)


def fit(residual: np.ndarray, cell: np.ndarray, paper: np.ndarray, shrink: float) -> dict[str, dict[str, float]]:
    """``{cell: {"offset", "n", "papers"}}`` from residuals (predicted minus measured, model
    space) of the voting rows: the shrunken mean over papers of each paper's mean residual."""
    out: dict[str, dict[str, float]] = {}
    residual = np.asarray(residual, dtype=float)
    cell = np.asarray(cell, dtype=object)
    paper = np.asarray(paper, dtype=object)
    for c in sorted(set(cell.tolist())):
        m = cell == c
        per_paper: dict[object, list[float]] = {}
        for p, r in zip(paper[m], residual[m]):
            per_paper.setdefault(p, []).append(r)
        means = np.array([np.mean(v) for v in per_paper.values()])
        out[str(c)] = {
            "offset": float(means.sum() / (len(means) + shrink)),
            "n": int(m.sum()),
            "papers": int(len(means)),
        }
    return out


def lookup(offsets: dict[str, dict[str, float]] | None, cell: np.ndarray) -> np.ndarray:
    """The offset of every row's cell (0 for a cell without one, or without offsets)."""
    cell = np.asarray(cell, dtype=object)
    out = np.zeros(len(cell))
    for c, o in (offsets or {}).items():
        out[cell == c] = o["offset"]
    return out


def cross_fitted(
    residual: np.ndarray, cell: np.ndarray, paper: np.ndarray, votes: np.ndarray, fold_of: np.ndarray, shrink: float
) -> np.ndarray:
    """Every row's offset fitted without its own fold (see the module docstring)."""
    out = np.zeros(len(residual))
    for f in np.unique(fold_of):
        te = fold_of == f
        use = votes & ~te
        out[te] = lookup(fit(residual[use], cell[use], paper[use], shrink), cell[te])
    return out
