"""spepred: property prediction for crosslinked solid polymer electrolytes.

Heavy modules load on first use, so that ``import spepred`` and ``spepred --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_predictor", "predict", "train", "build_data"]


def __getattr__(name: str):
    if name in {"load_predictor", "predict", "train", "build_data", "featurize"}:
        from spepred import api

        return getattr(api, name)
    raise AttributeError(f"module 'spepred' has no attribute {name!r}")
