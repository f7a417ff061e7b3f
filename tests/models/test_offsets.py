"""Regime offsets (spepred.models.offsets): the model's mean held-out error per kind of
electrolyte, shrunk by papers, cross-fitted inside training, subtracted at prediction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spepred.models import offsets
from tests.conftest import FIXTURES

TINY = FIXTURES / "tiny_train.csv"


def test_cells_split_gels_and_composites_by_network_only():
    reg = np.array(["dry_linear", "dry_network", "gel", "gel", "composite", "composite"], dtype=object)
    xl = np.array([False, True, False, True, False, True])
    assert offsets.cells(reg, xl).tolist() == [
        "dry_linear", "dry_network", "gel", "gel+crosslinked", "composite", "composite+crosslinked",
    ]


def test_fit_is_a_mean_over_papers_shrunk_by_papers():
    # paper a: three rows of +1 (one vote of 1), paper b: one row of +3 (one vote of 3)
    res = np.array([1.0, 1.0, 1.0, 3.0, -2.0])
    cell = np.array(["gel", "gel", "gel", "gel", "dry_linear"], dtype=object)
    paper = np.array(["a", "a", "a", "b", "c"], dtype=object)
    out = offsets.fit(res, cell, paper, shrink=2)
    assert out["gel"] == {"offset": pytest.approx(4 / 4), "n": 4, "papers": 2}
    assert out["dry_linear"]["offset"] == pytest.approx(-2 / 3)
    assert offsets.fit(res, cell, paper, shrink=0)["gel"]["offset"] == pytest.approx(2.0)  # not the row mean 1.5
    got = offsets.lookup(out, np.array(["gel", "composite", "dry_linear"], dtype=object))
    assert got.tolist() == pytest.approx([1.0, 0.0, -2 / 3])  # a cell never seen gets none


def test_cross_fitted_offsets_never_use_the_rows_own_fold():
    res = np.array([10.0, 10.0, 1.0, 1.0])
    cell = np.array(["gel"] * 4, dtype=object)
    paper = np.array(["a", "b", "c", "d"], dtype=object)
    fold = np.array([0, 0, 1, 1])
    votes = np.ones(4, dtype=bool)
    got = offsets.cross_fitted(res, cell, paper, votes, fold, shrink=0)
    assert got.tolist() == pytest.approx([1.0, 1.0, 10.0, 10.0])
    votes[2] = False  # a row that does not vote still gets its cell's offset
    got = offsets.cross_fitted(res, cell, paper, votes, fold, shrink=0)
    assert got.tolist() == pytest.approx([1.0, 1.0, 10.0, 10.0])
    votes[3] = False
    assert offsets.cross_fitted(res, cell, paper, votes, fold, shrink=0)[:2].tolist() == [0.0, 0.0]


def test_config_refuses_bad_offsets():
    from spepred.errors import ConfigError
    from spepred.models.config import TrainConfig

    with pytest.raises(ConfigError, match="unknown target 'nope'"):
        TrainConfig(offsets={"nope": 5})
    with pytest.raises(ConfigError, match=r"offsets\[sigma\]"):
        TrainConfig(offsets={"sigma": -1})
    with pytest.raises(ConfigError, match=r"offsets\[sigma\]"):
        TrainConfig(offsets={"sigma": "five"})


def test_a_bundle_with_offsets_subtracts_its_cells_offset(tmp_path):
    """Trained with offsets, the bundle stores them per cell, validates, and every
    prediction is the booster's value minus the offset of the query's cell."""
    from spepred.data.schema import require_valid
    from spepred.models.bundle import write_bundle
    from spepred.models.config import TrainConfig
    from spepred.models.predictor import Predictor
    from spepred.models.train import train_models

    table = require_valid(pd.read_csv(TINY))
    result = train_models(table, TrainConfig(cv_folds=3, n_jobs=1, targets=("sigma",), offsets={"sigma": 0}))
    got = result.targets["sigma"].offsets
    assert set(got) == {"dry_linear", "dry_network"}  # the tiny table: PEO and five networks
    cv = result.targets["sigma"].cv_predictions
    for cell, o in got.items():
        m = (cv["regime"] == cell).to_numpy()
        assert o["n"] == m.sum() and o["papers"] >= 1
    bundle_dir = write_bundle(result, tmp_path / "bundle")
    meta = json.loads((bundle_dir / "bundle.json").read_text())
    assert meta["targets"]["sigma"]["offsets"] == json.loads(json.dumps(got))

    query = pd.DataFrame({
        "monomer_smiles": ["[*]CCO[*]", "C=CC(=O)OCCO"], "crosslinker": ["", "PETEA"],
        "salt": ["LiTFSI", "LiTFSI"], "temperature_C": [25.0, 25.0],
    })
    with_offsets = Predictor.load(bundle_dir).predict(query)
    plain = Predictor.load(bundle_dir)
    del plain.bundle.targets["sigma"]["offsets"]
    without = plain.predict(query)
    shift = np.log10(without["sigma_S_cm_pred"].to_numpy()) - np.log10(with_offsets["sigma_S_cm_pred"].to_numpy())
    assert shift == pytest.approx([got["dry_linear"]["offset"], got["dry_network"]["offset"]], abs=1e-9)
    assert Predictor.load(bundle_dir).info()["targets"]["log10_sigma_S_cm"]["regime_offsets"] == meta["targets"]["sigma"]["offsets"]
