import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spepred.api import featurize
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer

REFERENCE = {
    "monomer_smiles": "C=CC(=O)OCCO",  # HEA
    "crosslinker": "PETEA",
    "salt": "LiTFSI",
    "temperature_C": 25.0,
}


def _features(**overrides) -> pd.Series:
    row = {**REFERENCE, **overrides}
    normalized, result = featurize(pd.DataFrame([row]))
    assert result.ok.all(), result.errors
    return result.frame().iloc[0]


def test_feature_names_are_stable_and_unique():
    f = FormulationFeaturizer()
    assert len(f.feature_names) == len(set(f.feature_names)) == len(f)
    assert f.feature_names[0] == "matrix.morgan_r2_0000"
    assert "conditions.inv_temperature_1000_per_K" in f.feature_names
    assert FormulationFeaturizer(FeaturizerConfig(morgan_size=64)).feature_names.count(
        "transport.ether_O_per_heavy_atom"
    ) == 1


def test_config_round_trip_refuses_unknown_keys():
    cfg = FeaturizerConfig(morgan_size=128)
    assert FeaturizerConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(Exception, match="unknown featurizer config key"):
        FeaturizerConfig.from_dict({"morgan_size": 128, "colour": "blue"})


def test_pinned_reference_formulation_hea_petea_litfsi_25c():
    x = _features()
    pinned = {
        "matrix.heavy_atoms": 8.0,  # poly(HEA) repeat unit C5H8O3
        "matrix.mw_g_mol": 116.116,
        "transport.ester_per_unit": 1.0,
        "transport.hydroxyl_per_unit": 1.0,
        "transport.ether_O_per_unit": 0.0,
        "transport.backbone_atoms": 2.0,
        "crosslinker.functionality_total": 4.0,
        "crosslinker.group_acrylate": 1.0,
        "crosslinker.reacted_mw_g_mol": 360.403,
        "crosslinker.mw_per_reactive_group_g_mol": 90.101,
        "crosslinker.type_small_molecule": 1.0,
        "crosslinker.class_chemical": 1.0,
        "filler.class_none": 1.0,
        "salt.anion_F_count": 6.0,
        "salt.anion_sulfonyl_count": 2.0,
        "salt.anion_mw_g_mol": 280.147,
        "conditions.temperature_C": 25.0,
        "conditions.inv_temperature_1000_per_K": 3.354,
        "conditions.filler_wt_pct": 0.0,
        "conditions.plasticized": 0.0,
    }
    for name, value in pinned.items():
        assert x[name] == pytest.approx(value, abs=1e-3), name
    assert math.isnan(x["conditions.log10_mw_g_mol"])  # unknown Mw stays missing
    assert math.isnan(x["conditions.salt_molality_mol_kg"])
    fp = x[[c for c in x.index if c.startswith("matrix.morgan")]]
    assert fp.sum() == 26.0 and (fp > 0).sum() == 20
    assert list(fp[fp > 0].index[:3]) == ["matrix.morgan_r2_0001", "matrix.morgan_r2_0013", "matrix.morgan_r2_0037"]


def test_li_per_coordinating_site_follows_molality_and_chemistry():
    peo = _features(monomer_smiles="[*]CCO[*]", crosslinker="none", salt_molality_mol_kg=1.0)
    # 1 mol/kg of PEO (44.05 g/mol per unit, one ether O, three heavy atoms)
    assert peo["coordination.li_per_coordinating_site"] == pytest.approx(0.04405, abs=1e-4)
    assert peo["coordination.li_per_heavy_atom"] == pytest.approx(0.04405 / 3, abs=1e-4)
    double = _features(monomer_smiles="[*]CCO[*]", crosslinker="none", salt_molality_mol_kg=2.0)
    assert double["coordination.li_per_coordinating_site"] == pytest.approx(0.0881, abs=1e-4)
    pe = _features(monomer_smiles="[*]CC[*]", crosslinker="none", salt_molality_mol_kg=1.0)
    assert math.isnan(pe["coordination.li_per_coordinating_site"])  # nothing to coordinate Li+
    assert pe["coordination.li_per_heavy_atom"] == pytest.approx(0.028054 / 2, abs=1e-4)
    assert math.isnan(_features()["coordination.li_per_heavy_atom"])  # no molality: missing
    without = FormulationFeaturizer(FeaturizerConfig(blocks=("matrix", "conditions", "coordination")))
    normalized, _ = featurize(pd.DataFrame([{**REFERENCE, "salt_molality_mol_kg": 1.0}]))
    x = without.transform(normalized).frame().iloc[0]  # transport absent: sites unknown, no error
    assert math.isnan(x["coordination.li_per_coordinating_site"])
    assert x["coordination.li_per_heavy_atom"] == pytest.approx(116.116 / 1000 / 8, abs=1e-4)


@pytest.mark.parametrize(
    ("column", "value", "block"),
    [
        ("temperature_C", 60.0, "conditions."),
        ("salt", "LiClO4", "salt."),
        ("filler", "SiO2", "filler."),
        ("crosslinker", "PEGDA", "crosslinker."),
        ("plasticized", True, "conditions.plasticized"),
        ("salt_molality_mol_kg", 1.5, "conditions.salt_molality_mol_kg"),
        ("salt_molality_mol_kg", 1.5, "coordination.li_per_coordinating_site"),
        ("crosslink_type", "organic_inorganic_hybrid", "crosslinker.type_"),
        ("monomer_smiles", "C=CC(=O)OCCOC", "matrix."),
    ],
)
def test_each_condition_changes_the_feature_vector(column, value, block):
    base, changed = _features(), _features(**{column: value})
    diff = base.index[~np.isclose(base.to_numpy(), changed.to_numpy(), equal_nan=True)]
    assert len(diff) > 0, f"{column} did not change any feature"
    assert any(d.startswith(block) for d in diff), (column, list(diff)[:5])


VALID = ["[*]CCO[*]", "C=CC(=O)OCCO", "C1OCCO1", "[*]CC([*])C#N", "O=C1CCCCCO1"]
INVALID = ["C1CC", "CC(", "", "Xx", "c1cccc1"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "monomer_smiles": st.sampled_from(VALID + INVALID),
                "crosslinker": st.sampled_from(["", "PETEA", "PEGDA", "PETA", "HDI", "nope"]),
                "salt": st.sampled_from(["", "LiTFSI", "LiFSI", "none", "LiXYZ"]),
                "temperature_C": st.one_of(st.floats(-200, 400), st.just(float("nan"))),
            }
        ),
        min_size=1,
        max_size=15,
    )
)
def test_every_row_is_featurized_or_reported(rows):
    table = pd.DataFrame(rows)
    normalized, result = featurize(table)
    bad = {e.row for e in result.errors}
    assert result.features.shape == (len(table), len(result.feature_names))
    for i in range(len(table)):
        assert result.ok[i] == ((i + 1) not in bad)
        if result.ok[i]:
            assert not np.isnan(result.features[i, 0])  # fingerprint present
        else:
            assert np.isnan(result.features[i]).all()


def test_oxidation_block_pools_matrix_and_reacted_crosslinker():
    """Ether-rich PEO against nitrile-rich PAN; a crosslinker's own groups join the pool
    and dilute the matrix's."""
    from spepred.featurize.blocks import OxidationBlock

    block = OxidationBlock(FeaturizerConfig())
    names = [n.split(".", 1)[1] for n in block.feature_names]
    peo = dict(zip(names, block.compute("[*]CCO[*]", "none"), strict=True))
    pan = dict(zip(names, block.compute("[*]CC([*])C#N", "none"), strict=True))
    assert peo["ether_O_per_heavy_atom"] > 0.2 and peo["nitrile_per_heavy_atom"] == 0
    assert pan["nitrile_per_heavy_atom"] > 0.1 and pan["ether_O_per_heavy_atom"] == 0
    assert peo["crosslinker_heavy_atom_frac"] == 0
    with_xl = dict(zip(names, block.compute("[*]CC([*])C#N", "PEGDA"), strict=True))
    assert 0 < with_xl["crosslinker_heavy_atom_frac"] < 1
    assert with_xl["ether_O_per_heavy_atom"] > 0 and with_xl["ester_per_heavy_atom"] > 0
    assert with_xl["nitrile_per_heavy_atom"] < pan["nitrile_per_heavy_atom"]
