"""The VTF temperature transform and the strict two-stage VTF σ model, on synthetic rows."""

from __future__ import annotations

import numpy as np
import pytest

from spepred.errors import ConfigError
from spepred.models.vtf import (
    TEMPERATURE_FEATURES,
    VTF_FEATURE,
    TwoStageVtf,
    VtfTemperature,
    curve_slope,
    monotone_constraints,
)

PARAMS = {"objective": "reg:squarederror", "tree_method": "hist", "eta": 0.3, "max_depth": 3,
          "seed": 0, "nthread": 1, "verbosity": 0}
NAMES = ["matrix.a", TEMPERATURE_FEATURES[0], TEMPERATURE_FEATURES[1], "conditions.salt_molality_mol_kg"]


def _features(t_C: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.column_stack([a, t_C, 1000.0 / (t_C + 273.15), np.ones_like(a)]).astype(np.float32)


def test_t0_is_tg_minus_50_and_x_falls_with_temperature():
    v = VtfTemperature()
    t = np.arange(-60.0, 150.0, 1.0)
    x = v.x(t, np.full(len(t), 250.0))
    assert v.t0_K([250.0])[0] == 200.0
    assert np.all(np.diff(x) <= 0)  # non-increasing in T, including through T0
    assert v.x([26.85], [250.0])[0] == pytest.approx(10.0)  # 1000 / (300 K − 200 K)


def test_at_or_below_t0_the_capped_x_and_a_flag():
    v = VtfTemperature(min_gap_K=5.0)
    tg = np.full(4, 300.0)  # T0 = 250 K = −23.15 °C
    t = np.array([-100.0, -23.15, -18.15, -10.0])  # far below, at T0, at T0 + 5 K, above
    x = v.x(t, tg)
    assert np.all(np.isfinite(x))
    assert x[:3].tolist() == [200.0, 200.0, 200.0] and x[3] < 200.0
    assert v.below_t0(t, tg).tolist() == [True, True, True, False]


def test_missing_tg_takes_the_fallback():
    v = VtfTemperature()
    x = v.x([25.0, 25.0], [np.nan, 250.0], fallback_tg_K=250.0)
    assert x[0] == x[1]
    assert np.isnan(v.x([25.0], [np.nan])[0])


@pytest.mark.parametrize("kwargs", [{"offset_K": -1.0}, {"min_gap_K": 0.0}, {"offset_K": float("nan")}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ConfigError, match="must be a finite number"):
        VtfTemperature(**kwargs)


def test_transform_replaces_the_temperature_columns_by_x():
    t = np.array([0.0, 50.0])
    X = _features(t, np.array([1.0, 2.0]))
    Xv, names = VtfTemperature().transform(X, NAMES, t, np.array([250.0, 250.0]))
    assert names == ["matrix.a", "conditions.salt_molality_mol_kg", VTF_FEATURE]
    assert Xv.shape == (2, 3)
    np.testing.assert_allclose(Xv[:, -1], VtfTemperature().x(t, [250.0, 250.0]), rtol=1e-6)
    assert monotone_constraints(names) == "(0,0,-1)"


def test_only_some_rows_read_x_the_others_keep_temperature():
    t = np.array([0.0, 50.0, 80.0])
    X = _features(t, np.array([1.0, 2.0, 3.0]))
    dry = np.array([True, False, True])
    Xv, names = VtfTemperature().transform(X, NAMES, t, np.full(3, 250.0), only=dry)
    assert names == [*NAMES, VTF_FEATURE]
    temp = [names.index(n) for n in TEMPERATURE_FEATURES]
    assert np.isnan(Xv[dry][:, temp]).all() and np.isfinite(Xv[~dry][:, temp]).all()
    assert np.isfinite(Xv[dry, -1]).all() and np.isnan(Xv[~dry, -1]).all()
    np.testing.assert_array_equal(Xv[~dry, :-1], X[~dry])
    assert monotone_constraints(names) == "(0,1,-1,0,-1)"
    with pytest.raises(ConfigError, match="one flag per row"):
        VtfTemperature().transform(X, NAMES, t, np.full(3, 250.0), only=dry[:2])


def test_dry_only_booster_is_monotone_in_temperature_for_both_kinds_of_row():
    from spepred.models.train import fit_booster

    rng = np.random.default_rng(1)
    n = 600
    t = rng.uniform(-20, 120, n)
    a = rng.normal(size=n)
    dry = rng.random(n) < 0.5
    tg = rng.uniform(200, 280, n)
    v = VtfTemperature()
    y = a - np.where(dry, 0.6 * np.minimum(v.x(t, tg), 40), 1.5 * 1000 / (t + 273.15)) + rng.normal(0, 0.3, n)
    X = _features(t, a)
    Xv, names = v.transform(X, NAMES, t, tg, only=dry)
    booster = fit_booster(Xv, y, None, {**PARAMS, "monotone_constraints": monotone_constraints(names)}, 40)
    grid = np.arange(-60.0, 150.0, 2.0)
    for is_dry in (True, False):
        Xg = _features(grid, np.full(len(grid), 0.3))
        Xq, _ = v.transform(Xg, NAMES, grid, np.full(len(grid), 240.0), only=np.full(len(grid), is_dry))
        assert np.all(np.diff(booster.inplace_predict(Xq)) >= -1e-6)


def test_without_tg_it_is_the_plain_model():
    from spepred.models.train import fit_booster

    rng = np.random.default_rng(0)
    t = rng.uniform(0, 100, 200)
    X = _features(t, rng.normal(size=200))
    y = X[:, 0] + 0.02 * t
    Xv, names = VtfTemperature().transform(X, NAMES, t, None)
    assert Xv is X and names == NAMES
    plain = fit_booster(X, y, None, PARAMS, 20).inplace_predict(X)
    same = fit_booster(Xv, y, None, PARAMS, 20).inplace_predict(Xv)
    np.testing.assert_array_equal(plain, same)


def test_missing_temperature_feature_is_an_error():
    with pytest.raises(ConfigError, match="temperature features"):
        VtfTemperature().transform(np.zeros((1, 2)), ["matrix.a", "x"], [25.0], [250.0])


def _vtf_rows(n_curves: int = 40, b: float = 0.6, seed: int = 0):
    """Synthetic σ(T) curves: log10 σ = a_curve − b·1000/(T − T0), T0 = Tg − 50 K."""
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(10.0, 100.0, 10.0), n_curves)
    curve = np.repeat(np.arange(n_curves), 9)
    a = rng.normal(0.0, 1.0, n_curves)[curve]
    tg = rng.uniform(200.0, 260.0, n_curves)[curve]
    x = VtfTemperature().x(t, tg)
    y = a - b * x + rng.normal(0.0, 0.02, len(t))
    return t, tg, x, y, curve, a


def test_curve_slope_recovers_b_and_ignores_capped_rows():
    t, tg, x, y, curve, _ = _vtf_rows()
    b, n = curve_slope(x, y, curve)
    assert n == 40 and b == pytest.approx(0.6, abs=0.02)
    x_cap = x.copy()
    x_cap[::9] = 200.0  # one capped point per curve with a label that VTF cannot explain
    assert curve_slope(x_cap, y, curve, x_max=200.0)[0] == pytest.approx(0.6, abs=0.02)
    assert curve_slope(x[:2], y[:2], curve[:2]) == (pytest.approx(float("nan"), nan_ok=True), 0)


def test_two_stage_is_monotone_in_temperature_and_floors_below_t0():
    t, tg, x, y, curve, a = _vtf_rows()
    X = np.column_stack([a, tg]).astype(np.float32)  # formulation features, no temperature
    classes = np.where(curve % 2 == 0, "dry_linear", "gel")
    model = TwoStageVtf(PARAMS, 50, min_curves=10).fit(X, y, x, curve, classes)
    assert model.b_global_ == pytest.approx(0.6, abs=0.03)
    assert set(model.b_by_class_) == {"dry_linear", "gel"}
    grid = np.arange(-150.0, 150.0, 1.0)
    Xq = np.repeat(X[:1], len(grid), axis=0)
    xq = VtfTemperature().x(grid, np.full(len(grid), tg[0]))
    pred = model.predict(Xq, xq, np.full(len(grid), "dry_linear"))
    assert np.all(np.diff(pred) >= 0)  # σ never falls on heating, through T0 too
    below = VtfTemperature().below_t0(grid, np.full(len(grid), tg[0]))
    assert below.any() and np.all(pred[below] == pred[below][0])  # one floor value below T0
    assert pred[below][0] < y.min() - 10  # far below anything measured
    assert np.mean(np.abs(model.predict(X, x, classes) - y)) < 0.2


def test_a_class_with_few_curves_takes_the_global_slope():
    t, tg, x, y, curve, a = _vtf_rows()
    classes = np.where(curve < 3, "composite", "dry_linear")  # 3 curves < min_curves
    model = TwoStageVtf(PARAMS, 10, min_curves=10).fit(a[:, None].astype(np.float32), y, x, curve, classes)
    assert "composite" not in model.b_by_class_
    assert model.slope(["composite"])[0] == model.b_global_


def test_negative_slopes_are_floored_at_zero():
    t, tg, x, y, curve, a = _vtf_rows(b=-0.3)
    model = TwoStageVtf(PARAMS, 10).fit(a[:, None].astype(np.float32), y, x, curve, np.full(len(y), "gel"))
    assert model.b_global_ == 0.0 and model.slope(["gel"])[0] == 0.0


def test_two_stage_needs_a_curve():
    with pytest.raises(ConfigError, match="3 or more temperatures"):
        TwoStageVtf(PARAMS, 5).fit(np.zeros((2, 1), np.float32), [0.0, 1.0], [5.0, 6.0], [0, 1], ["gel", "gel"])
