"""Thresholds, objectives and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spepred.errors import InvalidValueError
from spepred.screen.objectives import Objective, Threshold

VALUES = {
    "sigma": np.log10(np.array([1e-7, 1e-4, 1e-3, 1e-2, np.nan])),
    "window": np.array([3.0, 4.5, 5.0, 4.0, 5.0]),
    "strength": np.array([0.05, 1.0, 10.0, 50.0, 1.0]),
}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("window>=4.5", [False, True, True, False, True]),
        ("window >= 4.5 V", [False, True, True, False, True]),
        ("sigma > 1e-4 S/cm", [False, False, True, True, False]),
        ("strength<10", [True, True, False, False, True]),
        ("conductivity>=1e-3", [False, False, True, True, False]),
    ],
)
def test_thresholds(text, expected):
    assert Threshold.parse(text).mask(VALUES).tolist() == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("windw>=4.5", r"invalid threshold 'windw>=4.5': expected NAME OP VALUE"),
        ("window=4.5", r"invalid threshold 'window=4.5'"),
        ("window >= 4.5 MPa", r"invalid threshold 'window >= 4.5 MPa': expected window in V"),
        ("sigma >= -3", r"expected a positive σ in S/cm"),
    ],
)
def test_threshold_errors(text, message):
    with pytest.raises(InvalidValueError, match=message):
        Threshold.parse(text)


def test_single_property_and_desirability_scores():
    assert np.allclose(Objective("window").score(VALUES), VALUES["window"])
    d = Objective("desirability").score(VALUES)
    # row 2 reaches every "good" value (1e-3 S/cm, 5 V, 10 MPa): 1; row 0 is useless on all: 0
    assert d[2] == pytest.approx(1.0) and d[0] == 0.0 and math.isnan(d[4])
    # geometric (desirability) never exceeds arithmetic (weighted)
    w = Objective("weighted").score(VALUES)
    assert (d[:4] <= w[:4] + 1e-12).all()
    # weights: only σ counts -> ramp of σ alone
    only_sigma = Objective.from_options("weighted", weights="sigma=1")
    assert only_sigma.score(VALUES)[1] == pytest.approx(2 / 3)
    custom = Objective.from_options("desirability", ranges="window=4:5", weights="window=1")
    assert custom.score(VALUES)[1] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "best"}, r"invalid objective 'best': expected one of desirability"),
        ({"kind": "weighted", "weights": "sigma=abc"}, r"invalid weights 'sigma=abc'"),
        ({"kind": "weighted", "weights": "colour=1"}, r"invalid weight 'colour'"),
        ({"kind": "weighted", "weights": "sigma=0,window=0,strength=0"}, r"at least one positive weight"),
        ({"kind": "weighted", "ranges": "sigma=1e-3:1e-6"}, r"invalid range of sigma"),
        ({"kind": "weighted", "bound": "hi"}, r"invalid bound 'hi'"),
    ],
)
def test_objective_errors(kwargs, message):
    kind = kwargs.pop("kind")
    with pytest.raises(InvalidValueError, match=message):
        Objective.from_options(kind, **kwargs)
