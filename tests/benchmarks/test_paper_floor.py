"""benchmarks/paper_floor.py: how far papers disagree on one formulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import benchmark_fixture

floor = benchmark_fixture("paper_floor", "floor")


def _rows() -> pd.DataFrame:
    base = {"crosslinker": "", "salt": "LiTFSI", "salt_molality_mol_kg": 1.0, "liquids": "", "filler": "",
            "temperature_C": 25.0, "regime": "dry_linear"}
    return pd.DataFrame([
        # PEO by three papers (two spellings of one polymer): 2 rows of -5 in a, -4 in b, -6 in c
        {**base, "monomer_smiles": "[*]CCO[*]", "group": "literature:doi:10.1/a", "y": -5.0},
        {**base, "monomer_smiles": "[*]CCO[*]", "group": "literature:doi:10.1/a", "y": -5.0},
        {**base, "monomer_smiles": "[*]COC[*]", "group": "hatakeyama2022:10.1/B", "y": -4.0},
        {**base, "monomer_smiles": "[*]CCO[*]", "group": "pei2025:ref9", "y": -6.0},
        # the same PEO at 80 °C: another formulation for σ, the same for the window
        {**base, "monomer_smiles": "[*]CCO[*]", "group": "pei2025:ref9", "y": -3.0, "temperature_C": 80.0},
        # measured by one paper only: no replicate
        {**base, "monomer_smiles": "[*]CC([*])C#N", "group": "literature:doi:10.1/a", "y": -7.0},
    ])


def test_other_papers_mean_knows_the_system_but_not_the_paper(floor):
    rows = _rows()
    key = floor.formulation_key(rows, with_temperature=True)
    assert key[0] == key[2] != key[4]  # spellings agree; 80 °C is another formulation
    hit = floor.other_papers_mean(rows, rows["y"], key).sort_values("y")
    # paper a (-5) is predicted by mean(-4, -6) = -5; b (-4) by mean(-5, -6); c (-6) by mean(-5, -4)
    assert len(hit) == 4 and hit["paper"].nunique() == 3
    expect = {-6.0: -4.5, -5.0: -5.0, -4.0: -5.5}
    for y, other in zip(hit["y"], hit["other_y"]):
        assert other == pytest.approx(expect[y])


def test_without_temperature_the_curve_points_meet(floor):
    rows = _rows()
    key = floor.formulation_key(rows, with_temperature=False)
    assert key[0] == key[4]
    hit = floor.other_papers_mean(rows, rows["y"], key)
    c = hit[hit["paper"] == "pei2025:ref9"]
    assert len(c) == 2 and np.allclose(c["other_y"], (-5.0 + -4.0) / 2)  # paper c's own rows never vote


def test_loose_keys_ignore_molality_and_filler(floor):
    rows = _rows()
    rows.loc[2, "salt_molality_mol_kg"] = 3.0
    rows.loc[2, "filler"] = "LLZTO"
    assert floor.formulation_key(rows, True)[0] != floor.formulation_key(rows, True)[2]
    assert floor.formulation_key(rows, True, loose=True)[0] == floor.formulation_key(rows, True, loose=True)[2]
