"""The liquid and content blocks: which liquids, how much of each kind, filler loading per
class and crosslinker content; absent columns read as no liquid / unknown amounts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spepred.api import featurize
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.featurize.blocks import liquid_class_of
from spepred.featurize.formulation import DEFAULT_BLOCKS

CONFIG = FeaturizerConfig(blocks=tuple(dict.fromkeys((*DEFAULT_BLOCKS, "liquid", "content"))))
PEGDA = {"monomer_smiles": "C=CC(=O)OCCOCCOC(=O)C=C", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0}


def _frame(rows: list[dict]) -> tuple[pd.DataFrame, object]:
    _, result = featurize(pd.DataFrame(rows), CONFIG)
    return result.frame(), result


def test_a_carbonate_gel_reads_as_carbonate_with_its_content():
    x, result = _frame([{**PEGDA, "plasticized": True, "liquids": "EC;DEC", "liquid_wt_pct": 60.0}])
    assert result.ok.all(), result.errors
    row = x.iloc[0]
    assert row["liquid.n_liquids"] == 2
    assert row["liquid.class_carbonate"] == 1.0 and row["liquid.class_ether"] == 0.0
    assert row["liquid.carbonate_per_heavy_atom"] > 0
    assert row["content.liquid_wt_pct"] == 60.0
    assert row["content.liquid_wt_pct_carbonate"] == pytest.approx(60.0)
    assert row["content.liquid_amount_unknown"] == 0.0


def test_liquids_drawn_as_smiles_get_a_class_from_their_structure():
    assert liquid_class_of("N#CCCC#N") == "nitrile"
    assert liquid_class_of("COCCOCCOC") == "ether"
    assert liquid_class_of("CCn1cc[n+](C)c1.[Br-]") == "ionic_liquid"
    x, result = _frame([{**PEGDA, "plasticized": True, "liquids": "N#CCCC#N;CC1COC(=O)O1"}])
    assert result.ok.all(), result.errors
    assert x.iloc[0]["liquid.class_nitrile"] == 0.5 and x.iloc[0]["liquid.class_carbonate"] == 0.5


def test_a_liquid_named_without_amount_or_structure_is_unknown_not_zero():
    x, _ = _frame([{**PEGDA, "plasticized": True, "liquids": "liquid electrolyte"}])
    row = x.iloc[0]
    assert row["liquid.class_unspecified"] == 1.0
    assert math.isnan(row["liquid.mw_g_mol"])
    assert math.isnan(row["content.liquid_wt_pct"]) and row["content.liquid_amount_unknown"] == 1.0


def test_a_table_without_the_columns_is_dry_or_plasticized_with_unknown_amount():
    f = FormulationFeaturizer(CONFIG)
    _, result = featurize(pd.DataFrame([PEGDA, {**PEGDA, "plasticized": True}]), CONFIG)
    assert result.ok.all(), result.errors
    x = result.frame()
    assert list(x["liquid.n_liquids"]) == [0.0, 0.0]
    assert x.loc[0, "content.liquid_wt_pct"] == 0.0  # dry: a true zero
    assert math.isnan(x.loc[1, "content.liquid_wt_pct"]) and x.loc[1, "content.liquid_amount_unknown"] == 1.0
    assert len(f) == x.shape[1]


def test_filler_loading_per_class_and_crosslinker_content():
    x, result = _frame([
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "filler": "LLZTO", "filler_wt_pct": 10.0},
        {**PEGDA, "crosslinker_wt_pct": 20.0},
    ])
    assert result.ok.all(), result.errors
    assert x.loc[0, "content.filler_wt_pct_ceramic_conductor"] == 10.0
    assert x.loc[0, "content.filler_wt_pct_oxide"] == 0.0
    assert x.loc[1, "content.crosslinker_wt_pct"] == 20.0
    # PETEA: four acrylates, 352.3 g/mol unreacted, 360.4 reacted (each C=C opened, +2 H):
    # 90.1 g per reactive group, and 20 wt% is 10 * 20 / 90.1 = 2.220 mmol of groups per gram
    per_group = x.loc[1, "crosslinker.mw_per_reactive_group_g_mol"]
    assert per_group == pytest.approx((352.34 + 8 * 1.008) / 4, abs=0.02)
    assert x.loc[1, "content.reactive_groups_mmol_per_g"] == pytest.approx(10.0 * 20.0 / per_group, rel=1e-6)
    assert x.loc[1, "content.reactive_groups_mmol_per_g"] == pytest.approx(2.220, abs=0.001)


def test_an_unknown_liquid_is_a_row_error_naming_it():
    _, result = featurize(pd.DataFrame([{**PEGDA, "plasticized": True, "liquids": "unobtainium"}, PEGDA]), CONFIG)
    assert list(result.ok) == [False, True]
    assert any("unobtainium" in str(e) for e in result.errors)
