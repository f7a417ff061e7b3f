"""Training configuration: frozen dataclasses, serializable, unknown keys refused."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from fnmatch import fnmatchcase

from spepred.data.columns import PROPERTIES, Property
from spepred.errors import ConfigError
from spepred.featurize import FeaturizerConfig

#: Threads of a training whose config does not set ``n_jobs`` (σ, window, strength and Tg
#: models). The test suite sets it to 1: on a shared 2-core machine a tiny training took
#: 217 s with two threads against 17 s with one (OpenMP threads spin-waiting for a core).
N_JOBS_ENV = "SPEPRED_N_JOBS"
DEFAULT_N_JOBS = 2


def default_n_jobs() -> int:
    """``$SPEPRED_N_JOBS`` if set (a whole number >= 1), else :data:`DEFAULT_N_JOBS`."""
    raw = os.environ.get(N_JOBS_ENV, "").strip()
    if not raw:
        return DEFAULT_N_JOBS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"${N_JOBS_ENV}={raw!r}: expected a whole number of threads >= 1")
    return value


#: One predicted property (declared in :mod:`spepred.data.columns`): ``key``, ``label``,
#: ``unit``, ``transform`` (the space the model is fitted in: ``log10`` for strength,
#: identity for the rest; σ is already a log10 label), ``cv`` (``group_kfold``: one polymer
#: / one paper never straddles train and test; ``logo``: leave one paper out, for the small
#: review-only targets), ``description``.
TargetSpec = Property
#: The training targets, by key (``sigma``, ``esw``, ``strength``).
TARGETS: dict[str, Property] = PROPERTIES

#: Temperature features: σ is constrained non-decreasing in T (and so non-increasing in 1/T).
MONOTONE = {
    "conditions.temperature_C": 1,
    "conditions.inv_temperature_1000_per_K": -1,
}
#: Monotone constraints of the other targets: a liquid never makes a network stronger
#: (it swells and plasticizes it); the model may still find no difference.
MONOTONE_BY_TARGET = {
    "strength": {"conditions.plasticized": -1},
}

#: Which features each target's model reads: ``fnmatch`` patterns over the feature names,
#: applied in order, ``!`` excluding what the earlier ones took. Chosen on the
#: held-out-paper evaluation (``benchmarks/regimes.py --properties esw,strength``, three
#: seeds; docs/benchmarks.md section 11): for the window, the oxidation block alone (0.480 V)
#: and every feature with it (0.476 V) lost to every feature but it (0.468 V; regime mean
#: 0.570 V); for the strength (30 labels) additive stumps on the oxidation chemistry and the
#: regime's components (0.577 log10 MPa) were the only recipe level with the regime mean
#: (0.580). σ reads everything but the oxidation block.
STRENGTH_FEATURES = (
    "oxidation.*", "conditions.plasticized", "conditions.filler_wt_pct", "filler.class_none",
    "crosslinker.class_none", "crosslinker.functionality_max", "liquid.*",
)
DEFAULT_FEATURES = {
    "sigma": ("*", "!oxidation.*"),
    "esw": ("*", "!oxidation.*"),
    "strength": STRENGTH_FEATURES,
    "tli": ("*", "!oxidation.*"),
}


def select_features(names: list[str], patterns) -> list[int]:
    """Indices (in layout order) of the features ``patterns`` keep (see
    :data:`DEFAULT_FEATURES`); ``None`` keeps every feature."""
    if patterns is None:
        return list(range(len(names)))
    keep = [False] * len(names)
    for pattern in patterns:
        exclude = pattern.startswith("!")
        pat = pattern[1:] if exclude else pattern
        for i, n in enumerate(names):
            if fnmatchcase(n, pat):
                keep[i] = not exclude
    return [i for i, k in enumerate(keep) if k]


DEFAULT_XGB = {
    "sigma": {
        "n_estimators": 600,
        "learning_rate": 0.04,
        "max_depth": 6,
        "min_child_weight": 3.0,
        "subsample": 0.8,
        "colsample_bytree": 0.5,
        "reg_lambda": 1.0,
    },
    # about a hundred labels: shallow, heavily regularized trees on half the features
    "esw": {
        "n_estimators": 150,
        "learning_rate": 0.05,
        "max_depth": 2,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 0.5,
        "reg_lambda": 5.0,
    },
    # a few dozen labels on a handful of features (STRENGTH_FEATURES): additive stumps
    "strength": {
        "n_estimators": 150,
        "learning_rate": 0.05,
        "max_depth": 1,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "reg_lambda": 5.0,
    },
    "tli": {
        "n_estimators": 150,
        "learning_rate": 0.05,
        "max_depth": 2,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 0.5,
        "reg_lambda": 5.0,
    },
}
_XGB_KEYS = {
    "n_estimators",
    "learning_rate",
    "max_depth",
    "min_child_weight",
    "subsample",
    "colsample_bytree",
    "reg_lambda",
    "reg_alpha",
    "gamma",
    "max_bin",
}


#: Ways to weight the σ training rows (``TrainConfig.weighting``).
WEIGHTINGS = ("none", "regime", "source")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (saved with the bundle and logged to MLflow)."""

    targets: tuple[str, ...] = ("sigma", "esw", "strength", "tli")
    cv_folds: int = 5
    seed: int = 0
    alpha: float = 0.1  # 1 - interval coverage
    featurizer: FeaturizerConfig = field(default_factory=FeaturizerConfig)
    xgb: dict = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_XGB.items()})
    #: target -> feature-name patterns (see :data:`DEFAULT_FEATURES`); a target left out
    #: reads every feature
    features: dict = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_FEATURES.items()})
    monotone_temperature: bool = True
    domain_min_similarity: float = 0.4
    domain_max_unseen: int = 4
    n_jobs: int = field(default_factory=default_n_jobs)
    #: σ training weights by kind of row: none, regime or source (see
    #: :func:`spepred.models.train.sample_weights`), tempered by ``weighting_power``.
    #: By regime, power 0.5: chosen on the regime evaluation (docs/benchmarks.md section 12),
    #: where it beat the unweighted recipe overall, on gels, composites and dry linear rows
    weighting: str = "regime"
    weighting_power: float = 0.5
    #: target -> shrinkage (in papers) of its regime offsets (spepred.models.offsets); a
    #: target left out gets none
    offsets: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [t for t in self.targets if t not in TARGETS]
        if unknown or not self.targets:
            raise ConfigError(f"unknown target(s) {unknown}; known: {list(TARGETS)}")
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2, got {self.cv_folds}")
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"weighting must be one of {list(WEIGHTINGS)}, got {self.weighting!r}")
        if not 0 <= self.weighting_power <= 1:
            raise ConfigError(f"weighting_power must be in [0, 1], got {self.weighting_power}")
        for key, shrink in self.offsets.items():
            if key not in TARGETS:
                raise ConfigError(f"offsets: unknown target {key!r}; known: {list(TARGETS)}")
            if not isinstance(shrink, (int, float)) or isinstance(shrink, bool) or not 0 <= shrink <= 1000:
                raise ConfigError(f"offsets[{key}]: expected a shrinkage in papers between 0 and 1000, got {shrink!r}")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1), got {self.alpha}")
        for key, params in self.xgb.items():
            if key not in TARGETS:
                raise ConfigError(f"xgb: unknown target {key!r}")
            bad = set(params) - _XGB_KEYS
            if bad:
                raise ConfigError(f"xgb[{key}]: unknown parameter(s) {sorted(bad)}")
        for key, patterns in self.features.items():
            if key not in TARGETS:
                raise ConfigError(f"features: unknown target {key!r}; known: {list(TARGETS)}")
            if isinstance(patterns, str) or not all(isinstance(p, str) and p.strip("!") for p in patterns):
                raise ConfigError(
                    f"features[{key}]: expected a list of feature-name patterns such as "
                    f"['oxidation.*', '!matrix.morgan_*'], got {patterns!r}"
                )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"] = list(self.targets)
        d["featurizer"] = self.featurizer.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown training config key(s): {sorted(unknown)}")
        data = dict(data)
        if "targets" in data:
            data["targets"] = tuple(data["targets"])
        if "featurizer" in data:
            data["featurizer"] = FeaturizerConfig.from_dict(data["featurizer"])
        return cls(**data)

    def with_(self, **changes) -> TrainConfig:
        return replace(self, **changes)
