"""σ(T) in the Vogel–Tammann–Fulcher form, with T0 from each formulation's own glass transition.

The segmental-motion account of ion transport in polymer electrolytes writes
``σ(T) = A exp(−B / (T − T0))`` with ``T0`` a few tens of kelvin below the glass transition.
The usual choice, and the one used here, is ``T0 = Tg − 50 K``: the Williams–Landel–Ferry
equation referred to Tg has the "universal" constants C1 = 17.44 and C2 = 51.6 K
(M. L. Williams, R. F. Landel, J. D. Ferry, J. Am. Chem. Soc. 1955, 77, 3701;
doi:10.1021/ja01619a008), and WLF with reference Tg *is* VTF with ``T0 = Tg − C2``.
``Tg`` is the predicted Tg of the row's matrix polymer (:mod:`spepred.models.tg`).

Everything here works in one reduced variable, ``x = 1000 / (T − T0)`` (K⁻¹ × 1000), which
falls as T rises: ``log10 σ = log10 A − b·x`` with ``b = B·log10(e)/1000``. Two forms of the
σ model use it (``benchmarks/tg_sigma_features.py`` measures both):

* :meth:`VtfTemperature.transform` — **VTF-x**: the σ booster sees temperature *only*
  through ``x`` (the ``conditions.temperature_C`` and ``conditions.inv_temperature`` columns
  are replaced by it) under a monotone-decreasing constraint, so the learned temperature
  response is free in shape but is a function of the distance from each polymer's own T0,
  and σ never falls on heating. With ``only=`` it applies to some rows (the dry systems,
  where segmental motion of the polymer carries the ions) and the others keep T and 1000/T.
* :class:`TwoStageVtf` — **strict VTF**: a booster without temperature features predicts
  log10 σ at the reference ``x_ref`` (``T − T0 = 100 K``, i.e. T = Tg + 50 K), and a
  pseudo-activation ``b`` carries it along ``x``: ``log10 σ = A_ref − b (x − x_ref)``.
  ``b`` is fitted per regime (:mod:`spepred.data.regimes`: dry linear, dry network, gel,
  composite) as the median slope of the training σ(T) curves in ``x`` (each curve's own
  level removed, so ``b`` is a property of the temperature response alone), with the
  all-regime slope where a regime has too few curves; it is never negative.

**T ≤ T0.** VTF diverges at T0 (σ → 0) and says nothing below it. ``T − T0`` is floored at
``min_gap_K`` (5 K), so ``x`` is capped at 200 and every temperature at or below
``T0 + min_gap_K`` gets the same ``x``: the VTF-x booster (monotone in ``x``, and the cap is
far beyond any training ``x``) returns its lowest σ for that formulation, and the strict
form returns ``A_ref − b (200 − x_ref)``, far below anything measured (callers clip to the
training label range). :meth:`VtfTemperature.below_t0` marks those rows so a caller can say
the value is a floor, not a prediction. σ stays non-decreasing in T across T0 in both forms.

Without a Tg (``tg_K=None``) the transform returns the features unchanged: the plain σ
model. A row whose Tg is NaN takes ``fallback_tg_K`` (the training rows' median Tg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spepred.errors import ConfigError

#: The σ featurizer's temperature columns, which VTF-x replaces by ``x``.
TEMPERATURE_FEATURES = ("conditions.temperature_C", "conditions.inv_temperature_1000_per_K")
#: Name of the reduced-temperature feature.
VTF_FEATURE = "vtf.x_1000_per_T_minus_T0"
KELVIN = 273.15


@dataclass(frozen=True)
class VtfTemperature:
    """The reduced temperature ``x = 1000 / max(T − T0, min_gap_K)``, ``T0 = Tg − offset_K``.

    Parameters
    ----------
    offset_K
        Tg − T0 (50 K: WLF's C2 = 51.6 K, rounded as the literature does).
    min_gap_K
        Smallest ``T − T0`` used; at or below ``T0 + min_gap_K`` the row is "below T0" and
        takes the capped ``x`` (``1000 / min_gap_K``).
    """

    offset_K: float = 50.0
    min_gap_K: float = 5.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.offset_K) or self.offset_K < 0:
            raise ConfigError(f"offset_K must be a finite number >= 0, got {self.offset_K!r}")
        if not np.isfinite(self.min_gap_K) or self.min_gap_K <= 0:
            raise ConfigError(f"min_gap_K must be a finite number > 0, got {self.min_gap_K!r}")

    @property
    def x_max(self) -> float:
        """The capped ``x`` of every row at or below ``T0 + min_gap_K``."""
        return 1000.0 / self.min_gap_K

    def t0_K(self, tg_K, fallback_tg_K: float | None = None) -> np.ndarray:
        """T0 of every row (NaN Tg takes ``fallback_tg_K`` when given)."""
        tg = np.asarray(tg_K, dtype=np.float64)
        if fallback_tg_K is not None:
            tg = np.where(np.isfinite(tg), tg, fallback_tg_K)
        return tg - self.offset_K

    def x(self, temperature_C, tg_K, fallback_tg_K: float | None = None) -> np.ndarray:
        """``1000 / max(T − T0, min_gap_K)``; non-increasing in T for a fixed Tg."""
        gap = np.asarray(temperature_C, dtype=np.float64) + KELVIN - self.t0_K(tg_K, fallback_tg_K)
        return 1000.0 / np.maximum(gap, self.min_gap_K)

    def below_t0(self, temperature_C, tg_K, fallback_tg_K: float | None = None) -> np.ndarray:
        """True where ``T <= T0 + min_gap_K``: the value returned there is a floor."""
        gap = np.asarray(temperature_C, dtype=np.float64) + KELVIN - self.t0_K(tg_K, fallback_tg_K)
        return gap <= self.min_gap_K

    def transform(
        self,
        X: np.ndarray,
        feature_names: Sequence[str],
        temperature_C,
        tg_K=None,
        fallback_tg_K: float | None = None,
        *,
        only=None,
    ) -> tuple[np.ndarray, list[str]]:
        """VTF-x features: the temperature columns of ``X`` replaced by one ``x`` column
        (appended last). ``tg_K=None`` returns ``X`` and the names unchanged.

        ``only`` (a boolean mask of rows) limits VTF-x to those rows: the temperature columns
        are kept, NaN on those rows, and ``x`` is NaN on the others, so every row reads its
        temperature through exactly one of the two (and, under
        :func:`monotone_constraints`, σ stays non-decreasing in T on both).
        """
        names = list(feature_names)
        if tg_K is None:
            return X, names
        missing = [n for n in TEMPERATURE_FEATURES if n not in names]
        if missing:
            raise ConfigError(f"VTF-x needs the temperature features {missing}; got {len(names)} others")
        x = self.x(temperature_C, tg_K, fallback_tg_K).astype(X.dtype, copy=False)
        if only is None:
            keep = [i for i, n in enumerate(names) if n not in TEMPERATURE_FEATURES]
            return np.column_stack([X[:, keep], x]), [names[i] for i in keep] + [VTF_FEATURE]
        only = np.asarray(only, dtype=bool)
        if only.shape != (len(X),):
            raise ConfigError(f"only: expected one flag per row ({len(X)}), got shape {only.shape}")
        out = np.column_stack([X, np.where(only, x, np.nan).astype(X.dtype)])
        temp = [i for i, n in enumerate(names) if n in TEMPERATURE_FEATURES]
        out[np.ix_(only, temp)] = np.nan
        return out, names + [VTF_FEATURE]


def monotone_constraints(feature_names: Sequence[str]) -> str:
    """XGBoost ``monotone_constraints`` for VTF-x features: σ decreasing in ``x`` and, where
    the temperature columns are kept (``only``), increasing in T and decreasing in 1000/T."""
    from spepred.models.config import MONOTONE

    cons = {**MONOTONE, VTF_FEATURE: -1}
    return "(" + ",".join(str(cons.get(n, 0)) for n in feature_names) + ")"


def curve_slope(x, y, curves, min_points: int = 3, x_max: float | None = None) -> tuple[float, int]:
    """The median over curves of each curve's least-squares slope of ``y`` on ``-x``: the
    ``b`` of ``y = a_curve − b·x``. Curves count with at least ``min_points`` distinct
    ``x``; points at or beyond ``x_max`` (the capped rows at or below T0) are left out.
    Returns ``(b, curves used)``; ``(nan, 0)`` without such a curve.

    The median, not one pooled fit: near T0 ``x`` grows without bound, so a pooled least
    squares is ruled by the few points closest to a (predicted, uncertain) T0, and on the
    σ data gave a slope ten times flatter than the typical curve's.
    """
    frame = pd.DataFrame({"c": np.asarray(curves), "x": np.asarray(x, float), "y": np.asarray(y, float)})
    ok = np.isfinite(frame["x"]) & np.isfinite(frame["y"])
    if x_max is not None:
        ok &= frame["x"] < x_max
    frame = frame[ok]
    frame = frame[frame.groupby("c")["x"].transform("nunique") >= min_points]
    if frame.empty:
        return float("nan"), 0
    g = frame.groupby("c")
    dx = frame["x"] - g["x"].transform("mean")
    dy = frame["y"] - g["y"].transform("mean")
    per_curve = -(dx * dy).groupby(frame["c"]).sum() / (dx * dx).groupby(frame["c"]).sum()
    return float(per_curve.median()), int(len(per_curve))


class TwoStageVtf:
    """Strict VTF σ(T): a booster for log10 σ at ``x_ref`` and a slope ``b`` per class.

    ``log10 σ = A_ref(formulation) − b_class · (x − x_ref)``. Fitting: ``b`` per class from
    :func:`curve_slope` of the training curves (the all-class slope where a class has
    fewer than ``min_curves`` curves; floored at 0, so σ never falls on heating), then the
    booster on ``y + b (x − x_ref)`` with formulation features that carry no temperature.

    Parameters
    ----------
    params, n_rounds
        XGBoost training parameters and boosting rounds (no monotone constraint is needed:
        the booster never sees temperature).
    x_ref
        Reference reduced temperature (10: ``T − T0 = 100 K``); only shifts ``A_ref``.
    min_curves
        Curves a class needs for its own ``b``.
    x_max
        The capped ``x`` of rows at or below T0 (:attr:`VtfTemperature.x_max`): those rows
        train the booster but not ``b``.
    """

    def __init__(
        self, params: dict, n_rounds: int, *, x_ref: float = 10.0, min_curves: int = 10, x_max: float = 200.0
    ) -> None:
        self.params = params
        self.n_rounds = n_rounds
        self.x_ref = x_ref
        self.min_curves = min_curves
        self.x_max = x_max

    def fit(self, X: np.ndarray, y, x, curves, classes) -> TwoStageVtf:
        from spepred.models.train import fit_booster

        y, x = np.asarray(y, float), np.asarray(x, float)
        classes = np.asarray(classes, dtype=object)
        b_all, n_all = curve_slope(x, y, curves, x_max=self.x_max)
        if not np.isfinite(b_all):
            raise ConfigError("strict VTF needs at least one training curve with 3 or more temperatures")
        self.b_global_ = max(b_all, 0.0)
        self.b_by_class_: dict[str, float] = {}
        self.curves_by_class_: dict[str, int] = {"all": n_all}
        curves = np.asarray(curves)
        for c in pd.unique(classes):
            m = classes == c
            b, n = curve_slope(x[m], y[m], curves[m], x_max=self.x_max)
            self.curves_by_class_[str(c)] = n
            if n >= self.min_curves and np.isfinite(b):
                self.b_by_class_[str(c)] = max(b, 0.0)
        target = y + self.slope(classes) * (x - self.x_ref)
        self.booster_ = fit_booster(X, target, None, self.params, self.n_rounds)
        return self

    def slope(self, classes) -> np.ndarray:
        """``b`` of every row (the all-class slope for a class without its own)."""
        classes = np.asarray(classes, dtype=object)
        return np.array([self.b_by_class_.get(str(c), self.b_global_) for c in classes], dtype=float)

    def predict(self, X: np.ndarray, x, classes) -> np.ndarray:
        a_ref = self.booster_.inplace_predict(X)
        return a_ref - self.slope(classes) * (np.asarray(x, float) - self.x_ref)
