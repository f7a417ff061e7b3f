"""The three directions chemists rely on (issue 16), asserted on a real bundle.

By default the bundle is the shipped one (``models/default``, what ``spepred predict``
loads), and a second test checks that it was trained with today's default configuration, so
the directions below are those of the default recipe: change a default of ``TrainConfig``
and this fails until ``models/default`` is retrained. ``SPEPRED_SANITY_TRAIN=1`` trains a
bundle here instead, with the default configuration on the default data (the dataset mirror
is needed) and 2 CV folds instead of 5 (the folds only calibrate the intervals and score the
model; the boosters that predict are fitted on every labelled row either way): about 35 s
on 2 cores, which the suite no longer pays on every run. ``SPEPRED_SANITY_BUNDLE=path`` runs
the same assertions on any other bundle.

The formulations and the checks are those of ``benchmarks/sanity.py`` (one definition): a
carbonate liquid raises σ at 25 °C by at least a decade; PEO/LiTFSI's window stays below
4.3 V; a dry PEGDA network is predicted stiffer than its gel.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import MIRROR, benchmark_fixture, skip_unless_required

pytestmark = pytest.mark.slow


sanity = benchmark_fixture("sanity", "sanity")


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    from spepred.models.predictor import Predictor

    given = os.environ.get("SPEPRED_SANITY_BUNDLE")
    if given:
        return Predictor.load(given)
    if os.environ.get("SPEPRED_SANITY_TRAIN") != "1":
        from spepred.api import shipped_model_path

        return Predictor.load(shipped_model_path())
    if not (MIRROR / "bradford2023" / "clean_train_data.csv").exists():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR), and no SPEPRED_SANITY_BUNDLE")
    from spepred.api import train

    root = tmp_path_factory.mktemp("sanity-train")
    report = train(
        model_dir=root / "bundle", tracking_uri=f"sqlite:///{root / 'mlflow.db'}", experiment="sanity",
        cv_folds=2, tg_data=False,
    )
    return Predictor.load(report.bundle_dir)


@pytest.fixture(scope="module")
def directions(sanity, predictor):
    return {d["key"]: d for d in sanity.directions(predictor)}


def test_a_carbonate_liquid_raises_sigma_by_a_decade(directions):
    d = directions["carbonate_liquid_raises_sigma"]
    assert d["pass"], f"{d['direction']}: {d['shown']}"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "does not hold honestly with today's labels: 38 of the 142 window labels have a PEO "
        "component, mean 4.90 V, median 5.0 V, 5 below 4.3 V (two PEO/biopolymer blends at "
        "2.2-2.9 V, one PEO at 4.05 V, a PEO/polyphosphonate blend at 4.0 V, PEO/POSS-PEG at "
        "3.8 V): papers report LSV onsets, mostly about 5 V. The shipped bundle puts "
        "PEO/LiTFSI at 4.94 V (2026-12-02, after the third literature round). The review's "
        "'slowly oxidized at voltages >3.8 V' is said of PEO in general and stays the sanity "
        "table's reference, not a label (docs/benchmarks.md section 11). strict: once a "
        "bundle passes, this mark must go."
    ),
)
def test_peo_window_stays_below_4_3_volts(directions):
    d = directions["peo_window_below_4_3_V"]
    assert d["pass"], f"{d['direction']}: {d['shown']}"


def test_a_dry_pegda_network_is_stiffer_than_its_gel(directions):
    d = directions["dry_network_stiffer_than_gel"]
    assert d["pass"], f"{d['direction']}: {d['shown']}"


#: settings added after a bundle was trained, and what a bundle without them did
NEUTRAL = {"offsets": {}}


@pytest.mark.skipif(bool(os.environ.get("SPEPRED_SANITY_BUNDLE")) or os.environ.get("SPEPRED_SANITY_TRAIN") == "1",
                    reason="the bundle under test is not the shipped one")
def test_the_shipped_bundle_has_the_default_configuration():
    """What the directions above are asserted on is the default recipe's bundle: every
    setting of the shipped bundle's training but the thread count is today's default."""
    import json

    from spepred.api import shipped_model_path
    from spepred.models.config import TrainConfig

    shipped = json.loads((shipped_model_path() / "bundle.json").read_text(encoding="utf-8"))["train_config"]
    default = TrainConfig().to_dict()
    # a setting newer than the bundle: trained without it, which is its neutral value
    for key, neutral in NEUTRAL.items():
        shipped.setdefault(key, neutral)
    for d in (shipped, default):
        d.pop("n_jobs", None)
    assert shipped == json.loads(json.dumps(default)), (
        "models/default was not trained with the default TrainConfig: retrain it "
        "(spepred train --model-dir models/default) or run with SPEPRED_SANITY_TRAIN=1"
    )
