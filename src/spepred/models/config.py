"""Training configuration: frozen dataclasses, serializable, unknown keys refused."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace

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
    # ten labels: shallow, heavily regularized trees
    "esw": {
        "n_estimators": 150,
        "learning_rate": 0.05,
        "max_depth": 2,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 0.5,
        "reg_lambda": 5.0,
    },
    "strength": {
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


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (saved with the bundle and logged to MLflow)."""

    targets: tuple[str, ...] = ("sigma", "esw", "strength")
    cv_folds: int = 5
    seed: int = 0
    alpha: float = 0.1  # 1 - interval coverage
    featurizer: FeaturizerConfig = field(default_factory=FeaturizerConfig)
    xgb: dict = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_XGB.items()})
    monotone_temperature: bool = True
    domain_min_similarity: float = 0.4
    domain_max_unseen: int = 4
    n_jobs: int = field(default_factory=default_n_jobs)

    def __post_init__(self) -> None:
        unknown = [t for t in self.targets if t not in TARGETS]
        if unknown or not self.targets:
            raise ConfigError(f"unknown target(s) {unknown}; known: {list(TARGETS)}")
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2, got {self.cv_folds}")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1), got {self.alpha}")
        for key, params in self.xgb.items():
            if key not in TARGETS:
                raise ConfigError(f"xgb: unknown target {key!r}")
            bad = set(params) - _XGB_KEYS
            if bad:
                raise ConfigError(f"xgb[{key}]: unknown parameter(s) {sorted(bad)}")

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
