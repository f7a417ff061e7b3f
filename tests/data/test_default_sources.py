"""The gels, networks and composites of Hatakeyama-Sato and the curated literature are in the
default training data, the table and the featurizer take a few rows of each, and the CV
groups are papers across sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.data.build import DEFAULT_SOURCES, build_formulations
from spepred.data.regimes import regime
from spepred.data.splits import paper_key, polymer_groups
from spepred.featurize import FeaturizerConfig, FormulationFeaturizer
from spepred.models.train import cv_groups
from tests.conftest import MIRROR, skip_unless_required


def test_the_new_sources_are_default_training_sources():
    assert {"hatakeyama2022", "literature"} <= set(DEFAULT_SOURCES)


def test_one_doi_is_one_paper_across_sources():
    groups = pd.Series(
        ["hatakeyama2022:10.1000/ABC", "literature:doi:10.1000/abc", "literature:url:http://x", "pei2025:ref7"]
    )
    papers = paper_key(groups)
    assert papers[0] == papers[1] == "doi:10.1000/abc"
    assert list(papers[2:]) == ["literature:url:http://x", "pei2025:ref7"]


def test_cv_groups_join_a_paper_across_sources_and_keep_blends_apart():
    rows = pd.DataFrame(
        {
            "group": ["hatakeyama2022:10.1000/ABC", "literature:doi:10.1000/abc", "bradford2023:P1",
                      "hatakeyama2022:10.9/blend", "literature:doi:10.5/pan"],
            "monomer_smiles": ["*CC(*)F", "*CC(*)C#N", "*CCO*", "*CCO*.*CC(*)F", "*CC(*)C#N"],
        }
    )
    g = cv_groups(rows)
    assert g[0] == g[1]  # one DOI, two sources: one paper
    assert g[4] == g[1]  # PAN here and PAN there: one polymer
    # a PEO blend is not PEO: with every component merged, the PEO blends of the gels
    # would link most of the table into one group
    assert g[3] != g[2]
    assert len(set(polymer_groups(rows["group"].to_numpy(), np.array(rows["monomer_smiles"])))) < len(set(g))


@pytest.fixture(scope="module")
def new_rows() -> pd.DataFrame:
    if not (MIRROR / "hatakeyama2022").is_dir():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR)")
    table, card = build_formulations(("hatakeyama2022", "literature"))
    assert not card.missing_sources
    reg = regime(table)
    # a few rows of each source and regime: gels with liquids, networks, composites
    picked = [g.head(4) for _, g in table.assign(regime=reg).groupby(["source", "regime"])]
    return pd.concat(picked, ignore_index=True)


@pytest.mark.slow
def test_the_featurizer_takes_a_few_rows_of_each_new_source(new_rows):
    assert set(new_rows["source"]) == {"hatakeyama2022", "literature"}
    assert {"gel", "dry_network", "composite"} <= set(new_rows["regime"])
    result = FormulationFeaturizer().transform(new_rows, source="new rows")
    assert not result.errors, result.errors[:3]
    assert result.ok.all()
    frame = result.frame()
    gel = (new_rows["regime"] == "gel").to_numpy()
    assert (frame.loc[gel, "conditions.plasticized"] == 1).all()
    composite = (new_rows["regime"] == "composite").to_numpy()
    assert (frame.loc[composite, "filler.class_none"] == 0).all()


def test_the_liquid_blocks_read_the_new_sources_liquids(new_rows):
    from spepred.featurize.formulation import DEFAULT_BLOCKS

    blocks = tuple(dict.fromkeys((*DEFAULT_BLOCKS, "liquid", "content")))
    result = FormulationFeaturizer(FeaturizerConfig(blocks=blocks)).transform(new_rows, source="new rows")
    assert not result.errors, result.errors[:3]
    frame = result.frame()
    named = (new_rows["liquids"].fillna("").str.strip() != "").to_numpy()
    assert named.any()
    assert (frame.loc[named, "liquid.n_liquids"] > 0).all()
    assert (frame.loc[~named, "liquid.n_liquids"] == 0).all()
    hata_gel = named & (new_rows["source"] == "hatakeyama2022").to_numpy()
    assert frame.loc[hata_gel, "content.liquid_wt_pct"].notna().all()  # Hatakeyama states its amounts
