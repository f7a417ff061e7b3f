"""What "best" means: thresholds (``window >= 4.5 V``), single objectives and desirability.

Three properties, all maximized: σ (S/cm; compared in log10), the electrochemical window (V)
and the strength (MPa; compared in log10 for the ramps, it spans decades). Scores use the
point prediction, or with ``bound="lo"`` the lower end of the 90 % interval (a cautious
ranking: a formulation must be good even at the pessimistic end of its interval).

Desirability (Derringer & Suich): each property is mapped to ``d`` in [0, 1] by a linear ramp
between a *poor* and a *good* value (defaults below, in the units a chemist quotes), and the
score is the weighted geometric mean of the ``d`` (``desirability``: one useless property
sinks the formulation) or their weighted arithmetic mean (``weighted``: properties trade off).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from spepred.data.columns import OBJECTIVE_PROPERTIES, Property
from spepred.errors import InvalidValueError


#: The properties by screening key (``sigma``, ``window``, ``strength``), as declared in
#: :mod:`spepred.data.columns`: ``label`` is the stem of the prediction columns
#: (``{label}_pred`` / ``_lo`` / ``_hi``), ``quantity_unit`` the unit of thresholds and
#: ramps, ``log_scale`` whether they compare log10 values, ``name`` the display name.
PROPERTIES: dict[str, Property] = OBJECTIVE_PROPERTIES
ALIASES = {alias.casefold(): p.objective for p in PROPERTIES.values() for alias in p.aliases}
OBJECTIVES = ("desirability", "weighted", *PROPERTIES)
BOUNDS = ("pred", "lo")
#: poor -> good ramps in the property's own unit (the reasons are in the declarations).
DEFAULT_RANGES: dict[str, tuple[float, float]] = {k: p.ramp for k, p in PROPERTIES.items()}
_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
_THRESHOLD = re.compile(r"^\s*([A-Za-zσ_]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*([A-Za-z/]*)\s*$")


def property_key(name: str, *, what: str = "property") -> str:
    key = name.strip().casefold()
    key = ALIASES.get(key, key)
    if key not in PROPERTIES:
        raise InvalidValueError(what, name, "one of " + ", ".join(PROPERTIES))
    return key


@dataclass(frozen=True)
class Threshold:
    """``prop op value`` in the property's unit (σ in S/cm, window in V, strength in MPa)."""

    prop: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """``window>=4.5``, ``window >= 4.5 V``, ``sigma>=1e-4 S/cm``, ``strength>1``."""
        m = _THRESHOLD.match(str(text))
        expected = (
            "NAME OP VALUE [UNIT] with NAME one of "
            + ", ".join(f"{k} ({p.quantity_unit})" for k, p in PROPERTIES.items())
            + " and "
            "OP one of >=, <=, >, <, e.g. 'window>=4.5' or 'sigma >= 1e-4 S/cm'"
        )
        if not m:
            raise InvalidValueError("threshold", text, expected)
        name, op, number, unit = m.groups()
        try:
            key = property_key(name)
        except InvalidValueError:
            raise InvalidValueError("threshold", text, expected) from None
        try:
            value = float(number)
        except ValueError:
            raise InvalidValueError("threshold", text, expected) from None
        prop = PROPERTIES[key]
        if unit and unit.casefold() != prop.quantity_unit.casefold():
            raise InvalidValueError("threshold", text, f"{prop.name} in {prop.quantity_unit}")
        if prop.log_scale and value <= 0:
            raise InvalidValueError("threshold", text, f"a positive {prop.name} in {prop.quantity_unit}")
        return cls(key, op, value)

    def __str__(self) -> str:
        return f"{self.prop} {self.op} {self.value:g} {PROPERTIES[self.prop].quantity_unit}"

    def mask(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Rows meeting the threshold; ``values`` holds each property's label-space
        prediction (σ in log10 S/cm, window in V, strength in MPa)."""
        prop = PROPERTIES[self.prop]
        x = values[self.prop]
        ref = math.log10(self.value) if prop.label_is_log10 else self.value
        with np.errstate(invalid="ignore"):
            return _OPS[self.op](x, ref) & np.isfinite(x)


@dataclass(frozen=True)
class Objective:
    """How rows are ranked.

    Parameters
    ----------
    kind
        ``desirability`` (weighted geometric mean of ramps), ``weighted`` (arithmetic mean),
        or one property: ``sigma``, ``window``, ``strength``.
    weights
        Weight per property for the combined scores (0 leaves a property out).
    ranges
        ``(poor, good)`` per property in its unit; missing ones use :data:`DEFAULT_RANGES`.
    bound
        ``pred`` (point prediction) or ``lo`` (lower end of the 90 % interval).
    """

    kind: str = "desirability"
    weights: dict[str, float] = field(default_factory=lambda: {k: p.default_weight for k, p in PROPERTIES.items()})
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    bound: str = "pred"

    def __post_init__(self) -> None:
        if self.kind not in OBJECTIVES:
            raise InvalidValueError("objective", self.kind, "one of " + ", ".join(OBJECTIVES))
        if self.bound not in BOUNDS:
            raise InvalidValueError("bound", self.bound, "pred (point prediction) or lo (lower 90 % bound)")
        for k, w in self.weights.items():
            property_key(k, what="weight")
            if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0):
                raise InvalidValueError(f"weight of {k}", w, "a finite number >= 0")
        if self.kind in ("desirability", "weighted") and not any(w > 0 for w in self.weights.values()):
            raise InvalidValueError("weights", self.weights, "at least one positive weight")
        for k, (lo, hi) in self.ranges.items():
            prop = PROPERTIES[property_key(k, what="range")]
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or (prop.log_scale and lo <= 0):
                raise InvalidValueError(
                    f"range of {k}", f"{lo:g}:{hi:g}",
                    f"poor:good with poor < good in {prop.quantity_unit}" + (" (> 0)" if prop.log_scale else ""),
                )

    @classmethod
    def from_options(
        cls,
        kind: str = "desirability",
        *,
        weights: str | dict | None = None,
        ranges: str | dict | None = None,
        bound: str = "pred",
    ) -> Objective:
        """From CLI text: ``weights="sigma=2,window=1,strength=1"``,
        ``ranges="sigma=1e-5:1e-3,window=4:5"``."""
        w = _parse_pairs(weights, "weights", float) if isinstance(weights, str) else dict(weights or {})
        r = _parse_pairs(ranges, "ranges", _range) if isinstance(ranges, str) else dict(ranges or {})
        w = {property_key(k, what="weight"): v for k, v in w.items()}
        r = {property_key(k, what="range"): v for k, v in r.items()}
        full_w = {k: p.default_weight for k, p in PROPERTIES.items()}
        if w:
            full_w = {k: w.get(k, 0.0) for k in PROPERTIES}
        return cls(kind=kind, weights=full_w, ranges=r, bound=bound)

    def ramp(self, key: str) -> tuple[float, float]:
        lo, hi = self.ranges.get(key, DEFAULT_RANGES[key])
        if PROPERTIES[key].log_scale:
            return math.log10(lo), math.log10(hi)
        return lo, hi

    @staticmethod
    def ramp_values(key: str, values: np.ndarray) -> np.ndarray:
        """A property's label-space predictions in the space of its ramp (log10 of the
        quantity for log-scale properties)."""
        prop = PROPERTIES[key]
        return prop.log_quantity(values) if prop.log_scale else values

    def desirabilities(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for key in PROPERTIES:
            if key not in values:  # a property no objective weighs (t+ by default)
                continue
            lo, hi = self.ramp(key)
            x = self.ramp_values(key, values[key])
            out[key] = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        return out

    def score(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """One score per row (higher is better; NaN where a needed prediction is missing).

        ``values``: σ in log10 S/cm, window in V, strength in MPa.
        """
        if self.kind in PROPERTIES:
            return np.asarray(values[self.kind], dtype=np.float64)
        d = self.desirabilities(values)
        used = [(k, w) for k, w in self.weights.items() if w > 0]
        total = sum(w for _, w in used)
        if self.kind == "weighted":
            return sum(w * d[k] for k, w in used) / total
        with np.errstate(divide="ignore"):
            logs = sum(w * np.log(d[k]) for k, w in used) / total
        return np.exp(logs)

    def tiebreak(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Secondary key among equal scores: the weighted mean of the *unclipped* ramps, so
        that of two formulations that both reach every "good" value, the one that exceeds
        them more ranks first."""
        n = len(next(iter(values.values())))
        if self.kind in PROPERTIES:
            return np.zeros(n)
        used = [(k, w) for k, w in self.weights.items() if w > 0]
        total = sum(w for _, w in used)
        out = np.zeros(n)
        for k, w in used:
            lo, hi = self.ramp(k)
            x = self.ramp_values(k, values[k])
            out += w * (x - lo) / (hi - lo)
        return np.nan_to_num(out / total, nan=-np.inf)

    def describe(self) -> str:
        b = "lower 90 % bound" if self.bound == "lo" else "point prediction"
        if self.kind in PROPERTIES:
            p = PROPERTIES[self.kind]
            return f"maximize {p.name} ({p.quantity_unit}), {b}"
        parts = []
        for k, w in self.weights.items():
            if w > 0:
                lo, hi = self.ranges.get(k, DEFAULT_RANGES[k])
                parts.append(f"{k} x{w:g} ({lo:g} -> {hi:g} {PROPERTIES[k].quantity_unit})")
        mean = "geometric" if self.kind == "desirability" else "arithmetic"
        return f"{self.kind} ({mean} mean of " + ", ".join(parts) + f"), {b}"


def _range(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    if not sep:
        raise ValueError(text)
    return float(lo), float(hi)


def _parse_pairs(text: str, what: str, conv) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidValueError(what, part, "NAME=VALUE pairs separated by commas, e.g. sigma=2,window=1")
        try:
            out[key.strip()] = conv(value.strip())
        except ValueError:
            example = "sigma=1e-5:1e-3" if what == "ranges" else "sigma=2"
            raise InvalidValueError(what, part, f"NAME=VALUE such as {example}") from None
    return out


def property_values(columns: dict[str, np.ndarray], bound: str = "pred") -> dict[str, np.ndarray]:
    """σ (log10 S/cm), window (V), strength (MPa) from prediction columns of the chosen bound."""
    return {k: np.asarray(columns[p.column(bound)], dtype=np.float64) for k, p in PROPERTIES.items()}


def needed_columns(bound: str = "pred") -> list[str]:
    return [p.column(bound) for p in PROPERTIES.values()]
