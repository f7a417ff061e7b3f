"""Evaluation splits that keep related rows together.

* :func:`bradford_published_folds`: the 10-fold polymer split of Bradford et al. 2023
  (``chemproppred/make_balanced_train.py``), reproduced from the dataset README;
* :func:`group_kfold`: K folds that never split a group (a polymer, a σ(T) curve, a paper);
* :func:`paper_key`: the paper of a row across sources (one DOI is one paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PolymerFold:
    """One fold of the published split: polymers (upstream SMILES strings) per role."""

    fold: int  # the paper's t, 2..11
    test: frozenset[str]
    val: frozenset[str]
    train: frozenset[str]


def bradford_published_folds(smiles: pd.Series) -> list[PolymerFold]:
    """The published 10-fold split of Bradford et al. 2023.

    Polymers are ranked by number of rows (descending, pandas ``value_counts`` order, on the
    upstream ``smiles`` strings). For fold ``t`` in 2..11 the test polymers are the ranks
    ``t % 10 + 10k`` that are > 1 and < n_polymers, minus polyanions (SMILES containing
    ``-``); the validation polymers are the ranks ``t % 10 + 1 + 10k`` (same bounds);
    everything else trains. The two most frequent polymers are never tested.
    """
    ranked = list(smiles.value_counts().index)
    n = len(ranked)
    folds = []
    for t in range(2, 12):
        test = {
            ranked[r]
            for r in range(t % 10, n, 10)
            if 1 < r < n and "-" not in ranked[r]
        }
        val = {ranked[r] for r in range(t % 10 + 1, n, 10) if 1 < r < n}
        train = set(ranked) - test - val
        folds.append(PolymerFold(t, frozenset(test), frozenset(val), frozenset(train)))
    return folds


def paper_key(groups: pd.Series) -> pd.Series:
    """The paper of every row: ``doi:<lower-case DOI>`` whenever the group names a DOI
    (``hatakeyama2022:10.x/...``, ``literature:doi:10.x/...``), so one paper is one group
    across sources; otherwise the group itself (a review reference, a literature URL, a
    Bradford polymer)."""
    g = groups.astype(str)
    rest = g.str.partition(":")[2].str.removeprefix("doi:")
    is_doi = rest.str.match(r"10\.\d{4,9}/")
    return pd.Series(np.where(is_doi, "doi:" + rest.str.lower(), g), index=groups.index)


def group_kfold(groups: np.ndarray, k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds over whole groups, groups assigned at random (seeded), sizes balanced by rows."""
    groups = np.asarray(groups)
    uniq, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    # greedy: largest groups first into the currently smallest fold (random tie order)
    order = order[np.argsort(-counts[order], kind="stable")]
    load = np.zeros(k)
    fold_of_group = np.empty(len(uniq), dtype=int)
    for g in order:
        f = int(np.argmin(load))
        fold_of_group[g] = f
        load[f] += counts[g]
    fold_of_row = fold_of_group[inverse]
    idx = np.arange(len(groups))
    return [(idx[fold_of_row != f], idx[fold_of_row == f]) for f in range(k)]


def polymer_groups(groups: np.ndarray, matrix_keys: np.ndarray, *, components: bool = True) -> np.ndarray:
    """Split groups that never let one polymer straddle train and test.

    ``groups`` keeps what a source says belongs together (one Bradford polymer, one paper
    of the review); rows that share a matrix component (``matrix_keys``: canonical
    components joined with ``.``) are merged as well, so PEO measured in a review paper, a
    PEO blend and PEO in Bradford's curves fall in one group. Returns one label per row
    (the smallest member group name of each connected component, so labels are stable).

    With ``components=False`` rows are merged only when their whole matrix is the same
    (PEO with PEO, the PEO/PVDF blend with that blend): the hundreds of PEO blends of
    Hatakeyama-Sato's gels would otherwise link almost two thirds of the σ rows into one
    group, and a fold holding that group trains on a third of the data.
    """
    groups = np.asarray(groups).astype(str)
    matrix_keys = np.asarray(matrix_keys).astype(str)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for g, m in set(zip(groups, matrix_keys, strict=True)):
        for component in m.split(".") if components else (m,):
            union("g:" + g, "m:" + component)
    root_name: dict[str, str] = {}
    for g in sorted(set(groups)):
        root_name.setdefault(find("g:" + g), g)
    return np.array([root_name[find("g:" + g)] for g in groups], dtype=object)
