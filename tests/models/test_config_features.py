"""Which features each target reads: patterns over feature names, checked at construction."""

from __future__ import annotations

import pytest

from spepred.errors import ConfigError
from spepred.featurize import FormulationFeaturizer
from spepred.models.config import TrainConfig, select_features

NAMES = ["matrix.morgan_r2_0000", "matrix.heavy_atoms", "oxidation.ether_O_per_heavy_atom",
         "conditions.plasticized", "conditions.temperature_C"]


def test_patterns_keep_in_layout_order_and_bang_excludes():
    assert select_features(NAMES, ["*", "!oxidation.*"]) == [0, 1, 3, 4]
    assert select_features(NAMES, ["conditions.plasticized", "oxidation.*"]) == [2, 3]
    assert select_features(NAMES, ["matrix.*", "!matrix.morgan_*"]) == [1]
    assert select_features(NAMES, None) == list(range(len(NAMES)))
    assert select_features(NAMES, ["liquid.*"]) == []  # a block not in this layout


def test_default_targets_read_what_they_were_chosen_on():
    names = FormulationFeaturizer().feature_names
    cfg = TrainConfig()
    sigma = [names[i] for i in select_features(names, cfg.features["sigma"])]
    strength = [names[i] for i in select_features(names, cfg.features["strength"])]
    assert not any(n.startswith("oxidation.") for n in sigma) and len(sigma) == len(names) - len(
        [n for n in names if n.startswith("oxidation.")]
    )
    assert strength and not any(n.startswith(("matrix.", "transport.")) for n in strength)
    assert "conditions.plasticized" in strength and any(n.startswith("oxidation.") for n in strength)


@pytest.mark.parametrize(
    "features, match",
    [({"tplus": ["*"]}, "unknown target 'tplus'"), ({"esw": "oxidation.*"}, "expected a list"), ({"esw": ["!"]}, "expected a list")],
)
def test_bad_feature_patterns_are_refused(features, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(features=features)


def test_config_round_trips_its_features():
    cfg = TrainConfig(features={"esw": ["oxidation.*"]})
    assert TrainConfig.from_dict(cfg.to_dict()).features == {"esw": ["oxidation.*"]}
