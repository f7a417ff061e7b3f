"""Formulations -> named feature blocks (no file I/O here)."""

from spepred.featurize.formulation import (
    FeatureResult,
    FeaturizerConfig,
    FormulationFeaturizer,
)

__all__ = ["FeatureResult", "FeaturizerConfig", "FormulationFeaturizer"]
