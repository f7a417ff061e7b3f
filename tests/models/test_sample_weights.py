"""σ training weights by regime or source: a few gels are not drowned by dry linear rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.errors import ConfigError
from spepred.models.config import TrainConfig
from spepred.models.train import sample_weights

IDS = pd.DataFrame({"regime": ["dry_linear"] * 8 + ["gel"] * 2, "source": ["a"] * 9 + ["b"]})


def test_no_weighting_is_no_weights():
    assert sample_weights(IDS, TrainConfig(weighting="none")) is None


def test_the_default_weights_sigma_rows_by_regime():
    cfg = TrainConfig()
    assert (cfg.weighting, cfg.weighting_power) == ("regime", 0.5)
    w = sample_weights(IDS, cfg)
    assert w[8] > w[0]


def test_power_one_gives_every_regime_the_same_total_weight():
    w = sample_weights(IDS, TrainConfig(weighting="regime", weighting_power=1.0))
    assert w.mean() == pytest.approx(1.0)
    assert w[:8].sum() == pytest.approx(w[8:].sum())


def test_power_half_is_halfway_and_sources_work_the_same_way():
    w = sample_weights(IDS, TrainConfig(weighting="regime", weighting_power=0.5))
    assert w[8] / w[0] == pytest.approx(2.0)  # sqrt(8 / 2)
    ws = sample_weights(IDS, TrainConfig(weighting="source", weighting_power=1.0))
    assert ws[9] / ws[0] == pytest.approx(9.0)


def test_unknown_weighting_is_refused():
    with pytest.raises(ConfigError, match="weighting must be one of"):
        TrainConfig(weighting="paper")
    with pytest.raises(ConfigError, match="weighting_power"):
        TrainConfig(weighting_power=2.0)
    assert TrainConfig.from_dict(TrainConfig(weighting="regime").to_dict()).weighting == "regime"
