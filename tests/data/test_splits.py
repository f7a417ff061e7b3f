"""Evaluation splits: the published Bradford folds and the polymer groups of training CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.data.splits import bradford_published_folds, group_kfold, polymer_groups
from tests.conftest import MIRROR, needs_mirror


def _toy_smiles() -> pd.Series:
    # 25 polymers with 25, 24, ..., 1 rows; two of them are polyanions ('-')
    names = [f"P{i:02d}" if i not in (7, 13) else f"P{i:02d}[N-]" for i in range(25)]
    return pd.Series([n for i, n in enumerate(names) for _ in range(25 - i)])


def test_published_folds_follow_the_recipe():
    smiles = _toy_smiles()
    ranked = list(smiles.value_counts().index)
    folds = bradford_published_folds(smiles)
    assert [f.fold for f in folds] == list(range(2, 12))
    f2 = folds[0]
    assert f2.test == {ranked[2], ranked[12], ranked[22]}  # ranks 2 + 10k, none a polyanion
    assert f2.val == {ranked[3], ranked[13], ranked[23]}  # ranks 3 + 10k, polyanions allowed
    f7 = folds[5]  # t = 7: rank 7 is a polyanion and is dropped from the test set
    assert ranked[7] not in f7.test and ranked[17] in f7.test
    tested = set().union(*(f.test for f in folds))
    assert ranked[0] not in tested and ranked[1] not in tested  # the two largest never test
    assert tested == {p for p in ranked[2:] if "-" not in p}
    for f in folds:
        assert not (f.test & f.val) and not (f.train & f.test) and not (f.train & f.val)
        assert f.train | f.val | f.test == set(ranked)


@needs_mirror
def test_published_folds_on_the_bradford_file():
    raw = pd.read_csv(MIRROR / "bradford2023" / "clean_train_data.csv")
    folds = bradford_published_folds(raw["smiles"])
    sizes = [int(raw["smiles"].isin(f.test).sum()) for f in folds]
    assert sum(len(f.test) for f in folds) == 227 - sum("-" in s for s in raw["smiles"].value_counts().index[2:])
    assert all(s > 0 for s in sizes)
    assert not any("[Cu]OCC[Au]" == p for f in folds for p in f.test)  # PEO, the largest, never tests


def test_group_kfold_keeps_groups_whole():
    groups = np.repeat(np.arange(30), np.arange(1, 31))
    folds = group_kfold(groups, 5, seed=1)
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen) == list(range(len(groups)))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])


def test_polymer_groups_merge_shared_components():
    groups = np.array(["bradford:P1", "bradford:P1", "paper:7", "paper:8", "paper:8", "bradford:P2"])
    keys = np.array(["*CCO*", "*CCO*", "*CCO*.*CC(*)F", "*CC(*)F", "*CC(*)C#N", "*CC(*)Cl"])
    merged = polymer_groups(groups, keys)
    # PEO (Bradford P1) - PEO blend (paper 7) - PVDF (paper 8, which also holds PAN)
    assert len(set(merged[:5])) == 1
    assert merged[5] == "bradford:P2"
    assert merged[0] == "bradford:P1"  # the smallest member name labels the merged group


@pytest.mark.parametrize("seed", [0, 3])
def test_polymer_groups_leave_distinct_polymers_apart(seed):
    rng = np.random.default_rng(seed)
    groups = np.array([f"g{i}" for i in rng.integers(0, 20, 200)])
    keys = np.array([f"*C{i}*" for i in groups])  # one component per group, all distinct
    assert len(set(polymer_groups(groups, keys))) == len(set(groups))
