"""benchmarks/bounds_check.py: a bound is held when the prediction is on its stated side,
misses are measured on the wrong side only, and every bounded label of the curated files
is collected with the formulation the converters make for it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import benchmark_fixture

bc = benchmark_fixture("bounds_check", "bc")


def test_held_and_missed_on_the_stated_side(bc):
    bounds = pd.DataFrame({"op": [">", ">", "<", "<"], "value": [4.5, 4.5, 4.0, 4.0]})
    res = bc.check(bounds, np.array([4.8, 4.2, 3.9, 4.6]), "esw_V")
    assert res["n"] == 4 and res["held"] == 2
    assert res["median_miss"] == pytest.approx(0.45)  # misses of 0.3 and 0.6


def test_sigma_bounds_compare_in_log_space_and_skip_missing_predictions(bc):
    bounds = pd.DataFrame({"op": [">", ">"], "value": [1e-3, 1e-3]})
    res = bc.check(bounds, np.array([-2.5, np.nan]), "sigma_S_cm")
    assert res["n"] == 1 and res["held"] == 1


def test_collects_the_curated_bounds(bc):
    from spepred.data.literature import convert_literature, read_literature

    bounds = bc.bounded_labels()
    assert set(bounds["op"]) <= {">", "<"}
    assert set(bounds["property"]) <= set(bc.PROPERTIES)
    # every σ bound carries the stated temperature; every row has a matrix to predict
    assert bounds["temperature_C"].notna().all()
    assert (bounds["monomer_smiles"].astype(str).str.len() > 0).all()
    raw = read_literature()
    converted = set(convert_literature(raw)[0]["record_id"])  # rows whose components resolve
    n_lit = sum(
        1
        for rid, cell, esw, strength in raw[["record_id", "bounds", "esw_V", "strength_MPa"]].itertuples(index=False)
        for spec in cell.split(";")
        if rid in converted
        and spec.strip()[-1:] in "<>"
        and spec.strip()[:-1] in ("esw_V", "strength_MPa")
        and {"esw_V": esw, "strength_MPa": strength}[spec.strip()[:-1]].strip()
    )
    lit = bounds[bounds["record_id"].str.startswith("lit-") & (bounds["property"] != "sigma_S_cm")]
    assert len(lit) == n_lit
